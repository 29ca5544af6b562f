// The exporter helper: what every push exporter needs between the pipeline and its backend.
// The exporter supplies `encode` (items -> requests) and `send` (one request -> the backend);
// the helper provides the sending queue (memory or disk), the senders, per-attempt timeout,
// retries with back-off and Retry-After, error classification, acks and self-metrics.
//
// When is the pipeline ack released?
// - no queue (sending_queue.enabled: false): when the backend accepted the batch; consume
//   resolves only then, so back-pressure reaches the source while the backend is slow.
// - memory queue: when the backend accepted every request of the batch; failed on a permanent
//   error, on retries exhausted, on drop_newest, or at shutdown if it could not be sent.
// - disk queue: once the batch is written to the queue files (see disk_queue.ts for what
//   fsync adds); the backend gets it later, after a restart if need be. Nothing acknowledged
//   is dropped for being retried too long: it goes back to the end of the queue. Only a
//   permanent error (the backend refused the data itself) discards a record, counted.
import { join } from 'node:path';
import type { Logger } from 'pino';
import { failAll, releaseAll, type Ack } from '../../pipeline/ack.js';
import type { Batch, Exporter, Host } from '../../pipeline/component.js';
import type { ComponentTelemetry } from '../../telemetry/component_telemetry.js';
import { durationMs } from '../../config/types.js';
import { Backoff } from './backoff.js';
import type { ExporterHelperConfig } from './config.js';
import { DiskQueue, type DiskRecordRef, type QueuedRequest } from './disk_queue.js';
import { PermanentError, RetryableError, type SendResult } from './errors.js';

export type { QueuedRequest } from './disk_queue.js';

export interface ExporterHelperSettings<T> {
  id: string;
  config: ExporterHelperConfig;
  logger: Logger;
  telemetry: ComponentTelemetry;
  /** Turn a batch into requests. Runs on consume, in pipeline order, before queueing. */
  encode(items: T[]): QueuedRequest[];
  /**
   * Send one request. Resolve when the backend accepted it; throw PermanentError (not
   * retried), RetryableError (with the backend's Retry-After) or anything else (retried).
   * Must stop when `signal` aborts (timeout or shutdown).
   */
  send(req: QueuedRequest, signal: AbortSignal): Promise<SendResult | void>;
}

/** Knobs that are not user options (tests shrink them). */
export interface HelperInternals {
  segmentBytes: number;
  random: () => number;
}

/** The acks of one batch, settled when all of its requests are handled. */
class AckGroup {
  private error: Error | undefined;
  constructor(
    private readonly acks: Ack[],
    private remaining: number,
  ) {}

  done(err?: Error): void {
    this.error ??= err;
    if (--this.remaining > 0) return;
    if (this.error) failAll(this.acks, this.error);
    else releaseAll(this.acks);
  }
}

interface Entry {
  items: number;
  bytes: number;
  /** Memory queue: the request and its batch's acks. */
  req?: QueuedRequest;
  group?: AckGroup;
  /** Disk queue: where the request is. */
  ref?: DiskRecordRef;
}

type Outcome = 'sent' | 'failed' | 'exhausted' | 'stopped';

export class ExporterHelper<T> implements Exporter<T> {
  private readonly cfg: ExporterHelperConfig;
  private readonly log: Logger;
  private readonly tel: ComponentTelemetry;
  private readonly internals: HelperInternals;
  private readonly timeoutMs: number;
  private readonly queued: Entry[] = [];
  private queueItems = 0;
  private queueBytes = 0;
  private disk: DiskQueue | undefined;
  private workers: Promise<void>[] = [];
  private readonly workWaiters: (() => void)[] = [];
  private readonly spaceWaiters: (() => void)[] = [];
  /** No new batches accepted. */
  private closed = false;
  /** Shutting down: no more retries (and, with the disk queue, no new sends). */
  private stopping = false;
  /** Aborts retry waits at shutdown, and in-flight sends once the shutdown grace is over. */
  private readonly stopWaits = new AbortController();
  private readonly abortSends = new AbortController();
  private readonly m: {
    sent: { inc(n?: number): void };
    failed: { inc(n?: number): void };
    retries: { inc(n?: number): void };
    corrupted: { inc(n?: number): void };
    items: { set(v: number): void };
    bytes: { set(v: number): void };
    capacity: { set(v: number): void };
  };

