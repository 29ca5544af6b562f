// Unit tests of the otlphttp exporter: config, mappings, delta conversion, HTTP behaviour
// against a local node HTTP(S) server. The field-by-field checks against the real
// OpenTelemetry Collector are in test/integration/otelcol.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import { Ajv } from 'ajv';
import { Ack } from '../../pipeline/ack.js';
import type { PipelineItem } from '../../model/items.js';
import type { MailEvent } from '../../model/mail_event.js';
import type { MetricItem } from '../../model/metrics.js';
import { SelfTelemetry } from '../../telemetry/component_telemetry.js';
import { registry } from '../../components.js';
import { OtlpHttpExporterConfig } from './config.js';
import { otlpHttpExporterFactory } from './factory.js';
import { OtlpHttpExporter, signalUrl } from './otlphttp.js';
import { AddressPolicy, msToHrTime, nanosToMs, Resources } from './common.js';
import { eventSeverity, LogMapper } from './logs.js';
import { DeltaConverter } from './metrics.js';

const validate = new Ajv({ useDefaults: true, strict: false }).compile(OtlpHttpExporterConfig);
const host = { dataDir: tmpdir(), reportFatal: (e: Error) => { throw e; } };

function cfg(partial: Record<string, unknown>): OtlpHttpExporterConfig {
  const c: unknown = structuredClone(partial);
  assert.ok(validate(c), JSON.stringify(validate.errors));
  return c as OtlpHttpExporterConfig;
}
function exporter(partial: Record<string, unknown>) {
  const tel = new SelfTelemetry({ processMetrics: false });
  const e = new OtlpHttpExporter({ id: 'otlphttp', config: cfg(partial), signal: 'logs', logger: pino({ level: 'silent' }), telemetry: tel.forComponent('exporter', 'otlphttp') });
  return { e, v: (name: string) => tel.value(name, { component: 'otlphttp' }) };
}
async function send(e: OtlpHttpExporter, items: PipelineItem[]): Promise<Ack> {
  const ack = new Ack();
  await e.consume({ items, acks: [ack] });
  return ack;
}
const ev = (over: Partial<MailEvent> = {}): MailEvent => ({ kind: 'mail_event', time: 1764288000123.456, host: 'mx1', mta: 'postfix', program: 'postfix/smtp', event: 'delivery_attempt', ...over });

interface Hit { url: string; headers: IncomingMessage['headers']; body: Buffer }
async function server(answer: (hit: Hit, n: number, res: ServerResponse) => void) {
  const hits: Hit[] = [];
  const srv = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hit = { url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      hits.push(hit);
      answer(hit, hits.length, res);
    });
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  return { hits, url: `http://127.0.0.1:${(srv.address() as { port: number }).port}`, close: () => srv.close() };
}

test('factory, registry and defaults', () => {
  assert.equal(registry.get('exporter', 'otlphttp'), otlpHttpExporterFactory);
  assert.deepEqual(otlpHttpExporterFactory.signals, ['logs', 'metrics', 'traces']);
  const c = cfg({});
  assert.equal(c.endpoint, 'http://127.0.0.1:4318');
  assert.equal(c.encoding, 'proto');
  assert.equal(c.compression, 'gzip');
  assert.equal(c.metrics.temporality, 'cumulative');
  assert.equal(c.addresses, 'hash_local_part');
  assert.equal(c.timeout, '10s');
  assert.equal(c.sending_queue.storage, 'memory');
  assert.equal(validate({ endpoint: 'localhost:4318' }), false, 'a URL with a scheme');
  assert.equal(validate({ tls: { verify: false } }), false, 'unknown keys are errors');
});

test('signal URLs: paths appended to the endpoint (its own path kept), per-signal overrides used as is', () => {
  assert.equal(signalUrl(cfg({ endpoint: 'http://h:4318' }), 'logs').href, 'http://h:4318/v1/logs');
  assert.equal(signalUrl(cfg({ endpoint: 'https://h/otlp/' }), 'metrics').href, 'https://h/otlp/v1/metrics');
  assert.equal(signalUrl(cfg({ endpoint: 'http://h:4318', traces_endpoint: 'http://t:9/x' }), 'traces').href, 'http://t:9/x');
});

test('time: Unix ms with microseconds -> exact [s, ns]', () => {
  assert.deepEqual(msToHrTime(1764288000123.456), [1764288000, 123456000]);
  assert.deepEqual(msToHrTime(1764288000999.9999), [1764288001, 0]);
  assert.equal(nanosToMs('1764288000123456000'), 1764288000123.456);
});

