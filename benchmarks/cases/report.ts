// Case `report`: file → parse → correlate → report, i.e. `mailsight report --json CORPUS`,
// timed as a whole process (start-up included, as an operator runs it).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { timedRun } from '../lib/measure.js';
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

export async function runReport(ctx: Ctx): Promise<ReportLike | null> {
  const out = join(ctx.work, 'mailsight-report.json');
  const row = await repeatRuns(ctx, 'mailsight-report', 'mailsight report --json', () =>
    timedRun(process.execPath, [...ctx.mailsight, 'report', '--json', ctx.corpus], { stdoutFile: out, timeoutMs: 30 * 60_000 }),
  );
  const report = JSON.parse(readFileSync(out, 'utf8')) as ReportLike;
  const diff = reportDiff(ctx.truth, report);
  if (diff.length) row.note = `differs from the ground truth on ${diff.length} key(s), e.g. ${diff.slice(0, 2).join('; ')}`;
  // Sharded over two worker threads: what a second core buys, and proof it changes no answer.
  const out2 = join(ctx.work, 'mailsight-report-2t.json');
  const row2 = await repeatRuns(ctx, 'mailsight-report-2t', 'mailsight report --json --threads 2', () =>
    timedRun(process.execPath, [...ctx.mailsight, 'report', '--json', '--threads', '2', ctx.corpus], { stdoutFile: out2, timeoutMs: 30 * 60_000 }),
  );
  if (readFileSync(out2, 'utf8') !== readFileSync(out, 'utf8')) row2.note = 'output differs from the one-thread run';
  return report;
}
