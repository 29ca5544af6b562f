// otlphttp against the real OpenTelemetry Collector (built by build.sh: OTLP receiver + file
// exporter). What the collector decodes and writes must equal what mailsight sent, field by
// field, for logs, metrics and traces, in protobuf and JSON. Fault tests: the collector down
// and then back (nothing lost), 429 with Retry-After (a small node HTTP server stands in
// there: the collector cannot be made to answer 429 on demand), kill -9 with the disk queue.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { createServer, type IncomingMessage } from 'node:http';
import { once } from 'node:events';
import { gunzipSync } from 'node:zlib';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ack } from '../../../src/pipeline/ack.js';
import type { PipelineItem } from '../../../src/model/items.js';
import type { MailEvent } from '../../../src/model/mail_event.js';
import type { MetricItem } from '../../../src/model/metrics.js';
import type { OtlpHttpExporter } from '../../../src/exporters/otlphttp/otlphttp.js';
import { freePort, otelcolUnavailable, startCollector, type OtlpJsonKeyValue, type OtlpJsonRequest, type OtlpJsonValue } from '../../helpers/otelcol.js';
import { testHost } from '../../helpers/fakes.js';
import { events, line, makeExporter, metrics, record, spans } from './samples.js';

let skip: string | undefined;
before(() => {
  skip = otelcolUnavailable(); // throws in CI: there a missing collector is a failure
});

const ns = (ms: number) => (BigInt(Math.round(ms * 1000)) * 1000n).toString();
const hashed = (addr: string) => {
  const at = addr.lastIndexOf('@');
  return createHash('sha256').update(addr.slice(0, at)).digest('hex').slice(0, 16) + addr.slice(at);
};

function val(v: OtlpJsonValue): unknown {
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('boolValue' in v) return v.boolValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(val);
  if (v.kvlistValue) return kv(v.kvlistValue.values);
  return undefined;
}
function kv(list: OtlpJsonKeyValue[] | undefined): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const { key, value } of list ?? []) o[key] = val(value);
  return o;
}

interface JLog { timeUnixNano: string; observedTimeUnixNano: string; severityNumber: number; severityText: string; body: OtlpJsonValue; attributes: OtlpJsonKeyValue[]; eventName?: string }
interface JRes { resource: { attributes: OtlpJsonKeyValue[] } }
const logsOf = (out: OtlpJsonRequest[]) =>
  out.flatMap((r) => ((r.resourceLogs ?? []) as (JRes & { scopeLogs: { scope: { name?: string }; logRecords: JLog[] }[] })[]).flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords.map((l) => ({ ...l, resource: kv(rl.resource.attributes), scope: sl.scope })))));
interface JPoint { attributes?: OtlpJsonKeyValue[]; startTimeUnixNano: string; timeUnixNano: string; asInt?: string; asDouble?: number; count?: string; sum?: number; bucketCounts?: string[]; explicitBounds?: number[]; min?: number; max?: number }
interface JMetric { name: string; description?: string; unit?: string; sum?: { dataPoints: JPoint[]; aggregationTemporality: number; isMonotonic?: boolean }; gauge?: { dataPoints: JPoint[] }; histogram?: { dataPoints: JPoint[]; aggregationTemporality: number } }
const metricsOf = (out: OtlpJsonRequest[]) =>
  out.flatMap((r) => ((r.resourceMetrics ?? []) as (JRes & { scopeMetrics: { metrics: JMetric[] }[] })[]).flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => ({ ...m, resource: kv(rm.resource.attributes) })))));
interface JSpan { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; startTimeUnixNano: string; endTimeUnixNano: string; attributes?: OtlpJsonKeyValue[]; status?: { code?: number; message?: string }; links?: { traceId: string; spanId: string; attributes?: OtlpJsonKeyValue[] }[]; events?: { name: string; timeUnixNano: string; attributes?: OtlpJsonKeyValue[] }[] }
const spansOf = (out: OtlpJsonRequest[]) =>
  out.flatMap((r) => ((r.resourceSpans ?? []) as (JRes & { scopeSpans: { spans: JSpan[] }[] })[]).flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => ({ ...s, resource: kv(rs.resource.attributes) })))));

async function send(e: OtlpHttpExporter, items: PipelineItem[]): Promise<Ack> {
  const ack = new Ack();
  await e.consume({ items, acks: [ack] });
  return ack;
}

