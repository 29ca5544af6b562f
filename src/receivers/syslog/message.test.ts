// Header normalisation: every output must be read correctly by the mta_parse framer, which is
// what parses these lines downstream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Framer } from '../../processors/mta_parse/header.js';
import { HeaderNormaliser, decodeFrame, FACILITIES, SEVERITIES } from './message.js';

const NOW = Date.UTC(2026, 10, 12, 5, 41, 23, 79); // 2026-11-12T05:41:23.079Z
const PEER = '192.0.2.7';
const framer = () => new Framer({ timezone: 'UTC', now: () => NOW });

interface Case {
  name: string;
  in: string;
  body?: string;
  fix?: string;
  pri?: number;
  host: string;
  program: string;
  pid?: number;
  msg: string;
  time?: number;
}

const cases: Case[] = [
  {
    name: 'RFC 3164 with PRI: unchanged (fast path)',
    in: '<22>Nov  7 06:52:11 mx1 postfix/smtp[4762]: 4053316030D: to=<a@ok.test>, status=sent (250 ok)',
    fix: undefined,
    pri: 22,
    host: 'mx1',
    program: 'postfix/smtp',
    pid: 4762,
    msg: '4053316030D: to=<a@ok.test>, status=sent (250 ok)',
    time: Date.UTC(2026, 10, 7, 6, 52, 11),
  },
  {
    name: 'RFC 3164 two-digit day, fraction',
    in: '<22>Nov 17 06:52:11.123456 mx1 postfix/qmgr[1]: X: removed',
    fix: undefined,
    host: 'mx1',
    program: 'postfix/qmgr',
    pid: 1,
    msg: 'X: removed',
  },
  {
    name: 'RFC 3164 one-space single-digit day is padded',
    in: '<22>Nov 7 06:52:11 mx1 postfix/smtpd[9]: connect from x[1.2.3.4]',
    body: '<22>Nov  7 06:52:11 mx1 postfix/smtpd[9]: connect from x[1.2.3.4]',
    fix: 'timestamp_rewritten',
    host: 'mx1',
    program: 'postfix/smtpd',
    pid: 9,
    msg: 'connect from x[1.2.3.4]',
    time: Date.UTC(2026, 10, 7, 6, 52, 11),
  },
  {
    name: 'RFC 3164 with a year becomes RFC 3339 without zone',
    in: '<22>Nov  7 2025 06:52:11 mx1 postfix/smtpd[9]: disconnect',
    body: '<22>2025-11-07T06:52:11 mx1 postfix/smtpd[9]: disconnect',
    fix: 'timestamp_rewritten',
    host: 'mx1',
    program: 'postfix/smtpd',
    pid: 9,
    msg: 'disconnect',
    time: Date.UTC(2025, 10, 7, 6, 52, 11),
  },
  {
    name: 'RFC 3164 without hostname: the peer is the hostname',
    in: '<22>Nov  7 06:52:11 postfix/smtp[4762]: X: to=<a@ok.test>',
    body: '<22>Nov  7 06:52:11 192.0.2.7 postfix/smtp[4762]: X: to=<a@ok.test>',
    fix: 'hostname_missing',
    host: PEER,
    program: 'postfix/smtp',
    pid: 4762,
    msg: 'X: to=<a@ok.test>',
  },
  {
    name: 'missing timestamp, host present',
    in: '<13>mx1 postfix/smtp[1]: hello',
    body: '<13>2026-11-12T05:41:23.079Z mx1 postfix/smtp[1]: hello',
    fix: 'timestamp_missing',
    host: 'mx1',
    program: 'postfix/smtp',
    pid: 1,
    msg: 'hello',
    time: NOW,
  },
  {
    name: 'missing timestamp and hostname',
    in: '<13>postfix/smtp[1]: hello',
    body: '<13>2026-11-12T05:41:23.079Z 192.0.2.7 postfix/smtp[1]: hello',
    fix: 'timestamp_missing',
    host: PEER,
    program: 'postfix/smtp',
    pid: 1,
    msg: 'hello',
    time: NOW,
  },
  {
    name: 'PRI and free text only',
    in: '<13>hello world',
    body: '<13>2026-11-12T05:41:23.079Z 192.0.2.7 hello world',
    fix: 'timestamp_missing',
    host: PEER,
    program: '',
    msg: 'hello world',
  },
  {
    name: 'invalid BSD timestamp is replaced',
    in: '<13>Nov 77 99:52:11 mx1 app: x',
    body: '<13>2026-11-12T05:41:23.079Z mx1 app: x',
    fix: 'timestamp_invalid',
    host: 'mx1',
    program: 'app',
    msg: 'x',
  },
  {
    name: 'RFC 3339 stamp (rsyslog forward format): unchanged',
    in: '<22>2026-11-12T05:41:23.079787+00:00 mx1 postfix/smtp[2]: y',
    fix: undefined,
    host: 'mx1',
    program: 'postfix/smtp',
    pid: 2,
    msg: 'y',
  },
  {
    name: 'RFC 3339-ish stamp with a space instead of T',
    in: '<22>2026-11-12 05:41:23 mx1 postfix/smtp[2]: y',
    body: '<22>2026-11-12T05:41:23 mx1 postfix/smtp[2]: y',
    fix: 'timestamp_rewritten',
    host: 'mx1',
    program: 'postfix/smtp',
    pid: 2,
    msg: 'y',
  },
  {
    name: 'RFC 5424 with structured data and BOM',
    in: '<22>1 2026-11-12T05:41:23.5Z mx1 postfix/smtp 4762 - [meta x="a b\\]" y="c d"][origin ip="192.0.2.1"] \uFEFFX: status=sent',
    fix: undefined,
    pri: 22,
    host: 'mx1',
    program: 'postfix/smtp',
    pid: 4762,
    msg: 'X: status=sent',
    time: Date.UTC(2026, 10, 12, 5, 41, 23, 500),
  },
  {
    name: 'RFC 5424 nil timestamp and nil hostname',
    in: '<22>1 - - postfix/smtp 12 - - X: y',
    body: '<22>1 - 192.0.2.7 postfix/smtp 12 - - X: y',
    fix: 'hostname_missing',
    host: PEER,
    program: 'postfix/smtp',
    pid: 12,
    msg: 'X: y',
  },
  {
    name: 'RFC 5424 from an rsyslog template: the space %msg% keeps after the SD is removed',
    in: '<22>1 2026-11-28T01:35:42.373384+00:00 vm postfix/smtp 4762 - -  4053316030D: to=<u0@defer.test>',
    body: '<22>1 2026-11-28T01:35:42.373384+00:00 vm postfix/smtp 4762 - - 4053316030D: to=<u0@defer.test>',
    fix: undefined,
    host: 'vm',
    program: 'postfix/smtp',
    pid: 4762,
    msg: '4053316030D: to=<u0@defer.test>',
  },
  {
    name: 'RFC 5424 with an unescaped ] inside a quoted SD value: the %msg% space after the SD is still removed',
    in: '<22>1 2026-11-28T01:35:42Z vm postfix/smtp 4762 - [m@1 p="a]b"]  4053316030D: to=<u0@defer.test>',
    body: '<22>1 2026-11-28T01:35:42Z vm postfix/smtp 4762 - [m@1 p="a]b"] 4053316030D: to=<u0@defer.test>',
    fix: undefined,
    host: 'vm',
    program: 'postfix/smtp',
    pid: 4762,
    msg: '4053316030D: to=<u0@defer.test>',
  },
  {
    name: 'RFC 5424 invalid timestamp is replaced',
    in: '<22>1 12/11/2026-05:41 mx1 app - - - msg',
    body: '<22>1 2026-11-12T05:41:23.079Z mx1 app - - - msg',
    fix: 'timestamp_invalid',
    host: 'mx1',
    program: 'app',
    msg: 'msg',
    time: NOW,
  },
  {
    name: 'no PRI, BSD timestamp (a file line forwarded as is)',
    in: 'Nov  7 06:52:11 mx1 postfix/smtp[4762]: Z: x',
    fix: undefined,
    pri: -1,
    host: 'mx1',
    program: 'postfix/smtp',
    pid: 4762,
    msg: 'Z: x',
  },
];

