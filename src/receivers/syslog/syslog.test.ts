// The syslog receiver over real sockets on loopback: UDP, TCP (both framings), TLS (with a PKI
// made by openssl), back-pressure, limits, drops.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { pino } from 'pino';
import { Ajv } from 'ajv';
import { releaseAll } from '../../pipeline/ack.js';
import { RefusedError, type Batch, type Consumer, type Host } from '../../pipeline/component.js';
import type { LogItem, RawLine } from '../../model/items.js';
import { SelfTelemetry } from '../../telemetry/component_telemetry.js';
import { SyslogConfig } from './config.js';
import { SyslogReceiver, type SyslogInternals } from './syslog.js';
import { syslogReceiverFactory } from './factory.js';
import { hasCommand, makeTestPki, type TestPki } from './testing.js';
import { tempDir } from '../../../test/helpers/tmp.js';

const validate = new Ajv({ useDefaults: true, strict: false }).compile(SyslogConfig);
const host: Host = { dataDir: '.', reportFatal: (e) => { throw e; } };
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tmp = tempDir('mailsight-syslog-unit-');
after(() => rmSync(tmp, { recursive: true, force: true }));

class Collect implements Consumer<LogItem> {
  readonly lines: RawLine[] = [];
  batches = 0;
  sizes: number[] = [];
  private gate: Promise<void> | undefined;
  private open: () => void = () => undefined;
  refuse = 0;

  block(): void {
    this.gate = new Promise((r) => (this.open = r));
  }
  unblock(): void {
    this.gate = undefined;
    this.open();
  }
  async consume(b: Batch<LogItem>): Promise<void> {
    if (this.refuse > 0) {
      this.refuse--;
      releaseAll(b.acks);
      throw new RefusedError('memory limit');
    }
    while (this.gate) await this.gate;
    this.batches++;
    this.sizes.push(b.items.length);
    this.lines.push(...(b.items as RawLine[]));
    releaseAll(b.acks);
  }
  bodies(): string[] {
    return this.lines.map((l) => l.body);
  }
}

async function receiver(partial: Record<string, unknown>, next: Consumer<LogItem>, internals: Partial<SyslogInternals> = {}) {
  const config: Record<string, unknown> = { listen: '127.0.0.1:0', batch_timeout: '20ms', ...partial };
  assert.ok(validate(config), JSON.stringify(validate.errors));
  const tel = new SelfTelemetry({ processMetrics: false });
  const r = new SyslogReceiver(
    { id: 'syslog', config: config as SyslogConfig, signal: 'logs', logger: pino({ level: 'silent' }), telemetry: tel.forComponent('receiver', 'syslog'), next },
    { shutdownWaitMs: 300, backoffMinMs: 10, backoffMaxMs: 20, ...internals },
  );
  await r.start(host);
  const v = (name: string) => tel.value(name, { component: 'syslog' });
  return { r, tel, v, port: r.address().port };
}

async function until(cond: () => boolean | Promise<boolean>, ms = 3000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await delay(5);
  }
}

function tcp(port: number): Promise<Socket> {
  return new Promise((res, rej) => {
    const s = tcpConnect({ host: '127.0.0.1', port }, () => res(s));
    s.once('error', rej);
  });
}

const octet = (...msgs: string[]) => msgs.map((m) => `${Buffer.byteLength(m)} ${m}`).join('');
const L1 = '<22>Nov  7 06:52:11 mx1 postfix/smtp[4762]: 4053316030D: to=<a@ok.test>, status=sent (250 ok)';
const L2 = '<22>1 2026-11-12T05:41:23.5Z mx1 postfix/qmgr 4590 - - 4053316030D: removed';

test('schema: defaults; tls section required for protocol tls; unknown keys rejected', () => {
  const c: Record<string, unknown> = {};
  assert.ok(validate(c));
  assert.equal(c.protocol, 'tcp');
  assert.equal(c.listen, '127.0.0.1:5514');
  assert.equal(c.max_message_bytes, 65536);
  assert.equal(c.max_connections, 1024);
  assert.equal(validate({ protocol: 'tls' }), false);
  assert.ok(validate({ protocol: 'tls', tls: { cert_file: 'a', key_file: 'b' } }));
  assert.equal(validate({ protocol: 'tcp', bogus: 1 }), false);
  assert.equal(syslogReceiverFactory.type, 'syslog');
  assert.deepEqual(syslogReceiverFactory.signals, ['logs']);
});

