import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MailEvent } from '../../model/mail_event.js';
import type { MessageRecord } from '../../model/message_record.js';
import { Correlator, type CorrelatorOptions } from './correlator.js';
import { at, attempt, client, enqueue, ev, expired, messageId, noqueueReject, removed } from './testing.js';

/**
 * Feed events one by one, sweeping after each (a batch of one). No reorder window unless asked,
 * so that a finished message is emitted at its last line.
 */
function run(events: MailEvent[], opts: Partial<CorrelatorOptions> = {}): { c: Correlator; recs: MessageRecord[] } {
  const c = new Correlator({ reorderWindowMs: 0, ...opts });
  const recs: MessageRecord[] = [];
  for (const e of events) {
    c.add(e);
    c.sweep();
    recs.push(...c.take());
  }
  return { c, recs };
}

const lifecycle = (qid: string, t: number, rcpt = 'bob@gmail.com'): MailEvent[] => [
  client(t, qid),
  messageId(t, qid, `<${qid}@billing.example>`),
  enqueue(t + 1, qid),
  attempt(t + 3, qid, rcpt, 'sent'),
  removed(t + 3, qid),
];

test('a plain lifecycle gives one final record with latency from the first event', () => {
  const { c, recs } = run(lifecycle('A1', 0));
  assert.equal(recs.length, 1);
  const r = recs[0];
  assert.equal(r.kind, 'message_record');
  assert.equal(r.state, 'final');
  assert.equal(r.queue_id, 'A1');
  assert.equal(r.origin, 'smtpd');
  assert.deepEqual(r.client, { host: 'mail.example.net', ip: '203.0.113.7' });
  assert.equal(r.message_id, '<A1@billing.example>');
  assert.equal(r.sender_domain, 'billing.example');
  assert.equal(r.nrcpt, 1);
  assert.equal(r.enqueue_time, at(1));
  assert.equal(r.removed_time, at(3));
  assert.equal(r.end_time, at(3));
  assert.equal(r.recipients.length, 1);
  assert.equal(r.recipients[0].final_status, 'sent');
  assert.equal(r.recipients[0].latency_seconds, 3);
  assert.equal(r.recipients[0].attempts?.length, 1);
  assert.equal(r.events, 5);
  assert.equal(c.openCount, 0);
  assert.equal(c.stats.opened, 1);
});

test('queue-id reuse: a client= after removed starts a new message', () => {
  const { recs, c } = run([...lifecycle('R1', 0, 'a@x.example'), ...lifecycle('R1', 100, 'b@y.example')]);
  assert.equal(recs.length, 2);
  assert.deepEqual(
    recs.map((r) => [r.queue_id, r.state, r.recipients[0].address, r.start_time]),
    [
      ['R1', 'final', 'a@x.example', at(0)],
      ['R1', 'final', 'b@y.example', at(100)],
    ],
  );
  assert.equal(c.stats.opened, 2);
});

test('reuse while the old lifecycle lingers (loopback client) still splits at the new client=', () => {
  const loop = (qid: string, t: number, rcpt: string): MailEvent[] => [
    client(t, qid, '127.0.0.1'),
    enqueue(t, qid),
    attempt(t + 1, qid, rcpt, 'sent'),
    removed(t + 1, qid),
  ];
  const { recs, c } = run([...loop('L1', 0, 'a@x.example'), ...loop('L1', 5, 'b@x.example')]);
  // The first one was waiting (hop_window) for a possible predecessor; the new client= ends it.
  assert.equal(recs.length, 1);
  assert.equal(recs[0].recipients[0].address, 'a@x.example');
  assert.equal(recs[0].state, 'final');
  assert.equal(c.openCount, 1);
  c.add(ev(200, 'info', { queue_id: 'ZZ' })); // advances mx1's clock past the window
  c.sweep();
  const later = c.take();
  assert.equal(later.length, 1);
  assert.equal(later[0].recipients[0].address, 'b@x.example');
});

