// Where `mailsight report` spends its time: runs it under --cpu-prof on a corpus and prints
// the top functions by self time (and by file), for the optimisation work.
//   node dist/benchmarks/profile.js CORPUS.log [--top 25]
//   node dist/benchmarks/profile.js --summarize FILE.cpuprofile
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  where: string;
  ms: number;
  share: number;
}

/** Self time per function (name + file:line) and per file, largest first. */
export function selfTimes(p: CpuProfile, root: string): { functions: SelfTime[]; files: SelfTime[]; total_ms: number } {
  const byId = new Map<number, ProfileNode>();
  for (const n of p.nodes) byId.set(n.id, n);
  const rootUrl = pathToFileURL(root).href + '/';
  const fn = new Map<string, SelfTime>();
  const files = new Map<string, SelfTime>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const n = byId.get(p.samples[i]);
    const us = p.timeDeltas[i] ?? 0;
    if (!n || us <= 0) continue;
    total += us;
    const cf = n.callFrame;
    // Repository-relative locations: results must not carry this machine's paths.
    const file = cf.url.startsWith(rootUrl) ? cf.url.slice(rootUrl.length) : cf.url.replace(/^file:\/\/.*\/node_modules\//, 'node_modules/') || '(native)';
    const name = cf.functionName || '(anonymous)';
    const where = `${file}:${cf.lineNumber + 1}`;
    const k = `${name} ${where}`;
    const f = fn.get(k) ?? { name, where, ms: 0, share: 0 };
    f.ms += us / 1000;
    fn.set(k, f);
    const g = files.get(file) ?? { name: file, where: file, ms: 0, share: 0 };
    g.ms += us / 1000;
    files.set(file, g);
  }
  const done = (m: Map<string, SelfTime>) =>
    [...m.values()].map((x) => ({ ...x, share: total > 0 ? x.ms / (total / 1000) : 0 })).sort((a, b) => b.ms - a.ms);
  return { functions: done(fn), files: done(files), total_ms: total / 1000 };
}

export function renderSelfTimes(s: ReturnType<typeof selfTimes>, top: number): string {
  const out = [`total sampled: ${(s.total_ms / 1000).toFixed(2)} s`, '', '| self ms | share | function | where |', '|---|---|---|---|'];
  for (const f of s.functions.slice(0, top)) out.push(`| ${f.ms.toFixed(0)} | ${(f.share * 100).toFixed(1)}% | ${f.name} | ${f.where} |`);
  out.push('', '| self ms | share | file |', '|---|---|---|');
  for (const f of s.files.slice(0, 15)) out.push(`| ${f.ms.toFixed(0)} | ${(f.share * 100).toFixed(1)}% | ${f.name} |`);
  return out.join('\n') + '\n';
}

function main(): void {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const args = process.argv.slice(2);
  const ti = args.indexOf('--top');
  const top = ti >= 0 ? Number(args[ti + 1]) : 25;
  if (ti >= 0) args.splice(ti, 2);
  let profile: CpuProfile;
  if (args[0] === '--summarize' && args[1]) {
    profile = JSON.parse(readFileSync(args[1], 'utf8')) as CpuProfile;
  } else if (args[0]) {
    const dir = mkdtempSync(join(tmpdir(), 'msbench-prof-'));
    try {
      const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, join(root, 'bin', 'mailsight.js'), 'report', '--json', args[0]], {
        stdio: ['ignore', 'ignore', 'inherit'],
        timeout: 30 * 60_000,
      });
      if (r.status !== 0) throw new Error('mailsight report failed');
      const f = readdirSync(dir).find((x) => x.endsWith('.cpuprofile'));
      if (!f) throw new Error('no .cpuprofile written');
      profile = JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } else {
    process.stderr.write('usage: profile.js CORPUS.log [--top N] | --summarize FILE.cpuprofile\n');
    process.exit(2);
  }
  process.stdout.write(renderSelfTimes(selfTimes(profile, root), top));
}

if (process.argv[1]?.endsWith('profile.js')) main();
