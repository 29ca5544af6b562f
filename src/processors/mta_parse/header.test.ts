import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Framer, parseTimezone, type FramedLine } from './header.js';

// Reference clock: 2026-11-28T12:00:00Z.
const NOW = Date.UTC(2026, 10, 28, 12);
const now = (): number => NOW;

interface Case {
  name: string;
  line: string;
  want: FramedLine | undefined;
  timezone?: string;
}

const cases: Case[] = [
  {
    name: 'RFC 3164, single-digit day with two spaces',
    line: 'Nov  7 06:52:11 mx1 postfix/smtp[123]: 4053316030D: removed',
    want: { time: Date.UTC(2026, 10, 7, 6, 52, 11), host: 'mx1', program: 'postfix/smtp', pid: 123, msg: '4053316030D: removed' },
  },
  {
    name: 'Postfix maillog_file (zero-padded day, strftime %b %d)',
    line: 'Nov 07 06:52:11 mx1 postfix/qmgr[4590]: 4053316030D: removed',
    want: { time: Date.UTC(2026, 10, 7, 6, 52, 11), host: 'mx1', program: 'postfix/qmgr', pid: 4590, msg: '4053316030D: removed' },
  },
  {
    name: 'RFC 3164 as in the corpus',
    line: 'Nov 27 22:06:33 mx1 postfix/master[4588]: daemon started -- version 3.7.11, configuration /etc/postfix',
    want: { time: Date.UTC(2026, 10, 27, 22, 6, 33), host: 'mx1', program: 'postfix/master', pid: 4588, msg: 'daemon started -- version 3.7.11, configuration /etc/postfix' },
  },
  {
    name: 'RFC 3164 with <PRI>',
    line: '<22>Nov 27 22:06:33 mx1 postfix/postfix-script[4586]: starting the Postfix mail system',
    want: { time: Date.UTC(2026, 10, 27, 22, 6, 33), host: 'mx1', program: 'postfix/postfix-script', pid: 4586, msg: 'starting the Postfix mail system' },
  },
  {
    name: 'RFC 3164 with fractional seconds',
    line: 'Nov 27 22:06:33.123456 mx1 postfix/smtp[12]: x',
    want: { time: Date.UTC(2026, 10, 27, 22, 6, 33) + 123.456, host: 'mx1', program: 'postfix/smtp', pid: 12, msg: 'x' },
  },
  {
    name: 'RFC 3164 without pid',
    line: 'Nov 27 22:06:33 mx1 opendkim: 4053316030D: DKIM-Signature field added',
    want: { time: Date.UTC(2026, 10, 27, 22, 6, 33), host: 'mx1', program: 'opendkim', pid: undefined, msg: '4053316030D: DKIM-Signature field added' },
  },
  {
    name: 'RFC 3164 without host',
    line: 'Nov 27 22:06:33 postfix/smtp[12]: no host',
    want: { time: Date.UTC(2026, 10, 27, 22, 6, 33), host: '', program: 'postfix/smtp', pid: 12, msg: 'no host' },
  },
  {
    name: 'RFC 3164 with a fixed offset timezone',
    timezone: '+02:00',
    line: 'Nov 27 22:06:33 mx1 postfix/smtp[12]: x',
    want: { time: Date.UTC(2026, 10, 27, 20, 6, 33), host: 'mx1', program: 'postfix/smtp', pid: 12, msg: 'x' },
  },
  {
    name: 'RFC 3164 with a negative offset timezone',
    timezone: '-0500',
    line: 'Nov 27 22:06:33 mx1 postfix/smtp[12]: x',
    want: { time: Date.UTC(2026, 10, 28, 3, 6, 33), host: 'mx1', program: 'postfix/smtp', pid: 12, msg: 'x' },
  },
  {
    name: 'multi-instance and service program names',
    line: 'Nov 27 22:06:33 mx1 postfix/submission/smtpd[77]: connect from x[192.0.2.1]',
    want: { time: Date.UTC(2026, 10, 27, 22, 6, 33), host: 'mx1', program: 'postfix/submission/smtpd', pid: 77, msg: 'connect from x[192.0.2.1]' },
  },
  {
    name: 'RFC 3339 timestamp with microseconds (rsyslog file format)',
    line: '2026-11-12T05:41:23.079787+00:00 mx1 postfix-out/smtp[123]: msg',
    want: { time: Date.UTC(2026, 10, 12, 5, 41, 23) + 79.787, host: 'mx1', program: 'postfix-out/smtp', pid: 123, msg: 'msg' },
  },
  {
    name: 'RFC 3339 timestamp with offset',
    line: '2026-11-12T07:41:23.5+02:00 mx1 postfix/smtp[123]: msg',
    want: { time: Date.UTC(2026, 10, 12, 5, 41, 23, 500), host: 'mx1', program: 'postfix/smtp', pid: 123, msg: 'msg' },
  },
  {
    name: 'RFC 3339 timestamp with Z (newer maillog_file form)',
    line: '2026-11-12T05:41:23Z mx1 postfix/relay/smtp[9]: msg',
    want: { time: Date.UTC(2026, 10, 12, 5, 41, 23), host: 'mx1', program: 'postfix/relay/smtp', pid: 9, msg: 'msg' },
  },
  {
    name: 'RFC 5424 with PRI, no structured data',
    line: '<34>1 2026-11-12T05:41:23.079Z mx1 postfix/smtpd 4754 - - connect from x[192.0.2.1]',
    want: { time: Date.UTC(2026, 10, 12, 5, 41, 23, 79), host: 'mx1', program: 'postfix/smtpd', pid: 4754, msg: 'connect from x[192.0.2.1]' },
  },
  {
    name: 'RFC 5424 with structured data (escaped bracket) and BOM',
    line: '<34>1 2026-11-12T05:41:23Z mx1 postfix/smtpd 4754 ID47 [exampleSDID@32473 iut="3" src="a\\]b"][x@1 y="z"] \uFEFFconnect from x',
    want: { time: Date.UTC(2026, 10, 12, 5, 41, 23), host: 'mx1', program: 'postfix/smtpd', pid: 4754, msg: 'connect from x' },
  },
  {
    name: 'RFC 5424 with an unescaped ] and an escaped quote inside quoted values (lenient)',
    line: '<34>1 2026-11-12T05:41:23Z mx1 postfix/smtpd 4754 - [meta@1 path="/var/[x]/y" q="say \\"hi]\\""][x@1 y="z"] connect from x',
    want: { time: Date.UTC(2026, 10, 12, 5, 41, 23), host: 'mx1', program: 'postfix/smtpd', pid: 4754, msg: 'connect from x' },
  },
  {
    name: 'RFC 5424 structured data with a quote never closed: the element ends at its first ]',
    line: '<34>1 2026-11-12T05:41:23Z mx1 postfix/smtpd 4754 - [meta@1 k="open] connect from x',
    want: { time: Date.UTC(2026, 10, 12, 5, 41, 23), host: 'mx1', program: 'postfix/smtpd', pid: 4754, msg: 'connect from x' },
  },
  {
    name: 'RFC 5424 without PRI, nil procid',
    line: '1 2026-11-12T05:41:23Z mx1 opendkim - - - msg text',
    want: { time: Date.UTC(2026, 10, 12, 5, 41, 23), host: 'mx1', program: 'opendkim', pid: undefined, msg: 'msg text' },
  },
  {
    name: 'journald JSON export line',
    line: '{"MESSAGE":"connect from x[192.0.2.1]","SYSLOG_IDENTIFIER":"postfix/smtpd","_PID":"4754","__REALTIME_TIMESTAMP":"1794116483079787","_HOSTNAME":"mx1"}',
    want: { time: 1794116483079.787, host: 'mx1', program: 'postfix/smtpd', pid: 4754, msg: 'connect from x[192.0.2.1]' },
  },
  {
    name: 'journald JSON with MESSAGE as bytes and _SYSLOG_IDENTIFIER',
    line: '{"MESSAGE":[104,195,169],"_SYSLOG_IDENTIFIER":"postfix/smtpd","SYSLOG_PID":"12","__REALTIME_TIMESTAMP":"1794116483000000","_HOSTNAME":"mx1"}',
    want: { time: 1794116483000, host: 'mx1', program: 'postfix/smtpd', pid: 12, msg: 'hé' },
  },
  {
    name: 'journald JSON prefers _SOURCE_REALTIME_TIMESTAMP',
    line: '{"MESSAGE":"x","SYSLOG_IDENTIFIER":"dovecot","_SOURCE_REALTIME_TIMESTAMP":"1794116482000001","__REALTIME_TIMESTAMP":"1794116483000000","_HOSTNAME":"mx1"}',
    want: { time: 1794116482000.001, host: 'mx1', program: 'dovecot', pid: undefined, msg: 'x' },
  },
  {
    name: 'docker compose prefix before RFC 3164',
    line: 'mail  | Nov 27 22:06:33 mx1 postfix/master[4588]: daemon started',
    want: { time: Date.UTC(2026, 10, 27, 22, 6, 33), host: 'mx1', program: 'postfix/master', pid: 4588, msg: 'daemon started' },
  },
  {
    name: 'docker compose prefix with index before RFC 3339',
    line: 'mail_1  | 2026-11-12T05:41:23Z mx1 postfix/smtp[1]: x',
    want: { time: Date.UTC(2026, 10, 12, 5, 41, 23), host: 'mx1', program: 'postfix/smtp', pid: 1, msg: 'x' },
  },
  { name: 'garbage', line: 'hello world', want: undefined },
  { name: 'bad month', line: 'Foo 27 22:06:33 mx1 postfix/smtp[1]: x', want: undefined },
  { name: 'broken JSON', line: '{"MESSAGE":', want: undefined },
];

