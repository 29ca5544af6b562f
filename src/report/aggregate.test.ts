import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MailEvent } from '../model/mail_event.js';
import { Correlator } from '../processors/correlate/correlator.js';
import { attempt, client, enqueue, ev, expired, noqueueReject, removed } from '../processors/correlate/testing.js';
import { nearestRank, ReportAggregator, type Report } from './aggregate.js';
import { renderText } from './render.js';

/** What the report command does, minus the files. */
function report(events: MailEvent[]): Report {
  const c = new Correlator();
  const agg = new ReportAggregator();
  for (const e of events) {
    agg.addEvent(e);
    c.add(e);
  }
  c.sweep();
  c.finish();
  for (const r of c.take()) agg.addRecord(r);
  for (const r of c.openRecords()) agg.addRecord(r, true);
  return agg.result();
}

test('nearest-rank percentiles', () => {
  const v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assert.equal(nearestRank(v, 50), 5);
  assert.equal(nearestRank(v, 95), 10);
  assert.equal(nearestRank([0.12345], 99), 0.123);
  assert.equal(nearestRank([], 50), null);
});

test('counts per docs/report-semantics.md on a hand-made log', () => {
  const r = report([
    // S: two recipients sent (latency 2 s and 4 s)
    client(0, 'S'),
    enqueue(0, 'S', 2),
    attempt(2, 'S', 'a@Gmail.com', 'sent', { provider: 'gmail' }),
    attempt(4, 'S', 'b@ok.example', 'sent'),
    removed(4, 'S'),
    // M: sent + bounced + deferred twice then expired; nrcpt 4 with one recipient never named
    client(10, 'M'),
    enqueue(10, 'M', 4),
    attempt(11, 'M', 'c@ok.example', 'sent'),
    attempt(11, 'M', 'd@hard.example', 'bounced'),
    attempt(11, 'M', 'e@defer.example', 'deferred'),
    attempt(300, 'M', 'e@defer.example', 'deferred'),
    expired(600, 'M'),
    removed(600, 'M'),
    // Q: still queued at the end (deferred), started at 500
    client(500, 'Q'),
    enqueue(500, 'Q'),
    attempt(501, 'Q', 'f@defer.example', 'deferred'),
    // a NOQUEUE reject, an unparsed line
    noqueueReject(700, 'z@blocked.example'),
    ev(800, 'unparsed', { program: 'postfix/weird', raw: 'x' }),
  ]);
  assert.equal(r.messages, 3);
  assert.equal(r.recipients, 2 + 4 + 1);
  assert.deepEqual(r.totals, { sent: 3, deferred_attempts: 3, bounced: 1, expired: 2, rejected: 1 });
  assert.deepEqual(r.by_domain, {
    'defer.example': { sent: 0, deferred_attempts: 3, bounced: 0, expired: 1 },
    'gmail.com': { sent: 1, deferred_attempts: 0, bounced: 0, expired: 0 },
    'hard.example': { sent: 0, deferred_attempts: 0, bounced: 1, expired: 0 },
    'ok.example': { sent: 2, deferred_attempts: 0, bounced: 0, expired: 0 },
  });
  assert.deepEqual(r.latency_seconds, { p50: 2, p95: 4, p99: 4 });
  // e@: last failed attempt policy.reputation; the unnamed recipient: other.
  assert.deepEqual(r.bounce_classes, { 'hard.invalid_recipient': 1, other: 1, 'policy.reputation': 1 });
  assert.equal(r.unparsed_lines, 1);
  assert.deepEqual(r.unparsed_by_program, { 'postfix/weird': 1 });
  assert.deepEqual(r.still_queued, { count: 1, age_seconds: { p50: 300, max: 300 } });
  assert.equal(r.latency_by_provider.gmail.count, 1);
  assert.equal(r.rejects_by_reason[0].count, 1);
  assert.equal(r.top_deferral_reasons[0].count, 3);
  const text = renderText(r);
  assert.match(text, /messages\s+3/);
  assert.match(text, /defer\.example/);
});

test('a content-filter chain counts once, with latency from its first hop', () => {
  const r = report([
    client(0, 'A'),
    enqueue(0, 'A'),
    client(1, 'X', '127.0.0.1'),
    enqueue(1, 'X'),
    attempt(1, 'A', 'u@gmail.com', 'sent', { relay: '127.0.0.1[127.0.0.1]:10024', queued_as: 'X' }),
    removed(1, 'A'),
    attempt(3, 'X', 'u@gmail.com', 'sent'),
    removed(3, 'X'),
  ]);
  assert.equal(r.messages, 1);
  assert.equal(r.recipients, 1);
  assert.equal(r.totals.sent, 1);
  assert.deepEqual(r.latency_seconds, { p50: 3, p95: 3, p99: 3 });
});

test('deleted recipients count nowhere in totals; a held message is still queued', () => {
  const r = report([
    client(0, 'D'),
    enqueue(0, 'D'),
    attempt(1, 'D', 'a@defer.example', 'deferred'),
    ev(5, 'queue_action', { program: 'postfix/postsuper', queue_id: 'D', action: 'delete' }),
    client(10, 'H'),
    ev(11, 'hold', { program: 'postfix/cleanup', queue_id: 'H' }),
  ]);
  assert.equal(r.messages, 2);
  assert.deepEqual(r.totals, { sent: 0, deferred_attempts: 1, bounced: 0, expired: 0, rejected: 0 });
  assert.equal(r.still_queued.count, 1);
});

test('empty input gives zeros and nulls', () => {
  const r = new ReportAggregator().result();
  assert.equal(r.messages, 0);
  assert.deepEqual(r.latency_seconds, { p50: null, p95: null, p99: null });
  assert.deepEqual(r.by_domain, {});
  assert.ok(renderText(r).includes('messages'));
});
