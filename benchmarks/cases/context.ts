// What every case gets from the harness, and the repeat-and-summarise loop they share.
import { readFileSync } from 'node:fs';
import type { ReportLike, Results, SkipRow, ThroughputRow } from '../lib/results.js';
import type { RunMeasure } from '../lib/measure.js';
import { summarize } from '../lib/stats.js';

export interface Ctx {
  /** Repository root (where bin/ and dist/ are). */
  root: string;
  /** bin/mailsight.js */
  bin: string;
  /** Node arguments that run mailsight as its users do (see `launcher`); the subcommand follows. */
  mailsight: string[];
  /** Scratch directory for corpora, configs and peer state. */
  work: string;
  /** The corpus file: the generator's, or the user's (--corpus). */
  corpus: string;
  /** Its non-empty lines. */
  lines: number;
  bytes: number;
  /** The generator's ground truth; null for a user's corpus. */
  truth: ReportLike | null;
  repeats: number;
  warmup: number;
  quick: boolean;
  /** apt-get install missing peers (root only). */
  install: boolean;
  /** Directory holding postfix.mtail (the upstream example program). */
  /** A directory holding the postfix.mtail to run; undefined: Debian's, else the cache's. */
  mtailProgs: string | undefined;
  /** An OpenTelemetry Collector binary with filelog + regex_parser, if any. */
  otelcol: string | undefined;
  syslogRate: number;
  syslogSeconds: number;
  /** Lines of the corpus (from its start) that the otlp case sends. */
  otlpLines: number;
  results: Results;
  log: (s: string) => void;
}

/**
 * How a user runs mailsight: bin/mailsight.js with the node flags of its #! line, here on the
 * harness's own node so every case measures the same runtime.
 */
export function launcher(bin: string): string[] {
  const first = readFileSync(bin, 'utf8').split('\n', 1)[0];
  const m = /^#!.*\bnode((?:\s+--\S+)*)\s*$/.exec(first);
  return [...(m ? m[1].split(/\s+/).filter(Boolean) : []), bin];
}

export function skip(ctx: Ctx, id: string, label: string, status: SkipRow['status'], reason: string): void {
  ctx.results.skipped.push({ id, label, status, reason });
  ctx.log(`  ${label}: ${status}: ${reason}`);
}

/**
 * Warm-up runs (discarded), then `repeats` measured runs of the whole corpus. The file is in
 * the page cache for every tool alike after the first read.
 */
export async function repeatRuns(
  ctx: Ctx,
  id: string,
  label: string,
  run: (i: number) => Promise<RunMeasure>,
  o: { lines?: number; warmup?: number; pairWith?: () => Promise<RunMeasure> } = {},
): Promise<ThroughputRow> {
  const ms: RunMeasure[] = [];
  const warmup = o.warmup ?? ctx.warmup;
  const lines = o.lines ?? ctx.lines;
  const pairs: { mine: RunMeasure; peer: RunMeasure }[] = [];
  for (let i = 0; i < warmup + ctx.repeats; i++) {
    const tag = i < warmup ? 'warm-up' : `run ${i - warmup + 1}/${ctx.repeats}`;
    // Paired: a `mailsight report` run right before each measured run of this peer.
    const mine = i >= warmup && o.pairWith ? await checked(await o.pairWith()) : undefined;
    if (mine) ctx.log(`  (paired) mailsight report --json ${tag}: ${mine.wall_s.toFixed(2)} s wall, ${mine.cpu_s.toFixed(2)} s CPU`);
    const m = checked(await run(i));
    ctx.log(`  ${label} ${tag}: ${m.wall_s.toFixed(2)} s wall, ${m.cpu_s.toFixed(2)} s CPU, ${Math.round(m.rss_mib)} MiB`);
    if (i >= warmup) ms.push(m);
    if (mine) pairs.push({ mine, peer: m });
  }
  const wall = summarize(ms.map((m) => m.wall_s));
  const cpu = summarize(ms.map((m) => m.cpu_s));
  const row: ThroughputRow = {
    id,
    label,
    lines,
    wall_s: wall,
    cpu_s: cpu,
    rss_mib: summarize(ms.map((m) => m.rss_mib)),
    lines_per_s: lines / wall.median,
    cores: cpu.median / wall.median,
  };
  if (pairs.length) {
    // Same corpus, so the ratio of lines/s is the inverse ratio of wall times.
    const ratios = pairs.map((p) => p.peer.wall_s / p.mine.wall_s);
    row.paired = { ratios, median: summarize(ratios).median, mailsight_wall_s: summarize(pairs.map((p) => p.mine.wall_s)) };
  }
  ctx.results.throughput.push(row);
  return row;
}

/** The measure of a run that exited 0; otherwise an error with the exit code and stderr's tail. */
export function checked(m: RunMeasure, what?: string): RunMeasure {
  if (m.exit_code !== 0) {
    throw new Error(`${what ? `${what}: ` : ''}exit code ${m.exit_code}: ${m.stderr_tail.trim().split('\n').slice(-3).join(' / ')}`);
  }
  return m;
}
