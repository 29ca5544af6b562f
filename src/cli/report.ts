// `mailsight report [--json] FILE...`: correlate whole logs with the correlation engine (no
// pipeline) and print the summary of docs/report-semantics.md. Several files are merged by
// event time, so that hops between hosts whose logs are in different files still meet inside
// the hop window. Memory stays flat apart from open messages (and one number per delivered
// recipient for exact latency percentiles).
// With --threads, one input file is reported on several cores (report/sharded.ts), with the
// same result. One thread is the default: on the 2-vCPU machine the benchmarks ran on, two
// busy engines slow each other ~1.4× (the bench's two-core ceiling row: even two separate
// processes on the halves gain only 1.3–1.5×), so two threads gain at most ~1.1× here, for
// 1.4× the CPU and 2.7× the memory.
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import type { MailEvent } from '../model/mail_event.js';
import { LineParser } from '../processors/mta_parse/parser.js';
import type { Report } from '../report/aggregate.js';
import { ReportFeed } from '../report/feed.js';
import { renderText } from '../report/render.js';
import { LineSource } from '../report/input.js';
import { buildReportSharded } from '../report/sharded.js';
import { EXIT } from './exit_codes.js';

export interface ReportOptions {
  json: boolean;
  /** Zone of timestamps that carry none: UTC (default), local, or an offset like +02:00. */
  timezone?: string;
  /** Worker threads: a number, 'auto' (several for one large file), or undefined = 1. */
  threads?: number | 'auto';
}

/** Below this, thread start-up and the link scan cost more than a second core saves. */
const AUTO_SHARD_BYTES = 16 << 20;
/** One thread routes every line to the workers: beyond a few, it is the bottleneck, not the cores. */
const MAX_AUTO_THREADS = 4;

/** Threads for these inputs: sharding needs one file it can read more than once. */
export function reportThreads(files: string[], requested: number | 'auto' | undefined): number {
  if (files.length !== 1 || files[0] === '-' || requested === undefined) return 1;
  if (requested !== 'auto') return Math.max(1, Math.floor(requested));
  let size = 0;
  try {
    size = statSync(files[0]).size;
  } catch {
    return 1; // the one-thread path reports the error
  }
  if (size < AUTO_SHARD_BYTES) return 1;
  return Math.max(1, Math.min(availableParallelism(), MAX_AUTO_THREADS));
}

/** Correlate and aggregate parsed events in time order across inputs. */
export async function buildReport(files: string[], opts: { timezone?: string } = {}): Promise<Report> {
  const parser = new LineParser({ timezone: opts.timezone ?? 'UTC', detail: 'lifecycle' });
  const run = new ReportFeed();
  const feed = (ev: MailEvent) => run.add(ev);
  const sources = (files.length ? files : ['-']).map((f) => new LineSource(f));

  if (sources.length === 1) {
    const src = sources[0];
    do {
      // Lines as offsets into the block: parseAt() slices only what events keep.
      const { text, bytes } = src;
      for (let s = src.takeStart(); s >= 0; s = src.takeStart()) feed(parser.parseAt(text, bytes, s, src.end));
    } while (await src.fill());
  } else {
    // k-way merge on event time; k is the number of files, so a linear scan is enough.
    const heads: (MailEvent | undefined)[] = [];
    for (const s of sources) {
      const line = await s.next();
      heads.push(line === undefined ? undefined : parser.parse(line));
    }
    for (;;) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (h !== undefined && (best < 0 || h.time < (heads[best] as MailEvent).time)) best = i;
      }
      if (best < 0) break;
      feed(heads[best] as MailEvent);
      const src = sources[best];
      const line = src.take() ?? (await src.next());
      heads[best] = line === undefined ? undefined : parser.parse(line);
    }
  }

  return run.end().result();
}

/** The report, on as many threads as reportThreads() allows; the same result either way. */
export async function buildReportAuto(files: string[], opts: { timezone?: string; threads?: number | 'auto' } = {}): Promise<Report> {
  const threads = reportThreads(files, opts.threads);
  if (threads > 1) {
    const r = await buildReportSharded(files[0], { timezone: opts.timezone, shards: threads });
    if ('report' in r) return r.report;
    // A line the router keyed differently from the parser: the shards may have split a
    // message, so their result is discarded. Correct first, fast second.
    process.stderr.write(
      `mailsight report: ${r.misrouted} line(s) could not be routed to a thread reliably, e.g. ${JSON.stringify(r.example.slice(0, 200))}; reporting on one thread\n`,
    );
  }
  return buildReport(files, opts);
}

/**
 * V8 checks whether a function should be optimised each time it has run this many bytes of
 * bytecode (default 67,584). A report is one short burst over a whole file: with a quarter of
 * that, its hot functions leave the interpreter sooner (3 % fewer instructions on the main
 * thread over 300k lines, per callgrind; 16,000 beat 8,000 and 24,000). Set here, at run time,
 * and not on the launcher's `#!` line: a long-running `mailsight run` with it used 0.76 cores
 * instead of 0.58 and 302 MiB instead of 201 at 100,000 syslog lines/s.
 */
const REPORT_INTERRUPT_BUDGET = 16_000;

export async function reportCommand(files: string[], opts: ReportOptions, out: (s: string) => void): Promise<number> {
  setFlagsFromString(`--interrupt-budget=${REPORT_INTERRUPT_BUDGET}`);
  let report: Report;
  try {
    report = await buildReportAuto(files, opts);
  } catch (err) {
    process.stderr.write(`mailsight report: ${(err as Error).message}\n`);
    return EXIT.FAILURE;
  }
  out(opts.json ? JSON.stringify(report, null, 2) : renderText(report));
  return EXIT.OK;
}
