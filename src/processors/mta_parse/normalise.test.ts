import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isContinuation, skipContinuation } from './classify.js';
import { hasDigitColonDigit, mayHaveNumberedHost, normaliseReply, unfold } from './normalise.js';
import { findReplyCode, replaceAddresses } from './reply_key.js';
import { xorshift } from '../../../test/helpers/random.js';

/** `count` strings of up to `maxParts` pieces drawn from `parts`, the same every run. */
function* randomStrings(parts: readonly string[], count: number, maxParts: number, seed: number): Generator<string> {
  const next = xorshift(seed);
  for (let i = 0; i < count; i++) {
    let s = '';
    const len = Math.floor(next() * maxParts);
    for (let k = 0; k < len; k++) s += parts[Math.floor(next() * parts.length)];
    yield s;
  }
}

/** A Postfix delivery's remote reply as logged. */
const said = (host: string, ip: string, text: string, cmd = 'RCPT TO'): string =>
  `host ${host}[${ip}] said: ${text} (in reply to ${cmd} command)`;

test('normaliseReply', () => {
  const cases: [string, string][] = [
    [
      said('mx.example.org', '192.0.2.20', '550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown in virtual mailbox table'),
      '550 5.1.1 <addr>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)',
    ],
    // different host, address and IP -> same normalised form
    [
      said('mx2.other.example', '198.51.100.9', '550 5.1.1 <alice@other.example>: Recipient address rejected: User unknown in virtual mailbox table'),
      '550 5.1.1 <addr>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)',
    ],
    ['connect to mx.example.com[192.0.2.10]:25: Connection refused', 'connect to <host>:25: Connection refused'],
    ['connect to mx.example.com[2001:db8::10]:25: Network is unreachable', 'connect to <host>:25: Network is unreachable'],
    [
      'lost connection with mx1.example.com[192.0.2.10] while sending RCPT TO',
      'lost connection with <host> while sending RCPT TO',
    ],
    [
      said('mta7.am0.yahoodns.net', '67.195.204.77', '421 4.7.0 [TSS04] Messages from 198.51.100.7 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes', 'MAIL FROM'),
      '421 4.7.0 [TSS04] Messages from <ip> temporarily deferred due to unexpected volume or user complaints - <ip>; see <url:postmaster.yahooinc.com> (in reply to MAIL FROM command)',
    ],
    [
      said('hotmail-com.olc.protection.outlook.com', '52.101.10.2', '451 4.7.500 Server busy. Please try again later from [198.51.100.7]. (S77714) [BL6PEPF0001AB50.namprd04.prod.outlook.com 2024-07-14T14:44:43.083Z 08DCA36F759CD546]', 'MAIL FROM'),
      '451 4.7.500 Server busy. Please try again later from [<ip>]. (S77714) [<host> <time> <id>] (in reply to MAIL FROM command)',
    ],
    [
      'SMTP error from remote mail server after end of data: 550-5.7.1 [61.14.232.40] The IP address sending this message does not have a PTR\\n550-5.7.1 record setup. 550 5.7.1 information. u6si3554756pld.336 - gsmtp',
      'SMTP error from remote mail server after end of data: 550-5.7.1 [<ip>] The IP address sending this message does not have a PTR record setup. information. <id> - gsmtp',
    ],
    [said('mx.example.org', '192.0.2.20', '250 2.0.0 Ok: queued as 4ZxYz12abcz1', 'end of DATA'), '250 2.0.0 Ok: queued as <id> (in reply to end of DATA command)'],
    ['1d1viw-0000dF-5h delayed: retry at 17:45:03', '<id> delayed: retry at <time>'],
    [
      said('mx.example.org', '192.0.2.20', '451 4.3.0 Mail server temporarily rejected message <20240101.abc@mail.example.org> on Wed, 5 Dec 2018 18:04:49 -0600', 'end of DATA'),
      '451 4.3.0 Mail server temporarily rejected message <addr> on <time> (in reply to end of DATA command)',
    ],
    ['  lots   of\t whitespace  ', 'lots of whitespace'],
    [
      said('mx.yandex.ru', '77.88.21.249', '554 5.7.1 [2] Message rejected under suspicion of SPAM; https://ya.cc/1IrBc 1690000000-AbCdEfGh12-1', 'end of DATA'),
      '554 5.7.1 [2] Message rejected under suspicion of SPAM; <url:ya.cc> <id> (in reply to end of DATA command)',
    ],
    ['error 123456789 ref', 'error <id> ref'],
    ['ticket 1234567 opened', 'ticket <n> opened'],
    // at and below the run lengths the passes need (they are skipped below them)
    ['ref deadbeef done', 'ref <id> done'],
    ['ref deadbee done', 'ref deadbee done'],
    ['token aB3dE5gH7jK9 end', 'token <id> end'],
    ['token aB3dE5gH7jK end', 'token aB3dE5gH7jK end'],
    ['code 123456 x', 'code <n> x'],
    ['code 12345 x', 'code 12345 x'],
    ['msg 1abcDE-000123-AB queued', 'msg <id> queued'],
    ['msg 1abcDE-00012-AB queued', 'msg <id> queued'],
    ['id A1b2C3d4E5f6/+_- z', 'id <id>/+_- z'],
  ];
  for (const [input, want] of cases) assert.equal(normaliseReply(input), want, input);
  // length limit
  assert.equal(normaliseReply('x'.repeat(50) + ' ' + 'y '.repeat(300)).length, 200);
});