/** DESIGN §3 attribute -> the MailEvent field it must carry, listed here independently of the mapper. */
function designAttributes(e: MailEvent): Record<string, unknown> {
  const want: Record<string, unknown> = {
    'event.name': e.event, 'mail.host': e.host, 'mail.mta': e.mta, 'mail.queue_id': e.queue_id, 'mail.message_id': e.message_id,
    'mail.sender.domain': e.sender_domain, 'mail.recipient.domain': e.recipient_domain, 'mail.provider': e.provider, 'mail.sending_ip': e.sending_ip,
    'smtp.status': e.status, 'smtp.status_class': e.status_class, 'smtp.dsn': e.dsn, 'smtp.reply_code': e.reply_code, 'mail.bounce.class': e.bounce_class,
    'tls.protocol.version': e.tls?.protocol, 'mail.auth.mechanism': e.auth?.mechanism, 'mail.auth.result': e.auth?.result,
    'mail.sender.address': e.sender && hashed(e.sender), 'mail.recipient.address': e.recipient && hashed(e.recipient),
  };
  for (const k of Object.keys(want)) if (want[k] === undefined) delete want[k];
  return want;
}
const SEVERITY = [[9, 'INFO'], [13, 'WARN'], [17, 'ERROR'], [13, 'WARN'], [13, 'WARN'], [17, 'ERROR'], [9, 'INFO']];

