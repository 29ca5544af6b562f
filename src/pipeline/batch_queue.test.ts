import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ack, releaseAll } from './ack.js';
import { BatchQueue } from './batch_queue.js';
import type { Batch, Consumer } from './component.js';
import { SelfTelemetry } from '../telemetry/component_telemetry.js';

function sink(delayMs = 0) {
  const batches: number[][] = [];
  const consumer: Consumer<number> = {
    async consume(b: Batch<number>) {
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      batches.push(b.items);
      releaseAll(b.acks);
    },
  };
  return { batches, consumer };
}

const tel = () => new SelfTelemetry({ processMetrics: false });
const range = (a: number, n: number) => Array.from({ length: n }, (_, i) => a + i);

test('hands on full batches of batch_size, in order, and a partial one after the timeout', async () => {
  const s = sink();
  const q = new BatchQueue<number>({ size: 100, batchSize: 4, batchTimeoutMs: 20, whenFull: 'block' }, s.consumer, tel().forComponent('exporter', 'x'));
  await q.consume({ items: range(0, 3), acks: [] });
  await q.consume({ items: range(3, 3), acks: [] });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(s.batches, [[0, 1, 2, 3]]);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(s.batches, [[0, 1, 2, 3], [4, 5]]);
});

test('block: a producer waits while the queue is full and nothing is lost', async () => {
  const s = sink(5);
  const t = tel();
  const q = new BatchQueue<number>({ size: 10, batchSize: 5, batchTimeoutMs: 5, whenFull: 'block' }, s.consumer, t.forComponent('exporter', 'x'));
  let maxDepth = 0;
  for (let i = 0; i < 100; i += 5) {
    await q.consume({ items: range(i, 5), acks: [] });
    maxDepth = Math.max(maxDepth, q.length);
  }
  await q.drain();
  assert.deepEqual(s.batches.flat(), range(0, 100));
  assert.ok(maxDepth <= 10, `depth ${maxDepth} exceeded capacity`);
  assert.equal(await t.value('mailsight_items_dropped_total', { component: 'x' }), 0);
});

test('drop_newest: what does not fit is dropped, counted, and its ack still settles', async () => {
  const s = sink(20);
  const t = tel();
  const q = new BatchQueue<number>({ size: 10, batchSize: 10, batchTimeoutMs: 1, whenFull: 'drop_newest' }, s.consumer, t.forComponent('exporter', 'x'));
  const acks: Ack[] = [];
  for (let i = 0; i < 50; i += 5) {
    const a = new Ack();
    acks.push(a);
    await q.consume({ items: range(i, 5), acks: [a.share()] });
    a.seal();
  }
  await q.drain();
  await Promise.all(acks.map((a) => a.settled));
  const delivered = s.batches.flat().length;
  const dropped = await t.value('mailsight_items_dropped_total', { component: 'x' });
  assert.ok(dropped > 0, 'something must have been dropped');
  assert.equal(delivered + dropped, 50);
});

test('a batch split across two deliveries settles its ack only after both parts', async () => {
  const s = sink();
  const q = new BatchQueue<number>({ size: 100, batchSize: 3, batchTimeoutMs: 1000, whenFull: 'block' }, s.consumer, tel().forComponent('exporter', 'x'));
  const gate: Consumer<number> = q;
  const a = new Ack();
  let settled = false;
  void a.settled.then(() => (settled = true));
  await gate.consume({ items: range(0, 5), acks: [a.share()] });
  a.seal();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(s.batches, [[0, 1, 2]]);
  assert.equal(settled, false, 'two items are still queued');
  await q.drain();
  await a.settled;
  assert.deepEqual(s.batches, [[0, 1, 2], [3, 4]]);
});

test('drain resolves at once on an empty queue and after in-flight work otherwise', async () => {
  const s = sink(10);
  const q = new BatchQueue<number>({ size: 100, batchSize: 100, batchTimeoutMs: 10_000, whenFull: 'block' }, s.consumer, tel().forComponent('exporter', 'x'));
  await q.drain();
  await q.consume({ items: [1, 2], acks: [] });
  await q.drain();
  assert.deepEqual(s.batches, [[1, 2]]);
});
