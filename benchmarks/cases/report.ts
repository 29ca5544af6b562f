// Case `report`: file → parse → correlate → report, i.e. `mailsight report --json CORPUS`,
// timed as a whole process (start-up included, as an operator runs it).
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { decodeBlock, fileBlocks } from '../../src/report/input.js';
import { LinkGroups, scanLinks } from '../../src/report/links.js';
import { ShardRouter, hashKey, routeBlock } from '../../src/report/route.js';
import { timedRun, type RunMeasure } from '../lib/measure.js';
import type { ReportLike } from '../lib/results.js';
import { repeatRuns, type Ctx } from './context.js';

/** Differences between two reports on the stable keys ("" when equal). */
export function reportDiff(want: ReportLike, got: ReportLike): string[] {
  const out: string[] = [];
  const cmp = (k: string, a: unknown, b: unknown) => {
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${k}: truth ${JSON.stringify(a)}, mailsight ${JSON.stringify(b)}`);
  };
  cmp('messages', want.messages, got.messages);
  cmp('recipients', want.recipients, got.recipients);
  cmp('totals', want.totals, got.totals);
  cmp('latency_seconds', want.latency_seconds, got.latency_seconds);
  cmp('unparsed_lines', want.unparsed_lines, got.unparsed_lines);
  const domains = new Set([...Object.keys(want.by_domain), ...Object.keys(got.by_domain ?? {})]);
  for (const d of [...domains].sort()) cmp(`by_domain.${d}`, want.by_domain[d], got.by_domain?.[d]);
  return out;
}

/** One timed `mailsight report --json` of the corpus, its output to `out`. */
export function reportOnce(ctx: Ctx, out: string): Promise<RunMeasure> {
  return timedRun(process.execPath, [...ctx.mailsight, 'report', '--json', ctx.corpus], { stdoutFile: out, timeoutMs: 30 * 60_000 });
}

export async function runReport(ctx: Ctx): Promise<ReportLike | null> {
  const out = join(ctx.work, 'mailsight-report.json');
  const row = await repeatRuns(ctx, 'mailsight-report', 'mailsight report --json', () => reportOnce(ctx, out));
  const report = JSON.parse(readFileSync(out, 'utf8')) as ReportLike;
  // A user's corpus (--corpus) has no ground truth to check against.
  const diff = ctx.truth ? reportDiff(ctx.truth, report) : [];
  if (diff.length) row.note = `differs from the ground truth on ${diff.length} key(s), e.g. ${diff.slice(0, 2).join('; ')}`;
  // Sharded over two worker threads: what a second core buys, and proof it changes no answer.
  const out2 = join(ctx.work, 'mailsight-report-2t.json');
  const row2 = await repeatRuns(ctx, 'mailsight-report-2t', 'mailsight report --json --threads 2', () =>
    timedRun(process.execPath, [...ctx.mailsight, 'report', '--json', '--threads', '2', ctx.corpus], { stdoutFile: out2, timeoutMs: 30 * 60_000 }),
  );
  if (readFileSync(out2, 'utf8') !== readFileSync(out, 'utf8')) row2.note = 'output differs from the one-thread run';
  await runSplitCeiling(ctx, report);
  return report;
}

/**
 * Write the corpus's lines to `files`, split as `report --threads N` splits them (hand-off
 * chains kept together, then by queue id): the same link scan and router, in this process.
 */
export function splitLikeShards(corpus: string, files: string[]): number[] {
  const n = files.length;
  const links = new LinkGroups();
  for (const block of fileBlocks(corpus)) scanLinks(block, (a, b) => links.addFlat([a, b]));
  const router = new ShardRouter(n, links.groups((root) => hashKey(root) % n));
  const fds = files.map((f) => openSync(f, 'w'));
  const counts = files.map(() => 0);
  try {
    for (const block of fileBlocks(corpus)) {
      const parts: string[][] = files.map(() => []);
      routeBlock(decodeBlock(block), router, parts);
      parts.forEach((p, k) => {
        counts[k] += p.length;
        writeSync(fds[k], p.join(''));
      });
    }
  } finally {
    for (const fd of fds) closeSync(fd);
  }
  return counts;
}

/**
 * What any two-thread report could gain on this machine: two one-thread reports run at once,
 * each on its half of the corpus as --threads 2 splits it, with no reading, routing or link
 * scan twice and no merge. Wall time is the slower process's, CPU and peak RSS the sum.
 * The gap between this row and --threads 2 is the sharding's own overhead; the gap between
 * this row and half the one-thread time is what two busy cores cost each other here.
 */
async function runSplitCeiling(ctx: Ctx, whole: ReportLike): Promise<void> {
  const halves = [0, 1].map((k) => join(ctx.work, `corpus-half${k}.log`));
  const lines = splitLikeShards(ctx.corpus, halves);
  const outs = halves.map((_, k) => join(ctx.work, `mailsight-report-half${k}.json`));
  const row = await repeatRuns(ctx, 'mailsight-report-split', 'two one-thread reports on the two halves, at once', async () => {
    const ms = await Promise.all(
      halves.map((h, k) => timedRun(process.execPath, [...ctx.mailsight, 'report', '--json', h], { stdoutFile: outs[k], timeoutMs: 30 * 60_000 })),
    );
    return combine(ms);
  });
  const messages = outs.reduce((a, o) => a + (JSON.parse(readFileSync(o, 'utf8')) as ReportLike).messages, 0);
  row.note =
    `the ceiling of any two-thread report on this machine: the corpus split as --threads 2 splits it (${lines.map((l) => l.toLocaleString('en-US')).join(' + ')} lines), ` +
    `one process per half started together; wall = the slower one, CPU and RSS summed; no merge` +
    (messages === whole.messages ? '' : ` (the halves' messages add up to ${messages}, not ${whole.messages})`);
}

/** Two processes run side by side as one measurement. */
function combine(ms: RunMeasure[]): RunMeasure {
  const failed = ms.find((m) => m.exit_code !== 0);
  return {
    wall_s: Math.max(...ms.map((m) => m.wall_s)),
    cpu_s: ms.reduce((a, m) => a + m.cpu_s, 0),
    rss_mib: ms.reduce((a, m) => a + m.rss_mib, 0),
    exit_code: failed ? failed.exit_code : 0,
    stderr_tail: failed ? failed.stderr_tail : '',
  };
}