for (const encoding of ['proto', 'json'] as const) {
  test(`logs, metrics and traces arrive at the collector field by field (${encoding}, ${encoding === 'proto' ? 'gzip' : 'uncompressed'})`, async (t) => {
    if (skip) return t.skip(skip);
    const col = await startCollector();
    t.after(() => col.stop());
    const { exporter, tel } = makeExporter('otlphttp', {
      endpoint: col.endpoint,
      encoding,
      compression: encoding === 'proto' ? 'gzip' : 'none',
      headers: { 'X-Api-Key': 'k' },
      resource: { attributes: { 'deployment.environment.name': 'test' } },
      retry_on_failure: { initial_interval: '50ms' },
    });
    await exporter.start(testHost('/nonexistent'));
    const before = Date.now();
    const acks = [await send(exporter, [...events, record, line]), await send(exporter, metrics), await send(exporter, spans)];
    await Promise.all(acks.map((a) => a.settled));
    const after = Date.now();
    const out = await col.waitFor((o) => logsOf(o).length >= 9 && metricsOf(o).length >= 3 && spansOf(o).length >= 2);
    await exporter.shutdown();

    // Logs: one record per MailEvent, MessageRecord and raw line, in order.
    const logs = logsOf(out);
    assert.equal(logs.length, 9);
    for (const [i, e] of events.entries()) {
      const l = logs[i];
      assert.equal(l.timeUnixNano, ns(e.time), `event ${i}: time kept to the microsecond`);
      assert.ok(BigInt(l.observedTimeUnixNano) >= BigInt(ns(before - 1)) && BigInt(l.observedTimeUnixNano) <= BigInt(ns(after + 1)), 'observed = when exported');
      assert.deepEqual([l.severityNumber, l.severityText], SEVERITY[i], `event ${i} (${e.event}/${e.status}) severity`);
      const attrs = kv(l.attributes);
      for (const [k, v] of Object.entries(designAttributes(e))) assert.deepEqual(attrs[k], v, `event ${i}: ${k}`);
      assert.equal(l.eventName, `mail.${e.event}`);
      const body = val(l.body) as string;
      assert.equal(typeof body, 'string');
      assert.ok(!body.includes('\n'), 'one line');
      if (e.queue_id) assert.ok(body.includes(e.queue_id), body);
      if (e.status) assert.ok(body.includes(`status=${e.status}`), body);
      assert.deepEqual(l.resource, { 'service.name': 'mailsight', 'host.name': hostname(), 'deployment.environment.name': 'test' });
      assert.equal(l.scope.name, 'mailsight');
    }
    assert.equal(val(logs[6].body), `weird[1]: something about ${hashed('dave@example.net')} happened`, 'unparsed: raw line, address pseudonymised');
    assert.equal(kv(logs[2].attributes)['smtp.reply'], `550 5.1.1 <${hashed('nobody@example.org')}>: Recipient address rejected: User unknown`);
    const rec = logs[7];
    assert.equal(rec.timeUnixNano, ns(record.end_time!));
    assert.equal(rec.severityText, 'ERROR', 'a bounced recipient');
    const ra = kv(rec.attributes);
    assert.equal(ra['event.name'], 'message_record');
    assert.equal(ra['mail.queue_id'], record.queue_id);
    assert.equal(ra['mail.message_id'], record.message_id);
    assert.equal(ra['mail.sender.domain'], 'billing.example');
    assert.equal(ra['mail.sender.address'], hashed(record.sender!));
    assert.equal(ra['mail.stream'], 'transactional');
    assert.equal(ra['mail.tenant'], 'acme');
    assert.equal(ra['mail.size'], 10240);
    assert.deepEqual(
      (ra['mail.recipients'] as Record<string, unknown>[]).map((r) => [r.address, r.domain, r.status, r['bounce.class'], r.dsn]),
      [[hashed('bob@gmail.com'), 'gmail.com', 'sent', undefined, '2.0.0'], [hashed('nobody@example.org'), 'example.org', 'bounced', 'hard.invalid_recipient', '5.1.1']],
    );
    assert.equal(logs[8].timeUnixNano, ns(line.observed));
    assert.equal(val(logs[8].body), line.body);
    assert.equal(kv(logs[8].attributes)['mail.source.path'], '/var/log/mail.log');
    const whole = JSON.stringify(out);
    for (const local of ['alice.smith@', 'bob@', 'carol@', 'nobody@', 'dave@']) assert.ok(!whole.includes(local), `no full address (${local}) leaves by default`);

    // Metrics: name, unit, description, kind, temporality, every point's times, attributes and value.
    const ms = metricsOf(out);
    assert.deepEqual(ms.map((m) => m.name), metrics.map((m) => m.name));
    for (const [i, m] of metrics.entries()) {
      const got = ms[i];
      assert.equal(got.description, m.description);
      assert.equal(got.unit, m.unit);
      assert.deepEqual(got.resource, { ...m.resource, 'deployment.environment.name': 'test' });
      const data = m.type === 'sum' ? got.sum! : m.type === 'gauge' ? got.gauge! : got.histogram!;
      if (m.type === 'sum') assert.deepEqual([got.sum!.aggregationTemporality, got.sum!.isMonotonic], [2, true], 'cumulative (2), monotonic');
      if (m.type === 'histogram') assert.equal(got.histogram!.aggregationTemporality, 2);
      assert.equal(data.dataPoints.length, m.points.length);
      for (const [j, p] of m.points.entries()) {
        const dp = data.dataPoints[j];
        assert.deepEqual(kv(dp.attributes), p.attributes);
        assert.equal(dp.startTimeUnixNano, ns(p.startTime));
        assert.equal(dp.timeUnixNano, ns(p.time));
        if (typeof p.value === 'number') {
          if (Number.isInteger(p.value)) assert.equal(dp.asInt, String(p.value));
          else assert.equal(dp.asDouble, p.value);
        } else {
          assert.deepEqual(
            { count: dp.count, sum: dp.sum, bucketCounts: dp.bucketCounts, explicitBounds: dp.explicitBounds, min: dp.min, max: dp.max },
            { count: String(p.value.count), sum: p.value.sum, bucketCounts: p.value.counts.map(String), explicitBounds: p.value.bounds, min: p.value.min, max: p.value.max },
          );
        }
      }
    }

    // Traces: ids, parent, name, kind, original times, attributes, status, links, events.
    const ss = spansOf(out);
    assert.equal(ss.length, 2);
    const KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };
    const STATUS = { unset: undefined, ok: 1, error: 2 };
    for (const [i, s] of spans.entries()) {
      const g = ss[i];
      assert.equal(g.traceId, s.traceId);
      assert.equal(g.spanId, s.spanId);
      assert.equal(g.parentSpanId || undefined, s.parentSpanId);
      assert.equal(g.name, s.name);
      assert.equal(g.kind, KIND[s.spanKind]);
      assert.equal(g.startTimeUnixNano, ns(s.startTime));
      assert.equal(g.endTimeUnixNano, ns(s.endTime));
      assert.deepEqual(kv(g.attributes), s.attributes);
      assert.equal(g.status?.code, STATUS[s.status.code]);
      assert.equal(g.status?.message, s.status.message);
      assert.deepEqual((g.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId, attributes: kv(l.attributes) })), (s.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId, attributes: l.attributes ?? {} })));
      assert.deepEqual((g.events ?? []).map((e) => ({ name: e.name, time: e.timeUnixNano, attributes: kv(e.attributes) })), (s.events ?? []).map((e) => ({ name: e.name, time: ns(e.time), attributes: e.attributes ?? {} })));
      assert.deepEqual(g.resource, { 'service.name': 'mailsight', 'host.name': hostname(), 'deployment.environment.name': 'test' });
    }

    assert.equal(await tel.value('mailsight_exporter_sent_items_total', { component: 'otlphttp' }), 9 + 3 + 2);
    assert.equal(await tel.value('mailsight_exporter_failed_items_total', { component: 'otlphttp' }), 0);
    assert.equal(await tel.value('mailsight_exporter_queue_items', { component: 'otlphttp' }), 0);
  });
}

