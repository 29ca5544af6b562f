import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { definedFields, type MailEvent } from '../../model/mail_event.js';
import { corpusDir } from '../../../test/helpers/paths.js';
import { LineParser } from './parser.js';
import { classify } from './classify.js';
import { providerOf } from './providers.js';

// The corpus was written in November; a reference clock just after it fixes the year.
const now = (): number => Date.UTC(2026, 10, 28);
const T = (mo: number, d: number, h: number, mi: number, s: number): number => Date.UTC(2026, mo - 1, d, h, mi, s);

/**
 * Expected event with the enrichment owned by classify.ts / providers.ts computed by those
 * functions (their tables are tested beside them; here we check that parser.ts calls them).
 */
function enriched(ev: MailEvent, failure: boolean): MailEvent {
  const out: MailEvent = { ...ev };
  if (failure) {
    const bc = classify(ev.dsn, ev.reply ?? ev.reason);
    if (bc !== undefined) out.bounce_class = bc;
  }
  if (ev.recipient_domain !== undefined) {
    const p = providerOf(ev.recipient_domain);
    if (p !== undefined) out.provider = p;
  }
  return out;
}

const base = { kind: 'mail_event', host: 'mx1', mta: 'postfix' } as const;

// Spot checks: real corpus lines, every field.
const spot: Array<{ line: string; want: MailEvent; failure?: boolean }> = [
  {
    line: 'Nov 27 22:06:33 mx1 postfix/master[4588]: daemon started -- version 3.7.11, configuration /etc/postfix',
    want: { ...base, time: T(11, 27, 22, 6, 33), program: 'postfix/master', pid: 4588, event: 'daemon', action: 'start', attrs: { version: '3.7.11', config_dir: '/etc/postfix' } },
  },
  {
    line: 'Nov 27 22:06:40 mx1 postfix/smtpd[4756]: 4053316030D: client=unknown[127.0.0.1]',
    want: { ...base, time: T(11, 27, 22, 6, 40), program: 'postfix/smtpd', pid: 4756, event: 'client', queue_id: '4053316030D', client_host: 'unknown', client_ip: '127.0.0.1' },
  },
  {
    line: 'Nov 27 22:06:40 mx1 postfix/qmgr[4590]: 4053316030D: from=<app2@billing.lab.test>, size=403, nrcpt=1 (queue active)',
    want: { ...base, time: T(11, 27, 22, 6, 40), program: 'postfix/qmgr', pid: 4590, event: 'enqueue', queue_id: '4053316030D', sender: 'app2@billing.lab.test', sender_domain: 'billing.lab.test', size: 403, nrcpt: 1 },
  },
  {
    line: 'Nov 27 22:06:43 mx1 postfix/smtp[4775]: 4E133160314: to=<user5@slow.test>, relay=127.0.0.1[127.0.0.1]:2602, delay=3.4, delays=0.01/0.11/0.05/3.2, dsn=2.0.0, status=sent (250 2.0.0 Ok)',
    want: {
      ...base, time: T(11, 27, 22, 6, 43), program: 'postfix/smtp', pid: 4775, event: 'delivery_attempt', queue_id: '4E133160314',
      recipient: 'user5@slow.test', recipient_domain: 'slow.test', relay: '127.0.0.1[127.0.0.1]:2602', relay_host: '127.0.0.1', relay_ip: '127.0.0.1', relay_port: 2602,
      delay: 3.4, delays: { before_qmgr: 0.01, in_qmgr: 0.11, conn_setup: 0.05, transmission: 3.2 }, dsn: '2.0.0', status: 'sent', status_class: '2xx', reply: '250 2.0.0 Ok', reply_code: 250,
    },
  },
  {
    line: 'Nov 27 22:06:40 mx1 postfix/smtp[4769]: 4A4FF160311: to=<user1@hard.test>, relay=127.0.0.1[127.0.0.1]:2604, delay=0.13, delays=0/0.05/0/0.07, dsn=5.1.1, status=bounced (host 127.0.0.1[127.0.0.1] said: 550 5.1.1 The email account that you tried to reach does not exist (in reply to RCPT TO command))',
    failure: true,
    want: {
      ...base, time: T(11, 27, 22, 6, 40), program: 'postfix/smtp', pid: 4769, event: 'delivery_attempt', queue_id: '4A4FF160311',
      recipient: 'user1@hard.test', recipient_domain: 'hard.test', relay: '127.0.0.1[127.0.0.1]:2604', relay_host: '127.0.0.1', relay_ip: '127.0.0.1', relay_port: 2604,
      delay: 0.13, delays: { before_qmgr: 0, in_qmgr: 0.05, conn_setup: 0, transmission: 0.07 }, dsn: '5.1.1', status: 'bounced', status_class: '5xx',
      reply: '550 5.1.1 The email account that you tried to reach does not exist', reply_code: 550, smtp_command: 'RCPT',
    },
  },
  {
    line: 'Nov 27 22:09:33 mx1 postfix/smtp[4771]: 7AB7C16031F: to=<user1@defer.test>, relay=127.0.0.1[127.0.0.1]:2603, conn_use=2, delay=174, delays=174/0/0/0, dsn=4.7.28, status=deferred (host 127.0.0.1[127.0.0.1] said: 450 4.7.28 Our system has detected an unusual rate of unsolicited mail (in reply to RCPT TO command))',
    failure: true,
    want: {
      ...base, time: T(11, 27, 22, 9, 33), program: 'postfix/smtp', pid: 4771, event: 'delivery_attempt', queue_id: '7AB7C16031F',
      recipient: 'user1@defer.test', recipient_domain: 'defer.test', relay: '127.0.0.1[127.0.0.1]:2603', relay_host: '127.0.0.1', relay_ip: '127.0.0.1', relay_port: 2603,
      conn_use: 2, delay: 174, delays: { before_qmgr: 174, in_qmgr: 0, conn_setup: 0, transmission: 0 }, dsn: '4.7.28', status: 'deferred', status_class: '4xx',
      reply: '450 4.7.28 Our system has detected an unusual rate of unsolicited mail', reply_code: 450, smtp_command: 'RCPT',
    },
  },
  {
    line: 'Nov 27 22:06:40 mx1 postfix/smtp[4776]: 4FCB5160315: to=<user3@drop.test>, relay=127.0.0.1[127.0.0.1]:2605, delay=0.16, delays=0.02/0.11/0.03/0, dsn=4.0.0, status=deferred (host 127.0.0.1[127.0.0.1] said: 421 4.0.0 Server closing connection (in reply to DATA command))',
    failure: true,
    want: {
      ...base, time: T(11, 27, 22, 6, 40), program: 'postfix/smtp', pid: 4776, event: 'delivery_attempt', queue_id: '4FCB5160315',
      recipient: 'user3@drop.test', recipient_domain: 'drop.test', relay: '127.0.0.1[127.0.0.1]:2605', relay_host: '127.0.0.1', relay_ip: '127.0.0.1', relay_port: 2605,
      delay: 0.16, delays: { before_qmgr: 0.02, in_qmgr: 0.11, conn_setup: 0.03, transmission: 0 }, dsn: '4.0.0', status: 'deferred', status_class: '4xx',
      reply: '421 4.0.0 Server closing connection', reply_code: 421, smtp_command: 'DATA',
    },
  },
  {
    line: 'Nov 27 22:14:33 mx1 postfix/error[13258]: A5C48160328: to=<user2@refused.test>, relay=none, delay=473, delays=473/0.02/0/0, dsn=4.4.1, status=deferred (delivery temporarily suspended: connect to 127.0.0.1[127.0.0.1]:2699: Connection refused)',
    failure: true,
    want: {
      ...base, time: T(11, 27, 22, 14, 33), program: 'postfix/error', pid: 13258, event: 'delivery_attempt', queue_id: 'A5C48160328',
      recipient: 'user2@refused.test', recipient_domain: 'refused.test', relay: 'none', delay: 473, delays: { before_qmgr: 473, in_qmgr: 0.02, conn_setup: 0, transmission: 0 },
      dsn: '4.4.1', status: 'deferred', status_class: '4xx', reply: 'delivery temporarily suspended: connect to 127.0.0.1[127.0.0.1]:2699: Connection refused',
    },
  },
  {
    line: 'Nov 27 22:06:40 mx1 postfix/smtp[4778]: connect to 127.0.0.1[127.0.0.1]:2699: Connection refused',
    want: { ...base, time: T(11, 27, 22, 6, 40), program: 'postfix/smtp', pid: 4778, event: 'info', action: 'connect_failed', smtp_command: 'CONNECT', relay_host: '127.0.0.1', relay_ip: '127.0.0.1', relay_port: 2699, reason: 'Connection refused' },
  },
  {
    line: 'Nov 27 22:20:46 mx1 postfix/smtpd[15306]: NOQUEUE: reject: RCPT from unknown[127.0.0.1]: 554 5.7.1 <z3@blocked.test>: Recipient address rejected: Recipient domain blocked by local policy; from=<x3@billing.lab.test> to=<z3@blocked.test> proto=ESMTP helo=<vm>',
    failure: true,
    want: {
      ...base, time: T(11, 27, 22, 20, 46), program: 'postfix/smtpd', pid: 15306, event: 'reject', action: 'reject', status: 'rejected', status_class: '5xx',
      client_host: 'unknown', client_ip: '127.0.0.1', smtp_command: 'RCPT', sender: 'x3@billing.lab.test', sender_domain: 'billing.lab.test',
      recipient: 'z3@blocked.test', recipient_domain: 'blocked.test', proto: 'ESMTP', helo: 'vm', reply_code: 554, dsn: '5.7.1',
      reply: '554 5.7.1 <z3@blocked.test>: Recipient address rejected: Recipient domain blocked by local policy',
      reason: 'Recipient address rejected: Recipient domain blocked by local policy',
    },
  },
  {
    line: 'Nov 27 22:20:46 mx1 postfix/smtpd[15306]: disconnect from unknown[127.0.0.1] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4',
    want: {
      ...base, time: T(11, 27, 22, 20, 46), program: 'postfix/smtpd', pid: 15306, event: 'disconnect', client_host: 'unknown', client_ip: '127.0.0.1',
      commands: { ehlo: 1, mail: 1, rcpt: 1, rcpt_failed: 1, quit: 1, commands: 4, commands_failed: 1 },
    },
  },
  {
    line: 'Nov 27 22:21:45 mx1 postfix/qmgr[15289]: 8F9B7160311: from=<app5@billing.lab.test>, status=expired, returned to sender',
    failure: true,
    want: { ...base, time: T(11, 27, 22, 21, 45), program: 'postfix/qmgr', pid: 15289, event: 'expired', status: 'expired', queue_id: '8F9B7160311', sender: 'app5@billing.lab.test', sender_domain: 'billing.lab.test' },
  },
  {
    line: 'Nov 27 22:06:40 mx1 postfix/bounce[4772]: 4A4FF160311: sender non-delivery notification: 7A3D116031E',
    want: { ...base, time: T(11, 27, 22, 6, 40), program: 'postfix/bounce', pid: 4772, event: 'bounce_notice', queue_id: '4A4FF160311', notice_type: 'non-delivery', notice_queue_id: '7A3D116031E' },
  },
  {
    line: 'Nov 27 22:06:40 mx1 postfix/cleanup[4760]: 5670C160316: message-id=<inv-2-gmail.test@billing.lab.test>',
    want: { ...base, time: T(11, 27, 22, 6, 40), program: 'postfix/cleanup', pid: 4760, event: 'message_id', queue_id: '5670C160316', message_id: 'inv-2-gmail.test@billing.lab.test' },
  },
  {
    line: 'Nov 27 22:20:49 mx1 postfix/postsuper[15330]: Placed on hold: 34 messages',
    want: { ...base, time: T(11, 27, 22, 20, 49), program: 'postfix/postsuper', pid: 15330, event: 'queue_action', action: 'hold', attrs: { count: 34 } },
  },
  {
    line: 'Nov 27 22:16:40 mx1 postfix/scache[4779]: statistics: domain lookup hits=5 miss=46 success=9%',
    want: { ...base, time: T(11, 27, 22, 16, 40), program: 'postfix/scache', pid: 4779, event: 'stats', reason: 'domain lookup hits=5 miss=46 success=9%', attrs: { stat: 'domain lookup', hits: 5, miss: 46, success: 9 } },
  },
  {
    line: 'Nov 27 22:06:40 mx1 postfix/pickup[4589]: AC06116032B: uid=0 from=<noreply@lab.test>',
    want: { ...base, time: T(11, 27, 22, 6, 40), program: 'postfix/pickup', pid: 4589, event: 'pickup', queue_id: 'AC06116032B', sender: 'noreply@lab.test', sender_domain: 'lab.test', attrs: { uid: 0 } },
  },
];