  constructor(
    private readonly s: ExporterHelperSettings<T>,
    internals: Partial<HelperInternals> = {},
  ) {
    this.cfg = s.config;
    this.log = s.logger;
    this.tel = s.telemetry;
    this.internals = { segmentBytes: 16 << 20, random: Math.random, ...internals };
    this.timeoutMs = durationMs(this.cfg.timeout);
    const t = this.tel;
    this.m = {
      sent: t.counter('mailsight_exporter_sent_items_total', 'Items the backend accepted.'),
      failed: t.counter('mailsight_exporter_failed_items_total', 'Items given up on: permanent errors, retries exhausted, partial rejections, unsendable at shutdown.'),
      retries: t.counter('mailsight_exporter_retries_total', 'Send attempts retried after a transient failure.'),
      corrupted: t.counter('mailsight_exporter_queue_corrupted_total', 'Disk-queue segments truncated at a corrupt or cut-short record during recovery.'),
      items: t.gauge('mailsight_exporter_queue_items', 'Items in the sending queue (waiting or being sent).'),
      bytes: t.gauge('mailsight_exporter_queue_bytes', 'Encoded bytes in the sending queue (waiting or being sent).'),
      capacity: t.gauge('mailsight_exporter_queue_capacity_items', 'Capacity of the sending queue in items.'),
    };
  }

  async start(host: Host): Promise<void> {
    const q = this.cfg.sending_queue;
    if (!q.enabled) return;
    this.m.capacity.set(q.size);
    if (q.storage === 'disk') {
      const dir = q.directory ?? join(host.dataDir, this.s.id.replaceAll('/', '_'));
      this.disk = new DiskQueue({ dir, fsync: q.fsync, fsyncIntervalMs: durationMs(q.fsync_interval), segmentBytes: this.internals.segmentBytes });
      const rec = await this.disk.open();
      if (rec.truncations) {
        this.m.corrupted.inc(rec.truncations);
        this.log.warn({ dir, truncations: rec.truncations, bytes: rec.truncatedBytes }, 'disk queue: truncated corrupt records at recovery');
      }
      for (const ref of rec.pending) this.push({ items: ref.items, bytes: ref.length, ref });
      if (rec.pending.length) this.log.info({ dir, requests: rec.pending.length, items: this.queueItems }, 'disk queue: replaying unsent requests');
    }
    for (let i = 0; i < q.num_consumers; i++) this.workers.push(this.work());
  }

