// replyKey() is only a cache key: normalising the key must give what normalising the reply
// gives (checked on random replies and on every reply of the corpora we have), and classifying
// on the key must not let a rule match inside a trace id or an address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateString } from '../../../benchmarks/generator/generate.js';
import { corpusDir, fixturesDir } from '../../../test/helpers/paths.js';
import { classify, explain } from './classify.js';
import { normaliseReply, normaliseUncached } from './normalise.js';
import { LineParser } from './parser.js';
import { replaceGsmtpId, replyKey } from './reply_key.js';
import { xorshift } from '../../../test/helpers/random.js';

test('replyKey replaces Gmail trace ids and addresses, and nothing else', () => {
  // As the Postfix parser leaves Gmail's replies: continuation lines joined.
  assert.equal(
    replyKey('550 5.1.1 The email account does not exist. https://support.google.com/mail/?p=NoSuchUser 92b285ec0b169-6c640963f29si8292818f34.58 - gsmtp'),
    '550 5.1.1 The email account does not exist. https://support.google.com/mail/?p=NoSuchUser <id> - gsmtp',
  );
  // Not joined, unfold() would rewrite it (what it removes could be taken for the id): as it is.
  const folded = '550-5.1.1 The email account does not exist. 550 5.1.1 Try again. 92b285ec0b169-6c640963f29si8292818f34.58 - gsmtp';
  assert.equal(replyKey(folded), folded);
  assert.equal(replyKey('550 5.1.1 <anna1981@example.net>: Recipient address rejected: User unknown'), '550 5.1.1 <addr>: Recipient address rejected: User unknown');
  assert.equal(replyKey('554 delivery error: dd This user doesn\'t have a yahoo.com account (rosa1988@yahoo.com)'), '554 delivery error: dd This user doesn\'t have a yahoo.com account (<addr>)');
  // Left alone: no id or address; an address in a reply with a URL or a host preamble.
  const same = [
    '451 4.7.1 Try again later',
    '550 5.7.1 see https://example.com/?u=a@b.example',
    '550 5.7.1 see https://example.com/<a@b.example>',
    'host mx.example.com[192.0.2.1] said: 550 5.1.1 <a@b.example>: unknown 1a2b - gsmtp',
    '421 4.7.0 closed - gsmtpx',
    '',
  ];
  for (const s of same) assert.equal(replyKey(s), s);
  // Microsoft's MxId, and an address in a reply whose URL is another word.
  assert.equal(
    replyKey('451 4.7.650 rate limited (S775) [Name=Protocol Filter Agent][AGT=PFA][MxId=201427A26043E8F7] [CR6PEPF5016BEF0.eurprd04.prod.outlook.com 2026-11-12T05:40:03.605Z 7077AA064BE7C649]'),
    '451 4.7.650 rate limited (S775) [Name=Protocol Filter Agent][AGT=PFA][MxId=<id>] [<host> <time> <id>]',
  );
  assert.equal(
    replyKey('450 4.2.0 <carla@orange.example>: Recipient address rejected: Greylisted, see http://postgrey.example/help/orange.example.html'),
    '450 4.2.0 <addr>: Recipient address rejected: Greylisted, see http://postgrey.example/help/orange.example.html',
  );
  // Asked twice (the parser, then the report), the same answer.
  const r = '550 5.1.1 <bob@example.net>: User unknown';
  assert.equal(replyKey(r), replyKey(r));
  assert.equal(replaceGsmtpId('a - gsmtp'), '<id> - gsmtp');
  assert.equal(replaceGsmtpId(' - gsmtp'), ' - gsmtp');
});

