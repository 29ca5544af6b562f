import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QueueAggregator, QUEUES, ageStats, nearestRank, normaliseReason, reasonClass } from './queue_stats.js';

const NOW = 1_800_000_000;
const rec = (queue: string, ageSec: number, rcpts: (string | [string, string])[], size = 1000) => ({
  queue_name: queue,
  queue_id: 'Q' + Math.random().toString(16).slice(2, 10).toUpperCase(),
  arrival_time: NOW - ageSec,
  message_size: size,
  forced_expire: false,
  sender: 'app@billing.example',
  recipients: rcpts.map((r) => (typeof r === 'string' ? { address: r } : { address: r[0], delay_reason: r[1] })),
});

test('nearest-rank quantiles', () => {
  const a = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(nearestRank(a, 0.5), 5);
  assert.equal(nearestRank(a, 0.95), 10);
  assert.equal(nearestRank(a, 0.99), 10);
  assert.equal(nearestRank(Float64Array.from([7]), 0.5), 7);
  assert.equal(nearestRank(new Float64Array(0), 0.5), 0);
  const h = Array.from({ length: 100 }, (_, i) => 100 - i); // 1..100 unsorted
  assert.deepEqual(ageStats(h), { p50: 50, p95: 95, p99: 99, max: 100 });
  assert.deepEqual(ageStats([]), { p50: 0, p95: 0, p99: 0, max: 0 });
});

test('per queue: messages, recipients, bytes, ages; every queue present', () => {
  const g = new QueueAggregator(NOW, { maxDomains: 10, topReasons: 5 });
  g.add(rec('deferred', 100, ['a@x.test', 'b@x.test'], 500));
  g.add(rec('deferred', 300, ['c@y.test'], 700));
  g.add(rec('hold', 50, ['d@x.test']));
  g.add({ ...rec('active', 0, ['e@z.test']), arrival_time: NOW + 5 }); // clock skew: age 0, not negative
  const s = g.finish();
  assert.deepEqual([...s.queues.keys()].sort(), [...QUEUES].sort());
  assert.deepEqual(s.queues.get('deferred'), { messages: 2, recipients: 3, bytes: 1200, age: { p50: 100, p95: 300, p99: 300, max: 300 } });
  assert.equal(s.queues.get('hold')!.messages, 1);
  assert.equal(s.queues.get('active')!.age.max, 0);
  assert.deepEqual(s.queues.get('incoming'), { messages: 0, recipients: 0, bytes: 0, age: { p50: 0, p95: 0, p99: 0, max: 0 } });
  assert.equal(s.messages, 4);
});

test('per domain: one count per message and domain; a message in two domains counts in both', () => {
  const g = new QueueAggregator(NOW, { maxDomains: 10, topReasons: 0 });
  g.add(rec('deferred', 10, ['a@X.test', 'b@x.test', 'c@y.test']));
  g.add(rec('deferred', 20, ['d@x.test']));
  const d = g.finish().domains.get('deferred')!;
  assert.equal(d.get('x.test')!.messages, 2);
  assert.deepEqual(d.get('x.test')!.age, { p50: 10, p95: 20, p99: 20, max: 20 });
  assert.equal(d.get('y.test')!.messages, 1);
});

test('max_domains: the most frequent kept, the rest is `other` with each message once', () => {
  const g = new QueueAggregator(NOW, { maxDomains: 2, topReasons: 0 });
  for (let i = 0; i < 5; i++) g.add(rec('deferred', i, ['u@big.test']));
  for (let i = 0; i < 3; i++) g.add(rec('deferred', 10 + i, ['u@mid.test']));
  g.add(rec('deferred', 100, ['u@small1.test', 'u@small2.test'])); // two rest domains, one message
  g.add(rec('hold', 200, ['u@small3.test']));
  const s = g.finish();
  const d = s.domains.get('deferred')!;
  assert.deepEqual([...d.keys()].sort(), ['big.test', 'mid.test', 'other']);
  assert.equal(d.get('other')!.messages, 1);
  assert.equal(d.get('other')!.age.max, 100);
  assert.equal(s.domains.get('hold')!.get('other')!.messages, 1);
  assert.equal(new QueueAggregator(NOW, { maxDomains: 0, topReasons: 0 }).finish().domains.size, 0);
});

test('memory bound on distinct domains: beyond it, new domains count as `other`', () => {
  const g = new QueueAggregator(NOW, { maxDomains: 2, topReasons: 0, maxTrackedDomains: 3 });
  for (let i = 0; i < 10; i++) g.add(rec('deferred', i, [`u@d${i}.test`, `v@d${i}.test`]));
  const d = g.finish().domains.get('deferred')!;
  assert.equal(d.size, 3);
  assert.equal(d.get('other')!.messages, 8);
});

test('unknown queue names are `other`; non-records are refused', () => {
  const g = new QueueAggregator(NOW, { maxDomains: 1, topReasons: 1 });
  assert.equal(g.add(rec('corrupt', 1, ['a@b.test'])), true);
  for (const bad of [null, 3, 'x', [], {}, { queue_name: 'deferred' }, { queue_name: '', arrival_time: 1 }, { queue_name: 'hold', arrival_time: '1' }]) {
    assert.equal(g.add(bad), false, JSON.stringify(bad));
  }
  assert.equal(g.add({ queue_name: 'hold', arrival_time: NOW, recipients: [null, 3, { address: 5 }] }), true);
  const s = g.finish();
  assert.equal(s.queues.get('other')!.messages, 1);
  assert.equal(s.queues.get('hold')!.messages, 1);
});

test('delay reasons: normalised, grouped, classified; the rest summed as `other`', () => {
  const g = new QueueAggregator(NOW, { maxDomains: 0, topReasons: 2 });
  const rate = (ip: string) => `host mx.${ip}.example[192.0.2.${ip}] said: 450 4.7.28 Our system has detected an unusual rate of unsolicited mail (in reply to RCPT TO command)`;
  g.add(rec('deferred', 1, [['a@x.test', rate('1')], ['b@x.test', rate('2')]]));
  g.add(rec('deferred', 1, [['c@y.test', 'delivery temporarily suspended: connect to 127.0.0.1[127.0.0.1]:2526: Connection refused']]));
  g.add(rec('deferred', 1, [['d@y.test', 'connect to 127.0.0.1[127.0.0.1]:25: Connection refused']]));
  g.add(rec('active', 1, [['e@z.test', 'Host or domain name not found. Name service error for name=z.test type=MX: Host not found, try again']]));
  g.add(rec('deferred', 1, ['f@w.test'])); // no reason: not counted
  const r = g.finish().reasons;
  assert.equal(r.length, 3);
  assert.equal(r[0].recipients, 2);
  assert.match(r[0].reason, /^450 4\.7\.28 Our system has detected an unusual rate/);
  assert.equal(r[0].class, 'policy.reputation');
  assert.equal(r[1].reason, 'connect to <host>: Connection refused');
  assert.equal(r[1].recipients, 2);
  assert.equal(r[1].class, 'transport.connect');
  assert.deepEqual(r[2], { reason: 'other', class: 'other', recipients: 1 });
});

test('normaliseReason and reasonClass on Postfix reasons', () => {
  assert.equal(normaliseReason('delivery temporarily suspended: connect to 10.1.2.3[10.1.2.3]:25: Connection timed out'), 'connect to <host>: Connection timed out');
  assert.equal(reasonClass('host a[1.2.3.4] said: 452 4.2.2 Mailbox full (in reply to RCPT TO command)'), 'soft.mailbox_full');
});