for (const c of cases) {
  test(`normalise: ${c.name}`, () => {
    const n = new HeaderNormaliser();
    const body = n.normalise(c.in, PEER, NOW);
    assert.equal(body, c.body ?? c.in);
    assert.equal(n.fix, c.fix);
    if (c.pri !== undefined) assert.equal(n.pri, c.pri);
    const f = framer().frame(body);
    assert.ok(f, `framer must understand ${body}`);
    assert.equal(f.host, c.host);
    assert.equal(f.program, c.program);
    assert.equal(f.pid, c.pid);
    assert.equal(f.msg, c.msg);
    if (c.time !== undefined) assert.equal(f.time, c.time);
  });
}

test('not understood: no PRI and no timestamp is handed on unchanged', () => {
  const n = new HeaderNormaliser();
  for (const s of ['just some text', '\u0000\u0001binary', '<999>Nov  7 06:52:11 x y: z', '<abc>hello']) {
    assert.equal(n.normalise(s, PEER, NOW), s);
    assert.equal(n.fix, 'not_understood');
    assert.equal(n.pri, -1);
  }
});

test('format rfc5424: a BSD line is not understood; format rfc3164: `1 ` is message text', () => {
  const n5 = new HeaderNormaliser('rfc5424');
  assert.equal(n5.normalise('<13>Nov  7 06:52:11 mx1 app: x', PEER, NOW), '<13>Nov  7 06:52:11 mx1 app: x');
  assert.equal(n5.fix, 'not_understood');
  const n3 = new HeaderNormaliser('rfc3164');
  assert.equal(n3.normalise('<13>1 apple', PEER, NOW), '<13>2026-11-12T05:41:23.079Z 192.0.2.7 1 apple');
});

test('decodeFrame: BOM, trailing NUL, CR, LF removed; invalid UTF-8 replaced', () => {
  const b = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<13>x y: z\r\n\0\0')]);
  assert.equal(decodeFrame(b, 0, b.length), '<13>x y: z');
  const bad = Buffer.from([0x3c, 0x31, 0x33, 0x3e, 0xff, 0x41]);
  assert.equal(decodeFrame(bad, 0, bad.length), '<13>\uFFFDA');
  assert.equal(decodeFrame(Buffer.from('\0\n'), 0, 2), '');
  // The ASCII path (the caller checked the chunk) gives the same strings.
  assert.equal(decodeFrame(b, 3, b.length, true), '<13>x y: z');
  assert.equal(decodeFrame(Buffer.from('\0\n'), 0, 2, true), '');
});

test('facility and severity names', () => {
  assert.equal(FACILITIES[22 >> 3], 'mail');
  assert.equal(SEVERITIES[22 & 7], 'info');
  assert.equal(FACILITIES.length, 24);
});