const corpusText = readFileSync(join(corpusDir, 'postfix-lab-01.log'), 'utf8');
const corpusLines = corpusText.split('\n').filter((l) => l.length > 0);

for (const s of spot) {
  test(`corpus spot check: ${s.line.slice(16, 100)}`, () => {
    assert.ok(corpusLines.includes(s.line), 'the spot-check line is in the corpus');
    const p = new LineParser({ now });
    assert.deepEqual(definedFields(p.parse(s.line)), enriched(s.want, s.failure ?? false));
  });
}

test('corpus: every line parses to a typed event (zero unparsed)', () => {
  const p = new LineParser({ now });
  const counts: Record<string, number> = {};
  const unparsed: string[] = [];
  for (const line of corpusLines) {
    const ev = p.parse(line);
    counts[ev.event] = (counts[ev.event] ?? 0) + 1;
    if (ev.event === 'unparsed') unparsed.push(line);
    assert.equal(ev.mta, 'postfix');
    assert.equal(ev.host, 'mx1');
    assert.ok(ev.time >= T(11, 27, 22, 0, 0) && ev.time <= T(11, 27, 23, 0, 0), line);
    assert.equal(ev.raw, undefined);
  }
  assert.deepEqual(unparsed, []);
  assert.deepEqual(p.unparsedByProgram(), {});
  assert.equal(corpusLines.length, 1469);
  // Shape of the scenario (README): every delivery line is an attempt, each message has its enqueue.
  assert.equal(counts.delivery_attempt, corpusLines.filter((l) => l.includes(': to=<')).length);
  assert.equal(counts.enqueue, corpusLines.filter((l) => l.includes('(queue active)')).length);
  assert.equal(counts.reject, 3);
  assert.equal(counts.expired, corpusLines.filter((l) => l.includes('status=expired')).length);
  assert.equal(counts.bounce_notice, corpusLines.filter((l) => l.includes('notification: ')).length);
});