test('UDP: one message per datagram, attributes, trailing NUL/LF, truncation counted', async () => {
  const c = new Collect();
  const { r, v, port } = await receiver({ protocol: 'udp', max_message_bytes: 480 }, c);
  const u = createSocket('udp4');
  const send = (m: string | Buffer) => new Promise<void>((res) => u.send(m, port, '127.0.0.1', () => res()));
  await send(L1);
  await send(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(L2 + '\n\0')]));
  await send('<13>' + 'x'.repeat(1000));
  await until(() => c.lines.length === 3, 3000, '3 lines');
  u.close();
  assert.deepEqual(c.bodies().slice(0, 2), [L1, L2]);
  // Cut to 480 bytes, then (PRI without a timestamp) given a receive-time stamp and the peer as host.
  assert.match(c.lines[2].body, /^<13>\d{4}-\d\d-\d\dT[\d:.]+Z 127\.0\.0\.1 x{476}$/);
  assert.deepEqual(c.lines[0].source, { 'net.transport': 'udp', 'net.peer.ip': '127.0.0.1', 'syslog.facility': 'mail', 'syslog.severity': 'info' });
  assert.equal(await v('mailsight_syslog_truncated_total'), 1);
  assert.equal(await v('mailsight_items_received_total'), 3);
  await r.shutdown();
});

test('TCP: newline and octet-counted connections, split writes, batches of max_batch', async () => {
  const c = new Collect();
  const { r, v, tel, port } = await receiver({ max_batch: 4 }, c);
  const a = await tcp(port);
  const b = await tcp(port);
  const nl = Array.from({ length: 10 }, (_, i) => `${L1} #${i}`);
  const oc = Array.from({ length: 10 }, (_, i) => `${L2} #${i}\nwith a newline inside`);
  const nlWire = Buffer.from(nl.join('\r\n') + '\n');
  const ocWire = Buffer.from(octet(...oc));
  // Cut both streams at awkward places (inside a length, inside a CRLF).
  for (const [s, w] of [[a, nlWire], [b, ocWire]] as const) {
    for (let i = 0; i < w.length; i += 37) {
      s.write(w.subarray(i, i + 37));
      await delay(0);
    }
  }
  await until(() => c.lines.length === 20, 3000, '20 lines');
  const got = c.bodies();
  assert.deepEqual(got.filter((x) => x.startsWith('<22>Nov')), nl);
  assert.deepEqual(got.filter((x) => x.startsWith('<22>1 ')), oc);
  assert.ok(c.sizes.every((n) => n <= 4), `batch sizes ${c.sizes}`);
  assert.equal(c.lines[0].source?.['net.transport'], 'tcp');
  assert.equal(c.lines[0].source?.['net.peer.ip'], '127.0.0.1');
  assert.equal(await v('mailsight_syslog_connections_total'), 2);
  assert.equal(await v('mailsight_syslog_connections'), 2);
  assert.equal(await v('mailsight_syslog_framing_errors_total'), 0);
  const framings = await tel.registry.getSingleMetric('mailsight_syslog_framing_detected_total')!.get();
  assert.deepEqual(framings.values.map((x) => `${x.labels.framing}=${x.value}`).sort(), ['newline=1', 'octet=1']);
  a.end('<13>Nov  7 06:52:11 mx1 app: unterminated last line');
  await until(() => c.lines.length === 21, 3000, 'the unterminated line at end of connection');
  assert.equal(c.lines[20].body, '<13>Nov  7 06:52:11 mx1 app: unterminated last line');
  b.destroy();
  await until(async () => (await v('mailsight_syslog_connections')) === 0);
  await r.shutdown();
});