for (const c of cases) {
  test(`frame: ${c.name}`, () => {
    const f = new Framer({ now, timezone: c.timezone });
    assert.deepEqual(f.frame(c.line), c.want);
  });
}

test('RFC 3164 year: the current year unless that is more than a day ahead', () => {
  // now = 2027-01-03: "Dec 31" would be almost a year ahead, so it is 2026.
  const f = new Framer({ now: () => Date.UTC(2027, 0, 3) });
  assert.equal(f.frame('Dec 31 23:59:59 h p[1]: a')?.time, Date.UTC(2026, 11, 31, 23, 59, 59));
  // within a day of now (clock skew) stays in the current year
  const g = new Framer({ now: () => Date.UTC(2026, 10, 27, 12) });
  assert.equal(g.frame('Nov 28 06:00:00 h p[1]: a')?.time, Date.UTC(2026, 10, 28, 6));
});

test('RFC 3164 year rollover Dec -> Jan while replaying a stream', () => {
  const f = new Framer({ now: () => Date.UTC(2027, 0, 3) });
  const times = [
    'Dec 31 23:59:58 h p[1]: a',
    'Dec 31 23:59:59 h p[1]: b',
    'Jan  1 00:00:01 h p[1]: c',
    'Dec 31 23:59:59 h p[1]: late line from the old year',
    'Jan  2 10:00:00 h p[1]: d',
  ].map((l) => f.frame(l)?.time);
  assert.deepEqual(times, [
    Date.UTC(2026, 11, 31, 23, 59, 58),
    Date.UTC(2026, 11, 31, 23, 59, 59),
    Date.UTC(2027, 0, 1, 0, 0, 1),
    Date.UTC(2026, 11, 31, 23, 59, 59),
    Date.UTC(2027, 0, 2, 10),
  ]);
});

