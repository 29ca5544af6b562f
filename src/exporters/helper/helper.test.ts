import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Ajv } from 'ajv';
import { Ack } from '../../pipeline/ack.js';
import { Strict } from '../../config/types.js';
import { SelfTelemetry } from '../../telemetry/component_telemetry.js';
import { Backoff } from './backoff.js';
import { exporterHelperProperties, type ExporterHelperConfig } from './config.js';
import { httpStatusError, parseRetryAfter, PermanentError, RetryableError, type SendResult } from './errors.js';
import { ExporterHelper, type QueuedRequest } from './exporter_helper.js';

const validate = new Ajv({ useDefaults: true, strict: false }).compile(Strict(exporterHelperProperties()));
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

function config(partial: Record<string, unknown> = {}): ExporterHelperConfig {
  const c: unknown = structuredClone(partial);
  assert.ok(validate(c), JSON.stringify(validate.errors));
  return c as ExporterHelperConfig;
}

type SendFn = (req: QueuedRequest, signal: AbortSignal) => Promise<SendResult | void>;

function helper(partial: Record<string, unknown>, send: SendFn) {
  const tel = new SelfTelemetry({ processMetrics: false });
  const h = new ExporterHelper<string>(
    {
      id: 'x',
      config: config(partial),
      logger: pino({ level: 'silent' }),
      telemetry: tel.forComponent('exporter', 'x'),
      encode: (items) => [{ key: 'k', items: items.length, body: Buffer.from(items.join('\n')) }],
      send,
    },
    { random: () => 0.5 },
  );
  const v = (name: string) => tel.value(name, { component: 'x' });
  return { h, tel, v };
}

async function send(h: ExporterHelper<string>, items: string[]): Promise<Ack> {
  const ack = new Ack();
  await h.consume({ items, acks: [ack] });
  return ack;
}

const host = { dataDir: tmpdir(), reportFatal: (e: Error) => { throw e; } };
const FAST = { initial_interval: '10ms', max_interval: '20ms' };

test('defaults mirror the Collector exporterhelper', () => {
  assert.deepEqual(config(), {
    timeout: '10s',
    retry_on_failure: { enabled: true, initial_interval: '1s', max_interval: '30s', max_elapsed_time: '5m', multiplier: 1.5, randomization_factor: 0.5 },
    sending_queue: { enabled: true, storage: 'memory', size: 50_000, num_consumers: 10, when_full: 'block', fsync: 'interval', fsync_interval: '1s' },
  });
  assert.equal(validate({ sending_queue: { storage: 'tape' } }), false);
  assert.equal(validate({ retry_on_failure: { max_retries: 3 } }), false, 'unknown keys are errors');
});

test('Retry-After: delta-seconds or HTTP-date; 4xx other than 408/429 permanent', () => {
  const now = Date.parse('2025-11-28T00:00:00Z');
  assert.equal(parseRetryAfter('2', now), 2000);
  assert.equal(parseRetryAfter('0.5', now), 500);
  assert.equal(parseRetryAfter('Fri, 28 Nov 2025 00:00:07 GMT', now), 7000);
  assert.equal(parseRetryAfter('Thu, 27 Nov 2025 00:00:00 GMT', now), 0, 'a past date: no wait');
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter(undefined, now), undefined);
  for (const s of [400, 401, 403, 404, 413, 415]) assert.ok(httpStatusError(s, '5') instanceof PermanentError, String(s));
  for (const s of [408, 429, 500, 502, 503, 504]) assert.ok(httpStatusError(s, undefined) instanceof RetryableError, String(s));
  assert.equal((httpStatusError(429, '3') as RetryableError).retryAfterMs, 3000);
  assert.equal((httpStatusError(503, '3') as RetryableError).retryAfterMs, 3000);
  assert.equal((httpStatusError(502, '3') as RetryableError).retryAfterMs, undefined, 'Retry-After means nothing on 502');
});

