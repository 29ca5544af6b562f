import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MailEvent } from './mail_event.js';
import {
  decodeMailEvent,
  encodeMailEvent,
  fromAvroMailEvent,
  mailEventSchema,
  mailEventType,
  toAvroMailEvent,
  type AvroMailEvent,
} from './avro.js';

// Times carry at most microsecond precision, as parsed from logs.
const T = Date.UTC(2024, 6, 14, 14, 44, 43) + 0.083123;

const minimal: MailEvent = {
  kind: 'mail_event',
  time: T,
  host: 'mx1',
  mta: 'unknown',
  program: 'sendmail',
  event: 'unparsed',
  raw: 'Jul 14 14:44:43 mx1 sendmail[1]: something odd',
};

// Every field of MailEvent, nested records and maps included.
const full: MailEvent = {
  kind: 'mail_event',
  time: T,
  host: 'mx1.example.net',
  mta: 'postfix',
  program: 'postfix-out/smtp',
  pid: 12345,
  queue_id: '4ZxYz12abcz1',
  event: 'delivery_attempt',
  severity: 'info',
  client_host: 'client.example.org',
  client_ip: '2001:db8::25',
  client_port: 54321,
  helo: 'client.example.org',
  proto: 'ESMTPS',
  commands: { ehlo: 2, starttls: 1, mail: 1, rcpt: 3, data: 1, quit: 1, commands: 9 },
  message_id: '<20240714.abc@example.org>',
  sender: 'alice@example.org',
  sender_domain: 'example.org',
  size: 4_294_967_296 + 17, // beyond int32
  nrcpt: 3,
  recipient: 'bob@gmail.com',
  orig_recipient: 'bob+tag@gmail.com',
  recipient_domain: 'gmail.com',
  relay: 'gmail-smtp-in.l.google.com[142.250.27.26]:25',
  relay_host: 'gmail-smtp-in.l.google.com',
  relay_ip: '142.250.27.26',
  relay_port: 25,
  conn_use: 2,
  delay: 1.25,
  delays: { before_qmgr: 0.01, in_qmgr: 0, conn_setup: 0.4, transmission: 0.84 },
  dsn: '4.7.28',
  status: 'deferred',
  status_class: '4xx',
  reply: '421-4.7.28 Our system has detected an unusual rate of unsolicited mail - gsmtp',
  reply_code: 421,
  smtp_command: 'DATA',
  queued_as: 'ABCDEF1234',
  notice_queue_id: '4ZxYz99zzzz1',
  notice_type: 'delay',
  bounce_class: 'policy.reputation',
  provider: 'gmail',
  sending_ip: '198.51.100.7',
  reason: 'unusual rate',
  action: 'defer',
  tls: {
    direction: 'outbound',
    protocol: 'TLSv1.3',
    cipher: 'TLS_AES_256_GCM_SHA384',
    bits: 256,
    trust: 'Verified',
    peer_host: 'gmail-smtp-in.l.google.com',
    peer_ip: '142.250.27.26',
  },
  auth: {
    mechanism: 'dmarc',
    result: 'fail',
    domain: 'example.org',
    selector: 's1',
    method: 'reject',
    policy: 'reject',
    username: 'alice',
    reason: 'alignment',
  },
  attrs: { T: 'remote_smtp', R: 'dnslookup', QT: 1.5, count: 3, empty: '', zero: 0 },
  raw: 'Jul 14 14:44:43 mx1 postfix-out/smtp[12345]: 4ZxYz12abcz1: to=<bob@gmail.com>, ...',
};

// Nested records with only their required fields.
const sparseNested: MailEvent = {
  kind: 'mail_event',
  time: Date.UTC(2024, 0, 1),
  host: 'mx2',
  mta: 'opendkim',
  program: 'opendkim',
  event: 'auth',
  tls: { direction: 'inbound' },
  auth: { mechanism: 'dkim', result: 'pass' },
  commands: {},
  attrs: {},
};

const events: [string, MailEvent][] = [
  ['minimal', minimal],
  ['full', full],
  ['sparse nested', sparseNested],
];

test('the full sample covers every schema field', () => {
  const names = mailEventSchema.fields.map((f) => f.name).sort();
  assert.deepEqual(Object.keys(full).sort(), names);
});

for (const [name, ev] of events) {
  test(`round trip through Avro binary: ${name}`, () => {
    const avro = toAvroMailEvent(ev);
    assert.ok(mailEventType.isValid(avro), 'toAvroMailEvent output is valid for the schema');
    const back = fromAvroMailEvent(mailEventType.fromBuffer(mailEventType.toBuffer(avro)) as AvroMailEvent);
    assert.deepEqual(back, ev);
    assert.deepEqual(decodeMailEvent(encodeMailEvent(ev)), ev);
  });
}

test('Avro form: absent -> null, time in microseconds, attrs values unwrapped', () => {
  const avro = toAvroMailEvent(minimal);
  assert.equal(avro.pid, null);
  assert.equal(avro.tls, null);
  assert.equal(avro.delays, null);
  assert.equal(avro.time, Math.round(T * 1000));
  assert.ok(Number.isInteger(avro.time));
  const fullAvro = toAvroMailEvent(full);
  assert.equal(fullAvro.tls?.protocol, 'TLSv1.3');
  assert.deepEqual(fullAvro.attrs, full.attrs);
  assert.equal(fullAvro.auth?.selector, 's1');
  const nested = toAvroMailEvent(sparseNested);
  assert.equal(nested.tls?.cipher, null);
  assert.equal(nested.auth?.domain, null);
});

test('fromAvroMailEvent returns plain objects without null fields', () => {
  const decoded = decodeMailEvent(encodeMailEvent(full));
  assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
  assert.equal(Object.getPrototypeOf(decoded.tls), Object.prototype);
  assert.equal(Object.getPrototypeOf(decoded.delays), Object.prototype);
  const m = decodeMailEvent(encodeMailEvent(minimal));
  assert.ok(!('pid' in m) && !('tls' in m) && !('attrs' in m));
});

test('schema: record name, namespace, nullable defaults', () => {
  assert.equal(mailEventType.name, 'io.mailsight.MailEvent');
  for (const f of mailEventSchema.fields) {
    if (Array.isArray(f.type)) {
      assert.equal(f.type[0], 'null', `${f.name}: null first so the default can be null`);
      assert.equal((f as { default?: unknown }).default, null, `${f.name}: default null`);
    }
  }
});

test('invalid events are refused by the encoder', () => {
  const bad = { ...full, client_port: 1.5 };
  assert.throws(() => encodeMailEvent(bad));
});
