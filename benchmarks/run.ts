// `npm run bench [-- options]`: the benchmark harness. Generates (or reuses) a seeded corpus
// with ground truth, or takes the user's log file (--corpus; no ground truth), runs the selected
// cases, and writes benchmarks/results/latest.{md,json} (quick.{md,json} with --quick). Every
// comparison is a ratio of numbers measured in this run on this machine. Loopback only; every
// child process is bounded in time and stopped.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync, writeFileSync, accessSync, constants, type Stats } from 'node:fs';
import { cpus, homedir, release, tmpdir, totalmem, type as osType } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launcher, type Ctx } from './cases/context.js';
import { runMemory } from './cases/memory.js';
import { runOtlp } from './cases/otlp.js';
import { runPeers } from './cases/peers.js';
import { runReport } from './cases/report.js';
import { runShapes, SHAPES } from './cases/shapes.js';
import { CAPACITY_TARGET_RATE, runSyslog } from './cases/syslog.js';
import { countLines, generatedCorpus } from './lib/corpus.js';
import { haveCommand, TIME_BIN } from './lib/measure.js';
import { compareAllDomains, compareAnswers, type Machine, type ReportLike, type Results, type TargetRow } from './lib/results.js';
import { ratio } from './lib/stats.js';
import { fmtInt, fmtNum, renderMarkdown } from './lib/table.js';

export const CASES = ['report', 'syslog', 'memory', 'otlp', 'peers', 'shapes'] as const;
export type CaseName = (typeof CASES)[number];

export interface BenchOptions {
  lines: number;
  seed: string;
  /** A user's log file (absolute) instead of the generator's corpus; --lines and --seed then do not apply. */
  corpus: string | undefined;
  cases: CaseName[];
  repeats: number;
  warmup: number;
  quick: boolean;
  out: string;
  work: string;
  install: boolean;
  mtailProgs: string | undefined;
  otelcol: string | undefined;
  syslogRate: number;
  syslogSeconds: number;
  otlpLines: number;
}

const USAGE = `usage: npm run bench -- [options]
  --lines N           corpus size in lines, also of each shape's corpus (default 1000000; --quick: 20000)
  --seed S            generator seed (default 1; also the shapes')
  --corpus FILE       use this plain-text log instead of a generated corpus (--lines and --seed
                      are then ignored: the line count is the file's); no ground truth, so the
                      report is not checked and per-domain answers are compared with mailsight's
  --cases a,b         any of ${CASES.join(',')} (default: all)
  --repeats N         measured runs per case (default 5; --quick: 1)
  --warmup N          discarded runs before them (default 1; --quick: 0)
  --quick             small corpus, one run, results to quick.{md,json} (smoke test)
  --out DIR           results directory (default benchmarks/results)
  --work DIR          corpora and scratch files (default <tmpdir>/mailsight-bench)
  --no-install        never apt-get install missing peers nor build the Collector
  --mtail-progs DIR   directory with the postfix.mtail to run (default: the one Debian's mtail package
                      ships, else ~/.cache/mailsight/peers/mtail)
  --otelcol PATH      an OpenTelemetry Collector with filelog (default: ~/.cache/mailsight/otelcol/otelcol*,
                      built there with benchmarks/peers/otelcol/build.sh when missing)
  --syslog-rate R     fixed rate of the syslog case, lines/s (default 20000)
  --syslog-seconds S  length of the fixed-rate run (default 20)
  --otlp-lines N      lines (from the corpus start) for the otlp case (default 200000; --quick: 5000)`;

/**
 * Where benchmarks/peers/otelcol/build.sh puts the Collector (same environment variables), so
 * a build by hand and one by the harness are found alike.
 */
export function otelcolDir(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(env.MAILSIGHT_CACHE_DIR || join(cache, 'mailsight'), 'otelcol');
}

