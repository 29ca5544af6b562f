// The syslog receiver against real senders: Debian's rsyslogd forwarding (omfwd) over UDP, TCP
// with the default framing, TCP octet-counted (RFC 5424 template), and TLS (gtls, x509 with a
// client certificate) in both framings; and util-linux `logger` sending single lines directly.
// Lines enter rsyslog the way Postfix's do: syslog(3)-style datagrams on a unix socket
// (imuxsock), here a socket in a temporary directory, written by `logger -u`.
//
// Needs: rsyslog, rsyslog-gnutls, bsdutils (logger), openssl — see setup.sh beside this file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Ajv } from 'ajv';
import { releaseAll } from '../../../src/pipeline/ack.js';
import type { Batch, Consumer } from '../../../src/pipeline/component.js';
import type { LogItem, RawLine } from '../../../src/model/items.js';
import { SelfTelemetry } from '../../../src/telemetry/component_telemetry.js';
import { SyslogConfig } from '../../../src/receivers/syslog/config.js';
import { SyslogReceiver } from '../../../src/receivers/syslog/syslog.js';
import { makeTestPki, type TestPki } from '../../../src/receivers/syslog/testing.js';
import { Framer } from '../../../src/processors/mta_parse/header.js';
import { LineParser } from '../../../src/processors/mta_parse/parser.js';
import { gate, hasRsyslogGtls, missing } from './prereq.js';
import { tempDir } from '../../helpers/tmp.js';

const SETUP = 'test/integration/syslog/setup.sh';
const skipReason = (() => {
  const m = missing(['rsyslogd', 'logger', 'openssl'], [hasRsyslogGtls]);
  return m;
})();

const validate = new Ajv({ useDefaults: true, strict: false }).compile(SyslogConfig);
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Collect implements Consumer<LogItem> {
  readonly lines: RawLine[] = [];
  async consume(b: Batch<LogItem>): Promise<void> {
    this.lines.push(...(b.items as RawLine[]));
    releaseAll(b.acks);
  }
}

interface Rx {
  name: string;
  r: SyslogReceiver;
  c: Collect;
  tel: SelfTelemetry;
  port: number;
}

async function startReceiver(name: string, cfg: Record<string, unknown>): Promise<Rx> {
  const config: Record<string, unknown> = { listen: '127.0.0.1:0', batch_timeout: '20ms', ...cfg };
  assert.ok(validate(config), JSON.stringify(validate.errors));
  const tel = new SelfTelemetry({ processMetrics: false });
  const c = new Collect();
  const r = new SyslogReceiver({
    id: `syslog/${name}`,
    config: config as SyslogConfig,
    signal: 'logs',
    logger: pino({ level: 'silent' }),
    telemetry: tel.forComponent('receiver', `syslog/${name}`),
    next: c,
  });
  await r.start({ dataDir: '.', reportFatal: (e) => { throw e; } });
  return { name, r, c, tel, port: r.address().port };
}

async function until(cond: () => boolean, ms: number, what: () => string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out: ${what()}`);
    await delay(20);
  }
}

let dir = '';
let pki: TestPki;
let rsyslog: ChildProcess | undefined;
/** What rsyslogd printed so far, and its own internal messages (syslog.*), for timeout reports. */
let rsyslogOut = '';
const rsyslogReport = () => {
  let internal = '';
  try {
    internal = readFileSync(join(dir, 'internal.log'), 'utf8');
  } catch {
    internal = '(none)';
  }
  return `rsyslogd ${rsyslog?.exitCode === null ? 'running' : `exited ${rsyslog?.exitCode}`}; output: ${rsyslogOut || '(none)'}; internal messages: ${internal.slice(-4000)}`;
};
const rx: Record<string, Rx> = {};
const counts = () => Object.values(rx).map((r) => `${r.name}=${r.c.lines.length}`).join(' ');

before(async () => {
  if (skipReason) return;
  dir = tempDir('mailsight-rsyslog-');
  pki = makeTestPki(dir);
  const tls = (client_auth: string) => ({ cert_file: pki.serverCert, key_file: pki.serverKey, ca_file: pki.caCert, client_auth });
  rx.udp = await startReceiver('udp', { protocol: 'udp' });
  rx.tcp = await startReceiver('tcp', { protocol: 'tcp' });
  rx.tcpOctet = await startReceiver('tcp_octet', { protocol: 'tcp' });
  rx.tls = await startReceiver('tls', { protocol: 'tls', tls: tls('require') });
  rx.tlsOctet = await startReceiver('tls_octet', { protocol: 'tls', tls: tls('require') });

  const q = 'queue.type="LinkedList" action.resumeRetryCount="-1" action.resumeInterval="1"';
  const gtls = 'StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name" StreamDriverPermittedPeers="localhost"';
  const conf = `
global(workDirectory="${dir}"
       DefaultNetstreamDriverCAFile="${pki.caCert}"
       DefaultNetstreamDriverCertFile="${pki.clientCert}"
       DefaultNetstreamDriverKeyFile="${pki.clientKey}"
       maxMessageSize="64k"
       parser.permitSlashInProgramName="on")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="${dir}/log.sock" CreatePath="on" RateLimit.Interval="0")