test('timezone "local" uses the process zone', () => {
  const f = new Framer({ now, timezone: 'local' });
  assert.equal(f.frame('Nov 27 22:06:33 mx1 p[1]: x')?.time, new Date(2026, 10, 27, 22, 6, 33).getTime());
});

test('parseTimezone', () => {
  assert.equal(parseTimezone(undefined), 0);
  assert.equal(parseTimezone('UTC'), 0);
  assert.equal(parseTimezone('local'), 'local');
  assert.equal(parseTimezone('+02:00'), 120);
  assert.equal(parseTimezone('-0530'), -330);
  assert.throws(() => parseTimezone('Europe/Paris'));
});

test('consecutive lines reuse the cached timestamp correctly', () => {
  const f = new Framer({ now });
  const a = f.frame('Nov 27 22:06:40 mx1 postfix/smtpd[1]: a');
  const b = f.frame('Nov 27 22:06:40 mx1 postfix/smtpd[2]: b');
  const c = f.frame('Nov 27 22:06:41 mx1 postfix/smtpd[3]: c');
  assert.equal(a?.time, Date.UTC(2026, 10, 27, 22, 6, 40));
  assert.equal(b?.time, a?.time);
  assert.equal(c?.time, Date.UTC(2026, 10, 27, 22, 6, 41));
  assert.equal(b?.pid, 2);
});