test('back-off: exponential, capped, jittered within ±factor, bounded by max_elapsed_time', () => {
  let now = 0;
  const b = new Backoff({ initialMs: 1000, maxMs: 3000, multiplier: 1.5, randomizationFactor: 0.5, maxElapsedMs: 10_000 }, () => 0.5, () => now);
  assert.deepEqual([b.next(), b.next(), b.next(), b.next()], [1000, 1500, 2250, 3000]);
  assert.equal(b.next(5000), 5000, 'a Retry-After longer than the back-off wins');
  now = 9000;
  assert.equal(b.next(), undefined, 'would pass max_elapsed_time');
  const lo = new Backoff({ initialMs: 1000, maxMs: 3000, multiplier: 2, randomizationFactor: 0.5, maxElapsedMs: 0 }, () => 0);
  const hi = new Backoff({ initialMs: 1000, maxMs: 3000, multiplier: 2, randomizationFactor: 0.5, maxElapsedMs: 0 }, () => 0.999999);
  assert.equal(lo.next(), 500);
  assert.equal(hi.next(), 1500);
});

test('memory queue: the ack is released only when the backend accepted; transient failures retried and counted', async () => {
  let calls = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const { h, v } = helper({ retry_on_failure: FAST }, async () => {
    calls++;
    if (calls <= 2) throw new Error('ECONNREFUSED');
    await gate;
  });
  await h.start(host);
  const ack = await send(h, ['a', 'b']);
  await delay(100);
  assert.equal(ack.pending, 1, 'not acknowledged while the backend has not accepted');
  assert.equal(await v('mailsight_exporter_queue_items'), 2);
  assert.ok((await v('mailsight_exporter_queue_bytes')) > 0);
  release();
  await ack.settled;
  assert.equal(calls, 3);
  assert.equal(await v('mailsight_exporter_retries_total'), 2);
  assert.equal(await v('mailsight_exporter_sent_items_total'), 2);
  assert.equal(await v('mailsight_exporter_queue_items'), 0);
  assert.equal(await v('mailsight_items_emitted_total'), 2);
  await h.shutdown();
});

test('permanent errors are not retried: the ack fails and the items are counted as failed', async () => {
  let calls = 0;
  const { h, v } = helper({ retry_on_failure: FAST }, async () => {
    calls++;
    throw httpStatusError(400, undefined, 'bad request');
  });
  await h.start(host);
  const ack = await send(h, ['a', 'b', 'c']);
  await assert.rejects(ack.settled, /HTTP 400: bad request/);
  assert.equal(calls, 1);
  assert.equal(await v('mailsight_exporter_failed_items_total'), 3);
  assert.equal(await v('mailsight_exporter_retries_total'), 0);
  await h.shutdown();
});

test('retries stop after max_elapsed_time (memory queue): the ack fails', async () => {
  const { h, v } = helper({ retry_on_failure: { ...FAST, max_elapsed_time: '100ms' } }, async () => {
    throw new RetryableError('HTTP 503');
  });
  await h.start(host);
  const t0 = Date.now();
  const ack = await send(h, ['a']);
  await assert.rejects(ack.settled, /503/);
  assert.ok(Date.now() - t0 < 1000);
  assert.ok((await v('mailsight_exporter_retries_total')) >= 3);
  assert.equal(await v('mailsight_exporter_failed_items_total'), 1);
  await h.shutdown();
});

test('timeout bounds each attempt; the aborted attempt is retried', async () => {
  let calls = 0;
  const { h, v } = helper({ timeout: '50ms', retry_on_failure: FAST }, (_req, signal) => {
    calls++;
    if (calls > 1) return Promise.resolve();
    return new Promise((_res, rej) => signal.addEventListener('abort', () => rej(new Error('aborted'))));
  });
  await h.start(host);
  const ack = await send(h, ['a']);
  await ack.settled;
  assert.equal(calls, 2);
  assert.equal(await v('mailsight_exporter_retries_total'), 1);
  await h.shutdown();
});

