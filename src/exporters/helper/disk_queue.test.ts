import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskQueue, decodeRecord, encodeRecord, type DiskQueueOptions, type QueuedRequest } from './disk_queue.js';

const req = (s: string, items = 1): QueuedRequest => ({ key: 'logs;proto', items, body: Buffer.from(s) });
const text = (r: QueuedRequest) => Buffer.from(r.body).toString();

async function fresh(opts: Partial<DiskQueueOptions> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'mailsight-dq-'));
  const make = () => new DiskQueue({ dir, fsync: 'never', fsyncIntervalMs: 1000, segmentBytes: 1 << 20, ...opts });
  return { dir, make };
}
const segments = async (dir: string) => (await readdir(dir)).filter((n) => n.endsWith('.q')).sort();

test('records: length, CRC, key, items and body round-trip; any flipped bit is detected', () => {
  const buf = encodeRecord({ key: 'metrics;json', items: 42, body: Buffer.from('{"x":1}') });
  const rec = decodeRecord(buf);
  assert.deepEqual(rec && { key: rec.req.key, items: rec.req.items, body: text(rec.req), length: rec.length }, { key: 'metrics;json', items: 42, body: '{"x":1}', length: buf.length });
  for (let i = 0; i < buf.length; i++) {
    const bad = Buffer.from(buf);
    bad[i] ^= 0x10;
    assert.equal(decodeRecord(bad), undefined, `bit flip at byte ${i}`);
  }
  assert.equal(decodeRecord(buf.subarray(0, buf.length - 1)), undefined, 'cut short');
});

test('recovery replays exactly the records not completed, across restarts', async () => {
  const { dir, make } = await fresh();
  const q1 = make();
  assert.deepEqual((await q1.open()).pending, []);
  const refs = await q1.append([req('a'), req('b'), req('c', 3)]);
  q1.complete(refs[0]);
  q1.complete(refs[2]); // not contiguous: the committed offset stays after 'a'
  await q1.close();

  const q2 = make();
  const r2 = await q2.open();
  const got = await Promise.all(r2.pending.map((p) => q2.read(p)));
  assert.deepEqual(got.map(text), ['b', 'c'], 'c is sent again: at-least-once across a restart');
  assert.deepEqual(r2.pending.map((p) => p.items), [1, 3]);
  for (const p of r2.pending) q2.complete(p);
  await q2.close();

  const q3 = make();
  assert.deepEqual((await q3.open()).pending, []);
  await q3.close();
  assert.equal((await segments(dir)).length, 1, 'spent segments are deleted');
  assert.match(await readFile(join(dir, 'committed.json'), 'utf8'), /"offset":0/);
  await rm(dir, { recursive: true });
});

test('a corrupt or cut-short tail (a crash mid-write) is truncated and counted; what precedes it is kept', async () => {
  const { dir, make } = await fresh();
  const q1 = make();
  await q1.open();
  await q1.append([req('one'), req('two')]);
  await q1.append([req('three')]);
  await q1.close();
  const [seg] = await segments(dir);
  const path = join(dir, seg);
  const size = (await stat(path)).size;
  await truncate(path, size - 2); // 'three' cut short

  const q2 = make();
  const r2 = await q2.open();
  assert.deepEqual((await Promise.all(r2.pending.map((p) => q2.read(p)))).map(text), ['one', 'two']);
  assert.equal(r2.truncations, 1);
  assert.equal(r2.truncatedBytes, encodeRecord(req('three')).length - 2);
  await q2.close();

  await appendFile(path, Buffer.from('garbage that is not a record'));
  const q3 = make();
  const r3 = await q3.open();
  assert.equal(r3.pending.length, 2);
  assert.equal(r3.truncations, 1);
  await q3.close();
  await rm(dir, { recursive: true });
});

test('segments roll at segment_bytes and are deleted once everything in them is committed', async () => {
  const { dir, make } = await fresh({ segmentBytes: 100, fsync: 'always' });
  const q = make();
  await q.open();
  const refs = [];
  for (let i = 0; i < 10; i++) refs.push(...(await q.append([req('x'.repeat(40) + i)])));
  assert.ok((await segments(dir)).length >= 5);
  for (const r of refs.slice(0, 8)) q.complete(r);
  await q.close(); // waits for the committed-offset write
  const left = await segments(dir);
  assert.ok(left.length <= 2, `left ${left}`);
  const q2 = make();
  const r2 = await q2.open();
  assert.deepEqual((await Promise.all(r2.pending.map((p) => q2.read(p)))).map(text), ['x'.repeat(40) + 8, 'x'.repeat(40) + 9]);
  await q2.close();
  await rm(dir, { recursive: true });
});

test('an unreadable committed file replays everything (duplicates, never loss)', async () => {
  const { dir, make } = await fresh();
  const q = make();
  await q.open();
  const refs = await q.append([req('a'), req('b')]);
  q.complete(refs[0]);
  await q.close();
  await writeFile(join(dir, 'committed.json'), '{"segm');
  const q2 = make();
  assert.deepEqual((await Promise.all((await q2.open()).pending.map((p) => q2.read(p)))).map(text), ['a', 'b']);
  await q2.close();
  await rm(dir, { recursive: true });
});