test('corpus: every delivery attempt has status, dsn, relay, delays and status_class', () => {
  const p = new LineParser({ now });
  for (const line of corpusLines) {
    const ev = p.parse(line);
    if (ev.event !== 'delivery_attempt') continue;
    assert.ok(ev.queue_id && ev.recipient && ev.recipient_domain && ev.relay && ev.dsn && ev.status && ev.delays && ev.status_class && ev.reply, line);
    if (ev.status === 'deferred' || ev.status === 'bounced') {
      assert.equal(ev.status_class, ev.status === 'deferred' ? '4xx' : '5xx', line);
    }
  }
});

test('keepRaw keeps the line on every event; unparsed always keeps it', () => {
  const line = 'Nov 27 22:06:40 mx1 postfix/qmgr[4590]: 473E8160310: removed';
  assert.equal(new LineParser({ now }).parse(line).raw, undefined);
  assert.deepEqual(definedFields(new LineParser({ now, keepRaw: true }).parse(line)), {
    ...base, time: T(11, 27, 22, 6, 40), program: 'postfix/qmgr', pid: 4590, event: 'removed', queue_id: '473E8160310', raw: line,
  });
});

test('unparsed lines: raw kept, no half-parsed fields, counted per program', () => {
  const p = new LineParser({ now });
  const a = 'Nov 27 22:06:40 mx1 postfix/qmgr[4590]: 473E8160310: something new in Postfix 9';
  const b = 'Nov 27 22:06:40 mx1 kernel: eth0 link up';
  const c = 'not a log line';
  assert.deepEqual(definedFields(p.parse(a)), { ...base, time: T(11, 27, 22, 6, 40), program: 'postfix/qmgr', pid: 4590, event: 'unparsed', raw: a });
  assert.deepEqual(definedFields(p.parse(b)), { ...base, mta: 'unknown', time: T(11, 27, 22, 6, 40), program: 'kernel', event: 'unparsed', raw: b });
  assert.deepEqual(definedFields(p.parse(c)), { ...base, host: '', mta: 'unknown', time: now(), program: '', event: 'unparsed', raw: c });
  p.parse(a);
  assert.deepEqual(p.unparsedByProgram(), { 'postfix/qmgr': 2, kernel: 1, '': 1 });
});