test('normaliseReply, cached by key, gives what normalising the reply itself gives (differential, seeded)', () => {
  const next = xorshift(0x9e3779b9);
  function pick<T>(a: readonly T[]): T {
    return a[Math.floor(next() * a.length)];
  }
  // REPLY_KEY_FUZZ=N runs N replies instead (2,000,000 passed when this was written).
  const parts = [
    '550 5.1.1 ', '421-4.7.28 ', '550-5.7.26 ', ' ', '  ', '\t', '<', '>', '(', ')', '[', ']', ':', '.', '-',
    'a1b2c3d4e5f6-1234abcdsi5277491u12.662', ' - gsmtp', '- gsmtp', 'gsmtp', 'x@y.example', 'anna.1981@example.net',
    '@', 'https://support.google.com/mail/?p=NoSuchUser', 'http://a@b.example/x', 'host mx.example.com[192.0.2.1] said: ',
    '203.0.113.10', '2001:db8::1', '12:30:45', '2026-11-12T05:40:04Z', 'queued as 4Ab3Cd', 'id=1xyZ-7',
    'deadbeefcafe', '1234567', 'mx7.example.org', 'User unknown', 'Try again later', '\\n',
    '[MxId=201427A26043E8F7]', '[MxId=', 'MxId=2014272604', '1234ABCD]', 'http://postgrey.example/help/a@b.html',
    'see http://postgrey.example/help/example.org.html', 'x@y.example/http://a.b', '"a@b.example"', 'ftp://',
  ];
  // Server trailers (only replaced at the end), whole and in pieces that almost fit.
  const hosts = ['CR6PEPF5016BEF0.eurprd04.prod.outlook.com', 'mta9873.mail.gq1.yahoo.com', 'mx.example.com', 'a1.b', 'a1.bc', '1.2.3.4', 'a1-b-c.example.com', 'ab1cd2-efgh34-ij.x.com', 'queued', 'x1.2com', 'a1..com', 'MxId=1a.com'];
  const times = ['2026-11-12T05:40:03.605Z', '2026-11-12T05:40:03Z', '2026-11-12T05:40:03', '2026-11-12 05:40:03Z', '2026-11-12T05:40:03.Z', '12:30:45'];
  const hexes = ['7077AA064BE7C649', '08DC', '12345678', 'ABCDEFG1', 'deadbeef-cafe1234'];
  const endings = [
    (): string => ` [${pick(hosts)} ${pick(times)} ${pick(hexes)}]`,
    (): string => ` [${pick(hosts)}${pick(['', ' ', '  '])}${pick(times)} ${pick(hexes)}${pick([']', '] ', '])'])}`,
    (): string => `${pick([' - ', ' -', '- ', ' queued as - ', ' id= - '])}${pick(hosts)}`,
    (): string => '',
  ];
  for (let i = 0; i < Number(process.env.REPLY_KEY_FUZZ ?? 30_000); i++) {
    let s = '';
    const n = 1 + Math.floor(next() * 12);
    for (let k = 0; k < n; k++) s += pick(parts);
    s += pick(endings)();
    assert.equal(normaliseReply(s), normaliseUncached(s), JSON.stringify(s));
  }
});

test('normaliseReply, cached by key, gives what normalising the reply itself gives: every reply of the corpora', () => {
  const logs = [
    generateString({ lines: 40_000, seed: 'reply-key-1', deferRate: 0.3, bounceRate: 0.1, rejectRate: 0.2 }).log,
    generateString({ lines: 20_000, seed: 'reply-key-2', mta: 'exim', deferRate: 0.3, bounceRate: 0.1 }).log,
    ...readdirSync(fixturesDir)
      .filter((f) => f.endsWith('.log'))
      .map((f) => readFileSync(join(fixturesDir, f), 'utf8')),
    readFileSync(join(corpusDir, 'postfix-lab-01.log'), 'utf8'),
  ];
  const replies = new Set<string>();
  for (const log of logs) {
    const parser = new LineParser({ timezone: 'UTC' });
    for (const line of log.split('\n')) {
      if (line === '') continue;
      const ev = parser.parse(line);
      if (ev.reply !== undefined) replies.add(ev.reply);
      if (ev.reason !== undefined) replies.add(ev.reason);
    }
  }
  let changed = 0;
  for (const r of replies) {
    if (replyKey(r) !== r) changed++;
    assert.equal(normaliseReply(r), normaliseUncached(r), JSON.stringify(r));
  }
  assert.ok(replies.size > 1000 && changed > 500, `${replies.size} replies, ${changed} with a different key`);
});

test('classify decides on the key: a trace id or an address cannot trigger a rule', () => {
  // Gmail's own TLS rule needs "tls" and "gsmtp": a trace id that happens to hold "tls" is no TLS reason.
  const withId = (id: string) => `421 4.7.0 Try again later, closing connection. (EHLO) ${id} - gsmtp`;
  assert.equal(explain('4.7.0', withId('a1b2tls3c4d5si123.45'))?.rule, explain('4.7.0', withId('a1b2xyz3c4d5si123.45'))?.rule);
  assert.notEqual(explain('4.7.0', withId('a1b2tls3c4d5si123.45'))?.rule, 'gmail.tls');
  assert.equal(explain('4.7.0', '421 4.7.0 Must issue a STARTTLS command first. a1b2c3si1.2 - gsmtp')?.rule, 'gmail.tls');
  // The same reason for two recipients is one class, and the mailbox name plays no part.
  const unknown = (rcpt: string) => `550 5.1.1 <${rcpt}>: Recipient address rejected: User unknown in virtual mailbox table`;
  assert.equal(classify('5.1.1', unknown('over.quota@example.net')), classify('5.1.1', unknown('bob@example.net')));
  assert.equal(classify('5.1.1', unknown('bob@example.net')), 'hard.invalid_recipient');
});