test('lines out of order: a delivery before client= creates the message on first sight', () => {
  const { recs, c } = run([
    attempt(5, 'O1', 'carol@Example.ORG', 'sent'),
    enqueue(2, 'O1'),
    client(1, 'O1'),
    removed(5, 'O1'),
  ]);
  assert.equal(recs.length, 1);
  const r = recs[0];
  assert.equal(r.start_time, at(1));
  assert.equal(r.client?.ip, '203.0.113.7');
  assert.equal(r.recipients[0].address, 'carol@example.org');
  assert.equal(r.recipients[0].latency_seconds, 4);
  assert.equal(c.stats.out_of_order, 2);
});

test('lines of the same second arriving after removed still join the message (reorder window)', () => {
  const c = new Correlator(); // default reorder window: 2 s
  for (const e of [client(0, 'RW'), attempt(1, 'RW', 'a@x.example', 'sent'), removed(1, 'RW'), enqueue(1, 'RW'), messageId(1, 'RW', '<rw@x>')]) c.add(e);
  c.sweep();
  assert.equal(c.take().length, 0, 'waits for its host to log 2 s past the end');
  c.add(ev(3, 'info', { queue_id: 'q' }));
  c.sweep();
  const recs = c.take();
  assert.equal(recs.length, 1);
  assert.equal(recs[0].message_id, '<rw@x>');
  assert.equal(recs[0].nrcpt, 1);
  assert.equal(c.stats.opened, 1);
});

test('removed before the last delivery line: the record waits for it', () => {
  const { recs } = run([client(0, 'W1'), enqueue(0, 'W1', 2), attempt(1, 'W1', 'a@x.example', 'sent'), removed(2, 'W1'), attempt(1, 'W1', 'b@x.example', 'sent')]);
  assert.equal(recs.length, 1);
  assert.deepEqual(recs[0].recipients.map((r) => r.final_status), ['sent', 'sent']);
});

test('NOQUEUE reject is a final record of its own with a rejected recipient', () => {
  const { recs, c } = run([noqueueReject(0, 'z@Blocked.test')]);
  assert.equal(recs.length, 1);
  const r = recs[0];
  assert.equal(r.queue_id, 'NOQUEUE');
  assert.equal(r.state, 'final');
  assert.equal(r.rejected, true);
  assert.equal(r.sender, 'x@spam.example');
  assert.equal(r.recipients[0].final_status, 'rejected');
  assert.equal(r.recipients[0].attempts?.[0].reply_code, 554);
  assert.equal(c.stats.noqueue, 1);
  assert.equal(c.openCount, 0);
});

test('a RCPT reject with a queue id refuses one recipient; the message goes on', () => {
  const rej = { ...noqueueReject(0, 'z@blocked.test'), queue_id: 'P1' };
  const { recs } = run([client(0, 'P1'), rej, enqueue(1, 'P1'), attempt(2, 'P1', 'ok@x.example', 'sent'), removed(2, 'P1')]);
  assert.equal(recs.length, 1);
  assert.deepEqual(
    recs[0].recipients.map((r) => [r.address, r.final_status]),
    [
      ['z@blocked.test', 'rejected'],
      ['ok@x.example', 'sent'],
    ],
  );
});

test('a cleanup (milter) reject ends the whole message', () => {
  const rej = ev(1, 'reject', { program: 'postfix/cleanup', queue_id: 'M1', smtp_command: 'END-OF-MESSAGE', reply_code: 550, reason: 'content rejected' });
  const { recs } = run([client(0, 'M1'), rej]);
  assert.equal(recs.length, 1);
  assert.equal(recs[0].state, 'final');
  assert.equal(recs[0].rejected, true);
});

// Content filter: A (from the internet) -> smtp to 127.0.0.1:10024 -> re-injected on
// 127.0.0.1:10025 as X -> delivered. One chain, one message, one recipient.
const viaFilter = (sentSec: number) =>
  attempt(sentSec, 'A', 'Dave@gmail.com', 'sent', {
    relay: '127.0.0.1[127.0.0.1]:10024',
    relay_ip: '127.0.0.1',
    reply: '250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as X',
    queued_as: 'X',
  });
