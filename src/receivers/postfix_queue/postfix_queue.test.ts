// The receiver with real child processes standing in for postqueue: `sh -c` scripts that print
// a listing, fail, hang or print garbage. (The real Postfix is in test/integration/postfix_queue.)
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { Ajv } from 'ajv';
import { releaseAll } from '../../pipeline/ack.js';
import type { Batch, Consumer, Host } from '../../pipeline/component.js';
import type { MetricItem } from '../../model/metrics.js';
import { SelfTelemetry } from '../../telemetry/component_telemetry.js';
import { PostfixQueueConfig } from './config.js';
import { PostfixQueueReceiver, readQueue } from './postfix_queue.js';
import { postfixQueueReceiverFactory } from './factory.js';
import { tempDir } from '../../../test/helpers/tmp.js';

const validate = new Ajv({ useDefaults: true, strict: false }).compile(PostfixQueueConfig);
const host: Host = { dataDir: '.', reportFatal: (e) => { throw e; } };
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dir = tempDir('mailsight-pq-unit-');
after(() => rmSync(dir, { recursive: true, force: true }));

const NOW_MS = 1_800_000_000_000;
const now = () => NOW_MS;
const line = (queue: string, ageSec: number, rcpts: string[], reason?: string) =>
  JSON.stringify({
    queue_name: queue,
    queue_id: 'ABC',
    arrival_time: NOW_MS / 1000 - ageSec,
    message_size: 100,
    forced_expire: false,
    sender: 's@x.test',
    recipients: rcpts.map((address) => (reason ? { address, delay_reason: reason } : { address })),
  });

/** A command that prints `text` (from a file: no quoting trouble) and exits with `code`. */
function printer(name: string, text: string, code = 0, stderr = ''): string[] {
  const f = join(dir, name);
  writeFileSync(f, text);
  writeFileSync(f + '.err', stderr);
  return ['sh', '-c', `cat "$1"; cat "$1.err" >&2; exit ${code}`, 'sh', f];
}

const LISTING = [
  line('deferred', 100, ['a@defer.test'], 'host 127.0.0.1[127.0.0.1] said: 450 4.7.28 unusual rate (in reply to RCPT TO command)'),
  line('deferred', 300, ['b@defer.test', 'c@refused.test'], 'connect to 127.0.0.1[127.0.0.1]:2526: Connection refused'),
  line('hold', 50, ['d@ok.test']),
  line('maildrop', 5, ['e@ok.test']),
].join('\n') + '\n';

class Collect implements Consumer<MetricItem> {
  readonly snapshots: MetricItem[][] = [];
  async consume(b: Batch<MetricItem>): Promise<void> {
    this.snapshots.push(b.items);
    releaseAll(b.acks);
  }
}

function receiver(partial: Record<string, unknown>, next: Consumer<MetricItem>) {
  const config: Record<string, unknown> = { host: 'mx1', ...partial };
  assert.ok(validate(config), JSON.stringify(validate.errors));
  const tel = new SelfTelemetry({ processMetrics: false });
  const r = new PostfixQueueReceiver(
    { id: 'postfix_queue', config: config as PostfixQueueConfig, signal: 'metrics', logger: pino({ level: 'silent' }), telemetry: tel.forComponent('receiver', 'postfix_queue'), next },
    { killGraceMs: 100, now },
  );
  return { r, v: (name: string, labels: Record<string, string> = {}) => tel.value(name, { component: 'postfix_queue', ...labels }) };
}

const metric = (items: MetricItem[], name: string) => items.find((m) => m.name === name);
function value(items: MetricItem[], name: string, attrs: Record<string, string>): number | undefined {
  const p = metric(items, name)?.points.find((pt) => Object.entries(attrs).every(([k, v]) => pt.attributes[k] === v));
  return p?.value as number | undefined;
}

test('schema defaults', () => {
  const c: Record<string, unknown> = {};
  assert.ok(validate(c));
  assert.deepEqual(c, { command: ['postqueue', '-j'], interval: '30s', timeout: '20s', host: '', max_domains: 100, top_reasons: 10 });
  assert.equal(validate({ command: [] }), false);
  assert.equal(postfixQueueReceiverFactory.type, 'postfix_queue');
  assert.deepEqual(postfixQueueReceiverFactory.signals, ['metrics']);
});

