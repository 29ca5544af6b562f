// Case `syslog`: syslog TCP → mta_parse → correlate → mail_metrics → prometheus, in a
// `mailsight run` process, driven by loadgen.ts in a second process at a fixed rate and at
// the maximum rate the pipeline takes (queues block: back-pressure, nothing may drop).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, httpGet, procSample, stopChild, TIME_BIN, waitExit, waitFor } from '../lib/measure.js';
import { parsePrometheusText, sumOf } from '../lib/prom.js';
import type { SyslogRow } from '../lib/results.js';
import { percentile } from '../lib/stats.js';
import type { LoadgenResult } from '../loadgen.js';
import { missingComponents } from './components.js';
import { skip, type Ctx } from './context.js';

export const SYSLOG_NEEDS = ['receiver syslog', 'connector mail_metrics', 'exporter prometheus'];

export function syslogPipeline(o: { syslogPort: number; promPort: number; telemetryPort: number; dataDir: string }): string {
  return `# Written by benchmarks/cases/syslog.ts for one run.
receivers:
  syslog: { protocol: tcp, listen: 127.0.0.1:${o.syslogPort}, format: auto }
processors:
  mta_parse: { timezone: UTC }
  correlate: { snapshot: { enabled: false } }
connectors:
  # Short interval: a line's effect reaches /metrics at the next snapshot, so this bounds latency.
  mail_metrics: { interval: 100ms }
exporters:
  prometheus: { listen: 127.0.0.1:${o.promPort} }
service:
  pipelines:
    logs: { receivers: [syslog], processors: [mta_parse, correlate], exporters: [mail_metrics] }
    metrics: { receivers: [mail_metrics], exporters: [prometheus] }
  telemetry: { listen: 127.0.0.1:${o.telemetryPort} }
  data_dir: ${JSON.stringify(o.dataDir)}
`;
}

async function once(ctx: Ctx, mode: 'fixed' | 'max', rate: number, lines: number): Promise<SyslogRow> {
  const dir = join(ctx.work, `syslog-${mode}`);
  mkdirSync(dir, { recursive: true });
  const [syslogPort, promPort, telemetryPort] = [await freePort(), await freePort(), await freePort()];
  const cfg = join(dir, 'pipeline.yaml');
  writeFileSync(cfg, syslogPipeline({ syslogPort, promPort, telemetryPort, dataDir: join(dir, 'data') }));
  const ms = spawn(process.execPath, [ctx.bin, 'run', '-c', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  ms.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  try {
    await waitFor('mailsight /healthz', async () => ((await httpGet(`http://127.0.0.1:${telemetryPort}/healthz`)).status === 200 ? true : undefined), 30_000, 100).catch(
      (e: Error) => {
        throw new Error(`${e.message}; stderr: ${stderr.trim().split('\n').slice(-3).join(' / ')}`);
      },
    );
    const pid = ms.pid as number;
    const s0 = procSample(pid);
    // The sender's own CPU, to tell "mailsight is the limit" from "the load generator is".
    const genTime = join(dir, 'loadgen.time');
    const gen = spawn(
      TIME_BIN,
      [
        '-f', '%U %S',
        '-o', genTime,
        process.execPath,
        join(ctx.root, 'dist', 'benchmarks', 'loadgen.js'),
        '--port', String(syslogPort),
        '--file', ctx.corpus,
        '--lines', String(lines),
        '--rate', String(rate),
        '--metrics', `http://127.0.0.1:${promPort}/metrics`,
        '--timeout-s', '120',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let genErr = '';
    gen.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    gen.stderr?.on('data', (d: Buffer) => (genErr += d.toString()));
    const code = await waitExit(gen, 30 * 60_000);
    if (code !== 0) throw new Error(`loadgen failed: ${genErr.trim()}`);
    const s1 = procSample(pid);
    const r = JSON.parse(out.trim()) as LoadgenResult;
    if (r.probes_seen < r.probes_sent) throw new Error(`only ${r.probes_seen} of ${r.probes_sent} probes reached /metrics within 120 s`);
    const [gu, gs] = readFileSync(genTime, 'utf8').trim().split('\n').pop()?.split(/\s+/).map(Number) ?? [];
    const tel = parsePrometheusText((await httpGet(`http://127.0.0.1:${telemetryPort}/metrics`)).body);
    // Fixed rate: the rate the sender managed (back-pressure slows it when mailsight cannot keep
    // up). Max rate: until the last line's effect is visible, so nothing still queued counts.
    const wall = mode === 'fixed' ? r.send_s : r.done_s;
    return {
      mode,
      target_rate: rate > 0 ? rate : null,
      lines: r.lines,
      wall_s: wall,
      lines_per_s: r.lines / wall,
      cores: s0 && s1 ? (s1.cpu_s - s0.cpu_s) / r.done_s : NaN,
      rss_mib: s1?.hwm_mib ?? NaN,
      sender_cores: ((gu || 0) + (gs || 0)) / r.done_s,
      drops: sumOf(tel, 'mailsight_items_dropped_total') ?? 0,
      refused: sumOf(tel, 'mailsight_items_refused_total') ?? 0,
      latency_ms: { p50: percentile(r.latencies_ms, 50), p99: percentile(r.latencies_ms, 99), n: r.latencies_ms.length },
    };
  } finally {
    await stopChild(ms, 30_000);
  }
}

export async function runSyslog(ctx: Ctx): Promise<void> {
  const missing = missingComponents(ctx, SYSLOG_NEEDS);
  if (missing.length) {
    skip(ctx, 'syslog', 'syslog TCP → metrics', 'skipped', `needs ${missing.join(', ')} (not registered in this build: see \`mailsight components\`)`);
    return;
  }
  const fixedLines = Math.min(ctx.lines, ctx.syslogRate * ctx.syslogSeconds);
  for (const [mode, rate, lines] of [
    ['fixed', ctx.syslogRate, fixedLines],
    ['max', 0, ctx.lines],
  ] as const) {
    try {
      const row = await once(ctx, mode, rate, lines);
      ctx.results.syslog.push(row);
      ctx.log(
        `  ${mode}: ${Math.round(row.lines_per_s)} lines/s, ${row.cores.toFixed(2)} cores, ${Math.round(row.rss_mib)} MiB, ` +
          `drops ${row.drops}, latency p50 ${row.latency_ms.p50?.toFixed(0)} ms p99 ${row.latency_ms.p99?.toFixed(0)} ms`,
      );
    } catch (e) {
      skip(ctx, `syslog-${mode}`, `syslog TCP → metrics (${mode} rate)`, 'failed', (e as Error).message);
    }
  }
}