  async consume(batch: Batch<T>): Promise<void> {
    if (this.closed) {
      failAll(batch.acks, new Error(`exporter ${this.s.id} is shut down`));
      return;
    }
    let reqs: QueuedRequest[];
    try {
      reqs = this.s.encode(batch.items);
    } catch (err) {
      // Data this exporter cannot represent will not get better by retrying.
      this.m.failed.inc(batch.items.length);
      this.tel.error();
      this.log.error({ err, items: batch.items.length }, 'cannot encode batch');
      failAll(batch.acks, asError(err));
      return;
    }
    if (reqs.length === 0) {
      releaseAll(batch.acks);
      return;
    }
    const q = this.cfg.sending_queue;
    if (!q.enabled) {
      const group = new AckGroup(batch.acks, reqs.length);
      for (const req of reqs) {
        const entry: Entry = { items: req.items, bytes: req.body.length, req, group };
        this.reserve(entry.items, entry.bytes); // the gauges show what is in flight
        await this.process(entry, req);
      }
      return;
    }
    const items = reqs.reduce((n, r) => n + r.items, 0);
    const bytes = reqs.reduce((n, r) => n + r.body.length, 0);
    // Room is reserved before the (asynchronous) disk write so concurrent callers cannot overshoot.
    while (this.queueItems > 0 && this.queueItems + items > q.size) {
      if (q.when_full === 'drop_newest') {
        this.tel.dropped(batch.items.length);
        failAll(batch.acks, new Error(`exporter ${this.s.id}: sending queue full, batch dropped`));
        return;
      }
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
      if (this.closed) {
        failAll(batch.acks, new Error(`exporter ${this.s.id} is shut down`));
        return;
      }
    }
    if (this.disk) {
      this.reserve(items, bytes);
      let refs: DiskRecordRef[];
      try {
        refs = await this.disk.append(reqs);
      } catch (err) {
        this.reserve(-items, -bytes);
        this.tel.error();
        this.log.error({ err, items }, 'disk queue: write failed');
        failAll(batch.acks, asError(err));
        return;
      }
      // Durably queued: from here the queue owns the data, the source may move on.
      releaseAll(batch.acks);
      this.reserve(-items, -bytes);
      for (const ref of refs) this.push({ items: ref.items, bytes: ref.length, ref });
    } else {
      const group = new AckGroup(batch.acks, reqs.length);
      for (const req of reqs) this.push({ items: req.items, bytes: req.body.length, req, group });
    }
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopping = true;
    this.stopWaits.abort();
    for (const w of this.spaceWaiters.splice(0)) w();
    this.wakeWorkers();
    // The memory queue tries to send what it holds (one attempt each); the disk queue keeps it
    // for the next start. Either way in-flight attempts get `timeout` to finish, then abort.
    const grace = setTimeout(() => this.abortSends.abort(new Error('shutdown')), this.timeoutMs);
    await Promise.all(this.workers);
    clearTimeout(grace);
    for (const e of this.queued.splice(0)) this.finish(e, 'stopped', new Error(`exporter ${this.s.id} shut down before sending`));
    await this.disk?.close();
  }

  /** Items queued or in flight (for tests and the helper's own gauges). */
  get queueLength(): number {
    return this.queueItems;
  }

  private reserve(items: number, bytes: number): void {
    this.queueItems += items;
    this.queueBytes += bytes;
    this.m.items.set(this.queueItems);
    this.m.bytes.set(this.queueBytes);
  }

  private push(e: Entry): void {
    this.queued.push(e);
    this.reserve(e.items, e.bytes);
    this.wakeWorkers();
  }

  private wakeWorkers(): void {
    for (const w of this.workWaiters.splice(0)) w();
  }

  private async take(): Promise<Entry | undefined> {
    for (;;) {
      if (this.abortSends.signal.aborted) return undefined;
      if (this.stopping && this.disk) return undefined;
      const e = this.queued.shift();
      if (e) return e;
      if (this.stopping) return undefined;
      await new Promise<void>((resolve) => this.workWaiters.push(resolve));
    }
  }

  private async work(): Promise<void> {
    for (;;) {
      const e = await this.take();
      if (!e) return;
      let req = e.req;
      if (!req) {
        try {
          req = await this.disk!.read(e.ref!);
        } catch (err) {
          this.log.error({ err }, 'disk queue: cannot read a queued request; dropping it');
          this.m.corrupted.inc();
          this.finish(e, 'failed', asError(err));
          continue;
        }
      }
      await this.process(e, req);
    }
  }