test('trailing CR/LF is ignored', () => {
  const ev = new LineParser({ now }).parse('Nov 27 22:06:40 mx1 postfix/qmgr[4590]: 473E8160310: removed\r\n');
  assert.equal(ev.event, 'removed');
  assert.equal(ev.queue_id, '473E8160310');
});

test('dispatch: postfix instances, service names and custom syslog_name', () => {
  const p = new LineParser({ now });
  for (const [program, event] of [
    ['postfix-out/smtp', 'removed'],
    ['postfix/submission/smtpd', 'removed'],
    ['postfix/relay/smtp', 'removed'],
    ['mx-out/qmgr', 'removed'],
  ] as const) {
    const ev = p.parse(`Nov 27 22:06:40 mx1 ${program}[7]: 473E8160310: removed`);
    assert.deepEqual(definedFields(ev), { ...base, time: T(11, 27, 22, 6, 40), program, pid: 7, event, queue_id: '473E8160310' });
  }
});

test('dispatch: mta option forces one parser', () => {
  const p = new LineParser({ now, mta: 'postfix' });
  const ev = p.parse('Nov 27 22:06:40 mx1 mailout[7]: 473E8160310: removed');
  assert.equal(ev.mta, 'postfix');
  assert.equal(ev.event, 'removed');
});

