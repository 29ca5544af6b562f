import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { Ack } from '../../pipeline/ack.js';
import type { Batch, Consumer, Processor } from '../../pipeline/component.js';
import type { LogItem } from '../../model/items.js';
import type { MessageRecord } from '../../model/message_record.js';
import { SelfTelemetry } from '../../telemetry/component_telemetry.js';
import { silentLogger, testHost } from '../../../test/helpers/fakes.js';
import { CorrelateConfig } from './config.js';
import { correlateFactory } from './factory.js';
import { attempt, client, enqueue, messageId, removed } from './testing.js';
import { tempDir } from '../../../test/helpers/tmp.js';

class Sink implements Consumer<LogItem> {
  items: LogItem[] = [];
  async consume(b: Batch<LogItem>): Promise<void> {
    this.items.push(...b.items);
    for (const a of b.acks) a.release();
  }
  records(): MessageRecord[] {
    return this.items.filter((i): i is MessageRecord => i.kind === 'message_record');
  }
}

const validate = new Ajv({ useDefaults: true, strict: false }).compile(CorrelateConfig);

function make(config: Record<string, unknown>, sink: Sink, self = new SelfTelemetry({ processMetrics: false })) {
  // Defaults filled as the config loader does (ajv useDefaults).
  const cfg = structuredClone(config) as CorrelateConfig;
  assert.ok(validate(cfg), JSON.stringify(validate.errors));
  const p = correlateFactory.create({
    id: 'correlate',
    config: cfg,
    signal: 'logs',
    logger: silentLogger,
    telemetry: self.forComponent('processor', 'correlate', 'logs'),
    next: sink as Consumer<unknown>,
  }) as Processor<LogItem>;
  return { p, self };
}

async function push(p: Processor<LogItem>, items: LogItem[]): Promise<Ack> {
  const ack = new Ack();
  await p.consume({ items, acks: [ack.share()] });
  ack.seal();
  return ack;
}

const dirs: string[] = [];
function tmp(): string {
  const d = tempDir('mailsight-correlate-');
  dirs.push(d);
  return d;
}
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('emit both: events pass through unchanged, records follow; acks settle downstream', async () => {
  const sink = new Sink();
  const { p, self } = make({ reorder_window: '0s', snapshot: { enabled: false } }, sink);
  await p.start(testHost(tmp()));
  const events = [client(0, 'F1'), enqueue(0, 'F1'), attempt(1, 'F1', 'a@x.example', 'sent'), removed(1, 'F1')];
  const ack = await push(p, events);
  await ack.settled;
  assert.equal(ack.pending, 0);
  assert.deepEqual(sink.items.slice(0, 4), events);
  assert.equal(sink.records().length, 1);
  assert.equal(await self.value('mailsight_correlate_messages_opened_total', {}), 1);
  assert.equal(await self.value('mailsight_correlate_records_emitted_total', {}), 1);
  assert.equal(await self.value('mailsight_correlate_open_messages', {}), 0);
  await p.shutdown();
});

test('emit records: only records go downstream; a batch with nothing to forward releases its acks', async () => {
  const sink = new Sink();
  const { p } = make({ emit: 'records', reorder_window: '0s', snapshot: { enabled: false } }, sink);
  await p.start(testHost(tmp()));
  const a1 = await push(p, [client(0, 'F2'), enqueue(0, 'F2')]);
  await a1.settled;
  assert.equal(sink.items.length, 0);
  await push(p, [attempt(1, 'F2', 'a@x.example', 'sent'), removed(1, 'F2')]);
  assert.deepEqual(sink.items.map((i) => i.kind), ['message_record']);
  await p.shutdown();
});