test('replaceAddresses gives what the address regex it replaces gives (differential, seeded)', () => {
  // The regex normaliseReply used before: the hand-written scan must agree with it exactly.
  const RE_ADDR = /<?[A-Za-z0-9._%+=/!#$&'*?^`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*>?/g;
  const fixed = [
    '550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown in virtual mailbox table',
    'a@b@c', '<<a@b', '<a@b.>', 'x <a.b@c.d.e> y', '@@', 'a@', '@b', 'a@-.x', 'user+tag@mail-1.example.co.uk>>',
    'from=<> to=<x@y> helo=<h>', 'é@x ü@ö a@b', '<@x>', 'a.@b..c', "o'neil@x.org, {a}@b",
  ];
  for (const s of fixed) assert.equal(replaceAddresses(s), s.replace(RE_ADDR, '<addr>'), s);
  // Random strings over the characters that matter (xorshift: the same strings every run).
  const alphabet = 'ab1Z.-_+<>@@ :;[]é\'';
  for (const s of randomStrings([...alphabet], 20_000, 24, 0x2545f491)) {
    assert.equal(replaceAddresses(s), s.replace(RE_ADDR, '<addr>'), JSON.stringify(s));
  }
});

test('unfold gives what the character loop it replaces gives (differential, seeded)', () => {
  // The loop normaliseReply used before: the search-based version must agree with it exactly.
  const reference = (s: string): string => {
    const codeAt = findReplyCode(s);
    let out = '';
    let last = 0;
    let prevSpace = true;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 92 && s.charCodeAt(i + 1) === 110) {
        out += s.slice(last, i) + ' ';
        i++;
        last = i + 1;
        prevSpace = true;
        continue;
      }
      if (prevSpace && codeAt >= 0 && i > codeAt && isContinuation(s, i, codeAt)) {
        out += s.slice(last, i);
        i = skipContinuation(s, i) - 1;
        last = i + 1;
        continue;
      }
      prevSpace = c === 32 || c === 9;
    }
    return last === 0 ? s : out + s.slice(last);
  };
  const fixed = [
    '550-5.7.1 [1.2.3.4] Our system has detected 550-5.7.1 that this message 550 5.7.1 is likely spam.',
    '421-4.7.28 [203.0.113.10      15] Our system 421-4.7.28  421-4.7.28 users from spam, 421 4.7.28 review',
    '550 5.1.1 retry in 550 seconds, 550 5.1.1 gone',
    '\\n550-5.7.1 a\\n550-5.7.1 b\\n550 5.7.1 c',
    'host a[1.2.3.4] said: 451-4.3.0 x\\n451-4.3.0\\ny 451-\\n451 z',
    '\\n\\n550 550-550-550 550 5.1.1 550\t550-x',
    'no code at all \\n here', '', '550', '550-', ' 550-550-',
  ];
  for (const s of fixed) assert.equal(unfold(s), reference(s), JSON.stringify(s));
  // Random strings over the characters that matter (xorshift: the same strings every run).
  const parts = ['550', '550-', '550 ', '5.7.1', '4.7.28', '421-', ' ', '  ', '\t', '\\n', '\\', 'n', 'x', ':', ';', '-', '2', '45'];
  for (const s of randomStrings(parts, 30_000, 16, 0x1b873593)) assert.equal(unfold(s), reference(s), JSON.stringify(s));
});

