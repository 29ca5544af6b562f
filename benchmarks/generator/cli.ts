#!/usr/bin/env node
// mailsight log generator: seeded, realistic Postfix/Exim logs of any size plus the ground
// truth `mailsight report --json` must reproduce. See README.md next to this file.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { generateFiles, generateTo } from './generate.js';
import { DEFAULTS, parseDuration, type GenOptions } from './options.js';

const USAGE = `usage: node dist/benchmarks/generator/cli.js [options]
  --lines N              approximate number of lines (default ${DEFAULTS.lines})
  --seed S               PRNG seed, any string (default ${DEFAULTS.seed})
  --mta postfix|exim     (default postfix)
  --out FILE             log file (default: stdout)
  --truth FILE           ground truth JSON (report --json stable keys)
  --stats FILE           extra numbers (still queued, hops, reuses, lines) as JSON
  --hosts N              fleet size, hosts mx1..mxN (default 1)
  --start ISO-TIME       simulation start (default 2026-11-12T05:40:00Z)
  --format rfc3164|rfc3339   syslog header (default rfc3164)
  --rate R               new messages per second per host (default ${DEFAULTS.rate})
  --noise-rate P         share of lines from programs mailsight does not parse (default ${DEFAULTS.noiseRate})
  --reuse-rate P         forced queue-id reuse per new message (default ${DEFAULTS.reuseRate})
  --filter-rate P        share through the content filter (default ${DEFAULTS.filterRate})
  --relay-rate P         share relayed to another fleet host (default ${DEFAULTS.relayRate})
  --reject-rate P        share of sessions with a NOQUEUE reject (default ${DEFAULTS.rejectRate})
  --defer-rate P         base temporary-failure rate (default ${DEFAULTS.deferRate})
  --expire-share P       of deferred recipients, share that never gets through (default ${DEFAULTS.expireShare})
  --bounce-rate P        base permanent-failure rate (default ${DEFAULTS.bounceRate})
  --multi-rcpt-rate P    share of messages with several recipients (default ${DEFAULTS.multiRcptRate})
  --min-backoff DUR      minimal_backoff_time (default 300s)
  --max-backoff DUR      maximal_backoff_time (default 4000s)
  --queue-run-delay DUR  queue_run_delay (default 300s)
  --max-queue-lifetime DUR   maximal_queue_lifetime (default 4h; Postfix's own default is 5d)
DUR: 300, 300s, 5m, 4h, 5d`;

function num(v: string | undefined, name: string, lo: number, hi: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < lo || n > hi) throw new Error(`--${name}: expected a number in [${lo}, ${hi}], got ${v}`);
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      lines: { type: 'string' },
      seed: { type: 'string' },
      mta: { type: 'string' },
      out: { type: 'string' },
      truth: { type: 'string' },
      stats: { type: 'string' },
      hosts: { type: 'string' },
      start: { type: 'string' },
      format: { type: 'string' },
      rate: { type: 'string' },
      'noise-rate': { type: 'string' },
      'reuse-rate': { type: 'string' },
      'filter-rate': { type: 'string' },
      'relay-rate': { type: 'string' },
      'reject-rate': { type: 'string' },
      'defer-rate': { type: 'string' },
      'expire-share': { type: 'string' },
      'bounce-rate': { type: 'string' },
      'multi-rcpt-rate': { type: 'string' },
      'min-backoff': { type: 'string' },
      'max-backoff': { type: 'string' },
      'queue-run-delay': { type: 'string' },
      'max-queue-lifetime': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const o: Partial<GenOptions> = {};
  const set = <K extends keyof GenOptions>(k: K, v: GenOptions[K] | undefined): void => {
    if (v !== undefined) o[k] = v;
  };
  set('lines', num(values.lines, 'lines', 1, 1e10));
  set('seed', values.seed);
  if (values.mta !== undefined) {
    if (values.mta !== 'postfix' && values.mta !== 'exim') throw new Error(`--mta: postfix or exim, got ${values.mta}`);
    o.mta = values.mta;
  }
  set('hosts', num(values.hosts, 'hosts', 1, 200));
  if (o.hosts !== undefined) o.hosts = Math.floor(o.hosts);
  if (values.start !== undefined) {
    const ms = Date.parse(values.start);
    if (!Number.isFinite(ms)) throw new Error(`--start: not an ISO time: ${values.start}`);
    o.start = ms;
  }
  if (values.format !== undefined) {
    if (values.format !== 'rfc3164' && values.format !== 'rfc3339') throw new Error(`--format: rfc3164 or rfc3339, got ${values.format}`);
    o.format = values.format;
  }
  set('rate', num(values.rate, 'rate', 0.001, 100000));
  set('noiseRate', num(values['noise-rate'], 'noise-rate', 0, 1));
  set('reuseRate', num(values['reuse-rate'], 'reuse-rate', 0, 1));
  set('filterRate', num(values['filter-rate'], 'filter-rate', 0, 1));
  set('relayRate', num(values['relay-rate'], 'relay-rate', 0, 1));
  set('rejectRate', num(values['reject-rate'], 'reject-rate', 0, 1));
  set('deferRate', num(values['defer-rate'], 'defer-rate', 0, 1));
  set('expireShare', num(values['expire-share'], 'expire-share', 0, 1));
  set('bounceRate', num(values['bounce-rate'], 'bounce-rate', 0, 1));
  set('multiRcptRate', num(values['multi-rcpt-rate'], 'multi-rcpt-rate', 0, 1));
  if (values['min-backoff'] !== undefined) o.minBackoff = parseDuration(values['min-backoff']);
  if (values['max-backoff'] !== undefined) o.maxBackoff = parseDuration(values['max-backoff']);
  if (values['queue-run-delay'] !== undefined) o.queueRunDelay = parseDuration(values['queue-run-delay']);
  if (values['max-queue-lifetime'] !== undefined) o.maxQueueLifetime = parseDuration(values['max-queue-lifetime']);

  const t0 = process.hrtime.bigint();
  let res;
  if (values.out !== undefined) res = await generateFiles(values.out, values.truth, o);
  else {
    res = await generateTo(process.stdout, o);
    if (values.truth !== undefined) await writeFile(values.truth, JSON.stringify(res.report, null, 2) + '\n');
  }
  if (values.stats !== undefined) await writeFile(values.stats, JSON.stringify(res.stats, null, 2) + '\n');
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stderr.write(
    `generated ${res.stats.lines} lines in ${secs.toFixed(2)} s (${Math.round(res.stats.lines / secs)} lines/s), ` +
      `${res.report.messages} messages, ${res.report.recipients} recipients, ${res.stats.still_queued} still queued, ` +
      `rss ${Math.round(process.memoryUsage().rss / 1048576)} MiB\n`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`generator: ${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    process.exit(2);
  },
);
