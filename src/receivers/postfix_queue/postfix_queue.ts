// The postfix_queue receiver: runs `postqueue -j` (or the configured command) on an interval,
// streams its output through the aggregator and emits one metric snapshot per read. A read
// that fails (Postfix stopped for a non-root reader, ssh down, timeout, garbage) is reported as
// mail.queue.up = 0 and logged; the receiver keeps polling.
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import type { Consumer, CreateSettings, Host, Receiver } from '../../pipeline/component.js';
import { emit } from '../../pipeline/emit.js';
import type { MetricItem } from '../../model/metrics.js';
import type { ComponentTelemetry } from '../../telemetry/component_telemetry.js';
import { durationMs } from '../../config/types.js';
import type { PostfixQueueConfig } from './config.js';
import { QueueAggregator, type QueueSummary } from './queue_stats.js';
import { SeriesStarts, toMetrics, type PollStatus } from './metrics.js';

/** What one read of the queue gave. */
export interface ReadResult {
  summary: QueueSummary | undefined;
  status: PollStatus;
  /** Why it failed (undefined when it did not). */
  error: string | undefined;
  /** Lines that were not queue records (JSON errors, other objects). */
  malformed: number;
  /** What the command said on stderr (first 4 KiB). */
  stderr: string;
}

export interface PostfixQueueInternals {
  /** Grace between SIGTERM and SIGKILL when a read times out or at shutdown. */
  killGraceMs: number;
  /** Clock in ms (tests). */
  now: () => number;
}

const MAX_STDERR = 4096;
const MTA_DOWN = /mail system is down/i;

/**
 * Run the command once and aggregate its output. Never rejects: every failure is a result.
 * `signal` aborts the read (shutdown).
 */
export function readQueue(
  command: readonly string[],
  opts: { timeoutMs: number; maxDomains: number; topReasons: number; killGraceMs?: number; now?: () => number; signal?: AbortSignal },
): Promise<ReadResult> {
  const now = opts.now ?? Date.now;
  const t0 = now();
  const agg = new QueueAggregator(t0 / 1000, { maxDomains: opts.maxDomains, topReasons: opts.topReasons });
  return new Promise<ReadResult>((resolve) => {
    let malformed = 0;
    let stderr = '';
    let failure: string | undefined;
    let settled = false;
    // Its own process group, so that a timeout also ends what a wrapper (sh, ssh, docker) started.
    const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' }, detached: true });
    const signalGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, sig);
      } catch {
        child.kill(sig); // the group is gone already
      }
    };
    const kill = (why: string) => {
      failure ??= why;
      if (settled) return;
      signalGroup('SIGTERM');
      const k = setTimeout(() => {
        signalGroup('SIGKILL');
        // Whatever still holds the pipes open (a daemonised grandchild) must not hold this read.
        child.stdout.destroy();
        child.stderr.destroy();
      }, opts.killGraceMs ?? 1000);
      k.unref();
    };
    const timer = setTimeout(() => kill(`timed out after ${opts.timeoutMs} ms`), opts.timeoutMs);
    const onAbort = () => kill('aborted (shutdown)');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) onAbort();

    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      if (stderr.length < MAX_STDERR) stderr += s.slice(0, MAX_STDERR - stderr.length);
    });
    const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
    lines.on('line', (line) => {
      if (line === '') return;
      let rec: unknown;
      try {
        rec = JSON.parse(line);
      } catch {
        malformed++;
        return;
      }
      if (!agg.add(rec)) malformed++;
    });
    // readline closes at the end of stdout; a destroyed stdout (after a kill) only closes.
    const stdoutDone = new Promise<void>((res) => {
      lines.once('close', res);
      child.stdout.once('close', res);
    });

    const finish = (code: number | null, sig: NodeJS.Signals | null, spawnError?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      void stdoutDone.then(() => {
        if (spawnError) failure ??= `cannot run ${command[0]}: ${spawnError.message}`;
        else if (code !== 0) failure ??= `${command.join(' ')} exited with ${code ?? sig}: ${firstLine(stderr)}`;
        // A listing that is all garbage is a failure too (wrong command, a shell banner...).
        else if (malformed > 0 && agg.messages === 0) failure ??= `${command.join(' ')} printed no queue records (${malformed} unreadable lines)`;
        const down = MTA_DOWN.test(stderr);
        const status: PollStatus = {
          up: failure === undefined,
          mtaUp: down ? false : failure === undefined ? true : undefined,
          durationSec: (now() - t0) / 1000,
        };
        resolve({ summary: failure === undefined ? agg.finish() : undefined, status, error: failure, malformed, stderr });
      });
    };
    child.once('error', (err) => {
      lines.close();
      finish(null, null, err);
    });
    child.once('close', (code, sig) => finish(code, sig));
  });
}

