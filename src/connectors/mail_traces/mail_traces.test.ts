import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Correlator } from '../../processors/correlate/correlator.js';
import { at, attempt, client, enqueue, messageId, removed } from '../../processors/correlate/testing.js';
import type { MessageRecord } from '../../model/message_record.js';
import { recordToSpans } from './spans.js';
import { traceIdOf } from './ids.js';

const cfg = { include_incomplete: true, addresses: 'hash_local_part' as const };

function correlate(events: Parameters<Correlator['add']>[0][]): MessageRecord[] {
  const c = new Correlator();
  for (const e of events) c.add(e);
  c.sweep();
  c.finish();
  return c.take();
}

test('one trace per message: root span over its life, a child span per attempt, times from the log', () => {
  const [rec] = correlate([
    client(0, 'Q1'),
    messageId(0, 'Q1', 'abc@example.net'),
    enqueue(1, 'Q1'),
    attempt(2, 'Q1', 'Bob@gmail.com', 'deferred', { dsn: '4.7.28', reply: '450 4.7.28 unusual rate', reply_code: 450 }),
    attempt(900, 'Q1', 'bob@gmail.com', 'sent', { dsn: '2.0.0', reply: '250 ok', reply_code: 250, delays: { before_qmgr: 0, in_qmgr: 890, conn_setup: 1.5, transmission: 0.5 } }),
    removed(900, 'Q1'),
  ]);
  const spans = recordToSpans(rec, cfg);
  assert.equal(spans.length, 3);
  const [root, a1, a2] = spans;
  assert.equal(root.traceId, traceIdOf('mx1', 'Q1', at(0)));
  assert.match(root.traceId, /^[0-9a-f]{32}$/);
  assert.match(root.spanId, /^[0-9a-f]{16}$/);
  assert.equal(root.startTime, at(0));
  assert.equal(root.endTime, at(900));
  assert.equal(root.attributes['mail.message_id'], 'abc@example.net');
  assert.deepEqual(root.status, { code: 'ok' });
  assert.deepEqual(root.events?.map((e) => e.name), ['enqueue', 'removed']);
  for (const s of [a1, a2]) {
    assert.equal(s.traceId, root.traceId);
    assert.equal(s.parentSpanId, root.spanId);
  }
  assert.equal(a1.attributes['smtp.status'], 'deferred');
  assert.equal(a1.attributes['smtp.dsn'], '4.7.28');
  assert.equal(a1.attributes['mail.recipient.domain'], 'gmail.com');
  assert.match(String(a1.attributes['mail.recipient']), /^[0-9a-f]{12}@gmail\.com$/, 'local part hashed by default');
  assert.equal(a2.endTime, at(900));
  assert.equal(a2.startTime, at(900) - 2000, 'starts conn_setup + transmission before the log line');
  assert.deepEqual(a2.status, { code: 'ok' });
  assert.equal(a2.attributes['mail.attempt'], 2);
});

test('the same message gets the same ids every time (replay, restart)', () => {
  const events = [client(0, 'Q2'), enqueue(0, 'Q2'), attempt(1, 'Q2', 'x@ok.test', 'sent'), removed(1, 'Q2')];
  const one = recordToSpans(correlate(events)[0], cfg);
  const two = recordToSpans(correlate(events)[0], cfg);
  assert.deepEqual(one.map((s) => [s.traceId, s.spanId]), two.map((s) => [s.traceId, s.spanId]));
});

test('a queued-as hop links to the root span of the hop before it', () => {
  const recs = correlate([
    client(0, 'A'),
    enqueue(0, 'A'),
    client(2, 'X', '127.0.0.1'),
    enqueue(2, 'X'),
    attempt(2, 'A', 'dave@gmail.com', 'sent', { relay: '127.0.0.1[127.0.0.1]:10024', relay_ip: '127.0.0.1', reply: '250 2.0.0 Ok: queued as X', queued_as: 'X' }),
    removed(2, 'A'),
    attempt(4, 'X', 'dave@gmail.com', 'sent'),
    removed(4, 'X'),
  ]);
  const a = recs.find((r) => r.queue_id === 'A')!;
  const x = recs.find((r) => r.queue_id === 'X')!;
  const rootA = recordToSpans(a, cfg)[0];
  const rootX = recordToSpans(x, cfg)[0];
  assert.notEqual(rootA.traceId, rootX.traceId);
  assert.deepEqual(rootX.links?.map((l) => [l.traceId, l.spanId]), [[rootA.traceId, rootA.spanId]]);
});