test('TCP: ASCII and UTF-8 chunks decode alike (whole chunks, frames split across chunks, invalid bytes)', async () => {
  const c = new Collect();
  const { r, port } = await receiver({}, c);
  const s = await tcp(port);
  const ascii = `${L1} plain`;
  const utf8 = `${L1} Grüße 日本 ☃`;
  const bad = Buffer.concat([Buffer.from(`${L1} bad `), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(' end')]);
  const send = async (b: Buffer) => {
    s.write(b);
    await delay(10); // one chunk per write on loopback
  };
  await send(Buffer.from(`${ascii}\n${ascii}\n`)); // all-ASCII chunk
  await send(Buffer.from(`${utf8}\n${ascii}\n`)); // mixed chunk
  const split = Buffer.from(`${ascii}\n${utf8}\n`);
  const cut = split.length - 8; // inside the snowman's line, after its multi-byte characters
  await send(split.subarray(0, cut));
  await send(split.subarray(cut)); // an ASCII chunk that ends a UTF-8 frame
  await send(Buffer.concat([bad, Buffer.from('\n')]));
  await until(() => c.lines.length === 7, 3000, '7 lines');
  assert.deepEqual(c.bodies(), [ascii, ascii, utf8, ascii, ascii, utf8, bad.toString('utf8')]);
  s.destroy();
  await r.shutdown();
});

test('TCP: oversize frames are cut and counted, the connection goes on', async () => {
  const c = new Collect();
  const { r, v, port } = await receiver({ max_message_bytes: 1024 }, c);
  const s = await tcp(port);
  s.write(octet('<13>Nov  7 06:52:11 mx1 app: ' + 'y'.repeat(5000), L1));
  await until(() => c.lines.length === 2);
  assert.equal(Buffer.byteLength(c.lines[0].body), 1024);
  assert.equal(c.lines[1].body, L1);
  assert.equal(await v('mailsight_syslog_truncated_total'), 1);
  s.destroy();
  await r.shutdown();
});

test('back-pressure: a blocked pipeline stops reading; memory stays bounded; nothing is lost', async () => {
  const c = new Collect();
  c.block();
  const { r, port } = await receiver({ max_batch: 100 }, c);
  const s = await tcp(port);
  const line = L1 + ' ' + 'p'.repeat(200) + '\n';
  const total = 100_000; // ~31 MB
  let written = 0;
  let bp = false;
  // Write until the socket reports back-pressure for a while: the kernel buffers are full.
  const writer = (async () => {
    while (written < total) {
      const chunk = line.repeat(500);
      written += 500;
      if (!s.write(chunk)) {
        bp = true;
        await new Promise((res) => s.once('drain', res));
      }
    }
    s.end();
  })();
  await until(() => bp, 5000, 'the sender to be blocked');
  await delay(300);
  const conn = [...(r as unknown as { conns: Set<{ pending: { items: unknown[] } }> }).conns][0];
  assert.ok(conn.pending.items.length <= 100 + 2000, `receiver holds ${conn.pending.items.length} lines while blocked`);
  assert.ok(written < total, 'the sender could not write everything while the pipeline was blocked');
  c.unblock();
  await writer;
  await until(() => c.lines.length === total, 20_000, 'every line');
  assert.ok(c.sizes.every((n) => n <= 100));
  await r.shutdown();
});

test('refused batches (memory limit) hold the connection and are retried: nothing lost', async () => {
  const c = new Collect();
  c.refuse = 3;
  const { r, port } = await receiver({ max_batch: 2 }, c);
  const s = await tcp(port);
  s.end(Array.from({ length: 7 }, (_, i) => `<13>Nov  7 06:52:11 mx1 app: ${i}\n`).join(''));
  await until(() => c.lines.length === 7, 3000, '7 lines');
  assert.deepEqual(c.bodies().map((b) => b.slice(-1)), ['0', '1', '2', '3', '4', '5', '6']);
  await r.shutdown();
});

