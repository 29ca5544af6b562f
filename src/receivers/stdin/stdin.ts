// The stdin receiver: lines from a byte stream (process.stdin by default), in batches, with
// back-pressure (the stream is paused while a batch is being emitted) and redelivery of
// batches that were not delivered (stdin cannot be read twice, so they are kept until they are).
import type { Logger } from 'pino';
import type { Consumer, CreateSettings, Host, Receiver } from '../../pipeline/component.js';
import { emit } from '../../pipeline/emit.js';
import type { LogItem, RawLine } from '../../model/items.js';
import type { ComponentTelemetry } from '../../telemetry/component_telemetry.js';
import { durationMs } from '../../config/types.js';
import type { StdinConfig } from './config.js';

/** Tuning knobs that are not user options (tests shrink them). */
export interface StdinInternals {
  /** Batches emitted and not yet delivered, at most (each is kept in memory until delivered). */
  maxInFlight: number;
  /** Bounded wait for in-flight deliveries at shutdown. */
  shutdownWaitMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
}

// 16 batches awaiting delivery keep time-batching exporters busy while bounding memory.
const DEFAULT_INTERNALS: StdinInternals = { maxInFlight: 16, shutdownWaitMs: 5000, backoffMinMs: 100, backoffMaxMs: 5000 };

/** Shared by every line (read-only for consumers): no per-line object. */
const SOURCE: Record<string, string> = Object.freeze({ 'log.iostream': 'stdin' }) as Record<string, string>;

interface InFlight {
  items: RawLine[];
  state: 'pending' | 'ok' | 'failed';
  err?: Error;
  settled: Promise<void>;
}

export class StdinReceiver implements Receiver {
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  /** Resolved at end of input once every line is handed on (delivered or not yet). */
  readonly ended: Promise<void>;
  private resolveEnded!: () => void;
  private readonly cfg: StdinConfig;
  private readonly next: Consumer<LogItem>;
  private readonly log: Logger;
  private readonly telemetry: ComponentTelemetry;
  private readonly internals: StdinInternals;
  private readonly timeoutMs: number;
  private readonly splits: { inc(n?: number): void };

