// Case `otlp`: stdin → mta_parse → correlate → otlphttp to a local OTLP/HTTP receiver in this
// process (answers 200 to everything, counts requests and bytes). Timed as a whole
// `mailsight run` that ends when its input does (drain and flush included).
import { createReadStream, mkdirSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { freePort, timedRun } from '../lib/measure.js';
import { missingComponents } from './components.js';
import { repeatRuns, skip, type Ctx } from './context.js';

export function otlpPipeline(o: { port: number; dataDir: string }): string {
  return `# Written by benchmarks/cases/otlp.ts for one run.
receivers:
  stdin: {}
processors:
  mta_parse: { timezone: UTC }
  correlate: { snapshot: { enabled: false } }
exporters:
  otlphttp: { endpoint: http://127.0.0.1:${o.port}, encoding: proto }
service:
  pipelines:
    logs: { receivers: [stdin], processors: [mta_parse, correlate], exporters: [otlphttp] }
  telemetry: { listen: null }
  data_dir: ${JSON.stringify(o.dataDir)}
`;
}

/** The same pipeline into the `file` exporter: what the pipeline costs without OTLP. */
export function filePipeline(o: { path: string; dataDir: string }): string {
  return otlpPipeline({ port: 0, dataDir: o.dataDir })
    .replace(/otlphttp: \{[^}]*\}/, `file: { path: ${JSON.stringify(o.path)} }`)
    .replace('exporters: [otlphttp]', 'exporters: [file]');
}

/** The first `n` lines of `src` into `dst` (the otlp case runs on a slice of the corpus). */
async function head(src: string, dst: string, n: number): Promise<number> {
  const out: string[] = [];
  const rl = createInterface({ input: createReadStream(src), crlfDelay: Infinity });
  for await (const line of rl) {
    out.push(line);
    if (out.length >= n) break;
  }
  rl.close();
  writeFileSync(dst, out.join('\n') + '\n');
  return out.length;
}

export async function runOtlp(ctx: Ctx): Promise<void> {
  const missing = missingComponents(ctx, ['receiver stdin', 'exporter otlphttp']);
  if (missing.length) {
    skip(ctx, 'otlp', 'OTLP/HTTP export', 'skipped', `needs ${missing.join(', ')} (not registered in this build: see \`mailsight components\`)`);
    return;
  }
  const port = await freePort();
  let requests = 0;
  let bytes = 0;
  const server: Server = createServer((req, res) => {
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => {
      requests++;
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/x-protobuf' });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  try {
    const dir = join(ctx.work, 'otlp');
    mkdirSync(dir, { recursive: true });
    const input = join(dir, 'input.log');
    const lines = await head(ctx.corpus, input, ctx.otlpLines);
    // Whole-pipeline runs are latency-bound rather than JIT-bound: no warm-up needed.
    const opts = { lines, warmup: 0 };
    const cfg = join(dir, 'pipeline.yaml');
    writeFileSync(cfg, otlpPipeline({ port, dataDir: join(dir, 'data') }));
    const row = await repeatRuns(ctx, 'mailsight-otlp', 'mailsight run: stdin → otlphttp', async () => {
      requests = 0;
      bytes = 0;
      const m = await timedRun(process.execPath, [...ctx.mailsight, 'run', '-c', cfg], { stdinFile: input, timeoutMs: 30 * 60_000 });
      // Exiting cleanly without exporting anything is a failure of the case, not a fast run.
      if (m.exit_code === 0 && requests === 0) return { ...m, exit_code: -1, stderr_tail: `the local OTLP receiver got nothing; ${m.stderr_tail}` };
      return m;
    }, opts);
    const fileCfg = join(dir, 'pipeline-file.yaml');
    writeFileSync(fileCfg, filePipeline({ path: join(dir, 'events.jsonl'), dataDir: join(dir, 'data-file') }));
    const base = await repeatRuns(ctx, 'mailsight-file', 'mailsight run: stdin → file (baseline)', () =>
      timedRun(process.execPath, [...ctx.mailsight, 'run', '-c', fileCfg], { stdinFile: input, timeoutMs: 30 * 60_000 }),
    opts);
    const sent = `last run: ${requests} OTLP requests, ${(bytes / 1048576).toFixed(1)} MiB to the local receiver`;
    // The fixed cost in both rows: loading the components, validating the config, starting
    // and draining the pipeline, with nothing to do. Their lines/s after it is the rate a
    // long-running pipeline keeps.
    const empty = join(dir, 'empty.log');
    writeFileSync(empty, '');
    const idle = await repeatRuns(ctx, 'mailsight-run-empty', 'mailsight run: empty stdin (start-up and drain)', () =>
      timedRun(process.execPath, [...ctx.mailsight, 'run', '-c', cfg], { stdinFile: empty, timeoutMs: 5 * 60_000 }),
    { ...opts, lines: 0 });
    idle.note = 'the otlp pipeline with no input: the fixed cost inside the two rows above';
    const afterStartUp = (r: typeof row) => {
      const busy = r.wall_s.median - idle.wall_s.median;
      return busy > 0 ? `; ${Math.round(lines / busy).toLocaleString('en-US')} lines/s after start-up (wall minus the empty run's)` : '';
    };
    base.note = `the otlp case's pipeline with the file exporter instead: separates the exporter's cost from the pipeline's${afterStartUp(base)}`;
    row.note = `${sent}; whole process incl. start-up and drain${afterStartUp(row)}`;
  } catch (e) {
    skip(ctx, 'otlp', 'OTLP/HTTP export', 'failed', (e as Error).message);
  } finally {
    server.close();
  }
}