test('max_connections and max_connections_per_peer close the excess on accept, counted', async () => {
  const c = new Collect();
  const { r, v, port } = await receiver({ max_connections: 5 }, c);
  const socks: Socket[] = [];
  const closed: boolean[] = [];
  for (let i = 0; i < 12; i++) {
    const s = await tcp(port);
    const k = socks.push(s) - 1;
    closed[k] = false;
    s.on('close', () => (closed[k] = true));
    s.on('error', () => undefined);
  }
  await until(async () => (await v('mailsight_syslog_connections_rejected_total')) === 7, 3000, '7 rejected');
  await until(() => closed.filter(Boolean).length === 7, 3000, '7 closed');
  assert.equal(await v('mailsight_syslog_connections'), 5);
  // The ones kept work.
  socks[0].write(L1 + '\n');
  await until(() => c.lines.length === 1);
  for (const s of socks) s.destroy();
  await r.shutdown();

  const p = await receiver({ max_connections_per_peer: 2 }, new Collect());
  const ss = [await tcp(p.port), await tcp(p.port), await tcp(p.port)];
  for (const s of ss) s.on('error', () => undefined);
  await until(async () => (await p.v('mailsight_syslog_connections_rejected_total')) === 1);
  for (const s of ss) s.destroy();
  await p.r.shutdown();
});

test('idle_timeout closes silent connections, counted', async () => {
  const { r, v, port } = await receiver({ idle_timeout: '100ms' }, new Collect());
  const s = await tcp(port);
  let closed = false;
  s.on('close', () => (closed = true));
  s.write('<13>partial frame that never ends');
  await until(() => closed, 3000, 'idle close');
  assert.equal(await v('mailsight_syslog_idle_closed_total'), 1);
  await r.shutdown();
});

test('UDP: beyond udp_queue_size while the pipeline is busy, messages are dropped and counted', async () => {
  const c = new Collect();
  c.block();
  const { r, v, port } = await receiver({ protocol: 'udp', udp_queue_size: 10, max_batch: 5 }, c);
  const u = createSocket('udp4');
  for (let i = 0; i < 100; i++) await new Promise<void>((res) => u.send(`<13>Nov  7 06:52:11 h app: ${i}`, port, '127.0.0.1', () => res()));
  await until(async () => (await v('mailsight_items_received_total')) === 100, 3000, '100 received');
  c.unblock();
  await until(() => c.lines.length === 10, 3000, '10 delivered');
  await delay(50);
  assert.equal(c.lines.length, 10);
  assert.equal(await v('mailsight_items_dropped_total'), 90);
  u.close();
  await r.shutdown();
});

test('UDP: datagrams the kernel dropped (receive buffer full) are counted from /proc/net/udp', async (t) => {
  let procText = '';
  try {
    procText = readFileSync('/proc/net/udp', 'utf8');
  } catch {
    t.skip('no /proc/net/udp on this system');
    return;
  }
  assert.ok(procText.length > 0);
  const c = new Collect();
  const { r, v, port } = await receiver({ protocol: 'udp', udp_receive_buffer_bytes: 4096 }, c, { statsIntervalMs: 60_000 });
  // A child floods the port while this process's event loop is blocked (nothing is read).
  const child = spawn(process.execPath, ['-e', `
    const s = require('node:dgram').createSocket('udp4');
    let n = 0; const m = Buffer.alloc(1000, 120);
    (function go() { for (let i = 0; i < 50; i++) s.send(m, ${port}, '127.0.0.1'); if (++n < 60) setImmediate(go); else setTimeout(() => s.close(), 200); })();
  `], { stdio: 'ignore' });
  const exited = new Promise((res) => child.once('exit', res));
  const stop = Date.now() + 1500;
  while (Date.now() < stop) { /* block the loop: the kernel buffer overflows */ }
  await exited;
  await r.readKernelStats();
  const drops = await v('mailsight_syslog_udp_kernel_drops_total');
  assert.ok(drops > 0, 'the kernel dropped datagrams and we counted them');
  assert.ok(drops + c.lines.length <= 3000);
  await r.shutdown();
});

test('shutdown is bounded when the pipeline hangs; undelivered lines are counted as dropped', async () => {
  const c = new Collect();
  c.block();
  const { r, v, port } = await receiver({ max_batch: 2 }, c);
  const s = await tcp(port);
  s.on('error', () => undefined);
  s.write(Array.from({ length: 5 }, (_, i) => `<13>Nov  7 06:52:11 mx1 app: ${i}\n`).join(''));
  await until(async () => (await v('mailsight_items_received_total')) === 5);
  const t0 = Date.now();
  await r.shutdown();
  assert.ok(Date.now() - t0 < 2000);
  assert.equal(await v('mailsight_items_dropped_total'), 5);
  c.unblock();
});

