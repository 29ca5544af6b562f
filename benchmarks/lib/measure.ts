// Measuring child processes: wall time from our clock, CPU and peak RSS from the kernel
// (/usr/bin/time's getrusage for one-shot tools, /proc/<pid> for long-running servers whose
// idle start-up must not count).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunMeasure {
  wall_s: number;
  cpu_s: number;
  rss_mib: number;
  exit_code: number | null;
  stderr_tail: string;
}

export const TIME_BIN = '/usr/bin/time';

export function haveCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export interface RunOptions {
  /** File fed to stdin (default: none). */
  stdinFile?: string;
  /** File receiving stdout (default: discarded). */
  stdoutFile?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs: number;
}

/** Run `cmd args` to completion under /usr/bin/time (GNU time: %U %S %M of the child). */
export async function timedRun(cmd: string, args: string[], o: RunOptions): Promise<RunMeasure> {
  const dir = mkdtempSync(join(tmpdir(), 'msbench-time-'));
  const timeFile = join(dir, 'time');
  const stdin = o.stdinFile ? openSync(o.stdinFile, 'r') : 'ignore';
  const stdout = o.stdoutFile ? openSync(o.stdoutFile, 'w') : 'ignore';
  try {
    const t0 = process.hrtime.bigint();
    const child = spawn(TIME_BIN, ['-f', '%U %S %M', '-o', timeFile, cmd, ...args], {
      stdio: [stdin, stdout, 'pipe'],
      env: o.env ?? process.env,
      cwd: o.cwd,
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const code = await waitExit(child, o.timeoutMs);
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const parts = readFileSync(timeFile, 'utf8').trim().split('\n').pop()?.split(/\s+/) ?? [];
    const [u, s, m] = parts.map(Number);
    return { wall_s: wall, cpu_s: (u || 0) + (s || 0), rss_mib: (m || 0) / 1024, exit_code: code, stderr_tail: stderr.slice(-800) };
  } finally {
    if (typeof stdin === 'number') closeSync(stdin);
    if (typeof stdout === 'number') closeSync(stdout);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Resolve with the exit code; kill the child (and reject) after timeoutMs. */
export function waitExit(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out after ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

let clkTck = 0;
function ticksPerSecond(): number {
  if (clkTck === 0) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    clkTck = Number(r.stdout?.trim()) || 100;
  }
  return clkTck;
}

export interface ProcSample {
  cpu_s: number;
  rss_mib: number;
  /** Peak resident set (VmHWM) so far. */
  hwm_mib: number;
}

/** CPU (user+sys) and memory of a live process, from /proc. */
export function procSample(pid: number): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may contain spaces).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(f[11]) + Number(f[12])) / ticksPerSecond();
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return { cpu_s: cpu, rss_mib: kb('VmRSS') / 1024, hwm_mib: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll `fn` until it returns a value other than undefined, or throw after timeoutMs. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not reached within ${Math.round(timeoutMs / 1000)} s`);
    await sleep(everyMs);
  }
}

/** GET a loopback URL; rejects on network errors and timeouts. */
export function httpGet(url: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** A loopback port that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Stop a child we started: SIGTERM, then SIGKILL if it lingers. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}
