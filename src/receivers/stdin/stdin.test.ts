import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { pino } from 'pino';
import { Ajv } from 'ajv';
import { failAll, releaseAll, type Ack } from '../../pipeline/ack.js';
import { RefusedError, type Batch, type Consumer, type Host } from '../../pipeline/component.js';
import type { LogItem, RawLine } from '../../model/items.js';
import { SelfTelemetry } from '../../telemetry/component_telemetry.js';
import { StdinConfig } from './config.js';
import { StdinReceiver, type StdinInternals } from './stdin.js';
import { stdinReceiverFactory } from './factory.js';

type Mode = 'release' | 'hold' | 'fail' | 'refuse';

class TestConsumer implements Consumer<LogItem> {
  readonly seen: string[] = [];
  readonly delivered: string[] = [];
  readonly held: { bodies: string[]; acks: Ack[] }[] = [];
  readonly sizes: number[] = [];
  batches = 0;
  constructor(public decide: (batchNo: number) => Mode = () => 'release') {}

  async consume(batch: Batch<LogItem>): Promise<void> {
    const bodies = batch.items.map((i) => (i as RawLine).body);
    const mode = this.decide(this.batches++);
    if (mode === 'refuse') {
      releaseAll(batch.acks);
      throw new RefusedError('memory limit');
    }
    this.seen.push(...bodies);
    this.sizes.push(bodies.length);
    if (mode === 'release') {
      this.delivered.push(...bodies);
      releaseAll(batch.acks);
    } else if (mode === 'fail') failAll(batch.acks, new Error('export failed'));
    else this.held.push({ bodies, acks: batch.acks });
  }

  releaseHeld(): void {
    for (const h of this.held.splice(0)) {
      this.delivered.push(...h.bodies);
      releaseAll(h.acks);
    }
  }
}

const validate = new Ajv({ useDefaults: true, strict: false }).compile(StdinConfig);
const host: Host = { dataDir: '.', reportFatal: (e) => { throw e; } };
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

function receiver(partial: Partial<StdinConfig>, input: NodeJS.ReadableStream, next: Consumer<LogItem>, internals: Partial<StdinInternals> = {}) {
  const config: unknown = { ...partial };
  assert.ok(validate(config), JSON.stringify(validate.errors));
  const tel = new SelfTelemetry({ processMetrics: false });
  const r = new StdinReceiver(
    { id: 'stdin', config: config as StdinConfig, signal: 'logs', logger: pino({ level: 'silent' }), telemetry: tel.forComponent('receiver', 'stdin'), next },
    input,
    { shutdownWaitMs: 200, backoffMinMs: 10, backoffMaxMs: 20, ...internals },
  );
  return { r, tel };
}

async function settledWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  const t0 = Date.now();
  while (!done && Date.now() - t0 < ms) await delay(5);
  return done;
}

test('factory and schema defaults', () => {
  assert.equal(stdinReceiverFactory.type, 'stdin');
  assert.equal(stdinReceiverFactory.kind, 'receiver');
  const cfg: Record<string, unknown> = {};
  assert.ok(validate(cfg));
  assert.deepEqual(cfg, { max_batch: 1024, batch_timeout: '200ms', max_line_bytes: 65536, encoding: 'utf8' });
  assert.equal(validate({ input: 'x' }), false, 'the stream is not a user option');
});

test('lines in batches of max_batch; CRLF, UTF-8 split across chunks, unterminated last line; done after delivery', async () => {
  const input = new PassThrough();
  const c = new TestConsumer();
  const { r, tel } = receiver({ max_batch: 3 }, input, c);
  await r.start(host);
  const bytes = Buffer.from('a\r\nb\nc✉d\ne\nf\ng\nlast');
  const i = bytes.indexOf('✉') + 1; // inside the 3-byte character
  input.write(bytes.subarray(0, i));
  input.write(bytes.subarray(i));
  input.end();
  await r.done;
  assert.deepEqual(c.delivered, ['a', 'b', 'c✉d', 'e', 'f', 'g', 'last']);
  assert.ok(c.sizes.every((n) => n <= 3));
  assert.equal(c.seen.length, 7);
  assert.equal(await tel.value('mailsight_items_received_total', { component: 'stdin' }), 7);
  await r.shutdown();
});

test('RawLine shape', async () => {
  const input = new PassThrough();
  const items: LogItem[] = [];
  const next: Consumer<LogItem> = { async consume(b) { items.push(...b.items); releaseAll(b.acks); } };
  const { r } = receiver({}, input, next);
  await r.start(host);
  input.end('hello\n');
  await r.done;
  const l = items[0] as RawLine;
  assert.equal(l.kind, 'line');
  assert.equal(l.body, 'hello');
  assert.deepEqual(l.source, { 'log.iostream': 'stdin' });
  assert.ok(Math.abs(l.observed - Date.now()) < 5000);
});