function firstLine(s: string): string {
  const t = s.trim();
  const nl = t.indexOf('\n');
  return nl < 0 ? t : t.slice(0, nl);
}

export class PostfixQueueReceiver implements Receiver {
  private readonly cfg: PostfixQueueConfig;
  private readonly next: Consumer<MetricItem>;
  private readonly log: Logger;
  private readonly tel: ComponentTelemetry;
  private readonly internals: PostfixQueueInternals;
  private readonly host: string;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly starts = new SeriesStarts();
  private readonly polls: { inc(value: string, n?: number): void };
  private readonly malformed: { inc(n?: number): void };
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private stopping = false;
  /** Last failure or warning logged, to log state changes rather than every interval. */
  private lastProblem = '';

  constructor(settings: CreateSettings<PostfixQueueConfig, MetricItem>, internals: Partial<PostfixQueueInternals> = {}) {
    this.cfg = settings.config;
    this.next = settings.next;
    this.log = settings.logger;
    this.tel = settings.telemetry;
    this.internals = { killGraceMs: 1000, now: Date.now, ...internals };
    this.host = this.cfg.host || hostname();
    this.intervalMs = durationMs(this.cfg.interval);
    this.timeoutMs = durationMs(this.cfg.timeout);
    this.polls = this.tel.counterBy('mailsight_postfix_queue_reads_total', 'Reads of the Postfix queue, by result (ok, failed).', 'result');
    this.malformed = this.tel.counter('mailsight_postfix_queue_malformed_lines_total', 'Lines of the queue listing that were not queue records.');
  }

  async start(_host: Host): Promise<void> {
    // The first read starts now, without delaying the pipeline's start.
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      this.running = this.poll()
        .then(
          () => undefined,
          (err: unknown) => {
            this.tel.error();
            this.log.error({ err }, 'postfix_queue: read failed');
          },
        )
        .finally(() => {
          this.running = undefined;
          this.schedule(this.intervalMs);
        });
    }, ms);
  }

  /** One read and one emission (also called directly by tests). */
  async poll(): Promise<MetricItem[]> {
    const r = await readQueue(this.cfg.command, {
      timeoutMs: this.timeoutMs,
      maxDomains: this.cfg.max_domains,
      topReasons: this.cfg.top_reasons,
      killGraceMs: this.internals.killGraceMs,
      now: this.internals.now,
      signal: this.abort.signal,
    });
    if (this.stopping && r.error) return [];
    this.polls.inc(r.error ? 'failed' : 'ok');
    if (r.malformed) this.malformed.inc(r.malformed);
    const problem = r.error ?? (r.status.mtaUp === false ? firstLine(r.stderr) : '');
    if (problem !== this.lastProblem) {
      if (r.error) {
        this.tel.error();
        this.log.warn({ command: this.cfg.command, error: r.error }, 'postfix_queue: cannot read the queue; reporting mail.queue.up = 0 and trying again');
      } else if (problem) this.log.warn({ stderr: problem }, 'postfix_queue: Postfix is not running (the queue was read directly)');
      else this.log.info({ messages: r.summary?.messages }, 'postfix_queue: reading the queue');
      this.lastProblem = problem;
    }
    const items = toMetrics(r.summary, r.status, this.host, this.internals.now(), this.starts);
    this.tel.received(items.length);
    try {
      await emit<MetricItem>(this.next, items);
    } catch (err) {
      // A snapshot is superseded by the next one: not worth holding on to.
      this.tel.dropped(items.length);
      this.log.debug({ err }, 'postfix_queue: snapshot not accepted');
    }
    return items;
  }

  async shutdown(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
    if (this.running) await this.running.catch(() => undefined);
  }
}