const chainOrders: Record<string, MailEvent[]> = {
  'X known before the queued-as line (usual)': [
    client(0, 'A'),
    enqueue(0, 'A'),
    client(2, 'X', '127.0.0.1'),
    enqueue(2, 'X'),
    viaFilter(2),
    removed(2, 'A'),
    attempt(4, 'X', 'dave@gmail.com', 'sent'),
    removed(4, 'X'),
  ],
  'queued-as line before X appears': [
    client(0, 'A'),
    enqueue(0, 'A'),
    viaFilter(2),
    removed(2, 'A'),
    client(2, 'X', '127.0.0.1'),
    enqueue(2, 'X'),
    attempt(4, 'X', 'dave@gmail.com', 'sent'),
    removed(4, 'X'),
  ],
  'X delivered and removed before the queued-as line (race)': [
    client(0, 'A'),
    enqueue(0, 'A'),
    client(2, 'X', '127.0.0.1'),
    enqueue(2, 'X'),
    attempt(4, 'X', 'dave@gmail.com', 'sent'),
    removed(4, 'X'),
    viaFilter(5),
    removed(5, 'A'),
  ],
};
for (const [name, events] of Object.entries(chainOrders)) {
  test(`queued-as chain through a content filter: ${name}`, () => {
    const { recs, c } = run(events);
    assert.equal(recs.length, 2, 'both hops emitted');
    const a = recs.find((r) => r.queue_id === 'A') as MessageRecord;
    const x = recs.find((r) => r.queue_id === 'X') as MessageRecord;
    assert.equal(a.recipients[0].final_status, 'handoff');
    assert.deepEqual(a.links?.queued_as, ['X']);
    assert.equal(x.links?.from_queue_id, 'A');
    assert.equal(x.links?.from_host, undefined);
    assert.equal(x.links?.chain_start_time, at(0));
    assert.equal(x.recipients[0].final_status, 'sent');
    assert.equal(x.recipients[0].latency_seconds, 4, 'latency from the chain start');
    assert.equal(c.stats.hops_linked, 1);
    assert.equal(c.openCount, 0);
  });
}

test('queued as an id that never appears: after hop_window the delivery is final', () => {
  const { c, recs } = run([
    client(0, 'E1'),
    enqueue(0, 'E1'),
    attempt(1, 'E1', 'e@outside.example', 'sent', { reply: '250 2.0.0 Ok: queued as 4XyZ', queued_as: '4XyZ' }),
    removed(1, 'E1'),
  ]);
  assert.equal(recs.length, 0, 'waits for the hop');
  c.add(ev(62, 'info', { queue_id: 'other' }));
  c.sweep();
  const out = c.take();
  assert.equal(out.length, 1);
  assert.equal(out[0].recipients[0].final_status, 'sent');
  assert.equal(out[0].links, undefined);
});

const fleetHop = (relayedMessageId: string): MailEvent[] => [
  client(0, 'H1', '203.0.113.7', 'edge1'),
  enqueue(0, 'H1', 1, 'app@billing.example', 'edge1'),
  messageId(0, 'H1', '<m1@billing.example>', 'edge1'),
  client(1, 'K9', '10.0.0.5', 'relay2'),
  messageId(1, 'K9', relayedMessageId, 'relay2'),
  { ...attempt(1, 'H1', 'f@gmail.com', 'sent', { queued_as: 'K9', relay: 'relay2[10.0.0.5]:25' }), host: 'edge1' },
  removed(1, 'H1', 'edge1'),
  { ...attempt(3, 'K9', 'f@gmail.com', 'sent'), host: 'relay2' },
  removed(3, 'K9', 'relay2'),
];

