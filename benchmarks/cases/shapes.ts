// Case `shapes`: the report against pflogsumm on logs of other shapes than the main corpus's,
// so that its lead is not known for one synthetic log only: a fleet of hosts with RFC 3339
// stamps, a failure-heavy day, and a log full of other programs' lines with many
// multi-recipient messages. Each is the generator's (seeded, with ground truth): the report's
// answers are checked against it, and the two tools' runs are interleaved pair by pair.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { countLines, generatedCorpus } from '../lib/corpus.js';
import { timedRun, type RunMeasure } from '../lib/measure.js';
import type { ReportLike, ShapeRow } from '../lib/results.js';
import { summarize } from '../lib/stats.js';
import type { GenOptions } from '../generator/options.js';
import { checked, type Ctx } from './context.js';
import { ensurePackages } from './peers.js';
import { reportDiff } from './report.js';

export interface Shape {
  id: string;
  label: string;
  /** Generator options on top of lines and seed (benchmarks/generator/options.ts). */
  options: Partial<GenOptions>;
}

export const SHAPES: readonly Shape[] = [
  { id: 'fleet', label: 'fleet: 4 hosts in one file, RFC 3339 stamps', options: { hosts: 4, format: 'rfc3339' } },
  {
    id: 'failures',
    label: 'failure-heavy: 30 % deferrals, 10 % bounces, 20 % of sessions rejected',
    options: { deferRate: 0.3, bounceRate: 0.1, rejectRate: 0.2 },
  },
  { id: 'noisy', label: 'noisy: 30 % other programs, 40 % multi-recipient', options: { noiseRate: 0.3, multiRcptRate: 0.4 } },
];

/** The generator CLI's flags for these options: `multiRcptRate: 0.4` -> `--multi-rcpt-rate 0.4`. */
export function generatorArgs(options: Partial<GenOptions>): string[] {
  return Object.entries(options).flatMap(([k, v]) => [`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, String(v)]);
}

/** One shape: its corpus, then warm-up and measured pairs (report, pflogsumm). */
async function runShape(ctx: Ctx, shape: Shape, lines: number, seed: string): Promise<ShapeRow> {
  const args = generatorArgs(shape.options);
  const c = generatedCorpus(ctx.root, ctx.work, { lines, seed, name: `shape-${shape.id}`, args }, ctx.log);
  const out = join(ctx.work, `shape-${shape.id}-report.json`);
  const pfOut = join(ctx.work, `shape-${shape.id}-pflogsumm.txt`);
  const mine: RunMeasure[] = [];
  const peer: RunMeasure[] = [];
  for (let i = 0; i < ctx.warmup + ctx.repeats; i++) {
    const tag = i < ctx.warmup ? 'warm-up' : `run ${i - ctx.warmup + 1}/${ctx.repeats}`;
    const m = checked(await timedRun(process.execPath, [...ctx.mailsight, 'report', '--json', c.file], { stdoutFile: out, timeoutMs: 30 * 60_000 }), 'mailsight report');
    const p = checked(await timedRun('pflogsumm', [c.file], { stdoutFile: pfOut, timeoutMs: 60 * 60_000 }), 'pflogsumm');
    ctx.log(`  ${shape.id} ${tag}: mailsight report ${m.wall_s.toFixed(2)} s, pflogsumm ${p.wall_s.toFixed(2)} s`);
    if (i < ctx.warmup) continue;
    mine.push(m);
    peer.push(p);
  }
  const ratios = mine.map((m, k) => peer[k].wall_s / m.wall_s);
  const diff = reportDiff(JSON.parse(readFileSync(c.truth, 'utf8')) as ReportLike, JSON.parse(readFileSync(out, 'utf8')) as ReportLike);
  return {
    id: shape.id,
    label: shape.label,
    generator_args: args,
    lines: await countLines(c.file),
    mailsight_wall_s: summarize(mine.map((m) => m.wall_s)),
    pflogsumm_wall_s: summarize(peer.map((p) => p.wall_s)),
    ratios,
    median: summarize(ratios).median,
    truth_diffs: diff.length,
    truth_example: diff[0],
  };
}

export async function runShapes(ctx: Ctx, o: { lines: number; seed: string }): Promise<void> {
  if (ensurePackages(ctx, ['pflogsumm']).length > 0) return;
  for (const shape of SHAPES) {
    try {
      ctx.results.shapes.push(await runShape(ctx, shape, o.lines, o.seed));
    } catch (e) {
      ctx.results.skipped.push({ id: `shape-${shape.id}`, label: `shape ${shape.id}`, status: 'failed', reason: (e as Error).message });
      ctx.log(`  shape ${shape.id}: failed: ${(e as Error).message}`);
    }
  }
}
