// One shard of the sharded report (a worker thread; sharded.ts drives it). Phases:
//   1. links: scan its byte range of the input (or, for gzip, worker 0 the whole stream) for
//      hand-off links and send them up;
//   2. route: with the merged link groups, read the whole input, keep the lines routed to this
//      shard, parse, correlate and aggregate them, checking that routing was right for every
//      event the engine uses; send up the per-host clocks and the check result;
//   3. finish: advance the clocks to the whole input's, close the engine as the one-thread
//      report does, and send up the aggregate state.
import { parentPort, workerData } from 'node:worker_threads';
import { DEFAULT_CORRELATOR_OPTIONS, isLifecycleEvent } from '../processors/correlate/correlator.js';
import { LineParser } from '../processors/mta_parse/parser.js';
import type { MailEvent } from '../model/mail_event.js';
import { ReportFeed } from './feed.js';
import { decodeBlock, fileBlocks, inputBlocks } from './input.js';
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

let feed: ReportFeed | undefined;

async function route(keys: string[], shards: number[]): Promise<void> {
  const groups = new Map<string, number>();
  for (let i = 0; i < keys.length; i++) groups.set(keys[i], shards[i]);
  const router = new ShardRouter(setup.shards, groups);
  const me = setup.index;
  const parser = new LineParser({ timezone: setup.timezone });
  // The bounds are for the whole report: each shard holds about its share of the messages.
  const run = new ReportFeed({
    maxMessages: Math.ceil(DEFAULT_CORRELATOR_OPTIONS.maxMessages / setup.shards),
    maxBytes: Math.ceil(DEFAULT_CORRELATOR_OPTIONS.maxBytes / setup.shards),
  });
  feed = run;
  let misrouted = 0;
  let example: string | undefined;
  // The same lines as LineSource (empty ones skipped, a trailing CR dropped), but routed on
  // offsets into the block: a line of another shard costs no string.
  for await (const block of inputBlocks(setup.file)) {
    const text = decodeBlock(block);
    const end = text.length;
    for (let s = 0; s < end; ) {
      let e = text.indexOf('\n', s);
      if (e < 0) e = end;
      const next = e + 1;
      if (e > s && text.charCodeAt(e - 1) === 13) e--;
      if (e === s || router.shardOfLine(text, s, e) !== me) {
        s = next;
        continue;
      }
      const line = text.slice(s, e);
      const ev = parser.parse(line);
      if (isMisrouted(ev, line, s, router, me)) {
        misrouted++;
        example ??= line;
      }
      run.add(ev);
      s = next;
    }
  }
  const h = run.engine.snapshotHeader();
  send({ type: 'clocks', clock: h.clock, hosts: h.hosts, misrouted, example });
}

/** An event the engine acts on that did not reach the shard its queue id (or its hop) lives in. */
function isMisrouted(ev: MailEvent, line: string, start: number, router: ShardRouter, me: number): boolean {
  const qid = ev.queue_id;
  if (qid === undefined || qid === 'NOQUEUE' || !isLifecycleEvent(ev.event)) return false;
  if (!router.lastKeyIs(line, start, qid)) return true;
  return ev.queued_as !== undefined && router.shardOfKey(ev.queued_as) !== me;
}

function finish(clock: number, hosts: Record<string, number>): void {
  const run = feed as ReportFeed;
  // The engine only saw this shard's lines: its host clocks lag the input's. Raise them (a
  // header-only restore) so that the final sweep settles what the one-thread report settles.
  run.engine.restore([JSON.stringify({ v: 1, clock, hosts, open: 0 })]);
  send({ type: 'done', state: run.end().state() });
}

port.on('message', (m: ToShard) => {
  const fail = (err: unknown) => send({ type: 'error', message: (err as Error).message ?? String(err) });
  try {
    if (m.type === 'route') route(m.keys, m.shards).catch(fail);
    else if (m.type === 'finish') finish(m.clock, m.hosts);
    else process.exit(0);
  } catch (err) {
    fail(err);
  }
});

findLinks().catch((err: unknown) => send({ type: 'error', message: (err as Error).message ?? String(err) }));
