import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Ajv } from 'ajv';
import { Ack, releaseAll } from '../../pipeline/ack.js';
import type { Batch, Consumer } from '../../pipeline/component.js';
import type { MailEvent } from '../../model/mail_event.js';
import type { MessageRecord } from '../../model/message_record.js';
import { isHistogram, type HistogramValue, type MetricItem } from '../../model/metrics.js';
import { SelfTelemetry } from '../../telemetry/component_telemetry.js';
import { MailMetricsConfig, DEFAULT_LATENCY_BUCKETS } from './config.js';
import { hashUsername, MailMetricsConnector } from './mail_metrics.js';
import { mailMetricsFactory } from './factory.js';
import { bucketIndex } from './series.js';

const validate = new Ajv({ useDefaults: true, strict: false }).compile(MailMetricsConfig);
const T0 = 1_704_873_600_000;

function make(partial: Record<string, unknown> = {}) {
  const config: unknown = structuredClone(partial);
  assert.ok(validate(config), JSON.stringify(validate.errors));
  const out: MetricItem[][] = [];
  const next: Consumer<MetricItem> = {
    consume: async (b: Batch<MetricItem>) => {
      out.push(b.items);
      releaseAll(b.acks);
    },
  };
  const tel = new SelfTelemetry({ processMetrics: false });
  const c = new MailMetricsConnector({
    id: 'mail_metrics',
    config: config as MailMetricsConfig,
    signal: 'logs',
    logger: pino({ level: 'silent' }),
    telemetry: tel.forComponent('connector', 'mail_metrics'),
    next,
  });
  return { c, out, tel };
}

const ev = (e: Partial<MailEvent>): MailEvent => ({ kind: 'mail_event', time: T0, host: 'mx1', mta: 'postfix', program: 'postfix/smtp', event: 'info', ...e });

const delivery = (status: MailEvent['status'], domain: string, extra: Partial<MailEvent> = {}): MailEvent =>
  ev({
    event: 'delivery_attempt',
    status,
    recipient: `u@${domain}`,
    recipient_domain: domain,
    dsn: status === 'sent' ? '2.0.0' : status === 'deferred' ? '4.7.0' : '5.1.1',
    status_class: status === 'sent' ? '2xx' : status === 'deferred' ? '4xx' : '5xx',
    ...(status === 'sent' ? {} : { bounce_class: status === 'deferred' ? 'policy.rate_limited' : 'hard.invalid_recipient' }),
    ...extra,
  });

const find = (items: MetricItem[], name: string) => items.find((m) => m.name === name);
const pointsOf = (items: MetricItem[], name: string) => find(items, name)?.points ?? [];
const valueOf = (items: MetricItem[], name: string, attrs: Record<string, string>) => {
  const p = pointsOf(items, name).find((x) => JSON.stringify(x.attributes) === JSON.stringify(attrs));
  return p?.value;
};

async function feed(c: MailMetricsConnector, items: unknown[]): Promise<Ack> {
  const ack = new Ack();
  await c.consume({ items, acks: [ack.share()] });
  ack.seal();
  return ack;
}

test('config defaults and factory shape', () => {
  const cfg: Record<string, unknown> = {};
  assert.ok(validate(cfg));
  assert.equal(cfg.interval, '10s');
  assert.equal(cfg.max_series_per_metric, 5000);
  assert.equal(cfg.received_from, 'records');
  assert.deepEqual(cfg.latency_buckets, DEFAULT_LATENCY_BUCKETS);
  assert.equal(validate({ nope: 1 }), false, 'unknown keys are errors');
  assert.equal(validate({ interval: 'soon' }), false);
  assert.equal(mailMetricsFactory.kind, 'connector');
  assert.deepEqual(mailMetricsFactory.from, ['logs']);
  assert.deepEqual(mailMetricsFactory.to, ['metrics']);
  assert.throws(() => make({ latency_buckets: [5, 1] }), /strictly ascending/);
});