test('delta temporality: cumulative snapshots arrive at the collector as per-series deltas', async (t) => {
  if (skip) return t.skip(skip);
  const col = await startCollector();
  t.after(() => col.stop());
  const { exporter } = makeExporter('otlphttp/dd', { endpoint: col.endpoint, metrics: { temporality: 'delta' } });
  await exporter.start(testHost('/nonexistent'));
  const now = Date.now();
  const old = now - 3_600_000; // a series that existed before the exporter started: baseline only
  const fresh = now + 1; // a series born after the start: its first value is its first delta
  const snap = (time: number, a: number, b: number): MetricItem => ({
    kind: 'metric', name: 'mail.deliveries', description: 'd', unit: '{delivery}', type: 'sum', monotonic: true, temporality: 'cumulative',
    points: [
      { attributes: { 'smtp.status': 'sent' }, startTime: old, time, value: a },
      { attributes: { 'smtp.status': 'bounced' }, startTime: fresh, time, value: b },
    ],
  });
  for (const s of [snap(now + 10_000, 100, 3), snap(now + 20_000, 105, 4), snap(now + 30_000, 105, 6)]) await (await send(exporter, [s])).settled;
  const out = await col.waitFor((o) => metricsOf(o).length >= 3);
  await exporter.shutdown();
  const points = metricsOf(out).flatMap((m) => {
    assert.equal(m.sum!.aggregationTemporality, 1, 'DELTA');
    return m.sum!.dataPoints.map((p) => [kv(p.attributes)['smtp.status'], p.startTimeUnixNano, p.timeUnixNano, Number(p.asInt)]);
  });
  assert.deepEqual(points, [
    ['bounced', ns(fresh), ns(now + 10_000), 3],
    ['sent', ns(now + 10_000), ns(now + 20_000), 5],
    ['bounced', ns(now + 10_000), ns(now + 20_000), 1],
    ['sent', ns(now + 20_000), ns(now + 30_000), 0],
    ['bounced', ns(now + 20_000), ns(now + 30_000), 2],
  ]);
});

const mailEvent = (i: number): MailEvent => ({ kind: 'mail_event', time: 1764288000000 + i, host: 'mx1', mta: 'postfix', program: 'postfix/qmgr', queue_id: `Q${i}`, event: 'removed' });
const queueIds = (out: OtlpJsonRequest[]) => logsOf(out).map((l) => kv(l.attributes)['mail.queue_id'] as string);

test('the collector down for a while, then back: nothing within the queue limit is lost', async (t) => {
  if (skip) return t.skip(skip);
  const port = await freePort(); // nothing listens there yet: connection refused
  const { exporter, tel } = makeExporter('otlphttp', {
    endpoint: `http://127.0.0.1:${port}`,
    retry_on_failure: { initial_interval: '100ms', max_interval: '400ms', max_elapsed_time: '1m' },
    sending_queue: { size: 1000, num_consumers: 4 },
  });
  await exporter.start(testHost('/nonexistent'));
  const acks: Ack[] = [];
  for (let b = 0; b < 20; b++) acks.push(await send(exporter, Array.from({ length: 10 }, (_, i) => mailEvent(b * 10 + i))));
  await new Promise((r) => setTimeout(r, 1500));
  assert.ok(acks.every((a) => a.pending === 1), 'nothing acknowledged while the backend is down');
  assert.equal(await tel.value('mailsight_exporter_queue_items', { component: 'otlphttp' }), 200);
  assert.ok((await tel.value('mailsight_exporter_retries_total', { component: 'otlphttp' })) >= 4);
  const col = await startCollector(port);
  t.after(() => col.stop());
  await Promise.all(acks.map((a) => a.settled));
  const out = await col.waitFor((o) => logsOf(o).length >= 200);
  await exporter.shutdown();
  const ids = queueIds(out);
  assert.equal(ids.length, 200, 'each item exactly once');
  assert.deepEqual(new Set(ids), new Set(Array.from({ length: 200 }, (_, i) => `Q${i}`)));
  assert.equal(await tel.value('mailsight_exporter_sent_items_total', { component: 'otlphttp' }), 200);
  assert.equal(await tel.value('mailsight_exporter_failed_items_total', { component: 'otlphttp' }), 0);
  assert.equal(await tel.value('mailsight_exporter_queue_items', { component: 'otlphttp' }), 0);
});

