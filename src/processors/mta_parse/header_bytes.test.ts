// ByteFramer against Framer, the string path it must agree with: on whole corpora (real Postfix,
// Exim, Dovecot and milter logs, and generated ones of every header shape), on hand-made edge
// lines, and on seeded random mutations of real lines. Also LineParser.parseAt() against
// parse(), event by event, with the raw line kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateString, type GenOptions } from '../../../benchmarks/generator/generate.js';
import { fixturesDir, repoRoot } from '../../../test/helpers/paths.js';
import { xorshift } from '../../../test/helpers/random.js';
import { definedFields } from '../../model/mail_event.js';
import { Framer, type FramedLine } from './header.js';
import { ByteFramer } from './header_bytes.js';
import { LineParser } from './parser.js';

const now = () => Date.UTC(2026, 11, 7, 12);
const FAST: Partial<GenOptions> = { minBackoff: 20, maxBackoff: 90, queueRunDelay: 10, maxQueueLifetime: 240, rate: 4 };

const sample = readFileSync(join(repoRoot, 'samples', 'postfix-lab-01.log'), 'latin1');
const corpora: Record<string, string> = {
  'postfix lab sample': sample,
  'milter fixture': readFileSync(join(fixturesDir, 'postfix-milters.log'), 'latin1'),
  'dovecot fixture': readFileSync(join(fixturesDir, 'dovecot.log'), 'latin1'),
  'exim fixture': readFileSync(join(fixturesDir, 'exim-mainlog.log'), 'latin1'),
  'generated, 3 hosts': generateString({ ...FAST, lines: 8_000, seed: 'bytes-1', hosts: 3, relayRate: 0.3 }).log,
  'generated, rfc3339': generateString({ ...FAST, lines: 8_000, seed: 'bytes-2', format: 'rfc3339', hosts: 2 }).log,
  'generated, noisy': generateString({ ...FAST, lines: 8_000, seed: 'bytes-3', noiseRate: 0.3 }).log,
};

/** [start, end) of each non-empty line of text, a trailing CR left in (parseAt must cope). */
function spans(text: string): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < text.length; ) {
    let e = text.indexOf('\n', s);
    if (e < 0) e = text.length;
    if (e > s) out.push([s, e]);
    s = e + 1;
  }
  return out;
}

const copy = (f: FramedLine) => ({ time: f.time, host: f.host, program: f.program, pid: f.pid, msg: f.msg });

/**
 * Frames every line both ways, as LineParser does: the byte path where it accepts the line, the
 * string path (which moves the shared state) where it does not; a reference Framer reads every
 * line as a string. Returns how many lines the byte path took.
 */
function compareFramers(name: string, text: string, timezone = 'UTC'): number {
  const bytes = Buffer.from(text, 'latin1');
  const shared = new Framer({ timezone, now });
  const fast = new ByteFramer(shared);
  const reference = new Framer({ timezone, now });
  let taken = 0;
  for (const [s, e] of spans(text)) {
    const line = text.slice(s, e);
    const want = reference.frame(line);
    const got = fast.frame(bytes, text, s, e);
    if (got === undefined) {
      const f = shared.frameShared(line);
      assert.deepEqual(f && copy(f), want, `${name}: string path: ${line}`);
      continue;
    }
    taken++;
    assert.deepEqual(copy(got), want, `${name}: ${line}`);
  }
  return taken;
}

test('ByteFramer frames every line of real and generated corpora as Framer does, and takes nearly all syslog lines', () => {
  for (const [name, text] of Object.entries(corpora)) {
    const n = spans(text).length;
    const taken = compareFramers(name, text);
    // Exim's own main log has no syslog header, and Dovecot tags its lines without a pid
    // (`dovecot: ...`), which the string path reads: nothing for the byte path.
    if (name === 'exim fixture' || name === 'dovecot fixture') assert.equal(taken, 0, name);
    else if (name.startsWith('generated') || name === 'postfix lab sample') assert.ok(taken > 0.9 * n, `${name}: ${taken} of ${n} lines on bytes`);
    else assert.ok(taken > 0, name);
  }
});