test('readQueue: a listing is aggregated; stderr warnings do not fail it', async () => {
  const r = await readQueue(printer('ok', LISTING, 0, 'postqueue: warning: Mail system is down -- accessing queue directly\n'), {
    timeoutMs: 5000, maxDomains: 10, topReasons: 5, now,
  });
  assert.equal(r.error, undefined);
  assert.equal(r.status.up, true);
  assert.equal(r.status.mtaUp, false, 'postqueue said the mail system is down');
  assert.equal(r.summary!.queues.get('deferred')!.messages, 2);
  assert.equal(r.summary!.queues.get('maildrop')!.messages, 1);
  assert.equal(r.summary!.domains.get('deferred')!.get('defer.test')!.messages, 2);
});

test('readQueue: failures are results, not exceptions', async () => {
  const opts = { timeoutMs: 5000, maxDomains: 10, topReasons: 5, now, killGraceMs: 100 };
  const missing = await readQueue(['/nonexistent/postqueue', '-j'], opts);
  assert.equal(missing.status.up, false);
  assert.match(missing.error!, /cannot run/);

  const down = await readQueue(printer('down', '', 69, 'postqueue: fatal: Queue report unavailable - mail system is down\n'), opts);
  assert.equal(down.status.up, false);
  assert.equal(down.status.mtaUp, false);
  assert.match(down.error!, /exited with 69: postqueue: fatal: Queue report unavailable/);

  const garbage = await readQueue(printer('garbage', 'Welcome to mx1!\n<html>\n{"not":"a record"}\n'), opts);
  assert.equal(garbage.status.up, false);
  assert.equal(garbage.malformed, 3);

  const t0 = Date.now();
  const hang = await readQueue(['sh', '-c', 'trap "" TERM; sleep 30'], { ...opts, timeoutMs: 200 });
  assert.ok(Date.now() - t0 < 3000, 'killed (SIGKILL after the grace) soon after the timeout');
  assert.match(hang.error!, /timed out/);

  const empty = await readQueue(printer('empty', ''), opts);
  assert.equal(empty.status.up, true, 'an empty queue prints nothing');
  assert.equal(empty.summary!.messages, 0);

  const partial = await readQueue(printer('partial', LISTING + 'oops\n'), opts);
  assert.equal(partial.status.up, true);
  assert.equal(partial.malformed, 1);
});

test('metrics: names, attributes, every queue, ages per stat, domains, reasons', async () => {
  const c = new Collect();
  const { r } = receiver({ command: printer('m', LISTING) }, c);
  const items = await r.poll();
  assert.deepEqual(c.snapshots[0], items);
  assert.deepEqual(items.map((m) => m.name).sort(), [
    'mail.mta.up', 'mail.queue.age', 'mail.queue.delay_reasons', 'mail.queue.domain.age', 'mail.queue.domain.messages',
    'mail.queue.messages', 'mail.queue.read.duration', 'mail.queue.recipients', 'mail.queue.size', 'mail.queue.up',
  ]);
  for (const m of items) {
    assert.equal(m.type, 'gauge');
    for (const p of m.points) {
      assert.equal(p.attributes['mail.host'], 'mx1');
      assert.equal(p.time, NOW_MS);
    }
  }
  assert.equal(value(items, 'mail.queue.up', {}), 1);
  for (const q of ['active', 'deferred', 'hold', 'incoming', 'maildrop']) assert.notEqual(value(items, 'mail.queue.messages', { queue: q }), undefined, q);
  assert.equal(value(items, 'mail.queue.messages', { queue: 'deferred' }), 2);
  assert.equal(value(items, 'mail.queue.recipients', { queue: 'deferred' }), 3);
  assert.equal(value(items, 'mail.queue.size', { queue: 'deferred' }), 200);
  assert.equal(value(items, 'mail.queue.age', { queue: 'deferred', stat: 'p50' }), 100);
  assert.equal(value(items, 'mail.queue.age', { queue: 'deferred', stat: 'max' }), 300);
  assert.equal(value(items, 'mail.queue.age', { queue: 'active', stat: 'p99' }), 0);
  assert.equal(metric(items, 'mail.queue.age')!.unit, 's');
  assert.equal(value(items, 'mail.queue.domain.messages', { queue: 'deferred', 'mail.recipient.domain': 'refused.test' }), 1);
  assert.equal(value(items, 'mail.queue.domain.age', { queue: 'deferred', 'mail.recipient.domain': 'defer.test', stat: 'p95' }), 300);
  assert.equal(value(items, 'mail.queue.delay_reasons', { reason: 'connect to <host>: Connection refused', 'mail.bounce.class': 'transport.connect' }), 2);
  await r.shutdown();
});