test('severity: error for bounced/expired/fatal, warn for deferred/reject, info for the normal lifecycle', () => {
  const s = (e: Partial<MailEvent>) => eventSeverity(ev(e)).text;
  assert.equal(s({ status: 'sent' }), 'INFO');
  assert.equal(s({ event: 'enqueue' }), 'INFO');
  assert.equal(s({ status: 'deferred' }), 'WARN');
  assert.equal(s({ event: 'reject' }), 'WARN');
  assert.equal(s({ status: 'bounced' }), 'ERROR');
  assert.equal(s({ event: 'expired', status: 'expired' }), 'ERROR');
  assert.equal(s({ event: 'fatal', severity: 'fatal' }), 'ERROR');
  assert.equal(s({ event: 'panic' }), 'FATAL');
  assert.equal(s({ event: 'auth', auth: { mechanism: 'spf', result: 'pass' } }), 'INFO');
  assert.equal(s({ event: 'auth', auth: { mechanism: 'sasl', result: 'fail' } }), 'WARN');
  assert.equal(s({ event: 'info', severity: 'warning' }), 'WARN', "the MTA's own severity when the event says nothing more");
});

test('addresses: local part hashed by default (also inside reply texts), kept when asked', () => {
  const h = new AddressPolicy('hash_local_part');
  assert.match(h.address('bob@gmail.com'), /^[0-9a-f]{16}@gmail\.com$/);
  assert.equal(h.address('bob@gmail.com'), h.address('bob@gmail.com'), 'stable: the same person joins across records');
  assert.equal(h.address(''), '');
  assert.equal(h.text('550 5.1.1 <bob@gmail.com>: unknown'), `550 5.1.1 <${h.address('bob@gmail.com')}>: unknown`);
  assert.equal(new AddressPolicy('keep').text('<bob@gmail.com>'), '<bob@gmail.com>');
});

test('event logs carry the action and the parser\'s extra attributes (addresses in them hashed like any text)', () => {
  const mapper = new LogMapper(new Resources({ 'service.name': 'mailsight' }, {}), new AddressPolicy('hash_local_part'), () => 0);
  const [rec] = mapper.map([
    ev({ program: 'postfix/bounce', event: 'bounce_notice', action: 'non-delivery', attrs: { notice_to: 'alice@example.org', uid: 1000, key_exchange: 'X25519' } }),
  ]);
  const a = rec.attributes;
  assert.equal(a['mail.action'], 'non-delivery');
  assert.equal(a['mail.attr.uid'], 1000);
  assert.equal(a['mail.attr.key_exchange'], 'X25519');
  assert.equal(a['mail.attr.notice_to'], new AddressPolicy('hash_local_part').address('alice@example.org'));
  assert.ok(!JSON.stringify(a).includes('alice'), 'no local part in the attributes');
});

test('delta conversion per series: baseline, differences, resets, up-down counters, histograms, replays', () => {
  const started = 1_000_000;
  const d = new DeltaConverter(started);
  const m = (time: number, v: number | MetricItem['points'][0]['value'], start = 0, extra: Partial<MetricItem> = {}): MetricItem => ({
    kind: 'metric', name: 'c', description: '', unit: '1', type: 'sum', monotonic: true, temporality: 'cumulative',
    points: [{ attributes: { a: '1' }, startTime: start, time, value: v }], ...extra,
  });
  assert.equal(d.convert(m(started + 10, 100)), undefined, 'series older than the exporter: baseline only');
  assert.deepEqual(d.convert(m(started + 20, 130))!.points[0], { attributes: { a: '1' }, startTime: started + 10, time: started + 20, value: 30 });
  assert.equal(d.convert(m(started + 20, 130)), undefined, 'a replayed snapshot adds nothing');
  assert.deepEqual(d.convert(m(started + 30, 5))!.points[0].value, 5, 'went down: a reset, the new value is the delta');
  assert.deepEqual(d.convert(m(started + 40, 9, started + 35))!.points[0], { attributes: { a: '1' }, startTime: started + 35, time: started + 40, value: 9 }, 'new start time: reset');
  const ud = { name: 'updown', monotonic: false };
  d.convert(m(started + 10, 10, 0, ud));
  assert.equal(d.convert(m(started + 20, 4, 0, ud))!.points[0].value, -6, 'an up-down counter may go down');
  const hv = (counts: number[], sum: number) => ({ bounds: [1, 10], counts, sum, count: counts.reduce((a, b) => a + b), min: 0.1, max: 50 });
  const hist = { name: 'h', type: 'histogram' as const };
  assert.deepEqual(d.convert(m(started + 10, hv([1, 1, 0], 5), started + 1, hist))!.points[0].value, hv([1, 1, 0], 5), 'born after the start: whole value');
  assert.deepEqual(d.convert(m(started + 20, hv([3, 1, 2], 70), started + 1, hist))!.points[0].value, { bounds: [1, 10], counts: [2, 0, 2], sum: 65, count: 4 });
  const gauge = m(started + 10, 7, 0, { name: 'g', type: 'gauge' });
  assert.equal(d.convert(gauge), gauge, 'gauges pass through');
});

