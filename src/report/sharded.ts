// The report on several cores: worker threads, each with its own parser, correlation engine
// and aggregator, split the messages between them (route.ts) and their aggregates are merged.
// The workers scan byte ranges of the input for hand-off links in parallel; then this thread
// reads the input once, routes every line and sends each worker its lines in batches (a few in
// flight per worker, so reading never runs far ahead of parsing); at the end each worker sends
// one aggregate.
//
// The result equals the one-thread report: a message's lines and its hand-off chain meet in one
// engine, the engines' clocks are raised to the input's before the end-of-input sweep, and the
// aggregates merge exactly. Workers check that every event the engine uses reached the shard of
// the parser's queue id; if one did not (the heuristic key search missed its id), this returns
// `misrouted` and the caller runs the one-thread report instead.
import { stat } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { ReportAggregator, type Report } from './aggregate.js';
import { LinkGroups } from './links.js';
import { decodeBlock, inputBlocks } from './input.js';
import { hashKey, routeBlock, ShardRouter } from './route.js';
import type { FromShard, ShardSetup, ToShard } from './shard_protocol.js';

export type ShardedOutcome = { report: Report } | { misrouted: number; example: string };

/** Batches of lines sent to a worker and not yet acknowledged, at most. */
const LINES_IN_FLIGHT = 8;
/**
 * Lines routed between two sends. A batch per 64 KiB input block (~400 lines a worker) kept
 * the workers ~30 % idle, waiting for this thread between thousands of small messages; 16k
 * lines a batch took the 1M-line bench corpus from 4.1 s to 3.4 s on two threads.
 */
const BATCH_LINES = 16_384;

/** Messages of one worker, awaited one at a time; a crash or an `error` message rejects. */
class ShardLink {
  private readonly inbox: FromShard[] = [];
  private waiting: { resolve: (m: FromShard) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  /** Unacknowledged `lines` batches, and who waits for one to be acknowledged. */
  private inFlight = 0;
  private credit: { resolve: () => void; reject: (e: Error) => void } | undefined;
  readonly worker: Worker;

  constructor(setup: ShardSetup) {
    this.worker = new Worker(new URL('./shard_worker.js', import.meta.url), { workerData: setup });
    this.worker.on('message', (m: FromShard) => {
      if (m.type === 'error') this.fail(new Error(m.message));
      else if (m.type === 'ack') {
        this.inFlight--;
        const c = this.credit;
        this.credit = undefined;
        c?.resolve();
      } else if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w.resolve(m);
      } else this.inbox.push(m);
    });
    this.worker.on('error', (e: Error) => this.fail(e));
    this.worker.on('exit', (code) => this.fail(new Error(`report worker exited (code ${code})`)));
  }

  receive(): Promise<FromShard> {
    const m = this.inbox.shift();
    if (m !== undefined) return Promise.resolve(m);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  send(m: ToShard): void {
    this.worker.postMessage(m);
  }

  /** Send a batch of lines once fewer than LINES_IN_FLIGHT are unacknowledged. */
  async sendLines(text: string): Promise<void> {
    while (this.inFlight >= LINES_IN_FLIGHT) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve, reject) => (this.credit = { resolve, reject }));
    }
    this.inFlight++;
    this.worker.postMessage({ type: 'lines', text } satisfies ToShard);
  }

  private fail(e: Error): void {
    this.failure ??= e;
    const c = this.credit;
    this.credit = undefined;
    c?.reject(this.failure);
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w.reject(this.failure);
    }
  }
}

/** Link-scan ranges: equal byte slices of a plain file; one worker reads a gzip stream whole. */
function ranges(file: string, size: number, n: number): ShardSetup['range'][] {
  if (file.endsWith('.gz')) return Array.from({ length: n }, (_, i) => (i === 0 ? 'all' : 'none'));
  return Array.from({ length: n }, (_, i) => [Math.floor((i * size) / n), Math.floor(((i + 1) * size) / n)]);
}

/**
 * Read the input once and send every worker its lines, in batches of about BATCH_LINES
 * lines in all: the same lines as LineSource takes (empty ones skipped), whole, newline
 * included.
 */
async function routeLines(file: string, router: ShardRouter, links: ShardLink[]): Promise<void> {
  const parts: string[][] = links.map(() => []);
  const flush = async () => {
    for (let i = 0; i < links.length; i++) {
      if (parts[i].length === 0) continue;
      await links[i].sendLines(parts[i].join(''));
      parts[i] = [];
    }
  };
  let routed = 0;
  for await (const block of inputBlocks(file)) {
    routed += routeBlock(decodeBlock(block), router, parts);
    if (routed >= BATCH_LINES) {
      await flush();
      routed = 0;
    }
  }
  await flush();
  for (const l of links) l.send({ type: 'lines-end' });
}

async function expect<T extends FromShard['type']>(link: ShardLink, type: T): Promise<Extract<FromShard, { type: T }>> {
  const m = await link.receive();
  if (m.type !== type) throw new Error(`report worker: expected ${type}, got ${m.type}`);
  return m as Extract<FromShard, { type: T }>;
}

/** Report of one input file (plain or .gz) with `shards` worker threads. */
export async function buildReportSharded(file: string, opts: { timezone?: string; shards: number }): Promise<ShardedOutcome> {
  const n = opts.shards;
  const { size } = await stat(file);
  const rs = ranges(file, size, n);
  const links = Array.from(
    { length: n },
    (_, index) => new ShardLink({ file, timezone: opts.timezone ?? 'UTC', shards: n, index, range: rs[index] }),
  );
  try {
    // 1. Hand-off links from every range -> groups of queue ids that share a shard.
    const lg = new LinkGroups();
    await Promise.all(
      links.map(async (l) => {
        for (let m = await l.receive(); m.type !== 'links-done'; m = await l.receive()) {
          if (m.type !== 'links') throw new Error(`report worker: expected links, got ${m.type}`);
          lg.addFlat(m.pairs);
        }
      }),
    );
    const groups = lg.groups((root) => hashKey(root) % n);
    const keys = [...groups.keys()];
    const shards = [...groups.values()];
    for (const l of links) l.send({ type: 'route', keys, shards });
    await routeLines(file, new ShardRouter(n, groups), links);

    // 2. Each worker correlates its share; the input's clocks are the maxima over shards.
    const clocks = await Promise.all(links.map((l) => expect(l, 'clocks')));
    const bad = clocks.find((c) => c.misrouted > 0);
    if (bad !== undefined) {
      return { misrouted: clocks.reduce((a, c) => a + c.misrouted, 0), example: bad.example ?? '' };
    }
    let clock = -Infinity;
    const hosts: Record<string, number> = {};
    for (const c of clocks) {
      if (c.clock > clock) clock = c.clock;
      for (const [h, t] of Object.entries(c.hosts)) if (!(hosts[h] >= t)) hosts[h] = t;
    }

    // 3. End of input in every engine, then one merged aggregate.
    for (const l of links) l.send({ type: 'finish', clock, hosts });
    const agg = new ReportAggregator();
    for (const l of links) agg.merge((await expect(l, 'done')).state);
    return { report: agg.result() };
  } finally {
    await Promise.all(links.map((l) => l.worker.terminate()));
  }
}