test('dispatch: exim main log (no syslog header) and exim via syslog', () => {
  const p = new LineParser({ now });
  const a = p.parse('2026-11-12 05:41:23 1abcDE-000123-AB <= sender@example.com H=mail.example [192.0.2.1] P=esmtps S=1234 id=abc@example.com');
  assert.equal(a.mta, 'exim');
  assert.equal(a.program, 'exim');
  assert.equal(a.event, 'arrival');
  assert.equal(a.queue_id, '1abcDE-000123-AB');
  assert.equal(a.sender_domain, 'example.com');
  const b = p.parse('Nov 27 22:06:33 mx1 exim[123]: 1abcDE-000123-AB <= sender@example.com H=mail.example [192.0.2.1] P=esmtps S=1234 id=abc@example.com');
  assert.equal(b.mta, 'exim');
  assert.equal(b.pid, 123);
  assert.equal(b.event, 'arrival');
});

test('dispatch: opendkim, opendmarc, policyd-spf, dovecot go to their parsers', () => {
  const p = new LineParser({ now });
  const cases: Array<[string, string]> = [
    ['Nov 27 22:06:33 mx1 opendkim[123]: 4053316030D: DKIM-Signature field added (s=mail, d=example.com)', 'opendkim'],
    ['Nov 27 22:06:33 mx1 opendmarc[124]: 4053316030D: example.com pass', 'opendmarc'],
    ['Nov 27 22:06:33 mx1 policyd-spf[125]: prepend Received-SPF: Pass (mailfrom) identity=mailfrom; client-ip=192.0.2.1; helo=mail.example; envelope-from=a@example.com; receiver=<UNKNOWN>', 'policyd-spf'],
    ['Nov 27 22:06:33 mx1 dovecot: auth: passwd-file(bob,192.0.2.1): unknown user', 'dovecot'],
  ];
  for (const [line, mta] of cases) {
    const ev = p.parse(line);
    assert.equal(ev.mta, mta, line);
    assert.notEqual(ev.event, 'unparsed', line);
  }
});