test('batch_timeout emits a partial batch while the input stays open', async () => {
  const input = new PassThrough();
  const c = new TestConsumer();
  const { r } = receiver({ max_batch: 100, batch_timeout: '30ms' }, input, c);
  await r.start(host);
  input.write('x\ny\n');
  await delay(10);
  assert.equal(c.delivered.length, 0, 'not before the timeout');
  const t0 = Date.now();
  while (c.delivered.length < 2 && Date.now() - t0 < 2000) await delay(5);
  assert.deepEqual(c.delivered, ['x', 'y']);
  await r.shutdown();
  assert.ok(await settledWithin(r.done, 100), 'shutdown resolves done');
});

test('long lines are split at max_line_bytes and counted', async () => {
  const input = new PassThrough();
  const c = new TestConsumer();
  const { r, tel } = receiver({ max_line_bytes: 64 }, input, c);
  await r.start(host);
  input.write('a'.repeat(100));
  input.write('a'.repeat(50) + '\nshort\n');
  input.end();
  await r.done;
  assert.deepEqual(c.delivered, ['a'.repeat(64), 'a'.repeat(64), 'a'.repeat(22), 'short']);
  assert.equal(await tel.value('mailsight_stdin_line_splits_total', { component: 'stdin' }), 2);
});

test('back-pressure: the stream is not read while emit() is pending', async () => {
  let pulled = 0;
  const total = 200;
  async function* gen() {
    for (let i = 0; i < total; i++) {
      pulled++;
      yield Buffer.from(`line-${i}\n`.repeat(10));
    }
  }
  const input = Readable.from(gen(), { objectMode: false, highWaterMark: 64 });
  let gate!: () => void;
  let blocked = true;
  const got: string[] = [];
  const next: Consumer<LogItem> = {
    async consume(b) {
      if (blocked) await new Promise<void>((res) => (gate = res));
      got.push(...b.items.map((i) => (i as RawLine).body));
      releaseAll(b.acks);
    },
  };
  const { r } = receiver({ max_batch: 10 }, input, next);
  await r.start(host);
  await delay(100);
  assert.ok(pulled < 20, `pulled ${pulled} chunks while the consumer was blocked`);
  blocked = false;
  gate();
  await r.done;
  assert.equal(got.length, total * 10);
});

test('done waits until every batch is delivered', async () => {
  const input = new PassThrough();
  const c = new TestConsumer(() => 'hold');
  const { r } = receiver({ max_batch: 2 }, input, c);
  await r.start(host);
  input.end('1\n2\n3\n');
  const t0 = Date.now();
  while (c.held.length < 2 && Date.now() - t0 < 2000) await delay(5);
  assert.equal(await settledWithin(r.done, 50), false, 'not done while undelivered');
  c.releaseHeld();
  assert.ok(await settledWithin(r.done, 2000));
  assert.deepEqual(c.delivered, ['1', '2', '3']);
});

test('ended resolves once the whole input is handed on, before it is delivered', async () => {
  const input = new PassThrough();
  const c = new TestConsumer(() => 'hold');
  const { r } = receiver({ max_batch: 2 }, input, c);
  await r.start(host);
  input.write('1\n2\n3\n');
  await delay(30);
  assert.equal(await settledWithin(r.ended, 20), false, 'not ended while the input is open');
  input.end('4\n');
  assert.ok(await settledWithin(r.ended, 2000), 'ended with every line handed on');
  assert.deepEqual(c.seen, ['1', '2', '3', '4']);
  assert.equal(await settledWithin(r.done, 20), false, 'not done while undelivered');
  c.releaseHeld();
  assert.ok(await settledWithin(r.done, 2000));
});

test('failed deliveries and refusals are sent again; nothing is lost', async () => {
  const input = new PassThrough();
  const c = new TestConsumer((n) => (n === 0 ? 'refuse' : n === 2 ? 'fail' : 'release'));
  const { r } = receiver({ max_batch: 2 }, input, c);
  await r.start(host);
  input.end('1\n2\n3\n4\n5\n6\n');
  await r.done;
  assert.deepEqual([...c.delivered].sort(), ['1', '2', '3', '4', '5', '6']);
  assert.ok(c.batches >= 5);
});

test('shutdown before end of input: bounded, resolves done, counts undelivered lines as dropped', async () => {
  const input = new PassThrough();
  const c = new TestConsumer(() => 'hold');
  const { r, tel } = receiver({ max_batch: 1 }, input, c);
  await r.start(host);
  input.write('1\n2\n');
  const t0 = Date.now();
  while (c.held.length < 2 && Date.now() - t0 < 2000) await delay(5);
  await r.shutdown();
  assert.ok(Date.now() - t0 < 2000);
  assert.ok(await settledWithin(r.done, 50));
  assert.equal(await tel.value('mailsight_items_dropped_total', { component: 'stdin' }), 2);
});