test('429 with Retry-After: 2 is honoured (a node HTTP server stands in: the collector cannot answer 429 on demand)', async (t) => {
  const hits: { at: number; body: Buffer; headers: IncomingMessage['headers'] }[] = [];
  const srv = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hits.push({ at: Date.now(), body: Buffer.concat(chunks), headers: req.headers });
      if (hits.length === 1) {
        res.writeHead(429, { 'Retry-After': '2', 'Content-Type': 'text/plain' });
        res.end('slow down');
      } else {
        res.writeHead(200, { 'Content-Type': 'application/x-protobuf' });
        res.end();
      }
    });
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  t.after(() => srv.close());
  const { exporter, tel } = makeExporter('otlphttp', {
    endpoint: `http://127.0.0.1:${(srv.address() as { port: number }).port}`,
    headers: { 'DD-API-KEY': 'secret' },
    retry_on_failure: { initial_interval: '50ms', max_interval: '100ms' },
  });
  await exporter.start(testHost('/nonexistent'));
  const ack = await send(exporter, [mailEvent(1)]);
  await ack.settled;
  await exporter.shutdown();
  assert.equal(hits.length, 2);
  const gap = hits[1].at - hits[0].at;
  assert.ok(gap >= 1990 && gap < 3000, `waited ${gap}ms, Retry-After said 2s (back-off alone would be ~50ms)`);
  assert.equal(hits[1].headers['dd-api-key'], 'secret');
  assert.equal(hits[1].headers['content-encoding'], 'gzip');
  assert.equal(hits[1].headers['content-type'], 'application/x-protobuf');
  assert.deepEqual(gunzipSync(hits[0].body), gunzipSync(hits[1].body), 'the same request again');
  assert.equal(await tel.value('mailsight_exporter_retries_total', { component: 'otlphttp' }), 1);
  assert.equal(await tel.value('mailsight_exporter_sent_items_total', { component: 'otlphttp' }), 1);
});

test('kill -9 with the disk queue (fsync: always): everything acknowledged before the kill arrives after a restart, once', async (t) => {
  if (skip) return t.skip(skip);
  const dir = await mkdtemp(join(tmpdir(), 'mailsight-diskq-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const port = await freePort(); // the backend is down while the first process runs
  const endpoint = `http://127.0.0.1:${port}`;
  const child = join(dirname(fileURLToPath(import.meta.url)), 'disk_queue_child.js');
  const run = (mode: string) => spawn(process.execPath, [child, mode, endpoint, dir], { stdio: ['ignore', 'pipe', 'inherit'] });

  const producer = run('produce');
  const acked = new Set<string>();
  let buf = '';
  producer.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const [tag, from, to] = buf.slice(0, nl).split(' ');
      buf = buf.slice(nl + 1);
      if (tag === 'ACK') for (let i = Number(from); i <= Number(to); i++) acked.add(`Q${i}`);
    }
  });
  const deadline = Date.now() + 20_000;
  while (acked.size < 500 && Date.now() < deadline && producer.exitCode === null) await new Promise((r) => setTimeout(r, 5));
  producer.kill('SIGKILL'); // mid-write, most likely: the producer never pauses
  await once(producer, 'exit');
  const ackedBeforeKill = new Set(acked);
  assert.ok(ackedBeforeKill.size >= 500, `producer acknowledged only ${ackedBeforeKill.size} items`);
  assert.ok((await readdir(dir)).filter((n) => n.endsWith('.q')).length > 3, 'several segments were written');

  const col = await startCollector(port);
  t.after(() => col.stop());
  const drain = async () => {
    const p = run('drain');
    let o = '';
    p.stdout!.on('data', (d: Buffer) => (o += d.toString()));
    const [code] = (await once(p, 'exit')) as [number | null];
    assert.equal(code, 0);
    const m = /^DRAINED (\d+)/m.exec(o);
    assert.ok(m, o);
    return Number(m[1]);
  };
  const sent = await drain();
  const out = await col.waitFor((o) => queueIds(o).length >= sent);
  const ids = queueIds(out);
  const got = new Set(ids);
  const missing = [...ackedBeforeKill].filter((id) => !got.has(id));
  assert.deepEqual(missing, [], 'every acknowledged item arrived');
  assert.equal(ids.length, got.size, 'no duplicates (nothing had been sent before the kill)');
  assert.ok(got.size - ackedBeforeKill.size <= 10, 'at most the batches written but not yet reported acknowledged when the kill came');

  // A third start finds the queue committed: nothing is sent again.
  assert.equal(await drain(), 0);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(queueIds(await col.output()).length, ids.length);
  assert.deepEqual((await readdir(dir)).filter((n) => n.endsWith('.q')).length, 1, 'spent segments deleted');
});