test('RFC 3339: lines of one second share the cached base only with the same stamp and zone', () => {
  const f = new Framer({ now, timezone: '+01:00' });
  const lines = [
    '2026-11-12T07:41:23.250000+02:00 mx1 postfix/smtp[1]: a',
    '2026-11-12T07:41:23.500000+02:00 mx2 postfix/smtp[2]: b',
    '2026-11-12T07:41:23.500000Z mx1 postfix/smtp[3]: c',
    '2026-11-12T07:41:23 mx2 postfix/smtp[4]: d',
    '2026-11-12T07:41:23-0530 mx1 postfix/smtp[5]: e',
    '2026-11-12T07:41:24.5-05:30 mx1 postfix/smtp[6]: f',
    '2026-11-12T08:41:23.500000+02:00 mx2 postfix/smtp[7]: g',
  ];
  const at = (h: number, m: number, s: number, ms: number, offMin: number) => Date.UTC(2026, 10, 12, h, m, s, ms) - offMin * 60_000;
  const want = [at(7, 41, 23, 250, 120), at(7, 41, 23, 500, 120), at(7, 41, 23, 500, 0), at(7, 41, 23, 0, 60), at(7, 41, 23, 0, -330), at(7, 41, 24, 500, -330), at(8, 41, 23, 500, 120)];
  const got = lines.map((l) => f.frame(l));
  assert.deepEqual(got.map((x) => x?.time), want);
  assert.deepEqual(got.map((x) => x?.msg), ['a', 'b', 'c', 'd', 'e', 'f', 'g']);
  // The same lines through a fresh framer each (no cache) agree.
  assert.deepEqual(lines.map((l) => new Framer({ now, timezone: '+01:00' }).frame(l)?.time), want);
});

test('interleaved hosts of a fleet (shared from the recent ones) are framed right', () => {
  const f = new Framer({ now });
  const hosts: string[] = [];
  // More hosts than are remembered, with names that are prefixes of each other.
  for (let i = 0; i < 60; i++) hosts.push(f.frameShared(`Nov 27 22:06:40 mx${i % 20} postfix/smtpd[1]: x`)?.host ?? '');
  assert.deepEqual(hosts, Array.from({ length: 60 }, (_, i) => `mx${i % 20}`));
  assert.equal(f.frameShared('Nov 27 22:06:40 mx1 postfix/smtpd[1]: y')?.host, 'mx1');
  assert.equal(f.frameShared('Nov 27 22:06:40 postfix/smtpd[1]: no host')?.host, '');
});