test('enrichment: domains lowercased, status_class from dsn when there is no reply code', () => {
  const p = new LineParser({ now });
  const ev = p.parse('Nov 27 22:06:40 mx1 postfix/local[9]: 4053316030D: to=<Bob@Example.ORG>, relay=local, delay=0.1, delays=0/0/0/0.1, dsn=5.2.2, status=bounced (mailbox full)');
  assert.deepEqual(definedFields(ev), enriched({
    ...base, time: T(11, 27, 22, 6, 40), program: 'postfix/local', pid: 9, event: 'delivery_attempt', queue_id: '4053316030D',
    recipient: 'Bob@Example.ORG', recipient_domain: 'example.org', relay: 'local', delay: 0.1,
    delays: { before_qmgr: 0, in_qmgr: 0, conn_setup: 0, transmission: 0.1 }, dsn: '5.2.2', status: 'bounced', status_class: '5xx', reply: 'mailbox full',
  }, true));
  // null sender: no sender_domain
  const q = p.parse('Nov 27 22:06:40 mx1 postfix/qmgr[9]: 4053316030D: from=<>, size=10, nrcpt=1 (queue active)');
  assert.equal(q.sender, '');
  assert.equal(q.sender_domain, undefined);
});

test('journald and RFC 5424 lines reach the Postfix parser', () => {
  const p = new LineParser({ now });
  const j = p.parse('{"MESSAGE":"473E8160310: removed","SYSLOG_IDENTIFIER":"postfix/qmgr","_PID":"4590","__REALTIME_TIMESTAMP":"1795817200000000","_HOSTNAME":"mx1"}');
  assert.deepEqual(definedFields(j), { ...base, time: 1795817200000, program: 'postfix/qmgr', pid: 4590, event: 'removed', queue_id: '473E8160310' });
  const r = p.parse('<22>1 2026-11-27T22:06:40.5Z mx1 postfix/qmgr 4590 - - 473E8160310: removed');
  assert.deepEqual(definedFields(r), { ...base, time: T(11, 27, 22, 6, 40) + 500, program: 'postfix/qmgr', pid: 4590, event: 'removed', queue_id: '473E8160310' });
});