test('the passes skipped by a cheap test could not have matched (necessary conditions, seeded)', () => {
  // normaliseReply's regexes that these tests stand in front of.
  const RE_TIMES = [
    /\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?/,
    /\b(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),\s+)?\d{1,2}\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+\d{4}\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s+[+-]\d{4})?(?:\s+\([A-Za-z]+\))?/,
    /\b\d{1,2}:\d{2}:\d{2}(?:\.\d+)?\b/,
  ];
  const RE_NUMBERED_HOST = /\b(?=[A-Za-z-]*\d)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/;
  const check = (s: string) => {
    if (RE_TIMES.some((re) => re.test(s))) assert.ok(hasDigitColonDigit(s), JSON.stringify(s));
    if (RE_NUMBERED_HOST.test(s)) assert.ok(mayHaveNumberedHost(s), JSON.stringify(s));
  };
  const fixed = [
    'at 2026-11-12T05:40:04.055Z try', 'Mon, 3 Dec 2026 12:00 +0000', '12:30:45', '1:2', 'a:1 2:b',
    'mx1.example.com', 'a-1b.c.de', 'x.y1.zz', '1.ab', '.ab', 'ab.cd', 'b85108f7d161b-044b.si.e63.ab', 'mx.1.example',
  ];
  for (const s of fixed) check(s);
  assert.equal(hasDigitColonDigit('said: 421-4.7.28 see https://x'), false);
  assert.equal(mayHaveNumberedHost('4.7.28 User unknown. Try again.'), false);
  assert.equal(mayHaveNumberedHost('see mx2.example.org now'), true);
  const parts = ['1', '12', '2026', '-', ':', '.', ' ', 'ab', 'Z', 'T', 'x', 'Dec', 'Mon,', '+0000', '<', '>', 'a.b', '9.cd'];
  for (const s of randomStrings(parts, 40_000, 14, 0x85ebca6b)) check(s);
});

test('queue-id and whitespace passes still run when they must', () => {
  assert.equal(normaliseReply('250 2.0.0 Ok: queued as 4Ab3Cd'), '250 2.0.0 Ok: queued as <id>');
  assert.equal(normaliseReply('250 OK QUEUED AS 12345'), '250 OK QUEUED AS <id>');
  assert.equal(normaliseReply('250 accepted, Queue ID: abc-123'), '250 accepted, Queue ID: <id>');
  assert.equal(normaliseReply('250 OK id=1xyZ-7 done'), '250 OK id= <id> done');
  assert.equal(normaliseReply('451 4.3.0\ttry\u00a0again\u2028later  now '), '451 4.3.0 try again later now');
  assert.equal(normaliseReply('451 4.3.0 try again'), '451 4.3.0 try again');
  // Each kind of whitespace alone (no double space, no tab to give the pass away).
  assert.equal(normaliseReply('451 try\u00a0again'), '451 try again');
  assert.equal(normaliseReply('451 try\u2028again'), '451 try again');
  assert.equal(normaliseReply('451 try\u3000again'), '451 try again');
});