syslog.* action(type="omfile" file="${dir}/internal.log")
mail.* action(type="omfwd" target="127.0.0.1" port="${rx.udp.port}" protocol="udp" ${q})
mail.* action(type="omfwd" target="127.0.0.1" port="${rx.tcp.port}" protocol="tcp" ${q})
mail.* action(type="omfwd" target="127.0.0.1" port="${rx.tcpOctet.port}" protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format" ${q})
mail.* action(type="omfwd" target="127.0.0.1" port="${rx.tls.port}" protocol="tcp" ${gtls} ${q})
mail.* action(type="omfwd" target="127.0.0.1" port="${rx.tlsOctet.port}" protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format" ${gtls} ${q})
`;
  writeFileSync(join(dir, 'rsyslog.conf'), conf);
  const check = spawnSync('rsyslogd', ['-N1', '-f', join(dir, 'rsyslog.conf')], { encoding: 'utf8' });
  assert.equal(check.status, 0, `rsyslogd -N1: ${check.stdout}${check.stderr}`);
  rsyslog = spawn('rsyslogd', ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslogd.pid')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  rsyslog.stdout?.on('data', (d: Buffer) => (rsyslogOut += d));
  rsyslog.stderr?.on('data', (d: Buffer) => (rsyslogOut += d));
  // Ready when the input socket exists and accepts a datagram...
  const t0 = Date.now();
  while (spawnSync('logger', ['-u', join(dir, 'log.sock'), '-p', 'user.info', 'ping']).status !== 0) {
    if (Date.now() - t0 > 10_000) throw new Error(`rsyslogd did not start: ${rsyslogReport()}`);
    await delay(50);
  }
  // ...and every forwarding action has delivered a line (TCP connected, TLS handshaken), so the
  // tests below measure the receivers, not rsyslog's start-up. The ping lines are then forgotten.
  const ping = spawnSync('logger', ['-u', join(dir, 'log.sock'), '-p', 'mail.info', '-t', 'mailsight-ready', 'ping'], { encoding: 'utf8' });
  assert.equal(ping.status, 0, ping.stderr);
  await until(() => Object.values(rx).every((r) => r.c.lines.length >= 1), 30_000, () => `ready ping: ${counts()}; ${rsyslogReport()}`);
  for (const r of Object.values(rx)) r.c.lines.length = 0;
});

after(async () => {
  if (rsyslog && rsyslog.exitCode === null) {
    rsyslog.kill('SIGTERM');
    await new Promise((res) => rsyslog!.once('exit', res));
  }
  for (const r of Object.values(rx)) await r.r.shutdown();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Postfix-like lines with something to check in each (queue id, a long one, UTF-8). */
function postfixLines(n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const qid = (0x4053316030d + i).toString(16).toUpperCase();
    if (i === 7) return `${qid}: to=<long@defer.test>, status=deferred (host mx.defer.test[127.0.1.2] said: 450 4.7.28 ${'x'.repeat(3000)})`;
    if (i === 9) return `${qid}: to=<jörg@ok.test>, relay=mx.ok.test[127.0.1.1]:25, delay=0.1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as ✉${i})`;
    return `${qid}: to=<u${i}@defer.test>, relay=mx.defer.test[127.0.1.2]:25, delay=${i}.5, delays=0.01/0/0.02/0.1, dsn=4.7.28, status=deferred (host mx.defer.test[127.0.1.2] said: 450 4.7.28 Our system has detected an unusual rate of unsolicited mail (in reply to RCPT TO command))`;
  });
}

test('rsyslog forwards Postfix lines over UDP, TCP (newline and octet-counted) and TLS (both framings): every line arrives intact and parses', async (t) => {
  const skip = gate('rsyslog integration', skipReason, SETUP);
  if (skip) return t.skip(skip);
  const lines = postfixLines(40);
  const file = join(dir, 'lines.txt');
  writeFileSync(file, lines.join('\n') + '\n');
  // As Postfix's smtp[4762] would: facility mail, tag postfix/smtp, pid 4762.
  const lg = spawnSync('logger', ['-u', join(dir, 'log.sock'), '-p', 'mail.info', '-t', 'postfix/smtp', '--id=4762', '--size', '16384', '-f', file], { encoding: 'utf8' });
  assert.equal(lg.status, 0, lg.stderr);
  await until(() => Object.values(rx).every((r) => r.c.lines.length >= lines.length), 30_000, () => `${counts()}; logger: ${lg.stderr || '(quiet)'}; ${rsyslogReport()}`);
  await delay(200);

  const host = hostname().split('.')[0];
  for (const r of Object.values(rx)) {
    assert.equal(r.c.lines.length, lines.length, `${r.name}: no duplicates`);
    const framer = new Framer({ timezone: 'local' });
    const parser = new LineParser({ mta: 'auto', timezone: 'local', keepRaw: false });
    const msgs: string[] = [];
    for (const l of r.c.lines) {
      const f = framer.frame(l.body);
      assert.ok(f, `${r.name}: the framer reads ${l.body.slice(0, 120)}`);
      assert.equal(f.host, host, r.name);
      // (RFC 5424 APP-NAME: rsyslog cuts it at "/" unless parser.permitSlashInProgramName is on.)
      assert.equal(f.program, 'postfix/smtp', `${r.name}: ${l.body.slice(0, 80)}`);
      assert.equal(f.pid, 4762, r.name);
      assert.ok(Math.abs(f.time - Date.now()) < 5 * 60_000, `${r.name}: timestamp ${new Date(f.time).toISOString()}`);
      msgs.push(f.msg);
      assert.equal(l.source?.['net.peer.ip'], '127.0.0.1');
      assert.equal(l.source?.['syslog.facility'], 'mail');
      assert.equal(l.source?.['syslog.severity'], 'info');
      const ev = parser.parse(l.body);
      assert.equal(ev.event, 'delivery_attempt', `${r.name}: ${l.body.slice(0, 200)}`);
    }
    // TCP and TLS keep the order; UDP on loopback is compared as a set.
    if (r.name === 'udp') assert.deepEqual([...msgs].sort(), [...lines].sort(), r.name);
    else assert.deepEqual(msgs, lines, r.name);
  }
  assert.equal(rx.udp.c.lines[0].source?.['net.transport'], 'udp');
  assert.equal(rx.tcp.c.lines[0].source?.['net.transport'], 'tcp');
  assert.equal(rx.tls.c.lines[0].source?.['net.transport'], 'tls');
  assert.equal(rx.tls.c.lines[0].source?.['tls.client.subject'], 'mx1.lab.test', 'rsyslog presented its client certificate');
  // The framing each connection used, as detected from its first byte.
  const framing = async (r: Rx, f: string) => {
    const m = await r.tel.registry.getSingleMetric('mailsight_syslog_framing_detected_total')?.get();
    return (m?.values ?? []).filter((v) => v.labels.framing === f).reduce((s, v) => s + v.value, 0);
  };
  assert.ok((await framing(rx.tcp, 'newline')) >= 1);
  assert.equal(await framing(rx.tcp, 'octet'), 0);
  assert.ok((await framing(rx.tcpOctet, 'octet')) >= 1);
  assert.equal(await framing(rx.tcpOctet, 'newline'), 0);
  assert.ok((await framing(rx.tls, 'newline')) >= 1);
  assert.ok((await framing(rx.tlsOctet, 'octet')) >= 1);
  // The 5424 template really was RFC 5424.
  assert.match(rx.tcpOctet.c.lines[0].body, /^<22>1 \d{4}-/);
  assert.match(rx.tcp.c.lines[0].body, /^<22>[A-Z][a-z]{2} [ \d]\d /);
  for (const r of Object.values(rx)) {
    assert.equal(await r.tel.value('mailsight_syslog_framing_errors_total', {}), 0, r.name);
    assert.equal(await r.tel.value('mailsight_syslog_truncated_total', {}), 0, r.name);
  }
});

test('logger sends single lines directly: UDP and TCP, RFC 3164 and RFC 5424, octet-counted', async (t) => {
  const skip = gate('logger integration', skipReason, SETUP);
  if (skip) return t.skip(skip);
  const variants: { name: string; rx: Rx; args: string[] }[] = [
    { name: 'udp 3164', rx: rx.udp, args: ['--udp', '--rfc3164'] },
    { name: 'udp 5424', rx: rx.udp, args: ['--udp', '--rfc5424'] },
    { name: 'tcp 3164', rx: rx.tcp, args: ['--tcp', '--rfc3164'] },
    { name: 'tcp 5424 octet-count', rx: rx.tcpOctet, args: ['--tcp', '--rfc5424', '--octet-count'] },
    { name: 'tcp 5424 sd', rx: rx.tcp, args: ['--tcp', '--rfc5424=notq', '--sd-id', 'origin@32473', '--sd-param', 'software="postfix"'] },
  ];
  for (const v of variants) {
    const before = v.rx.c.lines.length;
    const msg = `ABCDEF123: to=<one@ok.test>, relay=x[127.0.0.1]:25, delay=1, dsn=2.0.0, status=sent (250 ok ${v.name})`;
    const r = spawnSync('logger', ['--server', '127.0.0.1', '--port', String(v.rx.port), ...v.args, '-p', 'mail.notice', '-t', 'postfix/smtp', '--id=99', msg], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${v.name}: ${r.stderr}`);
    await until(() => v.rx.c.lines.length > before, 5000, () => v.name);
    const l = v.rx.c.lines[v.rx.c.lines.length - 1];
    const f = new Framer({ timezone: 'local' }).frame(l.body);
    assert.ok(f, `${v.name}: ${l.body}`);
    assert.equal(f.program, 'postfix/smtp', v.name);
    assert.equal(f.pid, 99, v.name);
    assert.equal(f.msg, msg, v.name);
    assert.ok(f.host.length > 0, `${v.name}: a hostname`);
    assert.equal(l.source?.['syslog.severity'], 'notice');
  }
});