test('queued-as hop to another host of the fleet', () => {
  const { recs } = run(fleetHop('<m1@billing.example>'));
  assert.equal(recs.length, 2);
  const k = recs.find((r) => r.queue_id === 'K9') as MessageRecord;
  assert.equal(k.links?.from_queue_id, 'H1');
  assert.equal(k.links?.from_host, 'edge1');
  assert.deepEqual(k.links?.same_message_id, ['edge1/H1']);
  assert.equal(k.recipients[0].latency_seconds, 3);
});

test('queued-as hop when two other hosts have that queue id open: the one whose Message-ID matches, else the later one', () => {
  const hand = (midOf3: string | undefined): MessageRecord[] => [
    ...run([
      client(0, 'K9', '10.0.0.5', 'relay2'),
      messageId(0, 'K9', '<m1@billing.example>', 'relay2'),
      client(1, 'K9', '10.0.0.6', 'relay3'),
      ...(midOf3 === undefined ? [] : [messageId(1, 'K9', midOf3, 'relay3')]),
      client(1, 'H1', '203.0.113.7', 'edge1'),
      messageId(1, 'H1', '<m1@billing.example>', 'edge1'),
      { ...attempt(2, 'H1', 'f@gmail.com', 'sent', { queued_as: 'K9' }), host: 'edge1' },
      removed(2, 'H1', 'edge1'),
    ]).c.openRecords(),
  ];
  const from = (recs: MessageRecord[]) => recs.filter((r) => r.links?.from_queue_id === 'H1').map((r) => r.host);
  // relay3's K9 started later but is another message: relay2's is the hop.
  assert.deepEqual(from(hand('<other@billing.example>')), ['relay2']);
  // relay3's has no Message-ID (it may be the same message): the later one.
  assert.deepEqual(from(hand(undefined)), ['relay3']);
});

test('sameMessageLinks off: the same hop and latency without same_message_id links; differing Message-IDs still refuse the link', () => {
  // Both hosts known before the first Message-ID, so the links come from the Message-ID lines.
  const events = [ev(0, 'connect', { host: 'relay2', program: 'postfix/smtpd' }), ...fleetHop('<m1@billing.example>')];
  const on = run(events).recs;
  assert.deepEqual((on.find((r) => r.queue_id === 'H1') as MessageRecord).links?.same_message_id, ['relay2/K9']);
  const off = run(events, { sameMessageLinks: false }).recs;
  assert.equal(off.length, 2);
  const k = off.find((r) => r.queue_id === 'K9') as MessageRecord;
  assert.equal(k.links?.from_queue_id, 'H1');
  assert.equal(k.links?.same_message_id, undefined);
  for (const r of off) assert.equal(r.links?.same_message_id, undefined, r.queue_id);
  // Everything else is as with the links on.
  const strip = (rs: MessageRecord[]) =>
    rs.map((r) => (r.links === undefined ? r : { ...r, links: { ...r.links, same_message_id: undefined } }));
  assert.deepEqual(strip(off), strip(on));
  const other = run(fleetHop('<other@billing.example>'), { sameMessageLinks: false }).recs;
  assert.equal((other.find((r) => r.queue_id === 'K9') as MessageRecord).links?.from_queue_id, undefined);
});

test('multi-recipient message with mixed outcomes, then expiry', () => {
  const { recs } = run([
    client(0, 'M3'),
    enqueue(0, 'M3', 3),
    attempt(1, 'M3', 'a@ok.example', 'sent'),
    attempt(1, 'M3', 'b@defer.example', 'deferred'),
    attempt(1, 'M3', 'c@hard.example', 'bounced'),
    ev(2, 'bounce_notice', { program: 'postfix/bounce', queue_id: 'M3', notice_queue_id: 'N1', notice_type: 'non-delivery' }),
    enqueue(600, 'M3', 3),
    attempt(600, 'M3', 'b@defer.example', 'deferred'),
    expired(7200, 'M3'),
    removed(7200, 'M3'),
  ]);
  assert.equal(recs.length, 1);
  const r = recs[0];
  assert.equal(r.state, 'final');
  assert.equal(r.notice_queue_id, 'N1');
  assert.equal(r.expired_time, at(7200));
  assert.deepEqual(
    r.recipients.map((x) => [x.address, x.final_status, x.bounce_class, x.deferrals ?? 0]),
    [
      ['a@ok.example', 'sent', undefined, 0],
      ['b@defer.example', 'expired', 'policy.reputation', 2],
      ['c@hard.example', 'bounced', 'hard.invalid_recipient', 0],
    ],
  );
});

