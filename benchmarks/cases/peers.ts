// Case `peers`: the same corpus through pflogsumm, mtail (the postfix.mtail program),
// prometheus-postfix-exporter and an OpenTelemetry Collector with filelog + regex_parser
// (built with ocb when missing, see benchmarks/peers/otelcol/); timed like `mailsight report`,
// then their answers compared.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync, writeFileSync, appendFileSync, createReadStream, createWriteStream } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { gunzipSync } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { freePort, haveCommand, httpGet, procSample, stopChild, timedRun, waitExit, waitFor, sleep, type RunMeasure } from '../lib/measure.js';
import {
  adaptHistogramSyntax,
  cannotReport,
  CensusCounter,
  exporterAnswers,
  mailsightSide,
  mtailAnswers,
  mtailHeaderOf,
  parsePflogsumm,
  pflogsummAnswers,
  type PeerAnswers,
  type PostfixCensus,
  type ReportExtras,
} from '../lib/peers.js';
import type { ReportLike } from '../lib/results.js';
import { parsePrometheusText } from '../lib/prom.js';
import { repeatRuns, skip, type Ctx } from './context.js';
import { reportOnce } from './report.js';

/** `~/…` for a path under the home directory: results are shared, the user's home is not theirs. */
function homeRelative(path: string): string {
  const home = homedir();
  return path === home || path.startsWith(home + '/') ? '~' + path.slice(home.length) : path;
}

/** Where a user may save the upstream postfix.mtail when Debian's package has none. */
const MTAIL_CACHE = join(homedir(), '.cache', 'mailsight', 'peers', 'mtail');

export const PEER_PACKAGES: Record<string, string> = {
  pflogsumm: 'pflogsumm',
  mtail: 'mtail',
  'prometheus-postfix-exporter': 'prometheus-postfix-exporter',
};

/** Install missing Debian packages when allowed (root, --no-install not given); else say how. */
export function ensurePackages(ctx: Ctx, commands: string[]): string[] {
  const missing = commands.filter((c) => !haveCommand(c));
  if (missing.length === 0) return [];
  const pkgs = missing.map((c) => PEER_PACKAGES[c] ?? c);
  const isRoot = process.getuid?.() === 0;
  if (isRoot && ctx.install) {
    ctx.log(`  installing ${pkgs.join(' ')} (apt-get)`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    let r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], { stdio: 'ignore', env, timeout: 600_000 });
    if (r.status !== 0) {
      spawnSync('apt-get', ['update'], { stdio: 'ignore', env, timeout: 600_000 });
      r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], { stdio: 'ignore', env, timeout: 600_000 });
    }
  }
  const still = commands.filter((c) => !haveCommand(c));
  for (const c of still) {
    skip(ctx, c, c, 'skipped', `not installed; run: sudo apt-get install -y ${PEER_PACKAGES[c] ?? c}`);
  }
  return still;
}

function version(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0] ?? '';
}