test('HTTP: protobuf + gzip to /v1/<signal> with custom headers; a batch mixing signals is split', async (t) => {
  const s = await server((_h, _n, res) => res.writeHead(200).end());
  t.after(s.close);
  const { e, v } = exporter({ endpoint: s.url, headers: { 'DD-API-KEY': 'k1' } });
  await e.start(host);
  const metric: MetricItem = { kind: 'metric', name: 'm', description: '', unit: '1', type: 'gauge', temporality: 'cumulative', points: [{ attributes: {}, startTime: 1, time: 2, value: 3 }] };
  await (await send(e, [ev({ status: 'sent' }), metric, ev({ status: 'deferred' })])).settled;
  await e.shutdown();
  assert.deepEqual(s.hits.map((h) => h.url).sort(), ['/v1/logs', '/v1/metrics']);
  for (const h of s.hits) {
    assert.equal(h.headers['content-type'], 'application/x-protobuf');
    assert.equal(h.headers['content-encoding'], 'gzip');
    assert.equal(h.headers['dd-api-key'], 'k1');
    assert.ok(gunzipSync(h.body).length > 0);
  }
  assert.equal(await v('mailsight_exporter_sent_items_total'), 3);
});

test('HTTP: JSON without compression is OTLP/JSON; addresses: keep exports them as they are', async (t) => {
  const s = await server((_h, _n, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}'));
  t.after(s.close);
  const { e } = exporter({ endpoint: s.url, encoding: 'json', compression: 'none', addresses: 'keep' });
  await e.start(host);
  await (await send(e, [ev({ recipient: 'bob@gmail.com', recipient_domain: 'gmail.com', status: 'sent', queue_id: 'Q1' })])).settled;
  await e.shutdown();
  assert.equal(s.hits[0].headers['content-type'], 'application/json');
  const body = JSON.parse(s.hits[0].body.toString()) as { resourceLogs: { scopeLogs: { logRecords: { body: { stringValue: string }; attributes: { key: string; value: { stringValue?: string } }[] }[] }[] }[] };
  const rec = body.resourceLogs[0].scopeLogs[0].logRecords[0];
  assert.equal(rec.attributes.find((a) => a.key === 'mail.recipient.address')?.value.stringValue, 'bob@gmail.com');
  assert.equal(rec.body.stringValue, 'postfix/smtp Q1: delivery_attempt to=<bob@gmail.com> status=sent');
});

test('HTTP: 400 is permanent (one attempt, ack failed, counted); 503 is retried', async (t) => {
  const s = await server((h, n, res) => {
    if (h.url === '/v1/logs') res.writeHead(400, { 'Content-Type': 'text/plain' }).end('bad payload');
    else res.writeHead(n <= 2 ? 503 : 200).end();
  });
  t.after(s.close);
  const { e, v } = exporter({ endpoint: s.url, traces_endpoint: `${s.url}/v1/traces`, retry_on_failure: { initial_interval: '10ms' } });
  await e.start(host);
  const bad = await send(e, [ev()]);
  await assert.rejects(bad.settled, /HTTP 400: bad payload/);
  assert.equal(s.hits.length, 1);
  assert.equal(await v('mailsight_exporter_failed_items_total'), 1);
  const span = { kind: 'span' as const, traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', name: 's', spanKind: 'internal' as const, startTime: 1, endTime: 2, attributes: {}, status: { code: 'unset' as const } };
  await (await send(e, [span])).settled;
  assert.equal(await v('mailsight_exporter_retries_total'), 1);
  await e.shutdown();
});

test('TLS: ca_file verifies a private CA; without it the certificate is refused; insecure_skip_verify skips the check', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mailsight-tls-'));
  t.after(() => rm(dir, { recursive: true }));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  } catch {
    return t.skip('openssl is not available to make a test certificate');
  }
  const srv = createHttpsServer({ key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) }, (req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  t.after(() => srv.close());
  const endpoint = `https://127.0.0.1:${(srv.address() as { port: number }).port}`;
  const noRetry = { retry_on_failure: { enabled: false } };
  for (const [tls, ok] of [[{ ca_file: join(dir, 'cert.pem') }, true], [{}, false], [{ insecure_skip_verify: true }, true]] as const) {
    const { e } = exporter({ endpoint, tls, ...noRetry });
    await e.start(host);
    const ack = await send(e, [ev()]);
    if (ok) await ack.settled;
    else await assert.rejects(ack.settled, /self.signed|certificate/i);
    await e.shutdown();
  }
});
