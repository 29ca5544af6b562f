// The bounded queue in front of every processor and exporter. It gathers what arrives into
// batches of `batch_size` (or whatever is there after `batch_timeout`), hands one batch at a
// time to the component (order kept), and when full either blocks the producer
// (back-pressure) or drops the newest batch and counts it.
import { releaseAll, type Ack } from './ack.js';
import type { Batch, Consumer } from './component.js';
import type { ComponentTelemetry } from '../telemetry/component_telemetry.js';

export interface QueueOptions {
  size: number;
  batchSize: number;
  batchTimeoutMs: number;
  whenFull: 'block' | 'drop_newest';
}

interface Segment<T> {
  items: T[];
  acks: Ack[];
  /** Items of this segment already handed on. */
  offset: number;
}

export class BatchQueue<T> implements Consumer<T> {
  private readonly segs: Segment<T>[] = [];
  private depth = 0;
  private running = false;
  /** The batch timer fired (or a drain asked): hand on a partial batch. */
  private due = false;
  private draining = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly spaceWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly opts: QueueOptions,
    private readonly downstream: Consumer<T>,
    private readonly telemetry: ComponentTelemetry,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    telemetry.queueCapacity(opts.size);
    telemetry.queueDepth(0);
  }

  get length(): number {
    return this.depth;
  }

  async consume(batch: Batch<T>): Promise<void> {
    const n = batch.items.length;
    if (n === 0) {
      releaseAll(batch.acks);
      return;
    }
    // A batch larger than the whole queue is still accepted when the queue is empty,
    // otherwise it could never enter.
    while (this.depth > 0 && this.depth + n > this.opts.size) {
      if (this.opts.whenFull === 'drop_newest') {
        this.telemetry.dropped(n);
        releaseAll(batch.acks);
        return;
      }
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    }
    this.segs.push({ items: batch.items, acks: batch.acks, offset: 0 });
    this.depth += n;
    this.telemetry.queueDepth(this.depth);
    this.schedule();
  }

  /** Hand on everything queued, then resolve once the component has accepted it all. */
  drain(): Promise<void> {
    this.draining = true;
    if (this.depth === 0 && !this.running) return Promise.resolve();
    const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.schedule();
    return idle;
  }

  private schedule(): void {
    if (this.running) return;
    if (this.depth >= this.opts.batchSize || this.due || this.draining) {
      void this.pump();
    } else if (this.depth > 0 && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.due = true;
        this.schedule();
      }, this.opts.batchTimeoutMs);
    }
  }

  private async pump(): Promise<void> {
    this.running = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    try {
      while (this.depth > 0 && (this.depth >= this.opts.batchSize || this.due || this.draining)) {
        const out = this.take(this.opts.batchSize);
        this.due = false;
        this.wakeProducers();
        this.telemetry.received(out.items.length);
        try {
          await this.downstream.consume(out);
        } catch (err) {
          // consume owns the acks even when it throws; we only count and report.
          this.telemetry.error();
          this.onError(err);
        }
      }
    } finally {
      this.running = false;
      if (this.depth > 0) this.schedule();
      else this.notifyIdle();
    }
  }

  private take(max: number): Batch<T> {
    let items: T[] = [];
    const acks: Ack[] = [];
    while (items.length < max && this.segs.length > 0) {
      const seg = this.segs[0];
      const want = max - items.length;
      const left = seg.items.length - seg.offset;
      if (left <= want) {
        // Whole (rest of the) segment: its acks move with it.
        if (seg.offset === 0 && items.length === 0 && left === max) {
          this.segs.shift();
          this.depth -= left;
          this.telemetry.queueDepth(this.depth);
          return { items: seg.items, acks: seg.acks };
        }
        items = append(items, seg.items, seg.offset, seg.items.length);
        for (const a of seg.acks) acks.push(a);
        this.segs.shift();
        this.depth -= left;
      } else {
        // Part of a segment: the part holds its own share of the segment's acks.
        items = append(items, seg.items, seg.offset, seg.offset + want);
        seg.offset += want;
        for (const a of seg.acks) {
          a.retain();
          acks.push(a);
        }
        this.depth -= want;
      }
    }
    this.telemetry.queueDepth(this.depth);
    return { items, acks };
  }

  private wakeProducers(): void {
    const waiters = this.spaceWaiters.splice(0);
    for (const w of waiters) w();
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

/** `to` followed by from[start, end): a plain copy when `to` is empty. */
function append<T>(to: T[], from: T[], start: number, end: number): T[] {
  if (to.length === 0) return from.slice(start, end);
  for (let i = start; i < end; i++) to.push(from[i]);
  return to;
}