  private items: RawLine[] = [];
  /** Bytes after the last newline, waiting for the rest of their line. */
  private rest: Buffer | undefined;
  private readonly retry: RawLine[][] = [];
  private readonly inflight: InFlight[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private eof = false;
  private stopping = false;
  private backoffMs = 0;
  private stopWake: () => void = () => undefined;
  private readonly stopped = new Promise<void>((res) => (this.stopWake = res));

  constructor(
    settings: CreateSettings<StdinConfig, LogItem>,
    private readonly input: NodeJS.ReadableStream = process.stdin,
    internals: Partial<StdinInternals> = {},
  ) {
    this.cfg = settings.config;
    this.next = settings.next;
    this.log = settings.logger;
    this.telemetry = settings.telemetry;
    this.internals = { ...DEFAULT_INTERNALS, ...internals };
    this.timeoutMs = durationMs(this.cfg.batch_timeout);
    this.splits = this.telemetry.counter(
      'mailsight_stdin_line_splits_total',
      'Cuts made in stdin lines longer than max_line_bytes (a line of 2.5 times the limit counts 2).',
    );
    this.done = new Promise<void>((res) => (this.resolveDone = res));
    this.ended = new Promise<void>((res) => (this.resolveEnded = res));
  }

  async start(_host: Host): Promise<void> {
    this.input.on('data', this.onData);
    this.input.on('end', this.onEnd);
    this.input.on('error', this.onError);
    this.input.resume();
  }

  async shutdown(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.stopWake();
    this.detach();
    clearTimeout(this.timer);
    const wait = this.internals.shutdownWaitMs;
    if (this.flushing) await within(this.flushing, wait);
    const pending = this.inflight.map((f) => f.settled);
    if (pending.length) await within(Promise.all(pending), wait);
    this.settle();
    const lost = this.items.length + this.retry.reduce((n, b) => n + b.length, 0) +
      this.inflight.reduce((n, f) => n + f.items.length, 0);
    if (lost) {
      this.telemetry.dropped(lost);
      this.log.warn({ lines: lost }, 'stdin: shut down before these lines were delivered');
    }
    this.resolveEnded();
    this.resolveDone();
  }

  private detach(): void {
    this.input.off('data', this.onData);
    this.input.off('end', this.onEnd);
    this.input.off('error', this.onError);
    this.input.pause();
  }

  private readonly onData = (chunk: Buffer | string): void => {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    const n = this.split(buf);
    this.telemetry.received(n);
    if (this.items.length >= this.cfg.max_batch) this.kick();
    else if (this.items.length && !this.timer && !this.flushing) {
      this.timer = setTimeout(() => this.kick(), this.timeoutMs);
    }
  };

  private readonly onEnd = (): void => {
    this.eof = true;
    // An unterminated last line is still a line at end of input.
    if (this.rest && this.rest.length) {
      this.pushLine(this.rest, 0, this.rest.length);
      this.telemetry.received(1);
    }
    this.rest = undefined;
    this.kick();
  };

  private readonly onError = (err: Error): void => {
    this.telemetry.error();
    this.log.error({ err }, 'stdin: read error, treating it as end of input');
    this.onEnd();
  };

  /** Cut buf (preceded by what was left of the previous chunk) into lines. Returns lines added. */
  private split(chunk: Buffer): number {
    const buf = this.rest && this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    const max = this.cfg.max_line_bytes;
    let start = 0;
    let count = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl < 0) break;
      let end = nl;
      while (end - start > max) {
        const cut = charBoundary(buf, start + max, start);
        this.splits.inc();
        this.pushLine(buf, start, cut);
        count++;
        start = cut;
      }
      this.pushLine(buf, start, end);
      count++;
      start = nl + 1;
    }
    while (buf.length - start > max) {
      const cut = charBoundary(buf, start + max, start);
      this.splits.inc();
      this.pushLine(buf, start, cut);
      count++;
      start = cut;
    }
    // Copy the remainder: it must not pin the whole chunk.
    this.rest = start < buf.length ? Buffer.from(buf.subarray(start)) : undefined;
    return count;
  }

  private pushLine(buf: Buffer, start: number, end: number): void {
    if (end > start && buf[end - 1] === 13) end--; // CRLF
    this.items.push({ kind: 'line', body: buf.toString('utf8', start, end), observed: Date.now(), source: SOURCE });
  }

  /** Emit what is buffered, with the input paused meanwhile. */
  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushing || this.stopping) return;
    this.input.pause();
    this.flushing = this.flushAll()
      .catch((err: unknown) => {
        this.telemetry.error();
        this.log.error({ err }, 'stdin: flush failed');
      })
      .finally(() => {
        this.flushing = undefined;
        if (this.stopping) return;
        if (this.eof) {
          this.finish().catch((err: unknown) => {
            this.telemetry.error();
            this.log.error({ err }, 'stdin: final flush failed');
            this.resolveDone();
          });
          return;
        }
        // Lines may have completed while we were emitting (a chunk already in flight).
        if (this.items.length >= this.cfg.max_batch) this.kick();
        else {
          if (this.items.length && !this.timer) this.timer = setTimeout(() => this.kick(), this.timeoutMs);
          this.input.resume();
        }
      });
  }

  private async flushAll(): Promise<void> {
    const max = this.cfg.max_batch;
    while (!this.stopping && (this.retry.length || this.items.length)) {
      let batch: RawLine[];
      if (this.retry.length) {
        // A batch whose delivery failed: pause as for a refusal before sending it again.
        await this.pause(undefined, this.retry[0].length);
        if (this.stopping) break;
        batch = this.retry.shift()!;
      } else if (this.items.length <= max) {
        batch = this.items;
        this.items = [];
      } else batch = this.items.splice(0, max);
      await this.send(batch);
    }
  }

  private async send(batch: RawLine[]): Promise<void> {
    while (this.inflight.length >= this.internals.maxInFlight && !this.stopping) {
      await Promise.race([this.inflight[0].settled, this.stopped]);
      this.settle();
    }
    while (!this.stopping) {
      try {
        const { delivered } = await emit<LogItem>(this.next, batch);
        const f: InFlight = { items: batch, state: 'pending', settled: Promise.resolve() };
        f.settled = delivered.then(
          () => { f.state = 'ok'; },
          (err: unknown) => { f.state = 'failed'; f.err = err instanceof Error ? err : new Error(String(err)); },
        );
        this.inflight.push(f);
        return;
      } catch (err) {
        await this.pause(err, batch.length);
      }
    }
    this.items.unshift(...batch); // stopping: counted as dropped by shutdown()
  }

  /** Drop delivered batches; queue failed ones for another try (stdin cannot be re-read). */
  private settle(): void {
    while (this.inflight.length && this.inflight[0].state !== 'pending') {
      const f = this.inflight.shift()!;
      if (f.state === 'ok') {
        this.backoffMs = 0;
        continue;
      }
      this.retry.push(f.items);
      this.log.warn({ err: f.err, lines: f.items.length }, 'stdin: batch not delivered, will send it again');
    }
  }

  private async pause(err: unknown, lines: number): Promise<void> {
    this.backoffMs = Math.min(this.internals.backoffMaxMs, Math.max(this.internals.backoffMinMs, this.backoffMs * 2));
    this.log.warn({ err, lines, retry_in_ms: this.backoffMs }, 'stdin: batch not accepted or not delivered, will send it again');
    await within(this.stopped, this.backoffMs);
  }

  /** At end of input: wait until everything is delivered (resending what failed), then done. */
  private async finish(): Promise<void> {
    while (!this.stopping) {
      if (this.items.length || this.retry.length) {
        const p = (this.flushing = this.flushAll());
        await p.finally(() => (this.flushing = undefined));
        continue;
      }
      // Everything is handed on: what is left is waiting for delivery (or a resend).
      this.resolveEnded();
      if (this.inflight.length) {
        await Promise.race([this.inflight[0].settled, this.stopped]);
        this.settle();
        continue;
      }
      break;
    }
    this.detach();
    this.resolveEnded();
    this.resolveDone();
  }
}

/** The largest cut <= at that does not split a UTF-8 sequence (never before min+1). */
function charBoundary(buf: Buffer, at: number, min: number): number {
  let cut = at;
  for (let i = 0; i < 3 && cut > min + 1 && (buf[cut] & 0xc0) === 0x80; i++) cut--;
  return cut;
}

/** Wait for p, at most ms; the timer is cleared so that it never holds the process. */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  try {
    await Promise.race([p.then(() => undefined, () => undefined), new Promise<void>((res) => (t = setTimeout(res, ms)))]);
  } finally {
    clearTimeout(t);
  }
}
