// Case `peers`: the same corpus through pflogsumm, mtail (upstream postfix.mtail program),
// prometheus-postfix-exporter and, when one has been built, an OpenTelemetry Collector with
// filelog + regex_parser; timed like `mailsight report`, then their answers compared.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync, appendFileSync, createReadStream, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { freePort, haveCommand, httpGet, procSample, stopChild, timedRun, waitFor, sleep, type RunMeasure } from '../lib/measure.js';
import { cannotReport, exporterAnswers, mtailAnswers, parsePflogsumm, pflogsummAnswers, type PeerAnswers } from '../lib/peers.js';
import { parsePrometheusText } from '../lib/prom.js';
import { repeatRuns, skip, type Ctx } from './context.js';

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

async function pflogsumm(ctx: Ctx, answers: Record<string, PeerAnswers>): Promise<void> {
  const out = join(ctx.work, 'pflogsumm.txt');
  await repeatRuns(ctx, 'pflogsumm', 'pflogsumm', () => timedRun('pflogsumm', [ctx.corpus], { stdoutFile: out, timeoutMs: 60 * 60_000 }));
  ctx.results.machine.tools.pflogsumm = debVersion('pflogsumm') || version('pflogsumm', ['--version']);
  answers.pflogsumm = pflogsummAnswers(parsePflogsumm(readFileSync(out, 'utf8')));
}

/** The upstream program, adapted if this mtail predates the `with` bucket syntax. */
function prepareMtail(ctx: Ctx): string {
  const src = join(ctx.mtailProgs, 'postfix.mtail');
  if (!existsSync(src)) {
    throw new Error(
      `no postfix.mtail in ${ctx.mtailProgs} (Debian ships no example programs): save examples/postfix.mtail ` +
        'from https://github.com/google/mtail there, or pass --mtail-progs DIR',
    );
  }
  const dir = join(ctx.work, 'mtail-progs');
  mkdirSync(dir, { recursive: true });
  const dst = join(dir, 'postfix.mtail');
  copyFileSync(src, dst);
  const compile = () => spawnSync('mtail', ['--compile_only', '--progs', dir, '--logtostderr'], { encoding: 'utf8', timeout: 30_000 });
  let r = compile();
  if (r.status !== 0) {
    // mtail 3.0.0-rc50 (Debian 12) reads histogram buckets after `buckets`, newer programs say `with`.
    writeFileSync(dst, readFileSync(dst, 'utf8').replace(/^(\s*histogram\b.*?) with /gm, '$1 buckets '));
    r = compile();
  }
  if (r.status !== 0) throw new Error(`postfix.mtail does not compile: ${(r.stderr ?? '').trim().split('\n').slice(-2).join(' / ')}`);
  return dir;
}