function debVersion(pkg: string): string {
  const r = spawnSync('dpkg-query', ['-W', '-f', '${Version}', pkg], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

const SENTINEL = 'postfix/benchsentinel';

/** Each measured run of a peer comes right after a `mailsight report` run (see repeatRuns). */
function pairedWithReport(ctx: Ctx): { pairWith: () => Promise<RunMeasure> } {
  return { pairWith: () => reportOnce(ctx, join(ctx.work, 'mailsight-report-paired.json')) };
}

async function pflogsumm(ctx: Ctx, answers: Record<string, PeerAnswers>): Promise<void> {
  const out = join(ctx.work, 'pflogsumm.txt');
  await repeatRuns(ctx, 'pflogsumm', 'pflogsumm', () => timedRun('pflogsumm', [ctx.corpus], { stdoutFile: out, timeoutMs: 60 * 60_000 }), pairedWithReport(ctx));
  ctx.results.machine.tools.pflogsumm = debVersion('pflogsumm') || version('pflogsumm', ['--version']);
  answers.pflogsumm = pflogsummAnswers(parsePflogsumm(readFileSync(out, 'utf8')));
}

/** Where Debian's mtail package puts its example programs, postfix.mtail among them. */
const DEBIAN_MTAIL_EXAMPLES = '/usr/share/doc/mtail/examples';

/**
 * The postfix.mtail to run: from --mtail-progs DIR when given; else the one Debian's mtail
 * package ships (adapted to that mtail's syntax), plain or gzipped; else a copy of the upstream
 * program saved in the harness's cache directory.
 */
function findMtailProgram(ctx: Ctx): { text: string; origin: string } {
  const dirs = ctx.mtailProgs !== undefined ? [ctx.mtailProgs] : [DEBIAN_MTAIL_EXAMPLES, MTAIL_CACHE];
  for (const dir of dirs) {
    const plain = join(dir, 'postfix.mtail');
    const origin = dir === DEBIAN_MTAIL_EXAMPLES ? "Debian's mtail package" : homeRelative(dir);
    if (existsSync(plain)) return { text: readFileSync(plain, 'utf8'), origin };
    if (existsSync(plain + '.gz')) return { text: gunzipSync(readFileSync(plain + '.gz')).toString('utf8'), origin };
  }
  throw new Error(
    `no postfix.mtail in ${dirs.map(homeRelative).join(' nor ')}: install Debian's mtail package (it ships the program ` +
      `in ${DEBIAN_MTAIL_EXAMPLES}), save examples/postfix.mtail from https://github.com/google/mtail into ` +
      `${homeRelative(MTAIL_CACHE)}, or pass --mtail-progs DIR`,
  );
}

/** The program, compiled from a copy in the scratch directory (adapted if this mtail predates the `with` bucket syntax). */
function prepareMtail(ctx: Ctx): { dir: string; adapted: boolean; origin: string; header: RegExp | undefined } {
  const found = findMtailProgram(ctx);
  // A copy in the scratch directory: the program found is never modified.
  const dir = join(ctx.work, 'mtail-progs');
  mkdirSync(dir, { recursive: true });
  const dst = join(dir, 'postfix.mtail');
  writeFileSync(dst, found.text);
  const compile = () => spawnSync('mtail', ['--compile_only', '--progs', dir, '--logtostderr'], { encoding: 'utf8', timeout: 30_000 });
  let r = compile();
  let adapted = false;
  if (r.status !== 0) {
    const fixed = adaptHistogramSyntax(found.text);
    if (fixed !== found.text) {
      writeFileSync(dst, fixed);
      adapted = true;
      r = compile();
    }
  }
  if (r.status !== 0) throw new Error(`postfix.mtail (${found.origin}) does not compile: ${(r.stderr ?? '').trim().split('\n').slice(-2).join(' / ')}`);
  return { dir, adapted, origin: found.origin, header: mtailHeaderOf(found.text) };
}

/** One untimed pass over the corpus: the line counts the mtail comparison names. */
async function censusOfFile(file: string, mtailHeader: RegExp | undefined): Promise<PostfixCensus> {
  const c = new CensusCounter(mtailHeader);
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of rl) if (line !== '') c.add(line);
  return c.result();
}

async function mtail(ctx: Ctx, answers: Record<string, PeerAnswers>, mailsight: (ReportLike & ReportExtras) | null): Promise<void> {
  let prepared: ReturnType<typeof prepareMtail>;
  try {
    prepared = prepareMtail(ctx);
  } catch (e) {
    skip(ctx, 'mtail', 'mtail (postfix.mtail)', 'not measured', (e as Error).message);
    return;
  }
  const out = join(ctx.work, 'mtail.prom');
  const row = await repeatRuns(
    ctx,
    'mtail',
    'mtail --one_shot (postfix.mtail)',
    () =>
      timedRun('mtail', ['--progs', prepared.dir, '--logs', ctx.corpus, '--one_shot', '--one_shot_format', 'prometheus', '--logtostderr'], {
        stdoutFile: out,
        timeoutMs: 60 * 60_000,
      }),
    pairedWithReport(ctx),
  );
  row.note =
    `whole process: compiles the program (postfix.mtail from ${prepared.origin}), reads the file from its start, prints every metric at the end` +
    (prepared.adapted ? '; the program\'s histogram `with` bucket lists rewritten as `buckets` for this mtail' : '');
  ctx.results.machine.tools.mtail = debVersion('mtail') || version('mtail', ['--version']);
  const samples = parsePrometheusText(readFileSync(out, 'utf8'));
  if (samples.length === 0) throw new Error(`mtail printed no metrics (${out})`);
  // Against mailsight's report, else the ground truth; with neither (a user's corpus and no
  // report), the counters are given without the identities.
  const side = mailsight ? mailsightSide(mailsight, 'mailsight') : ctx.truth ? mailsightSide(ctx.truth, 'ground truth') : null;
  answers.mtail = mtailAnswers(samples, side ? { census: await censusOfFile(ctx.corpus, prepared.header), mailsight: side } : undefined);
}

/**
 * The exporter only tails (it starts at the end of the file), so each run starts it on an empty
 * file, appends the corpus and a sentinel line, and times until the sentinel is counted on
 * /metrics. CPU and peak RSS come from /proc, CPU as the difference over the timed part.
 */
async function exporterOnce(ctx: Ctx, metricsOut: string): Promise<RunMeasure> {
  const file = join(ctx.work, 'exporter-tail.log');
  writeFileSync(file, '');
  const port = await freePort();
  const child = spawn(
    'prometheus-postfix-exporter',
    [`--web.listen-address=127.0.0.1:${port}`, `--postfix.logfile_path=${file}`, `--postfix.showq_path=${join(ctx.work, 'no-showq')}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const url = `http://127.0.0.1:${port}/metrics`;
  try {
    await waitFor('exporter /metrics', async () => ((await httpGet(url)).status === 200 ? true : undefined), 15_000);
    // Let its tailer open the file and seek to the end before anything is appended.
    await sleep(500);
    const pid = child.pid as number;
    const s0 = procSample(pid);
    const t0 = process.hrtime.bigint();
    await pipeline(createReadStream(ctx.corpus), createWriteStream(file, { flags: 'a' }));
    // A user's corpus may end without a newline: the sentinel must be a line of its own.
    appendFileSync(file, `${endsWithNewline(ctx.corpus) ? '' : '\n'}Dec 31 23:59:59 mx1 ${SENTINEL}[1]: end of benchmark corpus\n`);
    const body = await waitFor(
      'exporter reaching the end of the corpus',
      async () => {
        const r = await httpGet(url);
        return r.body.includes('benchsentinel') ? r.body : undefined;
      },
      60 * 60_000,
      50,
    );
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const s1 = procSample(pid);
    writeFileSync(metricsOut, body);
    return {
      wall_s: wall,
      cpu_s: s0 && s1 ? s1.cpu_s - s0.cpu_s : NaN,
      rss_mib: s1?.hwm_mib ?? NaN,
      exit_code: 0,
      stderr_tail: stderr,
    };
  } finally {
    await stopChild(child);
  }
}

/** Whether the file's last byte is a newline (an empty file counts as ending with one). */
export function endsWithNewline(file: string): boolean {
  const size = statSync(file).size;
  if (size === 0) return true;
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, size - 1);
    return b[0] === 10;
  } finally {
    closeSync(fd);
  }
}

async function exporter(ctx: Ctx, answers: Record<string, PeerAnswers>): Promise<void> {
  const out = join(ctx.work, 'exporter.prom');
  const row = await repeatRuns(ctx, 'exporter', 'prometheus-postfix-exporter', () => exporterOnce(ctx, out), pairedWithReport(ctx));
  row.note = 'tails the file: timed from the start of appending the corpus until its last line is counted on /metrics (polled every 50 ms)';
  ctx.results.machine.tools['prometheus-postfix-exporter'] = debVersion('prometheus-postfix-exporter');
  const samples = parsePrometheusText(readFileSync(out, 'utf8')).filter((s) => s.labels.service !== 'benchsentinel');
  answers['postfix-exporter'] = exporterAnswers(samples);
}

const OTELCOL_LABEL = 'OpenTelemetry Collector (filelog + regex_parser)';

/**
 * The one regex an operator would put in a filelog regex_parser for Postfix syslog lines
 * (RE2 syntax): RFC 3164 header, `postfix[-instance]/daemon[pid]`, the queue id (short hex,
 * long ids of `enable_long_queue_ids`, or NOQUEUE) when there is one, and the rest. Lines of
 * other programs do not match and pass through unparsed (on_error: send_quiet).
 */
export const OTELCOL_POSTFIX_REGEX =
  '^(?P<timestamp>[A-Z][a-z]{2} [ \\d]\\d \\d{2}:\\d{2}:\\d{2}) (?P<host>\\S+) (?P<program>postfix[\\w.-]*/[\\w/.-]+)\\[(?P<pid>\\d+)\\]: ' +
  '(?:(?P<queue_id>[0-9A-F]{6,}|[0-9A-Za-z]{10,}z[0-9A-Za-z]+|NOQUEUE): )?(?P<message>.*)$';

/**
 * Collector config: filelog reads the corpus from its start, parses every line with the
 * Postfix regex (and its syslog timestamp, as mailsight does), and the exporter discards the
 * records, so what is timed is reading + parsing. The Collector's own metrics (Prometheus,
 * pulled) say how many records the receiver has accepted.
 */
export function otelcolConfig(o: { corpus: string; metricsPort: number; receiver: string; exporter: string }): string {
  return [
    'receivers:',
    `  ${o.receiver}:`,
    `    include: [${JSON.stringify(o.corpus)}]`,
    '    start_at: beginning',
    '    operators:',
    '      - type: regex_parser',
    `        regex: '${OTELCOL_POSTFIX_REGEX}'`,
    '        timestamp:',
    '          parse_from: attributes.timestamp',
    '          layout_type: gotime',
    "          layout: 'Jan _2 15:04:05'",
    '        on_error: send_quiet',
    'exporters:',
    `  ${o.exporter}: {}`,
    'service:',
    '  telemetry:',
    '    logs: { level: warn }',
    '    metrics:',
    '      level: normal',
    `      readers: [{ pull: { exporter: { prometheus: { host: 127.0.0.1, port: ${o.metricsPort} } } } }]`,
    '  pipelines:',
    `    logs: { receivers: [${o.receiver}], exporters: [${o.exporter}] }`,
    '',
  ].join('\n');
}

/** Records the filelog receiver has handed on (a counter; `_total` suffix or not by version). */
export function otelcolAccepted(metricsText: string): number {
  return parsePrometheusText(metricsText)
    .filter((s) => s.name.startsWith('otelcol_receiver_accepted_log_records'))
    .reduce((a, s) => a + s.value, 0);
}

export interface OtelcolNames {
  receiver: string;
  exporter: string;
}

/**
 * Component names from `otelcol components`: 0.165 calls the receiver `file_log` (`filelog`
 * is a deprecated alias that logs a warning), older builds only know `filelog`. The nop
 * exporter discards; debug (default verbosity: one summary line per batch) is the fallback.
 */
export function otelcolNames(components: string): OtelcolNames | null {
  const receiver = /\bfile_log\b/.test(components) ? 'file_log' : /\bfilelog\b/.test(components) ? 'filelog' : null;
  if (receiver === null) return null;
  return { receiver, exporter: /\bnop\b/.test(components) ? 'nop' : 'debug' };
}

const OTELCOL_BUILD = ['benchmarks', 'peers', 'otelcol', 'build.sh'];

/**
 * The Collector to run: the one found or given, else built now with build.sh (ocb, Go) when
 * installing is allowed. Throws the reason when there is none.
 */
async function ensureOtelcol(ctx: Ctx): Promise<string> {
  if (ctx.otelcol !== undefined) {
    if (!existsSync(ctx.otelcol)) throw new Error(`${ctx.otelcol} does not exist`);
    return ctx.otelcol;
  }
  const script = join(ctx.root, ...OTELCOL_BUILD);
  const none = 'no Collector binary in ${XDG_CACHE_HOME:-~/.cache}/mailsight/otelcol/';
  const how = `${OTELCOL_BUILD.join('/')} (Go ≥ 1.25, several minutes) builds one; or pass --otelcol PATH`;
  if (!ctx.install) throw new Error(`${none} and --no-install: ${how}`);
  if (!haveCommand('go')) throw new Error(`${none} and no Go to build one: ${how}`);
  const log = join(ctx.work, 'otelcol-build.log');
  ctx.log(`  building the OpenTelemetry Collector with ocb (${OTELCOL_BUILD.join('/')}): takes several minutes on a cold Go cache; log: ${log}`);
  const fd = openSync(log, 'w');
  let out = '';
  try {
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', fd] });
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    const code = await waitExit(child, 60 * 60_000);
    if (code !== 0) throw new Error(`${OTELCOL_BUILD.join('/')} failed (exit ${code}): ${tailOf(log)}`);
  } finally {
    closeSync(fd);
  }
  const bin = out.trim().split('\n').pop() ?? '';
  if (!bin || !existsSync(bin)) throw new Error(`${OTELCOL_BUILD.join('/')} printed no binary path: ${tailOf(log)}`);
  ctx.log(`  built ${bin}`);
  return bin;
}

function tailOf(file: string): string {
  return readFileSync(file, 'utf8').trim().split('\n').slice(-3).join(' / ');
}

/**
 * One run: timed from process start (start-up included, like `mailsight report`) until the
 * receiver has accepted as many records as the corpus has lines. Stops waiting at once if the
 * Collector exits (a config it rejects, say) instead of polling until the timeout.
 */
async function otelcolOnce(ctx: Ctx, bin: string, names: OtelcolNames): Promise<RunMeasure> {
  const port = await freePort();
  const cfg = join(ctx.work, 'otelcol', 'config.yaml');
  writeFileSync(cfg, otelcolConfig({ corpus: ctx.corpus, metricsPort: port, ...names }));
  const t0 = process.hrtime.bigint();
  const child = spawn(bin, ['--config', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  try {
    await untilAccepted(child, `http://127.0.0.1:${port}/metrics`, ctx.lines, 60 * 60_000);
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const s = procSample(child.pid as number);
    return { wall_s: wall, cpu_s: s?.cpu_s ?? NaN, rss_mib: s?.hwm_mib ?? NaN, exit_code: 0, stderr_tail: stderr };
  } catch (e) {
    throw new Error(`${(e as Error).message}; stderr: ${stderr.trim().split('\n').slice(-2).join(' / ')}`);
  } finally {
    await stopChild(child);
  }
}

/** Poll /metrics every 50 ms (before the endpoint is up, a refused request counts as 0). */
async function untilAccepted(child: ChildProcess, url: string, lines: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`otelcol exited early (${child.exitCode ?? child.signalCode})`);
    const n = await httpGet(url).then((r) => otelcolAccepted(r.body), () => 0);
    if (n >= lines) return;
    if (Date.now() > end) throw new Error(`otelcol: ${n} of ${lines} records accepted after ${Math.round(timeoutMs / 1000)} s`);
    await sleep(50);
  }
}

/** It turns lines into log records and counts records: every report key is left to a backend. */
function otelcolAnswers(): PeerAnswers {
  return {
    messages: null,
    sent: null,
    deferred_attempts: null,
    bounced: null,
    expired: null,
    rejected: null,
    unparsed_lines: null,
    latency: false,
    bounce_classes: false,
    by_domain_sent: null,
    by_domain_deferred: null,
    by_domain_bounced: null,
    notes: [
      'one log record per line, with timestamp, host, program, pid, queue_id and message parsed out; it counts records, not messages: every number here would need a backend querying the records',
    ],
  };
}

async function otelcol(ctx: Ctx, answers: Record<string, PeerAnswers>): Promise<void> {
  let bin: string;
  try {
    bin = await ensureOtelcol(ctx);
  } catch (e) {
    skip(ctx, 'otelcol', OTELCOL_LABEL, 'not measured', (e as Error).message);
    return;
  }
  const names = otelcolNames(spawnSync(bin, ['components'], { encoding: 'utf8', timeout: 30_000 }).stdout ?? '');
  if (names === null) {
    skip(ctx, 'otelcol', OTELCOL_LABEL, 'not measured', `${bin} has no filelog receiver`);
    return;
  }
  mkdirSync(join(ctx.work, 'otelcol'), { recursive: true });
  const row = await repeatRuns(ctx, 'otelcol', 'otelcol filelog + regex_parser', () => otelcolOnce(ctx, bin, names), pairedWithReport(ctx));
  row.note = `one Postfix regex_parser per line, ${names.exporter} exporter; timed from process start (start-up included) until otelcol_receiver_accepted_log_records reaches the corpus line count (polled every 50 ms)`;
  ctx.results.machine.tools.otelcol = version(bin, ['--version']);
  answers.otelcol = otelcolAnswers();
}

/**
 * `mailsight` is its report on the same corpus (the report case's, or one untimed run), which
 * the mtail comparison reads; without it that comparison uses the ground truth (and without
 * either, a user's corpus and a failed report, mtail's counters stand alone).
 */
export async function runPeers(ctx: Ctx, mailsight: (ReportLike & ReportExtras) | null = null): Promise<Record<string, PeerAnswers>> {
  const missing = ensurePackages(ctx, ['pflogsumm', 'mtail', 'prometheus-postfix-exporter']);
  const answers: Record<string, PeerAnswers> = {};
  const guarded = async (id: string, label: string, f: () => Promise<void>) => {
    if (missing.includes(id)) return;
    try {
      await f();
    } catch (e) {
      skip(ctx, id, label, 'failed', (e as Error).message);
    }
  };
  await guarded('pflogsumm', 'pflogsumm', () => pflogsumm(ctx, answers));
  await guarded('prometheus-postfix-exporter', 'prometheus-postfix-exporter', () => exporter(ctx, answers));
  await guarded('mtail', 'mtail', () => mtail(ctx, answers, mailsight));
  await guarded('otelcol', 'otelcol', () => otelcol(ctx, answers));
  for (const [name, a] of Object.entries(answers)) {
    ctx.results.cannot_report[name] = cannotReport(a);
    ctx.results.answer_notes[name] = a.notes;
  }
  return answers;
}