test('same_message_links: on by default, the records of one Message-ID on two hosts name each other; off, neither does', async () => {
  const twoHosts = [
    client(0, 'E1', '203.0.113.7', 'edge1'),
    client(0, 'E2', '203.0.113.8', 'edge2'),
    messageId(0, 'E1', '<same@example.org>', 'edge1'),
    messageId(0, 'E2', '<same@example.org>', 'edge2'),
  ];
  const links = async (config: Record<string, unknown>) => {
    const sink = new Sink();
    const { p } = make({ emit: 'records', snapshot: { enabled: false }, ...config }, sink);
    await p.start(testHost(tmp()));
    await push(p, twoHosts);
    await p.shutdown();
    return sink.records().map((r) => `${r.host}/${r.queue_id}: ${r.links?.same_message_id?.join(',') ?? '-'}`).sort();
  };
  assert.deepEqual(await links({}), ['edge1/E1: edge2/E2', 'edge2/E2: edge1/E1']);
  assert.deepEqual(await links({ same_message_links: false }), ['edge1/E1: -', 'edge2/E2: -']);
});

test('shutdown without snapshot emits open messages as incomplete (shutdown)', async () => {
  const sink = new Sink();
  const { p, self } = make({ emit: 'records', snapshot: { enabled: false } }, sink);
  await p.start(testHost(tmp()));
  await push(p, [client(0, 'F3'), enqueue(0, 'F3'), attempt(1, 'F3', 'a@defer.example', 'deferred')]);
  await p.shutdown();
  const recs = sink.records();
  assert.equal(recs.length, 1);
  assert.equal(recs[0].incomplete_reason, 'shutdown');
  assert.equal(await self.value('mailsight_correlate_records_incomplete_total', { component: 'correlate' }), 1);
});

test('restart without loss: snapshot on shutdown, restore on start, one record', async () => {
  const dir = tmp();
  const sink1 = new Sink();
  const first = make({ emit: 'records' }, sink1).p;
  await first.start(testHost(dir));
  await push(first, [client(0, 'RS1'), messageId(0, 'RS1', '<rs1@x>'), enqueue(0, 'RS1'), attempt(1, 'RS1', 'a@defer.example', 'deferred')]);
  await first.shutdown();
  assert.equal(sink1.items.length, 0, 'nothing emitted: the state is carried over');
  assert.deepEqual(readdirSync(dir), ['correlate-correlate.snapshot.jsonl'], 'atomic write left no temp file');

  const sink2 = new Sink();
  const second = make({ emit: 'records', reorder_window: '0s' }, sink2).p;
  await second.start(testHost(dir));
  await push(second, [attempt(900, 'RS1', 'a@defer.example', 'sent'), removed(900, 'RS1')]);
  await second.shutdown();
  const recs = sink2.records();
  assert.equal(recs.length, 1);
  assert.equal(recs[0].state, 'final');
  assert.equal(recs[0].message_id, '<rs1@x>');
  assert.equal(recs[0].start_time, client(0, 'RS1').time);
  assert.deepEqual(recs[0].recipients[0].attempts?.map((a) => a.status), ['deferred', 'sent']);
});

test('hold_acks: the state share of an ack is released by the next snapshot', async () => {
  const dir = tmp();
  const sink = new Sink();
  const { p } = make({ emit: 'records', snapshot: { hold_acks: true, interval: '1h' } }, sink);
  await p.start(testHost(dir));
  const ack = await push(p, [client(0, 'HA1'), enqueue(0, 'HA1')]);
  assert.equal(ack.pending, 1, 'held until a snapshot has the effect');
  await p.shutdown(); // writes the snapshot
  assert.equal(ack.pending, 0);
  await ack.settled;
});

test('a damaged snapshot is moved aside and the processor starts empty', async () => {
  const dir = tmp();
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'correlate-correlate.snapshot.jsonl'), '{"v":1,"clock":0,"hosts":{},"open":1}\n{not json\n');
  const sink = new Sink();
  const { p } = make({ emit: 'records', snapshot: { enabled: true } }, sink);
  await p.start(testHost(dir));
  assert.ok(readdirSync(dir).some((f) => f.includes('.corrupt-')));
  await p.shutdown();
});