test("detail 'lifecycle': connection and TLS session lines keep only their type, deliveries lose relay, delays, the replying host and a sent one's reply, qmgr lines their sender, every other line parses as in full", () => {
  const full = new LineParser({ now });
  const lean = new LineParser({ now, detail: 'lifecycle' });
  const skimmed: Record<string, number> = {};
  // The lab corpus has no TLS: two sessions as Postfix logs them.
  const tls = [
    'Nov 27 22:06:40 mx1 postfix/smtpd[4756]: Anonymous TLS connection established from web01.example.com[10.20.1.21]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256',
    'Nov 27 22:06:41 mx1 postfix/smtp[4775]: Trusted TLS connection established to mx.example.net[192.0.2.7]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)',
  ];
  for (const line of [...corpusLines, ...tls]) {
    const a = definedFields(full.parse(line));
    const b = definedFields(lean.parse(line));
    if (a.event === 'connect' || a.event === 'disconnect' || (a.event === 'tls' && a.severity === undefined)) {
      skimmed[a.event] = (skimmed[a.event] ?? 0) + 1;
      const { kind, time, host, mta, program, pid, event } = a;
      assert.deepEqual(b, { kind, time, host, mta, program, pid, event }, line);
    } else if (a.event === 'delivery_attempt' && a.relay !== undefined) {
      skimmed.delivery = (skimmed.delivery ?? 0) + 1;
      // (Nor the remote host that a reply "host H[IP] said: ..." names, nor a sent one's reply.)
      const { relay, relay_host, relay_ip, relay_port, delay, delays, conn_use, reply, ...kept } = a;
      assert.ok(delays !== undefined, line);
      if (a.status === 'sent') {
        skimmed.sent = (skimmed.sent ?? 0) + 1;
        assert.ok(reply !== undefined, line);
        assert.deepEqual(b, kept, line);
      } else assert.deepEqual(b, { ...kept, reply }, line);
    } else if ((a.event === 'enqueue' || a.event === 'expired') && a.program === 'postfix/qmgr') {
      skimmed.qmgr = (skimmed.qmgr ?? 0) + 1;
      const { sender, sender_domain, ...kept } = a;
      assert.ok(sender !== undefined, line);
      assert.deepEqual(b, kept, line);
    } else {
      assert.deepEqual(b, a, line);
    }
  }
  assert.ok((skimmed.connect ?? 0) > 0 && (skimmed.disconnect ?? 0) > 0 && (skimmed.tls ?? 0) > 0 && (skimmed.delivery ?? 0) > 0 && (skimmed.sent ?? 0) > 0 && (skimmed.qmgr ?? 0) > 0, JSON.stringify(skimmed));
  // Lines of other daemons that only look alike are not skimmed.
  const c = 'Nov 27 22:06:40 mx1 postfix/smtp[9]: connect to mx.example.com[192.0.2.7]:25: Connection refused';
  assert.deepEqual(definedFields(lean.parse(c)), definedFields(full.parse(c)));
  // A sent delivery's next-hop id survives the lean reading of its reply, however the reply
  // is spaced or continued; without one, only the code is kept.
  const sent = (reply: string) =>
    `Nov 27 22:06:40 mx1 postfix/smtp[9]: 4A1B2C3D4E: to=<a@example.com>, relay=127.0.0.1[127.0.0.1]:10024, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (${reply})`;
  const hops: [string, string | undefined][] = [
    ['250 2.0.0 Ok: queued as 5F6A7B8C9D', '5F6A7B8C9D'],
    ['250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 6A7B8C9D0E', '6A7B8C9D0E'],
    ['250 2.0.0 Ok: queued  as 7B8C9D0E1F', '7B8C9D0E1F'],
    ['250-2.0.0 Ok 250-2.0.0 queued as 8C9D0E1F2A 250 2.0.0 done', '8C9D0E1F2A'],
    ['250 OK id=1abcDE-000123-AB', '1abcDE-000123-AB'],
    ['250 2.0.0 OK  1794462001 3b1608ba323e5-9e33e20e25esi4143092k86.954 - gsmtp', undefined],
    ['250 2.6.0 <x@example.com> [InternalId=437655605569] Queued mail for delivery', undefined],
  ];
  for (const [reply, id] of hops) {
    const a = definedFields(full.parse(sent(reply)));
    const b = definedFields(lean.parse(sent(reply)));
    assert.equal(b.queued_as, id, reply);
    assert.equal(b.reply_code, 250, reply);
    assert.equal(b.reply, undefined, reply);
    const { relay, relay_host, relay_ip, relay_port, delay, delays, reply: r, ...kept } = a;
    assert.deepEqual(b, kept, reply);
  }
});
