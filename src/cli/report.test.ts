import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { corpusDir } from '../../test/helpers/paths.js';
import { reportCommand } from './report.js';
import type { Report } from '../report/aggregate.js';
import { tempDir } from '../../test/helpers/tmp.js';

const corpus = join(corpusDir, 'postfix-lab-01.log');

async function runJson(files: string[]): Promise<Report> {
  let out = '';
  const code = await reportCommand(files, { json: true }, (s) => (out += s));
  assert.equal(code, 0);
  return JSON.parse(out) as Report;
}

// Expected numbers, each derived from the log with grep/awk, not with mailsight
// (F=postfix-lab-01.log; the corpus has no content filter, so no chains):
//   sent 23                 grep -c 'status=sent' $F
//   bounced 12              grep -c 'status=bounced' $F
//   deferred_attempts 493   grep -c 'status=deferred' $F
//   rejected 3              grep -c 'NOQUEUE: reject' $F
//   messages 77             distinct queue ids (no id is reused after `removed` in this file):
//                           grep -oE '\]: [0-9A-F]{6,}: ' $F | awk '{print $2}' | sort -u | wc -l
//   expired 34              per queue id with `status=expired, returned to sender`, the distinct
//                           to=<> addresses that never got status=sent|bounced (awk over $6 and
//                           to=<...>); every expired message named all of its nrcpt recipients
//   recipients 91           per queue id (NOQUEUE lines excluded) max(largest nrcpt=, distinct
//                           to=<> addresses), summed with awk
//   by_domain               the same three awk/grep counts split on the recipient domain
//   latency p50 0, p95 3, p99 3   for each status=sent line: its time minus the first line of its
//                           queue id (whole seconds), sorted, nearest rank (awk)
//   still_queued 22         queue ids without a `removed` line (comm -23 of the two id lists);
//                           ages vs the last line (22:23:45): 5×24 s, 2×60 s, 15×120 s -> p50 120, max 120
test('report --json on postfix-lab-01.log matches hand-checked counts', async () => {
  const r = await runJson([corpus]);
  assert.equal(r.messages, 77);
  assert.equal(r.recipients, 91);
  assert.deepEqual(r.totals, { sent: 23, deferred_attempts: 493, bounced: 12, expired: 34, rejected: 3 });
  assert.deepEqual(r.by_domain, {
    'billing.lab.test': { sent: 0, deferred_attempts: 155, bounced: 0, expired: 5 },
    'defer.test': { sent: 0, deferred_attempts: 120, bounced: 0, expired: 12 },
    'drop.test': { sent: 0, deferred_attempts: 80, bounced: 0, expired: 5 },
    'gmail.test': { sent: 12, deferred_attempts: 0, bounced: 0, expired: 0 },
    'hard.test': { sent: 0, deferred_attempts: 0, bounced: 12, expired: 0 },
    'marketing.lab.test': { sent: 0, deferred_attempts: 58, bounced: 0, expired: 7 },
    'ok.test': { sent: 6, deferred_attempts: 0, bounced: 0, expired: 0 },
    'refused.test': { sent: 0, deferred_attempts: 80, bounced: 0, expired: 5 },
    'slow.test': { sent: 5, deferred_attempts: 0, bounced: 0, expired: 0 },
  });
  assert.deepEqual(r.latency_seconds, { p50: 0, p95: 3, p99: 3 });
  assert.equal(r.unparsed_lines, 0);
  // Classes come from the classification table; what is fixed here: one class per bounced or
  // expired recipient, and the 5.1.1 "does not exist" bounces are invalid recipients.
  assert.equal(Object.values(r.bounce_classes).reduce((a, b) => a + b, 0), 12 + 34);
  assert.equal(r.bounce_classes['hard.invalid_recipient'], 12);
  assert.deepEqual(r.still_queued, { count: 22, age_seconds: { p50: 120, max: 120 } });
  assert.equal(r.rejects_by_reason.reduce((a, b) => a + b.count, 0), 3);
});

test('report reads .gz and merges several files by time (same counts when split)', async () => {
  const dir = tempDir('mailsight-report-');
  try {
    const lines = readFileSync(corpus, 'utf8').split('\n');
    const half = Math.floor(lines.length / 2);
    // Like a rotated log: the later half (gzipped) is named first; the merge puts it back after.
    writeFileSync(join(dir, 'mail.log'), lines.slice(0, half).join('\n') + '\n');
    writeFileSync(join(dir, 'mail.log.1.gz'), gzipSync(lines.slice(half).join('\r\n')));
    const whole = await runJson([corpus]);
    const split = await runJson([join(dir, 'mail.log.1.gz'), join(dir, 'mail.log')]);
    assert.deepEqual({ ...split, period: null }, { ...whole, period: null });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('report text rendering and a missing file', async () => {
  let out = '';
  assert.equal(await reportCommand([corpus], { json: false }, (s) => (out += s)), 0);
  assert.match(out, /messages\s+77/);
  assert.match(out, /By recipient domain/);
  const code = await reportCommand([join(tmpdir(), 'does-not-exist.log')], { json: true }, () => assert.fail('no output expected'));
  assert.equal(code, 1);
});