/** build.sh's binary first, else any other executable otelcol* someone put there. */
function findOtelcol(): string | undefined {
  const dir = otelcolDir();
  if (!existsSync(dir)) return undefined;
  const names = readdirSync(dir).filter((f) => f.startsWith('otelcol'));
  names.sort((a, b) => Number(b === 'otelcol-mailsight-bench') - Number(a === 'otelcol-mailsight-bench'));
  for (const f of names) {
    const p = join(dir, f);
    try {
      if (statSync(p).isFile()) {
        accessSync(p, constants.X_OK);
        return p;
      }
    } catch {
      // not executable: keep looking
    }
  }
  return undefined;
}

export function parseArgs(argv: string[], root: string): BenchOptions {
  const quick = argv.includes('--quick');
  const o: BenchOptions = {
    lines: quick ? 20_000 : 1_000_000,
    seed: '1',
    corpus: undefined,
    cases: [...CASES],
    // Five, not three: on a shared 2-vCPU host one slow minute moved a median of three pairs
    // from ~3.5x to ~2.7x (benchmarks/README.md, Latest results).
    repeats: quick ? 1 : 5,
    warmup: quick ? 0 : 1,
    quick,
    out: join(root, 'benchmarks', 'results'),
    work: join(tmpdir(), 'mailsight-bench'),
    install: true,
    mtailProgs: undefined,
    otelcol: undefined,
    syslogRate: 20_000,
    syslogSeconds: quick ? 3 : 20,
    otlpLines: quick ? 5000 : 200_000,
  };
  let otelcol: string | undefined;
  const num = (k: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`${k}: expected a number ≥ ${min}, got ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    switch (k) {
      case '--quick':
        break;
      case '--no-install':
        o.install = false;
        break;
      case '--lines':
        o.lines = num(k, v, 100);
        i++;
        break;
      case '--seed':
        o.seed = v ?? '1';
        i++;
        break;
      case '--corpus':
        if (v === undefined || v === '') throw new Error('--corpus: expected a log file');
        o.corpus = userCorpus(v);
        i++;
        break;
      case '--cases': {
        const list = (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
        for (const c of list) if (!(CASES as readonly string[]).includes(c)) throw new Error(`--cases: unknown case ${c} (known: ${CASES.join(', ')})`);
        o.cases = list as CaseName[];
        i++;
        break;
      }
      case '--repeats':
        o.repeats = num(k, v, 1);
        i++;
        break;
      case '--warmup':
        o.warmup = num(k, v, 0);
        i++;
        break;
      case '--out':
        o.out = resolve(v ?? '');
        i++;
        break;
      case '--work':
        o.work = resolve(v ?? '');
        i++;
        break;
      case '--mtail-progs':
        o.mtailProgs = resolve(v ?? '');
        i++;
        break;
      case '--otelcol':
        otelcol = resolve(v ?? '');
        i++;
        break;
      case '--syslog-rate':
        o.syslogRate = num(k, v, 1);
        i++;
        break;
      case '--otlp-lines':
        o.otlpLines = num(k, v, 100);
        i++;
        break;
      case '--syslog-seconds':
        o.syslogSeconds = num(k, v, 1);
        i++;
        break;
      default:
        throw new Error(`unknown option ${k}\n${USAGE}`);
    }
  }
  o.otelcol = otelcol ?? findOtelcol();
  return o;
}

function machine(): Machine {
  let distro = '';
  try {
    distro = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '';
  } catch {
    // not Linux, or no os-release
  }
  const c = cpus();
  return {
    cpu: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    memory_gib: totalmem() / 1024 ** 3,
    node: process.version,
    os: `${distro ? distro + ', ' : ''}${osType()} ${release()}`,
    tools: {},
  };
}

/** --corpus FILE, absolute, once it is known to be a non-empty, uncompressed file. */
export function userCorpus(file: string): string {
  const path = resolve(file);
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`--corpus ${path}: no such file`);
    throw e;
  }
  if (!st.isFile()) throw new Error(`--corpus ${path}: not a file`);
  if (st.size === 0) throw new Error(`--corpus ${path}: the file is empty`);
  const head = Buffer.alloc(2);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 2, 0);
  } finally {
    closeSync(fd);
  }
  // The peers read plain text only.
  if (head[0] === 0x1f && head[1] === 0x8b) throw new Error(`--corpus ${path}: gzip-compressed; give the plain-text log (gunzip it first)`);
  return path;
}

/** `mailsight report --json CORPUS` once, untimed (null, with a log line, if it fails). */
function untimedReport(ctx: Ctx, log: (s: string) => void): ReportLike | null {
  log('  mailsight report --json (untimed: its answers for the comparison)');
  const r = spawnSync(process.execPath, [...ctx.mailsight, 'report', '--json', ctx.corpus], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 30 * 60_000,
  });
  if (r.status !== 0) {
    log(`  mailsight report failed (exit ${r.status ?? r.signal}): ${(r.stderr ?? '').trim().split('\n').slice(-2).join(' / ')}`);
    return null;
  }
  return JSON.parse(r.stdout) as ReportLike;
}

/** Ratios and targets from the rows of this run. */
export function derive(r: Results): void {
  const lps = (id: string) => r.throughput.find((t) => t.id === id)?.lines_per_s ?? null;
  const ms = lps('mailsight-report');
  const peers: [string, string][] = [
    ['pflogsumm', 'pflogsumm'],
    ['exporter', 'prometheus-postfix-exporter'],
    ['mtail', 'mtail'],
    ['otelcol', 'otelcol filelog'],
  ];
  // Against a peer: the median of its interleaved pairs with `mailsight report` when it has
  // them (immune to the host drifting between the two cases), else the two cases' medians.
  const vsPeer = (id: string): number | null => r.throughput.find((t) => t.id === id)?.paired?.median ?? ratio(ms, lps(id));
  r.ratios = peers.filter(([id]) => lps(id) !== null).map(([id, name]) => ({ name: `mailsight report / ${name}`, value: vsPeer(id) }));
  if (lps('mailsight-report-2t') !== null) {
    const two = lps('mailsight-report-2t');
    r.ratios.push({ name: 'mailsight report: --threads 2 / one thread', value: ratio(two, ms) });
    for (const [id, name] of peers.slice(0, 2)) if (lps(id) !== null) r.ratios.push({ name: `mailsight report --threads 2 / ${name}`, value: ratio(two, lps(id)) });
  }
  if (lps('mailsight-report-split') !== null) {
    const split = lps('mailsight-report-split');
    r.ratios.push({ name: 'two one-thread reports on the halves, at once / one thread (two-core ceiling)', value: ratio(split, ms) });
    if (lps('mailsight-report-2t') !== null) r.ratios.push({ name: 'mailsight report --threads 2 / that ceiling', value: ratio(lps('mailsight-report-2t'), split) });
  }
  if (lps('mailsight-otlp') !== null) r.ratios.push({ name: 'mailsight run: otlphttp / file exporter', value: ratio(lps('mailsight-otlp'), lps('mailsight-file')) });
  const t: TargetRow[] = [];
  const rp = lps('pflogsumm') === null ? null : vsPeer('pflogsumm');
  t.push({ name: 'file → report vs pflogsumm', target: '≥ 3× lines/s', measured: rp === null ? '—' : `${fmtNum(rp)}×`, met: rp === null ? null : rp >= 3 });
  const re = lps('exporter') === null ? null : vsPeer('exporter');
  t.push({ name: 'file → report vs prometheus-postfix-exporter', target: '≥ 2× lines/s', measured: re === null ? '—' : `${fmtNum(re)}×`, met: re === null ? null : re >= 2 });
  const at100k = r.syslog.find((s) => s.mode === 'fixed' && s.target_rate === CAPACITY_TARGET_RATE);
  t.push({
    name: 'syslog TCP → metrics at 100,000 lines/s',
    target: 'sustained at ≤ 1 core, < 256 MiB RSS, p99 latency < 1 s',
    measured: at100k
      ? `${fmtInt(at100k.lines_per_s)} lines/s, ${fmtNum(at100k.cores)} cores, ${fmtInt(at100k.rss_mib)} MiB, p99 ${at100k.latency_ms.p99 == null ? '—' : fmtInt(at100k.latency_ms.p99)} ms`
      : '—',
    // Sustained: the sender kept the rate (block back-pressure would have slowed it) and the
    // lines' effects reached /metrics within a second, so nothing piled up behind.
    met: at100k
      ? at100k.lines_per_s >= 0.98 * CAPACITY_TARGET_RATE &&
        at100k.cores <= 1 &&
        at100k.rss_mib < 256 &&
        at100k.latency_ms.p99 != null &&
        at100k.latency_ms.p99 < 1000
      : null,
  });
  const at50k = r.syslog.find((s) => s.mode === 'fixed' && s.target_rate === 50_000);
  t.push({
    name: 'syslog p99 send-to-metric latency at 50,000 lines/s',
    target: '< 1 s',
    measured: at50k?.latency_ms.p99 != null ? `${fmtInt(at50k.latency_ms.p99)} ms (sent at ${fmtInt(at50k.lines_per_s)} lines/s)` : '—',
    met: at50k?.latency_ms.p99 != null ? at50k.latency_ms.p99 < 1000 && at50k.lines_per_s >= 49_000 : null,
  });
  const drops = r.syslog.map((s) => s.drops ?? 0);
  t.push({ name: 'syslog drops under `block`', target: '0', measured: r.syslog.length ? drops.join(', ') : '—', met: r.syslog.length ? drops.every((d) => d === 0) : null });
  const mem = [...r.memory].sort((a, b) => b.open - a.open)[0];
  t.push({
    name: 'memory per open message',
    target: '< 1 KB (1024 B)',
    measured: mem ? `${fmtInt(mem.rss_bytes_per_msg)} B RSS, ${fmtInt(mem.heap_bytes_per_msg)} B heap at ${fmtInt(mem.open)}` : '—',
    met: mem ? Math.max(mem.rss_bytes_per_msg, mem.heap_bytes_per_msg) < 1024 : null,
  });
  r.targets = t;
}

async function main(): Promise<void> {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const o = parseArgs(argv, root);
  const log = (s: string) => process.stderr.write(s + '\n');

  if (!existsSync(TIME_BIN)) {
    if (process.getuid?.() === 0 && o.install) spawnSync('apt-get', ['install', '-y', 'time'], { stdio: 'ignore', timeout: 600_000 });
    if (!existsSync(TIME_BIN)) throw new Error(`${TIME_BIN} (GNU time) is needed to measure CPU and peak RSS: sudo apt-get install -y time`);
  }
  if (!haveCommand('dpkg-query')) log('note: no dpkg-query; peer versions will be read from the tools themselves');

  const results: Results = {
    version: 1,
    started_at: new Date().toISOString(),
    finished_at: '',
    machine: machine(),
    options: { lines: o.lines, seed: o.seed, repeats: o.repeats, warmup: o.warmup, cases: o.cases, quick: o.quick },
    corpus: null,
    throughput: [],
    ratios: [],
    shapes: [],
    syslog: [],
    memory: [],
    answers: [],
    per_domain: [],
    cannot_report: {},
    answer_notes: {},
    targets: [],
    skipped: [],
  };

  const needsCorpus = o.cases.some((c) => c !== 'memory' && c !== 'shapes');
  let ctx: Ctx;
  {
    if (o.corpus !== undefined && needsCorpus) {
      const ignored = ['--lines', '--seed'].filter((k) => argv.includes(k));
      log(`corpus: ${o.corpus} (--corpus: no ground truth${ignored.length ? `; ${ignored.join(' and ')} ignored` : ''})`);
    }
    const c = !needsCorpus ? { file: '', truth: '' } : o.corpus !== undefined ? { file: o.corpus, truth: '' } : generatedCorpus(root, o.work, { lines: o.lines, seed: o.seed, name: 'corpus' }, log);
    const truth = c.truth ? (JSON.parse(readFileSync(c.truth, 'utf8')) as ReportLike) : null;
    const lines = c.file ? await countLines(c.file) : 0;
    const bytes = c.file ? statSync(c.file).size : 0;
    if (c.file && o.corpus !== undefined && lines === 0) throw new Error(`--corpus ${c.file}: no lines (only empty ones)`);
    if (c.file) {
      // Never an absolute path of this machine in the results: the base name of a user's file.
      results.corpus =
        o.corpus !== undefined
          ? { source: 'file', file: basename(c.file), lines, bytes, messages: null, recipients: null }
          : { source: 'generator', seed: o.seed, lines, bytes, messages: truth?.messages ?? null, recipients: truth?.recipients ?? null };
    }
    ctx = {
      root,
      bin: join(root, 'bin', 'mailsight.js'),
      mailsight: launcher(join(root, 'bin', 'mailsight.js')),
      work: o.work,
      corpus: c.file,
      lines,
      bytes,
      truth,
      repeats: o.repeats,
      warmup: o.warmup,
      quick: o.quick,
      install: o.install,
      mtailProgs: o.mtailProgs,
      otelcol: o.otelcol,
      syslogRate: o.syslogRate,
      syslogSeconds: o.syslogSeconds,
      otlpLines: o.otlpLines,
      results,
      log,
    };
  }

  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  results.machine.tools.mailsight = `${version.version} (run as node ${ctx.mailsight.map((a) => (a === ctx.bin ? 'bin/mailsight.js' : a)).join(' ')})`;
  log(`mailsight: node ${ctx.mailsight.join(' ')}`);

  let mailsight: ReportLike | null = null;
  if (o.cases.includes('report')) {
    log('case report: file → parse → correlate → report');
    try {
      mailsight = await runReport(ctx);
    } catch (e) {
      results.skipped.push({ id: 'report', label: 'mailsight report', status: 'failed', reason: (e as Error).message });
    }
  }
  if (o.cases.includes('peers')) {
    log('case peers: pflogsumm, prometheus-postfix-exporter, mtail, otelcol on the same corpus');
    // Without the report case, mailsight's answers (to compare the peers with) come from one
    // untimed run; it adds no throughput row.
    if (!o.cases.includes('report')) mailsight = untimedReport(ctx, log);
    const answers = await runPeers(ctx, mailsight);
    results.answers = compareAnswers(ctx.truth, mailsight, answers);
    // Against the ground truth; for a user's corpus, the peers against mailsight's report.
    results.per_domain = compareAllDomains(ctx.truth, mailsight, answers);
  }
  if (o.cases.includes('syslog')) {
    log('case syslog: syslog TCP → parse → correlate → metrics');
    await runSyslog(ctx);
  }
  if (o.cases.includes('otlp')) {
    log('case otlp: stdin → parse → correlate → otlphttp');
    await runOtlp(ctx);
  }
  if (o.cases.includes('shapes')) {
    log(`case shapes: report vs pflogsumm on ${SHAPES.length} more log shapes`);
    await runShapes(ctx, { lines: o.lines, seed: o.seed });
  }
  if (o.cases.includes('memory')) {
    log('case memory: bytes per open message');
    runMemory(ctx);
  }

  results.finished_at = new Date().toISOString();
  derive(results);
  mkdirSync(o.out, { recursive: true });
  const name = o.quick ? 'quick' : 'latest';
  const md = renderMarkdown(results);
  writeFileSync(join(o.out, `${name}.json`), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(join(o.out, `${name}.md`), md);
  process.stdout.write(md);
  log(`results: ${relative(process.cwd(), join(o.out, `${name}.md`))} and .json`);
}

if (process.argv[1]?.endsWith('run.js')) {
  main().catch((e: unknown) => {
    process.stderr.write(`bench: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