test('mail.deliveries: one count per delivery line, DESIGN §3 attribute names, bounce class only on failures', async () => {
  const { c } = make();
  const ack = await feed(c, [
    delivery('sent', 'gmail.com', { provider: 'gmail', sending_ip: '192.0.2.10', attrs: { 'mail.stream': 'transactional' } }),
    delivery('sent', 'gmail.com', { provider: 'gmail', sending_ip: '192.0.2.10', attrs: { 'mail.stream': 'transactional' } }),
    delivery('deferred', 'yahoo.com', { provider: 'yahoo' }),
    delivery('bounced', 'example.org', { status_class: undefined, bounce_class: 'hard.invalid_recipient' }),
    ev({ event: 'expired', program: 'postfix/qmgr', status: 'expired', bounce_class: 'soft.temporary' }),
    { kind: 'line', body: 'ignored', observed: T0 }, // not a mail item: ignored
    ev({ event: 'connect' }),
  ]);
  await ack.settled; // released once counted
  assert.equal(ack.pending, 0);
  const items = c.snapshot(T0 + 10_000);
  const m = find(items, 'mail.deliveries')!;
  assert.equal(m.type, 'sum');
  assert.equal(m.monotonic, true);
  assert.equal(m.temporality, 'cumulative');
  assert.equal(m.unit, '{delivery}');
  assert.deepEqual(
    m.points.map((p) => [p.attributes, p.value]),
    [
      [{ 'smtp.status': 'sent', 'smtp.status_class': '2xx', 'smtp.dsn': '2.0.0', 'mail.recipient.domain': 'gmail.com', 'mail.provider': 'gmail', 'mail.sending_ip': '192.0.2.10', 'mail.stream': 'transactional' }, 2],
      [{ 'smtp.status': 'deferred', 'smtp.status_class': '4xx', 'smtp.dsn': '4.7.0', 'mail.bounce.class': 'policy.rate_limited', 'mail.recipient.domain': 'yahoo.com', 'mail.provider': 'yahoo' }, 1],
      // status_class derived from the DSN when the parser left it out
      [{ 'smtp.status': 'bounced', 'smtp.status_class': '5xx', 'smtp.dsn': '5.1.1', 'mail.bounce.class': 'hard.invalid_recipient', 'mail.recipient.domain': 'example.org' }, 1],
      [{ 'smtp.status': 'expired', 'mail.bounce.class': 'soft.temporary' }, 1],
    ],
  );
});

test('mail.delivery.delay: one observation per stage, seconds, buckets per the config', async () => {
  const { c } = make({ delay_buckets: [0.1, 1, 10] });
  await feed(c, [
    delivery('sent', 'a.example', { delays: { before_qmgr: 0.05, in_qmgr: 0.5, conn_setup: 2, transmission: 30 } }),
    delivery('sent', 'a.example', { delays: { before_qmgr: 0.1, in_qmgr: 0, conn_setup: 0.2, transmission: 0.3 } }),
  ]);
  const items = c.snapshot();
  const m = find(items, 'mail.delivery.delay')!;
  assert.equal(m.type, 'histogram');
  assert.equal(m.unit, 's');
  const by = Object.fromEntries(m.points.map((p) => [p.attributes['mail.delay.stage'], p.value as HistogramValue]));
  assert.deepEqual(Object.keys(by), ['before_qmgr', 'in_qmgr', 'conn_setup', 'transmission']);
  assert.deepEqual(by.before_qmgr, { bounds: [0.1, 1, 10], counts: [2, 0, 0, 0], sum: 0.15000000000000002, count: 2, min: 0.05, max: 0.1 });
  assert.deepEqual(by.in_qmgr.counts, [1, 1, 0, 0]);
  assert.deepEqual(by.conn_setup.counts, [0, 1, 1, 0]);
  assert.deepEqual(by.transmission.counts, [0, 1, 0, 1], '30s is above the last bound: +Inf bucket');
  assert.equal(by.transmission.sum, 30.3);
});

test('bucket boundaries are inclusive upper bounds (Prometheus le)', () => {
  const b = [1, 2, 5];
  assert.deepEqual([0, 1, 1.0001, 2, 5, 5.1, 1e9].map((x) => bucketIndex(b, x)), [0, 0, 1, 1, 2, 3, 3]);
});