test('ByteFramer: edge lines go the string path or agree with it', () => {
  const base = 'Nov 27 22:06:40 mx1 postfix/smtp[4775]: 4053316030D: to=<a@b.test>, status=sent (250 ok)';
  const iso = '2026-11-12T05:40:00.676791+00:00 mx3 postfix/smtpd[17175]: connect from unknown[10.20.2.50]';
  const lines = [
    base,
    base, // same stamp and host: the byte path
    base + '\r', // a CR left at the end
    'Nov 27 22:06:40 mx1  postfix/smtp[4775]: two spaces before the tag',
    'Nov 27 22:06:40 mx1 postfix/smtp[4775]:no space after the colon',
    'Nov 27 22:06:40 mx1 postfix/smtp[4775] no colon',
    'Nov 27 22:06:40 mx1 postfix/smtp[4775]',
    'Nov 27 22:06:40 mx1 postfix/smtp[]: empty pid',
    'Nov 27 22:06:40 mx1 postfix/smtp[12345678901]: eleven-digit pid',
    'Nov 27 22:06:40 mx1 postfix/smtp[12a]: not a number',
    'Nov 27 22:06:40 mx1 [4775]: no program',
    'Nov 27 22:06:40 mx1 postfix/smtp: no pid',
    'Nov 27 22:06:40 mx1 kernel: [824757.602479] TCP: no pid either',
    'Nov 27 22:06:40 mx1 : an empty tag',
    'Nov 27 22:06:40 mx1 dovecot:',
    'Nov 27 22:06:40 mx1 dovecot: ',
    'Nov 27 22:06:40 mx1 a:b: colon inside',
    'Nov 27 22:06:40 mx1 postfix smtp[1]: space in the tag',
    'Nov 27 22:06:40 mx10 postfix/smtp[1]: a host that starts like the last',
    'Nov 27 22:06:40 mx1postfix/smtp[1]: no host: the last one glued to the tag',
    'Nov 27 22:06:40 mx1 x[1]: a short tag',
    'Nov 27 22:06:40 mx1 x[1]: a remembered short tag',
    'Nov 27 22:06:40 mx1 xy[1]: a short tag that starts like a remembered one',
    'Nov 27 22:06:40 mx1 CRON[2]: a tag of one word',
    'Nov 27 22:06:40 mx1 CRON[2]: remembered',
    'Nov 27 22:06:40 mx1 CRONX[2]: longer, same first word',
    'Nov 27 22:06:40 mx1 postfix/smtpd[5]: a name that extends a remembered one',
    'Nov 27 22:06:40 mx1 postfix/smtpx[6]: same length, the last byte differs',
    'Nov 27 22:06:40 mx1 postfix/qmgr[7]: same length as postfix/smtp',
    'Nov 27 22:06:40 mx1 postfix/smt[8]: a remembered name cut short',
    'Nov 27 22:06:40 mx1 postfix/smtp [9]: a remembered name, then a space',
    'Nov 27 22:06:40 mx1 postfix/smtp',
    'Nov 27 22:06:40 mx1 postfix/smtpd[5]: remembered again',
    'Nov 27 22:06:40 mx1 postfix/smtp[1]: back to the first host',
    'Nov 27 22:06:40.123456 mx1 postfix/smtp[1]: a fraction',
    'Nov 27 22:06:41 mx1 postfix/smtp[1]: the next second',
    'Nov 27 22:06:41 mx1 postfix/smtp[1]: ' + 'x'.repeat(5000),
    '<22>Nov 27 22:06:41 mx1 postfix/smtp[1]: with a PRI',
    iso,
    iso.replace('.676791', '.9'),
    iso.replace('.676791', ''),
    iso.replace('.676791', '.1234567890123'),
    iso.replace('+00:00', 'Z'),
    iso.replace('+00:00', '+0000'),
    iso.replace('+00:00', '+00:00 '),
    iso.replace('+00:00', '+00:001'),
    iso.replace('+00:00', ''),
    iso.replace('05:40:00', '05:40:01'),
    iso.replace('T05:40:00', 'T05x40:00'),
    '2026-11-12 05:40:00 1tKy00-000Def-7Q <= a@b.test H=x [1.2.3.4] P=esmtp S=1 (Exim, not syslog)',
    iso,
  ];
  const text = lines.join('\n');
  assert.ok(compareFramers('edges', text) >= 6);
});

test('ByteFramer agrees with Framer on seeded mutations of real lines', () => {
  const rnd = xorshift(0x5eed);
  const real = spans(sample).map(([s, e]) => sample.slice(s, e));
  const isoLines = spans(corpora['generated, rfc3339']).map(([s, e]) => corpora['generated, rfc3339'].slice(s, e));
  const alphabet = ' []:.+-Z0123456789abcxyzNov<>\r';
  const out: string[] = [];
  // Runs of consecutive lines (the byte path needs the previous line's stamp), a third of
  // them with 1-3 edits in the header, where the byte path decides.
  for (let i = 0; out.length < 20_000; i++) {
    const pool = i % 2 === 0 ? real : isoLines;
    const from = Math.floor(rnd() * pool.length);
    for (const line of pool.slice(from, from + 50)) {
      if (rnd() < 0.67) {
        out.push(line);
        continue;
      }
      let m = line;
      for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) {
        const at = Math.floor(rnd() * Math.min(m.length, 60));
        const c = alphabet[Math.floor(rnd() * alphabet.length)];
        const op = rnd();
        m = op < 0.4 ? m.slice(0, at) + c + m.slice(at + 1) : op < 0.7 ? m.slice(0, at) + c + m.slice(at) : m.slice(0, at) + m.slice(at + 1);
      }
      out.push(m);
    }
  }
  const taken = compareFramers('mutations', out.join('\n'));
  assert.ok(taken > 8_000, `byte path taken on ${taken} lines`);
});

test('LineParser.parseAt() gives the events parse() gives, raw lines included, on ASCII and non-ASCII blocks', () => {
  for (const detail of ['full', 'lifecycle'] as const) {
    for (const [name, text] of Object.entries({ ...corpora, 'non-ascii': sample.replace(/ok\.test/g, 'jörg.test') })) {
      const ascii = !/[^\x00-\x7f]/.test(text);
      const bytes = ascii ? Buffer.from(text, 'latin1') : undefined;
      const a = new LineParser({ now, detail, keepRaw: true });
      const b = new LineParser({ now, detail, keepRaw: true });
      for (const [s, e] of spans(text)) {
        const line = text.slice(s, e);
        assert.deepEqual(definedFields(b.parseAt(text, bytes, s, e)), definedFields(a.parse(line)), `${name} (${detail}): ${line}`);
      }
      assert.deepEqual(b.unparsedByProgram(), a.unparsedByProgram(), name);
    }
  }
});