// ---- TLS -----------------------------------------------------------------------------------

let pki: TestPki | undefined;
function needPki(t: { skip(msg: string): void }): TestPki | undefined {
  if (!hasCommand('openssl')) {
    if (process.env.CI) throw new Error('openssl is required for the TLS tests (apt-get install openssl)');
    console.warn('SKIPPING TLS tests: the openssl command is missing');
    t.skip('openssl missing');
    return undefined;
  }
  pki ??= makeTestPki(mkdtempSync(join(tmp, 'pki-')));
  return pki;
}

function tlsClient(port: number, p: TestPki, withCert: 'ours' | 'other' | 'none'): Promise<TLSSocket> {
  return new Promise((res, rej) => {
    const s = tlsConnect({
      host: '127.0.0.1',
      port,
      ca: readFileSync(p.caCert),
      servername: 'localhost',
      ...(withCert === 'ours' ? { cert: readFileSync(p.clientCert), key: readFileSync(p.clientKey) } : {}),
      ...(withCert === 'other' ? { cert: readFileSync(p.otherClientCert), key: readFileSync(p.otherClientKey) } : {}),
    }, () => res(s));
    s.once('error', rej);
  });
}

test('TLS: newline and octet-counted framing over TLS, transport attribute', async (t) => {
  const p = needPki(t);
  if (!p) return;
  const c = new Collect();
  const { r, port } = await receiver({ protocol: 'tls', tls: { cert_file: p.serverCert, key_file: p.serverKey } }, c);
  const a = await tlsClient(port, p, 'none');
  const b = await tlsClient(port, p, 'none');
  a.write(L1 + '\n' + L1 + ' again\n');
  b.write(octet(L2, L2 + ' again'));
  await until(() => c.lines.length === 4, 3000, '4 lines');
  assert.deepEqual(c.bodies().sort(), [L1, L1 + ' again', L2, L2 + ' again'].sort());
  assert.equal(c.lines[0].source?.['net.transport'], 'tls');
  assert.equal(c.lines[0].source?.['tls.client.subject'], undefined);
  a.destroy();
  b.destroy();
  await r.shutdown();
});

test('TLS client_auth require: a certificate of our CA is accepted (subject attribute), others refused', async (t) => {
  const p = needPki(t);
  if (!p) return;
  const c = new Collect();
  const { r, v, port } = await receiver(
    { protocol: 'tls', tls: { cert_file: p.serverCert, key_file: p.serverKey, ca_file: p.caCert, client_auth: 'require' } },
    c,
  );
  const ok = await tlsClient(port, p, 'ours');
  ok.write(L1 + '\n');
  await until(() => c.lines.length === 1);
  assert.equal(c.lines[0].source?.['tls.client.subject'], 'mx1.lab.test');
  for (const mode of ['none', 'other'] as const) {
    // TLS 1.3: the client learns of the refusal after its handshake, on the first read.
    const s = await tlsClient(port, p, mode).catch(() => undefined);
    if (s) {
      s.on('error', () => undefined);
      s.write(L1 + ' refused\n');
      await new Promise((res) => s.once('close', res));
    }
  }
  await until(async () => (await v('mailsight_syslog_tls_errors_total')) === 2, 3000, '2 TLS errors');
  await delay(50);
  assert.equal(c.lines.length, 1);
  ok.destroy();
  await r.shutdown();
});

test('TLS: a plain-text client and a stalled handshake are closed, counted', async (t) => {
  const p = needPki(t);
  if (!p) return;
  const { r, v, port } = await receiver(
    { protocol: 'tls', tls: { cert_file: p.serverCert, key_file: p.serverKey, handshake_timeout: '200ms' } },
    new Collect(),
  );
  const plain = await tcp(port);
  plain.on('error', () => undefined);
  plain.write(L1 + '\n');
  const stalled = await tcp(port);
  stalled.on('error', () => undefined);
  await Promise.all([plain, stalled].map((s) => new Promise((res) => s.once('close', res))));
  assert.equal(await v('mailsight_syslog_tls_errors_total'), 2);
  await r.shutdown();
});
