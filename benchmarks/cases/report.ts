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
    timedRun(process.execPath, [ctx.bin, 'report', '--json', ctx.corpus], { stdoutFile: out, timeoutMs: 30 * 60_000 }),
  );
  const report = JSON.parse(readFileSync(out, 'utf8')) as ReportLike;
  const diff = reportDiff(ctx.truth, report);
  if (diff.length) row.note = `differs from the ground truth on ${diff.length} key(s), e.g. ${diff.slice(0, 2).join('; ')}`;
  // The same on one thread: what the worker threads add, and proof they change no answer.
  const out1 = join(ctx.work, 'mailsight-report-1t.json');
  const row1 = await repeatRuns(ctx, 'mailsight-report-1t', 'mailsight report --json --threads 1', () =>
    timedRun(process.execPath, [ctx.bin, 'report', '--json', '--threads', '1', ctx.corpus], { stdoutFile: out1, timeoutMs: 30 * 60_000 }),
  );
  if (readFileSync(out1, 'utf8') !== readFileSync(out, 'utf8')) row1.note = 'output differs from the default (threaded) run';
  return report;
}