test('rejects, auth results, TLS sessions, SASL failures and the per-user send rate', async () => {
  const { c } = make();
  const sasl = (result: string, user?: string, method = 'LOGIN') =>
    ev({ event: 'auth', program: 'postfix/smtpd', severity: 'warning', auth: { mechanism: 'sasl', result, method, ...(user ? { username: user } : {}) } });
  await feed(c, [
    ev({ event: 'reject', program: 'postfix/smtpd', reply_code: 554, dsn: '5.7.1', bounce_class: 'policy.reputation', status: 'rejected' }),
    ev({ event: 'reject', program: 'postfix/smtpd', reply_code: 554, dsn: '5.7.1', bounce_class: 'policy.reputation', status: 'rejected' }),
    ev({ event: 'reject', program: 'postfix/postscreen', reply_code: 450 }),
    ev({ event: 'auth', mta: 'opendkim', program: 'opendkim', auth: { mechanism: 'dkim', result: 'pass', domain: 'example.com' } }),
    ev({ event: 'auth', mta: 'opendmarc', program: 'opendmarc', sender_domain: 'example.net', auth: { mechanism: 'dmarc', result: 'fail' } }),
    sasl('fail', 'alice@example.com'),
    sasl('fail', 'alice@example.com'),
    sasl('aborted', undefined, 'PLAIN'),
    ev({ event: 'client', program: 'postfix/submission/smtpd', queue_id: 'A1', auth: { mechanism: 'sasl', result: 'pass', method: 'PLAIN', username: 'bob' } }),
    ev({ event: 'client', program: 'postfix/submission/smtpd', queue_id: 'A2', auth: { mechanism: 'sasl', result: 'pass', method: 'PLAIN', username: 'bob' } }),
    ev({ event: 'tls', program: 'postfix/smtp', tls: { direction: 'outbound', protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', trust: 'Trusted' } }),
    ev({ event: 'tls', program: 'postfix/smtpd', tls: { direction: 'inbound', protocol: 'TLSv1.2' } }),
    ev({ event: 'tls', program: 'postfix/smtpd', severity: 'warning', action: 'handshake_failed', tls: { direction: 'inbound' } }),
    ev({ event: 'arrival', mta: 'exim', program: 'exim', queue_id: '1rN2x3-000abc-Zz', tls: { direction: 'inbound', protocol: 'TLSv1.3' } }),
  ]);
  const items = c.snapshot(Date.now());
  assert.deepEqual(
    pointsOf(items, 'mail.smtpd.rejects').map((p) => [p.attributes, p.value]),
    [
      [{ 'smtp.reply_code': '554', 'mail.bounce.class': 'policy.reputation' }, 2],
      [{ 'smtp.reply_code': '450', 'mail.bounce.class': 'other' }, 1],
    ],
  );
  assert.deepEqual(
    pointsOf(items, 'mail.auth.results').map((p) => [p.attributes, p.value]),
    [
      [{ 'mail.auth.mechanism': 'dkim', 'mail.auth.result': 'pass', 'mail.sender.domain': 'example.com' }, 1],
      [{ 'mail.auth.mechanism': 'dmarc', 'mail.auth.result': 'fail', 'mail.sender.domain': 'example.net' }, 1],
      [{ 'mail.auth.mechanism': 'sasl', 'mail.auth.result': 'fail' }, 2],
      [{ 'mail.auth.mechanism': 'sasl', 'mail.auth.result': 'aborted' }, 1],
      [{ 'mail.auth.mechanism': 'sasl', 'mail.auth.result': 'pass' }, 2],
    ],
  );
  const alice = hashUsername('alice@example.com');
  assert.match(alice, /^[0-9a-f]{16}$/);
  assert.deepEqual(
    pointsOf(items, 'mail.sasl.failures').map((p) => [p.attributes, p.value]),
    [
      [{ 'mail.sasl.method': 'LOGIN', 'mail.sasl.username.hash': alice }, 2],
      [{ 'mail.sasl.method': 'PLAIN' }, 1],
    ],
  );
  assert.ok(!JSON.stringify(items).includes('alice'), 'usernames never leave in clear');
  assert.deepEqual(
    pointsOf(items, 'mail.tls.sessions').map((p) => [p.attributes, p.value]),
    [
      [{ 'tls.direction': 'outbound', 'tls.result': 'established', 'tls.protocol.version': 'TLSv1.3' }, 1],
      [{ 'tls.direction': 'inbound', 'tls.result': 'established', 'tls.protocol.version': 'TLSv1.2' }, 1],
      [{ 'tls.direction': 'inbound', 'tls.result': 'failed' }, 1],
      [{ 'tls.direction': 'inbound', 'tls.result': 'established', 'tls.protocol.version': 'TLSv1.3' }, 1],
    ],
  );
  const rate = find(items, 'mail.sasl.send_rate')!;
  assert.equal(rate.type, 'gauge');
  assert.equal(rate.unit, '{message}/s');
  assert.deepEqual(rate.points.map((p) => p.attributes), [{ 'mail.sasl.username.hash': hashUsername('bob') }]);
  assert.ok((rate.points[0].value as number) > 0);
  // received_from: records (default): client events are not counted as received
  assert.equal(find(items, 'mail.messages.received'), undefined);
});

test('send rate is messages per second of the last interval; an idle sender stays at 0', async () => {
  const { c } = make();
  c.snapshot(T0); // interval starts
  const client = ev({ event: 'client', program: 'postfix/smtpd', auth: { mechanism: 'sasl', result: 'pass', username: 'carol' } });
  await feed(c, [client, client, client, client, client]);
  assert.equal(valueOf(c.snapshot(T0 + 10_000), 'mail.sasl.send_rate', { 'mail.sasl.username.hash': hashUsername('carol') }), 0.5);
  assert.equal(valueOf(c.snapshot(T0 + 20_000), 'mail.sasl.send_rate', { 'mail.sasl.username.hash': hashUsername('carol') }), 0);
});

const record = (r: Partial<MessageRecord>): MessageRecord => ({
  kind: 'message_record',
  host: 'mx1',
  queue_id: 'Q1',
  mta: 'postfix',
  state: 'final',
  start_time: T0,
  last_time: T0 + 60_000,
  enqueue_time: T0 + 100,
  recipients: [],
  events: 5,
  ...r,
});

test('records: mail.messages.received once per chain that reached the queue, mail.delivery.latency per final recipient', async () => {
  const { c } = make({ latency_buckets: [1, 10, 100] });
  await feed(c, [
    record({
      stream: 'bulk',
      tenant: 't1',
      recipients: [
        { address: 'a@gmail.com', domain: 'gmail.com', provider: 'gmail', final_status: 'sent', final_time: T0 + 5000, latency_seconds: 5 },
        { address: 'b@gmail.com', domain: 'gmail.com', provider: 'gmail', final_status: 'bounced', final_time: T0 + 50_000 },
        { address: 'c@x.example', domain: 'x.example', final_status: 'handoff', final_time: T0 + 1000 },
        { address: 'd@x.example', domain: 'x.example' }, // not final
      ],
    }),
    // the next hop of a content filter: same chain, not received again; its latency counts from the chain start
    record({
      queue_id: 'Q2',
      stream: 'bulk',
      tenant: 't1',
      start_time: T0 + 900,
      links: { from_queue_id: 'Q1', chain_start_time: T0 },
      recipients: [{ address: 'c@x.example', domain: 'x.example', final_status: 'expired', final_time: T0 + 200_000 }],
    }),
    record({ queue_id: 'NOQUEUE', enqueue_time: undefined, rejected: true, recipients: [{ address: 'z@y.example', domain: 'y.example', final_status: 'rejected' }] }),
    record({ queue_id: 'Q3', enqueue_time: undefined, state: 'incomplete', incomplete_reason: 'idle_timeout' }), // never queued
    record({ host: 'mx2', queue_id: 'Q4' }),
  ]);
  const items = c.snapshot();
  const rec = find(items, 'mail.messages.received')!;
  assert.equal(rec.unit, '{message}');
  assert.deepEqual(
    rec.points.map((p) => [p.attributes, p.value]),
    [
      [{ 'mail.host': 'mx1', 'mail.stream': 'bulk', 'mail.tenant': 't1' }, 1],
      [{ 'mail.host': 'mx2' }, 1],
    ],
  );
  const lat = find(items, 'mail.delivery.latency')!;
  assert.equal(lat.type, 'histogram');
  assert.equal(lat.unit, 's');
  assert.deepEqual(
    lat.points.map((p) => [p.attributes, (p.value as HistogramValue).counts, (p.value as HistogramValue).sum]),
    [
      [{ 'mail.provider': 'gmail', 'mail.stream': 'bulk', 'smtp.status': 'sent' }, [0, 1, 0, 0], 5],
      [{ 'mail.provider': 'gmail', 'mail.stream': 'bulk', 'smtp.status': 'bounced' }, [0, 0, 1, 0], 50],
      [{ 'mail.stream': 'bulk', 'smtp.status': 'expired' }, [0, 0, 0, 1], 200],
    ],
  );
  // records are not delivery lines: mail.deliveries stays event-only (no double counting with emit: both)
  assert.equal(find(items, 'mail.deliveries'), undefined);
});

test('received_from: events counts client=, pickup and Exim <= in real time and ignores records for it', async () => {
  const { c } = make({ received_from: 'events' });
  await feed(c, [
    ev({ event: 'client', program: 'postfix/smtpd', queue_id: 'A' }),
    ev({ event: 'pickup', program: 'postfix/pickup', queue_id: 'B', attrs: { 'mail.stream': 'bulk', 'mail.tenant': 't9' } }),
    ev({ event: 'arrival', host: 'ex1', mta: 'exim', program: 'exim', queue_id: 'C' }),
    ev({ event: 'enqueue', program: 'postfix/qmgr', queue_id: 'A' }), // repeated on every queue run: not counted
    record({ recipients: [{ address: 'a@b.example', domain: 'b.example', final_status: 'sent', final_time: T0 + 2000, latency_seconds: 2 }] }),
  ]);
  const items = c.snapshot();
  assert.deepEqual(
    pointsOf(items, 'mail.messages.received').map((p) => [p.attributes, p.value]),
    [
      [{ 'mail.host': 'mx1' }, 1],
      [{ 'mail.host': 'mx1', 'mail.stream': 'bulk', 'mail.tenant': 't9' }, 1],
      [{ 'mail.host': 'ex1' }, 1],
    ],
  );
  assert.equal(pointsOf(items, 'mail.delivery.latency').length, 1, 'latency still comes from records');
});

test('cardinality: beyond max_series_per_metric new domains collapse to "other"; existing series keep theirs', async () => {
  const { c, tel } = make({ max_series_per_metric: 3 });
  await feed(c, ['a', 'b', 'c', 'd', 'e'].map((d) => delivery('sent', `${d}.example`)));
  await feed(c, [delivery('sent', 'a.example'), delivery('sent', 'f.example'), delivery('deferred', 'g.example')]);
  await feed(
    c,
    ['p', 'q', 'r', 's'].map((d) => ev({ event: 'auth', auth: { mechanism: 'dkim', result: 'pass', domain: `${d}.example` } })),
  );
  // a metric without an unbounded attribute: the OTel SDK overflow series
  await feed(c, [1, 2, 3, 4, 5].map((i) => ev({ event: 'reject', reply_code: 550 + i })));
  const items = c.snapshot();
  const dom = (p: { attributes: Record<string, string> }) => p.attributes['mail.recipient.domain'];
  assert.deepEqual(
    pointsOf(items, 'mail.deliveries').map((p) => [dom(p), p.attributes['smtp.status'], p.value]),
    [
      ['a.example', 'sent', 2],
      ['b.example', 'sent', 1],
      ['c.example', 'sent', 1],
      ['other', 'sent', 3], // d, e, f
      ['other', 'deferred', 1], // g: the bounded attributes still tell sent from deferred
    ],
  );
  assert.deepEqual(
    pointsOf(items, 'mail.auth.results').map((p) => [p.attributes['mail.sender.domain'], p.value]),
    [['p.example', 1], ['q.example', 1], ['r.example', 1], ['other', 1]],
  );
  assert.deepEqual(
    pointsOf(items, 'mail.smtpd.rejects').map((p) => [p.attributes, p.value]),
    [
      [{ 'smtp.reply_code': '551', 'mail.bounce.class': 'other' }, 1],
      [{ 'smtp.reply_code': '552', 'mail.bounce.class': 'other' }, 1],
      [{ 'smtp.reply_code': '553', 'mail.bounce.class': 'other' }, 1],
      [{ 'otel.metric.overflow': 'true' }, 2],
    ],
  );
  assert.equal(await tel.value('mailsight_mail_metrics_overflow_total', {}), 4 + 1 + 2);
});

test('cumulative snapshots: counters never decrease, idle series stay with their last value, startTime fixed', async () => {
  const { c } = make();
  const N = Date.now() + 1000; // snapshot clock after every series' start
  await feed(c, [delivery('sent', 'gmail.com'), delivery('deferred', 'yahoo.com', { delays: { before_qmgr: 1, in_qmgr: 1, conn_setup: 1, transmission: 1 } })]);
  const s1 = c.snapshot(N + 10_000);
  await feed(c, [delivery('sent', 'gmail.com')]);
  const s2 = c.snapshot(N + 20_000);
  const s3 = c.snapshot(N + 30_000); // nothing new at all
  const get = (s: MetricItem[], d: string) => pointsOf(s, 'mail.deliveries').find((p) => p.attributes['mail.recipient.domain'] === d)!;
  assert.equal(get(s1, 'gmail.com').value, 1);
  assert.equal(get(s2, 'gmail.com').value, 2);
  assert.equal(get(s3, 'gmail.com').value, 2);
  assert.equal(get(s3, 'yahoo.com').value, 1, 'idle since the first snapshot, still reported');
  assert.equal(get(s1, 'yahoo.com').startTime, get(s3, 'yahoo.com').startTime);
  assert.equal(get(s3, 'yahoo.com').time, N + 30_000);
  assert.ok(get(s1, 'gmail.com').startTime <= get(s1, 'gmail.com').time);
  const h1 = pointsOf(s1, 'mail.delivery.delay')[0].value as HistogramValue;
  const h3 = pointsOf(s3, 'mail.delivery.delay')[0].value as HistogramValue;
  assert.deepEqual(h1, h3, 'idle histogram keeps its counts');
  assert.notEqual(h1.counts, h3.counts, 'snapshots do not share mutable arrays');
  for (const s of [s1, s2, s3]) for (const m of s) assert.equal(m.temporality, 'cumulative');
  // one item per metric, every point in it
  assert.deepEqual(s3.map((m) => m.name), ['mail.deliveries', 'mail.delivery.delay']);
  assert.ok(s3.every((m) => m.resource?.['service.name'] === 'mailsight'));
  assert.ok(s3.every((m) => m.points.length > 0 && (m.type !== 'histogram' || m.points.every((p) => isHistogram(p.value)))));
});

test('emits a snapshot every interval and a final one at shutdown', async () => {
  const { c, out } = make({ interval: '40ms' });
  await c.start({ dataDir: '.', reportFatal: (e) => { throw e; } });
  await feed(c, [delivery('sent', 'gmail.com')]);
  await new Promise((r) => setTimeout(r, 110));
  const periodic = out.length;
  assert.ok(periodic >= 1, `expected interval snapshots, got ${periodic}`);
  await feed(c, [delivery('sent', 'gmail.com')]);
  await c.shutdown();
  const last = out[out.length - 1];
  assert.equal(valueOf(last, 'mail.deliveries', pointsOf(last, 'mail.deliveries')[0].attributes), 2, 'final flush has everything');
  const n = out.length;
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(out.length, n, 'no snapshots after shutdown');
  // consumed after shutdown: acks still released (nothing left to wait for)
  const late = await feed(c, [delivery('sent', 'gmail.com')]);
  assert.equal(late.pending, 0);
});

test('nothing counted: no snapshot items at all', async () => {
  const { c, out } = make();
  await feed(c, [ev({ event: 'connect' }), { kind: 'metric' }, null, 42]);
  assert.deepEqual(c.snapshot(), []);
  await c.shutdown();
  assert.equal(out.length, 0);
});