test('postsuper hold exempts a message from idle timeouts; release and delete', () => {
  const hold = ev(10, 'queue_action', { program: 'postfix/postsuper', queue_id: 'S1', action: 'hold' });
  const release = ev(4000, 'queue_action', { program: 'postfix/postsuper', queue_id: 'S1', action: 'release' });
  const del = ev(5000, 'queue_action', { program: 'postfix/postsuper', queue_id: 'S1', action: 'delete' });
  const c = new Correlator({ reorderWindowMs: 0 });
  for (const e of [client(0, 'S1'), enqueue(0, 'S1', 1), hold]) c.add(e);
  c.add(ev(3600, 'info', { queue_id: 'zz' })); // an hour later on the same host
  c.sweep();
  assert.equal(c.take().length, 0);
  assert.equal([...c.openRecords()][0].held, true);
  c.add(release);
  assert.equal([...c.openRecords()][0].held, false);
  c.add(attempt(4001, 'S1', 'x@defer.example', 'deferred'));
  c.add(del);
  c.sweep();
  const recs = c.take();
  assert.equal(recs.length, 1);
  assert.equal(recs[0].deleted, true);
  assert.equal(recs[0].state, 'final');
  assert.equal(recs[0].recipients[0].final_status, 'deleted');
});

test('a postsuper `removed` is a deletion', () => {
  const { recs } = run([client(0, 'S2'), enqueue(0, 'S2'), ev(9, 'removed', { program: 'postfix/postsuper', queue_id: 'S2' })]);
  assert.equal(recs.length, 1);
  assert.equal(recs[0].deleted, true);
  assert.equal(recs[0].removed_time, at(9));
});

test('Exim: <= opens, => ** == attempt, Completed closes', () => {
  const x = (sec: number, event: MailEvent['event'], f: Partial<MailEvent> = {}): MailEvent =>
    ev(sec, event, { host: 'exim1', mta: 'exim', program: 'exim', queue_id: '1tAbCd-000123-Ab', ...f });
  const { recs } = run([
    x(0, 'arrival', { sender: 'me@example.com', sender_domain: 'example.com', size: 2000, message_id: 'abc@example.com', client_host: 'h.example', client_ip: '192.0.2.1' }),
    x(1, 'delivery_attempt', { recipient: 'a@gmail.com', recipient_domain: 'gmail.com', status: 'sent', relay: 'gmail-smtp-in.l.google.com' }),
    x(1, 'delivery_attempt', { recipient: 'b@nowhere.example', recipient_domain: 'nowhere.example', status: 'bounced', bounce_class: 'hard.domain' }),
    x(1, 'delivery_attempt', { recipient: 'c@slow.example', recipient_domain: 'slow.example', status: 'deferred' }),
    x(900, 'delivery_attempt', { recipient: 'c@slow.example', recipient_domain: 'slow.example', status: 'sent' }),
    x(900, 'completed'),
  ]);
  assert.equal(recs.length, 1);
  const r = recs[0];
  assert.equal(r.mta, 'exim');
  assert.equal(r.origin, 'exim');
  assert.equal(r.enqueue_time, at(0));
  assert.equal(r.message_id, 'abc@example.com');
  assert.deepEqual(r.recipients.map((p) => p.final_status), ['sent', 'bounced', 'sent']);
  assert.equal(r.recipients[2].latency_seconds, 900);
  assert.equal(r.end_time, at(900));
});