test('a series that left the queue gets one last 0, then disappears', async () => {
  const f = join(dir, 'changing');
  writeFileSync(f, LISTING);
  const c = new Collect();
  const { r } = receiver({ command: ['cat', f] }, c);
  await r.poll();
  writeFileSync(f, line('deferred', 10, ['z@new.test'], 'lost connection with x[1.2.3.4] while receiving the initial server greeting') + '\n');
  const second = await r.poll();
  assert.equal(value(second, 'mail.queue.domain.messages', { queue: 'deferred', 'mail.recipient.domain': 'defer.test' }), 0);
  assert.equal(value(second, 'mail.queue.domain.messages', { queue: 'deferred', 'mail.recipient.domain': 'new.test' }), 1);
  assert.equal(value(second, 'mail.queue.delay_reasons', { reason: 'connect to <host>: Connection refused' }), 0);
  const third = await r.poll();
  assert.equal(value(third, 'mail.queue.domain.messages', { queue: 'deferred', 'mail.recipient.domain': 'defer.test' }), undefined);
  // Start times: a series that stayed keeps its first-seen time.
  const p = metric(third, 'mail.queue.messages')!.points[0];
  assert.equal(p.startTime, NOW_MS);
  await r.shutdown();
});

test('survives failures: reports up=0, keeps polling, recovers', async () => {
  const f = join(dir, 'flaky.sh');
  const state = join(dir, 'flaky.state');
  writeFileSync(state, 'down');
  writeFileSync(f, `if [ "$(cat "${state}")" = down ]; then echo "postqueue: fatal: Queue report unavailable - mail system is down" >&2; exit 69; fi\ncat <<'EOF'\n${LISTING}EOF\n`);
  const c = new Collect();
  const { r, v } = receiver({ command: ['sh', f], interval: '50ms' }, c);
  await r.start(host);
  const t0 = Date.now();
  while (c.snapshots.length < 2 && Date.now() - t0 < 5000) await delay(10);
  const failed = c.snapshots[0];
  assert.equal(value(failed, 'mail.queue.up', {}), 0);
  assert.equal(value(failed, 'mail.mta.up', {}), 0);
  assert.equal(metric(failed, 'mail.queue.messages'), undefined, 'no queue figures from a failed read');
  writeFileSync(state, 'up');
  while (!c.snapshots.some((s) => value(s, 'mail.queue.up', {}) === 1) && Date.now() - t0 < 5000) await delay(10);
  const ok = c.snapshots.find((s) => value(s, 'mail.queue.up', {}) === 1)!;
  assert.equal(value(ok, 'mail.queue.messages', { queue: 'deferred' }), 2);
  assert.ok((await v('mailsight_postfix_queue_reads_total', { result: 'failed' })) >= 2);
  assert.ok((await v('mailsight_postfix_queue_reads_total', { result: 'ok' })) >= 1);
  await r.shutdown();
});

test('shutdown kills a read in progress and stops polling', async () => {
  const c = new Collect();
  const { r } = receiver({ command: ['sh', '-c', 'sleep 30'], timeout: '60s' }, c);
  await r.start(host);
  await delay(100);
  const t0 = Date.now();
  await r.shutdown();
  assert.ok(Date.now() - t0 < 2000);
  await delay(100);
  assert.equal(c.snapshots.length, 0);
});