test('queue full: drop_newest fails the new batch and counts it; block waits for room', async () => {
  let release!: () => void;
  let gate = new Promise<void>((r) => (release = r));
  const { h, v } = helper({ sending_queue: { size: 4, when_full: 'drop_newest', num_consumers: 1 } }, () => gate);
  await h.start(host);
  const a1 = await send(h, ['1', '2', '3']);
  const a2 = await send(h, ['4', '5']);
  await assert.rejects(a2.settled, /sending queue full/);
  assert.equal(await v('mailsight_items_dropped_total'), 2);
  release();
  await a1.settled;
  await h.shutdown();

  gate = new Promise<void>((r) => (release = r));
  const b = helper({ sending_queue: { size: 4, when_full: 'block', num_consumers: 1 } }, () => gate);
  await b.h.start(host);
  await send(b.h, ['1', '2', '3']);
  let entered = false;
  const blocked = send(b.h, ['4', '5']).then((a) => ((entered = true), a));
  await delay(50);
  assert.equal(entered, false, 'consume waits while the queue is full (back-pressure)');
  release();
  await (await blocked).settled;
  assert.equal(await b.v('mailsight_exporter_sent_items_total'), 5);
  await b.h.shutdown();
});

test('no queue: consume resolves only after the backend accepted', async () => {
  let accepted = 0;
  const { h } = helper({ sending_queue: { enabled: false } }, async (req) => {
    await delay(30);
    accepted += req.items;
  });
  await h.start(host);
  const ack = await send(h, ['a', 'b']);
  assert.equal(accepted, 2);
  assert.equal(ack.pending, 0);
  await h.shutdown();
});

test('partial success: accepted items counted as sent, rejected ones as failed, the ack fails', async () => {
  const { h, v } = helper({}, async () => ({ rejected: 1, message: 'one bad record' }));
  await h.start(host);
  const ack = await send(h, ['a', 'b', 'c']);
  await assert.rejects(ack.settled, /rejected 1 of 3/);
  assert.equal(await v('mailsight_exporter_sent_items_total'), 2);
  assert.equal(await v('mailsight_exporter_failed_items_total'), 1);
  await h.shutdown();
});

test('shutdown with the backend down (memory queue): bounded, queued acks failed, not lost silently', async () => {
  const { h, v } = helper({ timeout: '100ms', retry_on_failure: { initial_interval: '1s' } }, async () => {
    throw new Error('ECONNREFUSED');
  });
  await h.start(host);
  const acks = [await send(h, ['a']), await send(h, ['b'])];
  await delay(20);
  const t0 = Date.now();
  await h.shutdown();
  assert.ok(Date.now() - t0 < 1000, `shutdown took ${Date.now() - t0}ms`);
  for (const a of acks) await assert.rejects(a.settled);
  assert.equal(await v('mailsight_exporter_failed_items_total'), 2);
  const late = await send(h, ['c']);
  await assert.rejects(late.settled, /shut down/);
});

test('disk queue: acked once written; exhausted retries go back to the queue instead of being dropped; permanent errors discard', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mailsight-helper-'));
  let mode: 'down' | 'up' | 'bad' = 'down';
  const got: string[] = [];
  const { h, v } = helper(
    { retry_on_failure: { ...FAST, max_elapsed_time: '50ms' }, sending_queue: { storage: 'disk', directory: dir, fsync: 'always', num_consumers: 1 } },
    async (req) => {
      if (mode === 'down') throw new Error('ECONNREFUSED');
      if (mode === 'bad' && Buffer.from(req.body).toString() === 'poison') throw new PermanentError('HTTP 400');
      got.push(Buffer.from(req.body).toString());
    },
  );
  await h.start(host);
  const ack = await send(h, ['a', 'b']);
  await ack.settled; // durably queued, while the backend is down
  await delay(300); // several max_elapsed_time periods: requeued each time, never failed
  assert.equal(await v('mailsight_exporter_failed_items_total'), 0);
  assert.equal(await v('mailsight_exporter_queue_items'), 2);
  mode = 'bad';
  await (await send(h, ['poison'])).settled;
  for (let i = 0; i < 100 && (await v('mailsight_exporter_queue_items')) > 0; i++) await delay(20);
  assert.deepEqual(got, ['a\nb']);
  assert.equal(await v('mailsight_exporter_failed_items_total'), 1, 'the poison request');
  await h.shutdown();
  await rm(dir, { recursive: true });
});