test('idle timeout by event time: all recipients final but no removed', () => {
  const c = new Correlator();
  for (const e of [client(0, 'I1'), enqueue(0, 'I1'), attempt(1, 'I1', 'a@x.example', 'sent')]) c.add(e);
  c.sweep();
  assert.equal(c.take().length, 0);
  c.add(ev(1 + 599, 'info', { queue_id: 'q' }));
  c.sweep();
  assert.equal(c.take().length, 0, 'not yet: 10 minutes after the last event');
  c.add(ev(1 + 600, 'info', { queue_id: 'q' }));
  c.sweep();
  const recs = c.take();
  assert.equal(recs.length, 1);
  assert.equal(recs[0].state, 'incomplete');
  assert.equal(recs[0].incomplete_reason, 'idle_timeout');
  assert.equal(recs[0].recipients[0].final_status, 'sent');
});

test('a deferred message is not idle-timed out; max_age cuts it', () => {
  const c = new Correlator({ maxAgeMs: 2 * 86_400_000 });
  for (const e of [client(0, 'D1'), enqueue(0, 'D1'), attempt(1, 'D1', 'a@defer.example', 'deferred')]) c.add(e);
  c.add(ev(86_400, 'info', { queue_id: 'q' }));
  c.sweep();
  assert.equal(c.take().length, 0);
  c.add(ev(2 * 86_400, 'info', { queue_id: 'q' }));
  c.sweep();
  const recs = c.take();
  assert.equal(recs.length, 1);
  assert.equal(recs[0].incomplete_reason, 'max_age');
});

test('a session that never reached the queue manager times out idle', () => {
  const c = new Correlator();
  c.add(client(0, 'C0'));
  c.add(ev(601, 'info', { queue_id: 'q' }));
  c.sweep();
  const recs = c.take();
  assert.equal(recs.length, 1);
  assert.equal(recs[0].incomplete_reason, 'idle_timeout');
});

test('event-time results do not depend on batching (replay = live)', () => {
  const events: MailEvent[] = [
    client(0, 'B1'),
    enqueue(0, 'B1'),
    attempt(1, 'B1', 'a@x.example', 'sent'),
    // no removed: times out at 601
    client(300, 'B2'),
    enqueue(300, 'B2'),
    attempt(300, 'B2', 'b@x.example', 'deferred'),
    attempt(700, 'B1', 'a@x.example', 'sent'), // after B1's deadline: a new fragment
    attempt(2000, 'B2', 'b@x.example', 'sent'),
    removed(2000, 'B2'),
  ];
  const one = run(events).recs.map((r) => JSON.stringify(r));
  const c = new Correlator({ reorderWindowMs: 0 });
  for (const e of events) c.add(e); // a single batch, swept once at the end
  c.sweep();
  const all = c.take().map((r) => JSON.stringify(r));
  assert.deepEqual([...all].sort(), [...one].sort());
  // B1 cut by idle_timeout, the late B1 line as a fragment of its own, B2 final.
  assert.equal(one.length, 3);
});

test('max_messages evicts the least recently used message as incomplete', () => {
  const c = new Correlator({ maxMessages: 2 });
  c.add(client(0, 'E1'));
  c.add(client(100, 'E2'));
  c.add(attempt(200, 'E1', 'a@defer.example', 'deferred')); // E1 used again: E2 is now the LRU
  c.add(client(300, 'E3'));
  c.sweep();
  const recs = c.take();
  assert.equal(recs.length, 1);
  assert.equal(recs[0].queue_id, 'E2');
  assert.equal(recs[0].incomplete_reason, 'evicted');
  assert.equal(c.openCount, 2);
  assert.equal(c.stats.incomplete.evicted, 1);
});

test('max_bytes evicts too', () => {
  const c = new Correlator({ maxBytes: 1500 });
  for (let i = 0; i < 10; i++) c.add(client(i * 100, `Q${i}`));
  c.sweep();
  assert.ok(c.openCount < 10 && c.openCount >= 1);
  assert.ok(c.approxBytes <= 1500);
  assert.equal(c.take().length, 10 - c.openCount);
});

