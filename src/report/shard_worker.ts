// One shard of the sharded report (a worker thread; sharded.ts drives it). Phases:
//   1. links: scan its byte range of the input (or, for gzip, worker 0 the whole stream) for
//      hand-off links and send them up;
//   2. route, lines..., lines-end: with the merged link groups, parse, correlate and aggregate
//      the lines the main thread routed here (acknowledging each batch), checking that routing
//      was right for every event the engine uses; send up the per-host clocks and the check;
//   3. finish: advance the clocks to the whole input's, close the engine as the one-thread
//      report does, and send up the aggregate state.
import { parentPort, workerData } from 'node:worker_threads';
import { DEFAULT_CORRELATOR_OPTIONS, isLifecycleEvent } from '../processors/correlate/correlator.js';
import { LineParser } from '../processors/mta_parse/parser.js';
import type { MailEvent } from '../model/mail_event.js';
import { ReportFeed } from './feed.js';
import { fileBlocks, inputBlocks } from './input.js';
import { scanLinks } from './links.js';
import { ShardRouter } from './route.js';
import type { FromShard, ShardSetup, ToShard } from './shard_protocol.js';

const setup = workerData as ShardSetup;
const port = parentPort;
if (port === null) throw new Error('shard_worker.ts must run as a worker thread');
const send = (m: FromShard) => port.postMessage(m);

/** Links are sent in batches: strings copied out of the chunk (no slice keeps a chunk alive). */
const LINK_BATCH = 4096;

async function findLinks(): Promise<void> {
  let pairs: string[] = [];
  const link = (a: string, b: string) => {
    pairs.push(a, b);
    if (pairs.length >= LINK_BATCH * 2) {
      send({ type: 'links', pairs });
      pairs = [];
    }
  };
  const r = setup.range;
  if (r === 'all') {
    for await (const block of inputBlocks(setup.file)) scanLinks(block, link);
  } else if (r !== 'none') {
    for (const block of fileBlocks(setup.file, r[0], r[1])) scanLinks(block, link);
  }
  send({ type: 'links', pairs });
  send({ type: 'links-done' });
}

/** This worker's engine and the routing check, set up by `route`. */
interface Shard {
  router: ShardRouter;
  parser: LineParser;
  feed: ReportFeed;
  misrouted: number;
  example: string | undefined;
}

let shard: Shard | undefined;

function route(keys: string[], shards: number[]): void {
  const groups = new Map<string, number>();
  for (let i = 0; i < keys.length; i++) groups.set(keys[i], shards[i]);
  shard = {
    router: new ShardRouter(setup.shards, groups),
    parser: new LineParser({ timezone: setup.timezone, detail: 'lifecycle' }),
    // The bounds are for the whole report: each shard holds about its share of the messages.
    feed: new ReportFeed({
      maxMessages: Math.ceil(DEFAULT_CORRELATOR_OPTIONS.maxMessages / setup.shards),
      maxBytes: Math.ceil(DEFAULT_CORRELATOR_OPTIONS.maxBytes / setup.shards),
    }),
    misrouted: 0,
    example: undefined,
  };
}

/** The lines the main thread routed here: the same lines as LineSource (a trailing CR dropped). */
function lines(text: string): void {
  const sh = shard as Shard;
  const { router, parser, feed } = sh;
  const me = setup.index;
  const end = text.length;
  for (let s = 0; s < end; ) {
    let e = text.indexOf('\n', s);
    if (e < 0) e = end;
    const next = e + 1;
    if (e > s && text.charCodeAt(e - 1) === 13) e--;
    if (e > s) {
      const line = text.slice(s, e);
      const ev = parser.parse(line);
      if (isMisrouted(ev, router, me)) {
        sh.misrouted++;
        sh.example ??= line;
      }
      feed.add(ev);
    }
    s = next;
  }
}

function linesEnd(): void {
  const sh = shard as Shard;
  const h = sh.feed.engine.snapshotHeader();
  send({ type: 'clocks', clock: h.clock, hosts: h.hosts, misrouted: sh.misrouted, example: sh.example });
}

/**
 * An event the engine acts on that did not reach the shard its queue id (or its hop) lives in.
 * The main thread routed its line by the key route.ts found in it; checked here by the
 * parser's queue id, which costs a hash of the id, not a second search of the line.
 */
function isMisrouted(ev: MailEvent, router: ShardRouter, me: number): boolean {
  const qid = ev.queue_id;
  if (qid === undefined || qid === 'NOQUEUE' || !isLifecycleEvent(ev.event)) return false;
  if (router.shardOfKey(qid) !== me) return true;
  return ev.queued_as !== undefined && router.shardOfKey(ev.queued_as) !== me;
}

function finish(clock: number, hosts: Record<string, number>): void {
  const run = (shard as Shard).feed;
  // The engine only saw this shard's lines: its host clocks lag the input's. Raise them (a
  // header-only restore) so that the final sweep settles what the one-thread report settles.
  run.engine.restore([JSON.stringify({ v: 1, clock, hosts, open: 0 })]);
  send({ type: 'done', state: run.end().state() });
}

port.on('message', (m: ToShard) => {
  const fail = (err: unknown) => send({ type: 'error', message: (err as Error).message ?? String(err) });
  try {
    if (m.type === 'lines') {
      lines(m.text);
      send({ type: 'ack' });
    } else if (m.type === 'route') route(m.keys, m.shards);
    else if (m.type === 'lines-end') linesEnd();
    else if (m.type === 'finish') finish(m.clock, m.hosts);
    else process.exit(0);
  } catch (err) {
    fail(err);
  }
});

findLinks().catch((err: unknown) => send({ type: 'error', message: (err as Error).message ?? String(err) }));