  /** Send with retries until accepted, refused for good, exhausted or stopped. */
  private async process(e: Entry, req: QueuedRequest): Promise<void> {
    const r = this.cfg.retry_on_failure;
    const backoff = new Backoff(
      {
        initialMs: durationMs(r.initial_interval),
        maxMs: durationMs(r.max_interval),
        multiplier: r.multiplier,
        randomizationFactor: r.randomization_factor,
        maxElapsedMs: durationMs(r.max_elapsed_time),
      },
      this.internals.random,
    );
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1 && this.stopping && this.disk) {
        this.finish(e, 'stopped'); // woken from a retry wait by shutdown: it stays queued on disk
        return;
      }
      let result: SendResult | void;
      try {
        result = await this.attempt(req);
      } catch (err) {
        const error = asError(err);
        if (err instanceof PermanentError) {
          this.log.error({ err: error.message, items: e.items, status: err.status }, 'backend refused the data permanently; not retried');
          this.finish(e, 'failed', error);
          return;
        }
        if (this.abortSends.signal.aborted || (this.stopping && this.disk)) {
          this.finish(e, 'stopped', error);
          return;
        }
        const retryAfter = err instanceof RetryableError ? err.retryAfterMs : undefined;
        const wait = r.enabled && !this.stopping ? backoff.next(retryAfter ?? 0) : undefined;
        if (wait === undefined) {
          this.log.error({ err: error.message, items: e.items, attempts: attempt, elapsed_ms: backoff.elapsedMs }, r.enabled && !this.stopping ? 'retries exhausted' : 'send failed');
          this.finish(e, this.stopping ? 'stopped' : 'exhausted', error);
          return;
        }
        this.m.retries.inc();
        this.log.warn({ err: error.message, items: e.items, attempt, wait_ms: wait, retry_after_ms: retryAfter }, 'send failed; retrying');
        await sleep(wait, this.stopWaits.signal);
        continue;
      }
      const rejected = Math.min(result?.rejected ?? 0, e.items);
      if (rejected > 0) {
        this.log.warn({ rejected, items: e.items, message: result?.message }, 'backend rejected part of the request (partial success); not retried');
        this.m.failed.inc(rejected);
      }
      this.m.sent.inc(e.items - rejected);
      this.tel.emitted(e.items - rejected);
      this.finish(e, 'sent', rejected > 0 ? new PermanentError(`backend rejected ${rejected} of ${e.items} items: ${result?.message ?? ''}`) : undefined);
      return;
    }
  }

  /** One attempt, bounded by `timeout` and aborted at the end of the shutdown grace. */
  private async attempt(req: QueuedRequest): Promise<SendResult | void> {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new RetryableError(`timeout after ${this.cfg.timeout}`)), this.timeoutMs);
    const onStop = () => ac.abort(new RetryableError('aborted by shutdown'));
    this.abortSends.signal.addEventListener('abort', onStop, { once: true });
    try {
      return await this.s.send(req, ac.signal);
    } catch (err) {
      // Report the abort reason (timeout) rather than the transport's generic AbortError.
      if (ac.signal.aborted && !(err instanceof PermanentError)) throw ac.signal.reason;
      throw err;
    } finally {
      clearTimeout(timer);
      this.abortSends.signal.removeEventListener('abort', onStop);
    }
  }

  private finish(e: Entry, outcome: Outcome, err?: Error): void {
    if (e.ref) {
      if (outcome === 'exhausted' || outcome === 'stopped') {
        // Acknowledged data is never dropped for being retried too long: exhausted requests
        // go to the back of the queue, stopped ones stay where they are for the next start.
        if (outcome === 'exhausted') void this.requeue(e);
        else this.reserve(-e.items, -e.bytes);
        this.wakeSpace();
        return;
      }
      this.disk!.complete(e.ref);
    }
    if (outcome === 'failed' || outcome === 'exhausted' || outcome === 'stopped') {
      this.m.failed.inc(e.items);
      this.tel.error();
    }
    this.reserve(-e.items, -e.bytes);
    e.group?.done(outcome === 'sent' ? err : (err ?? new Error('export failed')));
    this.wakeSpace();
  }

  private async requeue(e: Entry): Promise<void> {
    const disk = this.disk!;
    try {
      const req = await disk.read(e.ref!);
      const [ref] = await disk.append([req]);
      disk.complete(e.ref!);
      this.reserve(-e.items, -e.bytes);
      this.push({ items: ref.items, bytes: ref.length, ref });
    } catch (err) {
      // Left uncommitted: it is replayed at the next start.
      this.reserve(-e.items, -e.bytes);
      this.log.warn({ err }, 'disk queue: could not requeue a request; it stays for the next start');
    }
  }

  private wakeSpace(): void {
    for (const w of this.spaceWaiters.splice(0)) w();
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
