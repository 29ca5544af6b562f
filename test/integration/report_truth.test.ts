// `mailsight report --json` against the generator's ground truth (docs/report-semantics.md):
// 1,000,000+ Postfix lines across a fleet, and an Exim main log. The truth comes from the
// generator's model of what happened, not from parsing its output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('mailsight-truth-');
const generator = join(repoRoot, 'dist', 'benchmarks', 'generator', 'cli.js');
const bin = join(repoRoot, 'bin', 'mailsight.js');

const STABLE = ['messages', 'recipients', 'totals', 'by_domain', 'latency_seconds', 'bounce_classes', 'unparsed_lines'] as const;

function generate(name: string, args: string[]): { log: string; truth: Record<string, unknown> } {
  const log = join(dir, `${name}.log`);
  const truth = join(dir, `${name}.truth.json`);
  const g = spawnSync(process.execPath, [generator, ...args, '--out', log, '--truth', truth], { encoding: 'utf8', timeout: 180_000 });
  assert.equal(g.status, 0, g.stderr);
  return { log, truth: JSON.parse(readFileSync(truth, 'utf8')) as Record<string, unknown> };
}

function report(log: string): Record<string, unknown> {
  const r = spawnSync(process.execPath, [bin, 'report', '--json', '--timezone', 'UTC', log], { encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

function assertStableKeysEqual(got: Record<string, unknown>, truth: Record<string, unknown>) {
  for (const k of STABLE) assert.deepEqual(got[k], truth[k], `key ${k}`);
}

test('Postfix, 1,000,000+ lines, two hosts, RFC 3164: report --json equals the ground truth', () => {
  const { log, truth } = generate('postfix', ['--lines', '1050000', '--seed', 'ci-postfix', '--hosts', '2']);
  const lines = readFileSync(log, 'utf8').split('\n').length - 1;
  assert.ok(lines >= 1_000_000, `generated ${lines} lines (${statSync(log).size} bytes)`);
  assertStableKeysEqual(report(log), truth);
});

test('Postfix, RFC 3339 timestamps, three hosts with relays between them', () => {
  const { log, truth } = generate('postfix-3339', ['--lines', '150000', '--seed', 'ci-3339', '--hosts', '3', '--format', 'rfc3339', '--relay-rate', '0.2']);
  assertStableKeysEqual(report(log), truth);
});

test('Exim main log: report --json equals the ground truth', () => {
  const { log, truth } = generate('exim', ['--lines', '150000', '--seed', 'ci-exim', '--mta', 'exim']);
  assertStableKeysEqual(report(log), truth);
});