test('replayed attempts are not counted twice', () => {
  const c = new Correlator();
  const d = attempt(1, 'Z1', 'a@defer.example', 'deferred');
  for (const e of [client(0, 'Z1'), enqueue(0, 'Z1'), d, d]) c.add(e);
  const rec = [...c.openRecords()][0];
  assert.equal(rec.recipients[0].attempts?.length, 1);
  assert.equal(rec.recipients[0].deferrals, 1);
  assert.equal(c.stats.duplicates, 1);
});

test('attempts are bounded per recipient; deferrals are all counted', () => {
  const c = new Correlator({ maxAttempts: 3 });
  c.add(client(0, 'Y1'));
  for (let i = 1; i <= 8; i++) c.add(attempt(i * 60, 'Y1', 'a@defer.example', 'deferred'));
  const r = [...c.openRecords()][0].recipients[0];
  assert.equal(r.attempts?.length, 3);
  assert.equal(r.attempts_dropped, 5);
  assert.equal(r.deferrals, 8);
  assert.equal(r.attempts?.[2].time, at(480));
});

test('snapshot and restore across a restart give one record', () => {
  const before = new Correlator();
  for (const e of [client(0, 'SN1'), messageId(0, 'SN1', '<sn1@x>'), enqueue(0, 'SN1'), attempt(1, 'SN1', 'a@defer.example', 'deferred')]) before.add(e);
  before.sweep();
  assert.equal(before.take().length, 0);
  const lines = before.snapshotLines();
  assert.equal(lines.length, 2);

  const after = new Correlator({ reorderWindowMs: 0 });
  assert.equal(after.restore(lines), 1);
  after.add(attempt(3600, 'SN1', 'a@defer.example', 'sent'));
  after.add(removed(3600, 'SN1'));
  after.sweep();
  const recs = after.take();
  assert.equal(recs.length, 1);
  const r = recs[0];
  assert.equal(r.state, 'final');
  assert.equal(r.message_id, '<sn1@x>');
  assert.equal(r.recipients[0].attempts?.length, 2);
  assert.equal(r.recipients[0].latency_seconds, 3600);
  assert.equal(after.openCount, 0);
});

test('restore keeps timers: an idle candidate times out after the restart', () => {
  const before = new Correlator();
  for (const e of [client(0, 'T1'), enqueue(0, 'T1'), attempt(1, 'T1', 'a@x.example', 'sent')]) before.add(e);
  const after = new Correlator();
  after.restore(before.snapshotLines());
  after.add(ev(700, 'info', { queue_id: 'q' }));
  after.sweep();
  const recs = after.take();
  assert.equal(recs.length, 1);
  assert.equal(recs[0].incomplete_reason, 'idle_timeout');
});

test('outbound TLS protocol of the delivering process is attached to the attempt', () => {
  const c = new Correlator();
  c.add(client(0, 'TL1'));
  c.add(ev(1, 'tls', { program: 'postfix/smtp', pid: 4242, tls: { direction: 'outbound', protocol: 'TLSv1.3' } }));
  c.add(attempt(1, 'TL1', 'a@x.example', 'deferred', { pid: 4242 }));
  assert.equal([...c.openRecords()][0].recipients[0].attempts?.[0].tls, 'TLSv1.3');
});

test('a snapshot of an empty state restores to an empty state', () => {
  const after = new Correlator({ reorderWindowMs: 0 });
  assert.equal(after.restore(new Correlator().snapshotLines()), 0);
  for (const e of lifecycle('ES1', 0)) after.add(e);
  after.sweep();
  assert.equal(after.take().length, 1);
});

