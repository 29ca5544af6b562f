import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { pino } from 'pino';
import { Ajv } from 'ajv';
import { Ack } from '../../pipeline/ack.js';
import type { Host } from '../../pipeline/component.js';
import type { MetricItem, RawLine } from '../../model/items.js';
import type { MailEvent } from '../../model/mail_event.js';
import { SelfTelemetry } from '../../telemetry/component_telemetry.js';
import { DebugConfig } from './config.js';
import { DebugExporter, formatItem } from './debug.js';
import { debugExporterFactory } from './factory.js';

const validate = new Ajv({ useDefaults: true, strict: false }).compile(DebugConfig);
const host: Host = { dataDir: '.', reportFatal: (e) => { throw e; } };

function exporter(partial: Partial<DebugConfig>, out: NodeJS.WritableStream) {
  const config: unknown = { ...partial };
  assert.ok(validate(config), JSON.stringify(validate.errors));
  const tel = new SelfTelemetry({ processMetrics: false });
  const e = new DebugExporter(
    { id: 'debug/t', config: config as DebugConfig, signal: 'logs', logger: pino({ level: 'silent' }), telemetry: tel.forComponent('exporter', 'debug') },
    out,
  );
  return { e, tel };
}

function capture(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  return { out, text: () => Buffer.concat(chunks).toString('utf8') };
}

const line = (body: string): RawLine => ({ kind: 'line', body, observed: 0 });
const event: MailEvent = {
  kind: 'mail_event',
  time: Date.UTC(2024, 0, 10, 8, 0, 1, 250),
  host: 'mx1',
  mta: 'postfix',
  program: 'postfix/smtp',
  pid: 4242,
  queue_id: '4ABCDEF123',
  event: 'delivery_attempt',
  recipient: 'bob@example.com',
  relay: 'mx.example.com[192.0.2.1]:25',
  delay: 1.2,
  dsn: '4.7.0',
  status: 'deferred',
  reply: 'host said: 421 4.7.0 try later',
};
// Any other item (here a metric point) is printed as compact JSON.
const record: MetricItem = {
  kind: 'metric',
  name: 'mail.deliveries',
  description: 'deliveries',
  unit: '{delivery}',
  type: 'sum',
  monotonic: true,
  temporality: 'cumulative',
  points: [{ attributes: { 'smtp.status': 'sent' }, startTime: 0, time: 0, value: 2 }],
};

async function send(e: DebugExporter, items: { kind: string }[]): Promise<Ack> {
  const ack = new Ack();
  await e.consume({ items, acks: [ack] });
  return ack;
}

test('factory and defaults', () => {
  assert.equal(debugExporterFactory.type, 'debug');
  assert.equal(debugExporterFactory.kind, 'exporter');
  const cfg: Record<string, unknown> = {};
  assert.ok(validate(cfg));
  assert.deepEqual(cfg, { verbosity: 'basic', sampling_initial: 2, sampling_thereafter: 1 });
  assert.equal(validate({ verbosity: 'loud' }), false);
});

test('basic: one summary line per batch with counts per kind; acks released; emitted counted', async () => {
  const { out, text } = capture();
  const { e, tel } = exporter({}, out);
  await e.start(host);
  const ack = await send(e, [line('a'), line('b'), event, record]);
  await send(e, [line('c')]);
  await e.shutdown();
  const lines = text().trimEnd().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^\d{4}-\d\d-\d\dT\S+Z debug\/t items=4 line=2 mail_event=1 metric=1$/);
  assert.match(lines[1], / items=1 line=1$/);
  assert.equal(ack.pending, 0);
  await ack.settled;
  assert.equal(await tel.value('mailsight_items_emitted_total', { component: 'debug' }), 5);
});

test('normal: one line per item (raw body, compact MailEvent, compact JSON)', async () => {
  const { out, text } = capture();
  const { e } = exporter({ verbosity: 'normal' }, out);
  await e.start(host);
  await send(e, [line('Jan 10 08:00:01 mx1 postfix/qmgr[1]: 4ABC: removed'), event, record]);
  await e.shutdown();
  assert.equal(
    text(),
    'Jan 10 08:00:01 mx1 postfix/qmgr[1]: 4ABC: removed\n' +
      '2024-01-10T08:00:01.250Z mx1 postfix/smtp[4242] 4ABCDEF123 delivery_attempt to=<bob@example.com> ' +
      'relay=mx.example.com[192.0.2.1]:25 delay=1.2 dsn=4.7.0 status=deferred reply="host said: 421 4.7.0 try later"\n' +
      JSON.stringify(record) + '\n',
  );
  const unparsed: MailEvent = { kind: 'mail_event', time: 0, host: 'h', mta: 'unknown', program: 'x', event: 'unparsed', raw: 'garbage' };
  assert.equal(formatItem(unparsed), '1970-01-01T00:00:00.000Z h x - unparsed raw="garbage"');
});

test('detailed: pretty JSON of each item, after a batch header', async () => {
  const { out, text } = capture();
  const { e } = exporter({ verbosity: 'detailed' }, out);
  await e.start(host);
  await send(e, [event, line('x')]);
  await e.shutdown();
  const t = text();
  assert.match(t, /^--- \S+ debug\/t items=2\n/);
  assert.ok(t.includes(JSON.stringify(event, null, 2) + '\n'));
  assert.ok(t.includes('  "queue_id": "4ABCDEF123",\n'));
  assert.ok(t.endsWith(JSON.stringify(line('x'), null, 2) + '\n'));
});

test('sampling: initial batches per second, then one in `thereafter`; the rest counted, acks released', async () => {
  const { out, text } = capture();
  const { e, tel } = exporter({ verbosity: 'normal', sampling_initial: 2, sampling_thereafter: 3 }, out);
  await e.start(host);
  const acks: Ack[] = [];
  for (let i = 1; i <= 8; i++) acks.push(await send(e, [line(`b${i}`)]));
  await e.shutdown();
  // Within one second: 1, 2 (initial), then 5, 8 (every 3rd after the initial ones).
  assert.deepEqual(text().trimEnd().split('\n'), ['b1', 'b2', 'b5', 'b8']);
  assert.ok(acks.every((a) => a.pending === 0));
  assert.equal(await tel.value('mailsight_debug_sampled_out_total', { component: 'debug' }), 4);
  assert.equal(await tel.value('mailsight_items_emitted_total', { component: 'debug' }), 4);
});

test('back-pressure: acks wait for drain when the stream is full', async () => {
  let release!: () => void;
  const written: string[] = [];
  const out = new Writable({
    highWaterMark: 16,
    write(chunk: Buffer, _enc, cb) {
      written.push(chunk.toString());
      release = () => cb();
    },
  });
  const { e } = exporter({ verbosity: 'normal' }, out);
  await e.start(host);
  const ack = new Ack();
  let accepted = false;
  const p = e.consume({ items: [line('x'.repeat(64))], acks: [ack] }).then(() => (accepted = true));
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(accepted, false, 'consume waits for drain');
  assert.equal(ack.pending, 1);
  release();
  await p;
  assert.equal(ack.pending, 0);
  assert.deepEqual(written, ['x'.repeat(64) + '\n']);
  await e.shutdown();
});