async function mtail(ctx: Ctx, answers: Record<string, PeerAnswers>): Promise<void> {
  let dir: string;
  try {
    dir = prepareMtail(ctx);
  } catch (e) {
    skip(ctx, 'mtail', 'mtail (postfix.mtail)', 'not measured', (e as Error).message);
    return;
  }
  const out = join(ctx.work, 'mtail.prom');
  await repeatRuns(ctx, 'mtail', 'mtail --one_shot (postfix.mtail)', () =>
    timedRun('mtail', ['--progs', dir, '--logs', ctx.corpus, '--one_shot', '--one_shot_format', 'prometheus', '--logtostderr'], {
      stdoutFile: out,
      timeoutMs: 60 * 60_000,
    }),
  );
  ctx.results.machine.tools.mtail = debVersion('mtail') || version('mtail', ['--version']);
  answers.mtail = mtailAnswers(parsePrometheusText(readFileSync(out, 'utf8')));
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
    appendFileSync(file, `Dec 31 23:59:59 mx1 ${SENTINEL}[1]: end of benchmark corpus\n`);
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

async function exporter(ctx: Ctx, answers: Record<string, PeerAnswers>): Promise<void> {
  const out = join(ctx.work, 'exporter.prom');
  const row = await repeatRuns(ctx, 'exporter', 'prometheus-postfix-exporter', () => exporterOnce(ctx, out));
  row.note = 'tails the file: timed from the start of appending the corpus until its last line is counted on /metrics (polled every 50 ms)';
  ctx.results.machine.tools['prometheus-postfix-exporter'] = debVersion('prometheus-postfix-exporter');
  const samples = parsePrometheusText(readFileSync(out, 'utf8')).filter((s) => s.labels.service !== 'benchsentinel');
  answers['postfix-exporter'] = exporterAnswers(samples);
}

/** Only a Collector someone built (ocb) with filelog; never downloaded by the harness. */
async function otelcol(ctx: Ctx): Promise<void> {
  const bin = ctx.otelcol;
  if (bin === undefined) {
    skip(ctx, 'otelcol', 'OpenTelemetry Collector (filelog + regex_parser)', 'not measured', 'no Collector binary in ~/.cache/mailsight/otelcol/ (pass --otelcol PATH)');
    return;
  }
  const comps = spawnSync(bin, ['components'], { encoding: 'utf8', timeout: 30_000 }).stdout ?? '';
  if (!comps.includes('filelog')) {
    skip(ctx, 'otelcol', 'OpenTelemetry Collector (filelog + regex_parser)', 'not measured', `${bin} has no filelog receiver`);
    return;
  }
  const exporter = comps.includes('nop') ? 'nop' : 'debug';
  const dir = join(ctx.work, 'otelcol');
  mkdirSync(dir, { recursive: true });
  const run = async (): Promise<RunMeasure> => {
    const port = await freePort();
    const cfg = join(dir, 'config.yaml');
    // Syslog header, then the Postfix queue id and the delivery fields most dashboards use.
    writeFileSync(
      cfg,
      [
        'receivers:',
        '  filelog:',
        `    include: [${JSON.stringify(ctx.corpus)}]`,
        '    start_at: beginning',
        '    operators:',
        '      - type: regex_parser',
        `        regex: '^(?P<ts>\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d) (?P<host>\\S+) (?P<program>[^\\[:]+)(?:\\[(?P<pid>\\d+)\\])?: (?P<msg>.*)$'`,
        '        on_error: send_quiet',
        '      - type: regex_parser',
        '        parse_from: attributes.msg',
        `        regex: '^(?P<queue_id>[0-9A-F]{6,}): (?:to=<(?P<to>[^>]*)>.*?status=(?P<status>\\w+))?'`,
        '        on_error: send_quiet',
        'exporters:',
        `  ${exporter}: {}`,
        'service:',
        '  telemetry:',
        '    metrics:',
        '      level: basic',
        `      readers: [{ pull: { exporter: { prometheus: { host: 127.0.0.1, port: ${port} } } } }]`,
        '  pipelines:',
        `    logs: { receivers: [filelog], exporters: [${exporter}] }`,
        '',
      ].join('\n'),
    );
    const child = spawn(bin, ['--config', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    const t0 = process.hrtime.bigint();
    try {
      const url = `http://127.0.0.1:${port}/metrics`;
      await waitFor(
        'otelcol reading the corpus',
        async () => {
          const samples = parsePrometheusText((await httpGet(url)).body);
          const n = samples.filter((s) => s.name.startsWith('otelcol_receiver_accepted_log_records')).reduce((a, s) => a + s.value, 0);
          return n >= ctx.lines ? n : undefined;
        },
        60 * 60_000,
        50,
      );
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const s = procSample(child.pid as number);
      return { wall_s: wall, cpu_s: s?.cpu_s ?? NaN, rss_mib: s?.hwm_mib ?? NaN, exit_code: 0, stderr_tail: stderr };
    } catch (e) {
      throw new Error(`${(e as Error).message}; stderr: ${stderr.trim().split('\n').slice(-2).join(' / ')}`);
    } finally {
      await stopChild(child);
    }
  };
  const row = await repeatRuns(ctx, 'otelcol', 'otelcol filelog + regex_parser', run);
  row.note = 'timed from process start (includes start-up) until otelcol_receiver_accepted_log_records reaches the corpus line count';
  ctx.results.machine.tools.otelcol = version(bin, ['--version']);
}

export async function runPeers(ctx: Ctx): Promise<Record<string, PeerAnswers>> {
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
  await guarded('mtail', 'mtail', () => mtail(ctx, answers));
  await guarded('otelcol', 'otelcol', () => otelcol(ctx));
  for (const [name, a] of Object.entries(answers)) {
    ctx.results.cannot_report[name] = cannotReport(a);
    ctx.results.answer_notes[name] = a.notes;
  }
  return answers;
}
