// The real OpenTelemetry Collector for integration tests: located (built by
// test/integration/otelcol/build.sh), started on loopback with an OTLP/HTTP receiver and a
// file exporter into a temp dir, and its output read back as OTLP/JSON requests.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { repoRoot } from './paths.js';

export const otelcolDir = join(repoRoot, 'test', 'integration', 'otelcol');

/** The collector version, from the builder manifest (the one source of it). */
export function otelcolVersion(): string {
  const m = /^\s*version:\s*([\d.]+)/m.exec(readFileSync(join(otelcolDir, 'builder-config.yaml'), 'utf8'));
  if (!m) throw new Error('no dist.version in builder-config.yaml');
  return m[1];
}

/** Where build.sh puts the binary (same rules: OTELCOL_BIN, MAILSIGHT_CACHE_DIR, XDG_CACHE_HOME). */
export function otelcolBinary(): string {
  if (process.env.OTELCOL_BIN) return process.env.OTELCOL_BIN;
  const cache = process.env.MAILSIGHT_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'mailsight');
  return join(cache, `otelcol-${otelcolVersion()}`, 'otelcol-mailsight-test');
}

/**
 * undefined when the collector can be used; otherwise why not. In CI a missing binary is an
 * error (the CI script must build it); on a laptop the caller skips, saying so loudly.
 */
export function otelcolUnavailable(): string | undefined {
  const bin = otelcolBinary();
  if (existsSync(bin)) return undefined;
  const why = `OpenTelemetry Collector binary not found at ${bin}; build it with test/integration/otelcol/build.sh (needs Go and the Go module proxy, ~5-7 min cold)`;
  if (process.env.CI) throw new Error(`CI: ${why}`);
  process.stderr.write(`\n*** SKIPPING otelcol integration tests: ${why}\n\n`);
  return why;
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  await once(srv, 'close');
  return port;
}

async function waitForPort(port: number, deadlineMs: number, child: ChildProcess, log: () => string): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`collector exited with ${child.exitCode}:\n${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`collector did not listen on ${port} within ${deadlineMs}ms:\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface OtlpJsonValue {
  stringValue?: string;
  intValue?: string;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpJsonValue[] };
  kvlistValue?: { values?: OtlpJsonKeyValue[] };
}
export interface OtlpJsonKeyValue {
  key: string;
  value: OtlpJsonValue;
}
/** One line of the file exporter: an Export{Logs,Metrics,Trace}ServiceRequest in OTLP/JSON. */
export interface OtlpJsonRequest {
  resourceLogs?: unknown[];
  resourceMetrics?: unknown[];
  resourceSpans?: unknown[];
}

export interface Collector {
  endpoint: string;
  port: number;
  /** Every request the file exporter wrote so far. */
  output(): Promise<OtlpJsonRequest[]>;
  /** Poll `output` until `done` holds or the deadline passes; returns the last output. */
  waitFor(done: (out: OtlpJsonRequest[]) => boolean, timeoutMs?: number): Promise<OtlpJsonRequest[]>;
  stop(): Promise<void>;
  log(): string;
}

/** Start the collector: OTLP/HTTP on 127.0.0.1:<free port>, all three signals to one JSON file. */
export async function startCollector(port?: number): Promise<Collector> {
  const dir = await mkdtemp(join(tmpdir(), 'mailsight-otelcol-'));
  const p = port ?? (await freePort());
  const out = join(dir, 'out.jsonl');
  const config = join(dir, 'config.yaml');
  await writeFile(
    config,
    `receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${p}
exporters:
  file:
    path: ${JSON.stringify(out)}
    format: json
    flush_interval: 50ms
service:
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
  pipelines:
    logs: { receivers: [otlp], exporters: [file] }
    metrics: { receivers: [otlp], exporters: [file] }
    traces: { receivers: [otlp], exporters: [file] }
`,
  );
  const child = spawn(otelcolBinary(), ['--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  await waitForPort(p, 20_000, child, () => log);
  const output = async (): Promise<OtlpJsonRequest[]> => {
    if (!existsSync(out)) return [];
    const lines = (await readFile(out, 'utf8')).split('\n');
    lines.pop(); // '' after the last newline, or a line the collector is still writing
    return lines.filter(Boolean).map((l) => JSON.parse(l) as OtlpJsonRequest);
  };
  return {
    endpoint: `http://127.0.0.1:${p}`,
    port: p,
    output,
    async waitFor(done, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      let o = await output();
      while (!done(o) && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 50));
        o = await output();
      }
      return o;
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await once(child, 'exit');
        clearTimeout(t);
      }
      await rm(dir, { recursive: true, force: true });
    },
    log: () => log,
  };
}