test('a hop cut off by the end of input still carries the handed-off recipients', () => {
  const c = new Correlator();
  for (const e of [
    client(0, 'A'),
    enqueue(0, 'A', 2),
    client(1, 'X', '127.0.0.1'),
    attempt(1, 'A', 'p@gmail.com', 'sent', { queued_as: 'X' }),
    attempt(1, 'A', 'q@gmail.com', 'sent', { queued_as: 'X' }),
    removed(1, 'A'),
  ]) c.add(e);
  c.finish();
  const x = [...c.openRecords()].find((r) => r.queue_id === 'X') as MessageRecord;
  assert.deepEqual(x.recipients.map((r) => [r.address, r.final_status]), [
    ['p@gmail.com', undefined],
    ['q@gmail.com', undefined],
  ]);
});

test('eviction follows the LRU order: a message with a later event (> 1 min) moves behind the others', () => {
  // A at 0, B at 10, C at 20; A gets another event at 100 (past the LRU granularity), so B is
  // the least recently used when D arrives and max_messages is 3.
  const { recs } = run([client(0, 'A'), client(10, 'B'), client(20, 'C'), enqueue(100, 'A'), client(110, 'D')], { maxMessages: 3 });
  assert.deepEqual(
    recs.map((r) => [r.queue_id, r.incomplete_reason]),
    [['B', 'evicted']],
  );
});

test('open records, snapshots and emitted records carry the latest event time and count', () => {
  const c = new Correlator({ reorderWindowMs: 0 });
  for (const e of [client(0, 'A'), messageId(1, 'A', '<a@x>'), enqueue(5, 'A'), attempt(3, 'A', 'bob@gmail.com', 'deferred')]) c.add(e);
  const [open] = [...c.openRecords()];
  assert.equal(open.events, 4);
  assert.equal(open.last_time, at(5));
  assert.equal(open.start_time, at(0));
  const snap = JSON.parse(c.snapshotLines()[1]) as { r: MessageRecord };
  assert.equal(snap.r.events, 4);
  assert.equal(snap.r.last_time, at(5));
  c.add(attempt(9, 'A', 'bob@gmail.com', 'sent'));
  c.add(removed(9, 'A'));
  c.sweep();
  const [rec] = c.take();
  assert.equal(rec.events, 6);
  assert.equal(rec.last_time, at(9));
  assert.equal(rec.end_time, at(9));
});

test('records serialise with the same keys in the same order (absent fields are left out)', () => {
  const { recs } = run([client(0, 'A'), enqueue(1, 'A'), attempt(2, 'A', 'Bob@Gmail.com', 'deferred'), attempt(9, 'A', 'bob@gmail.com', 'sent'), removed(9, 'A')]);
  const r = JSON.parse(JSON.stringify(recs[0].recipients[0])) as Record<string, unknown>;
  assert.deepEqual(Object.keys(r), ['address', 'domain', 'attempts', 'deferrals', 'bounce_class', 'final_status', 'final_time', 'latency_seconds']);
  const attempts = r.attempts as Record<string, unknown>[];
  assert.deepEqual(Object.keys(attempts[0]), ['time', 'status', 'relay', 'relay_ip', 'dsn', 'reply', 'reply_code', 'bounce_class']);
  assert.deepEqual(Object.keys(attempts[1]), ['time', 'status', 'relay', 'relay_ip', 'dsn', 'reply', 'reply_code']);
});

test('every recipient has the same fields whatever happened to it (one object shape for the hot loops)', () => {
  const { recs } = run([
    client(0, 'A'),
    enqueue(1, 'A', 3),
    attempt(2, 'A', 'a@gmail.com', 'deferred'),
    attempt(3, 'A', 'b@gmail.com', 'bounced'),
    attempt(4, 'A', 'a@gmail.com', 'sent'),
    attempt(5, 'A', 'c@gmail.com', 'sent'),
    removed(6, 'A'),
  ]);
  const [a, b, c] = recs[0].recipients;
  assert.deepEqual([a.final_status, b.final_status, c.final_status], ['sent', 'bounced', 'sent']);
  assert.deepEqual(Object.keys(b), Object.keys(a));
  assert.deepEqual(Object.keys(c), Object.keys(a));
});
