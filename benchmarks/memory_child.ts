// Child of the `memory` case: feeds the Correlator N synthetic open messages (smtpd client=,
// cleanup message-id, qmgr from= with nrcpt=1, never delivered) through the real LineParser,
// so the stored strings are what production stores, and prints one JSON line with the heap
// and RSS growth per message after full GCs. Run with --expose-gc, one process per N, so the
// numbers are not polluted by an earlier, larger run.
//   node --expose-gc dist/benchmarks/memory_child.js 1000000
import { Correlator } from '../src/processors/correlate/correlator.js';
import { LineParser } from '../src/processors/mta_parse/parser.js';
import type { MemoryRow } from './lib/results.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function stamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** Messages whose lines are parsed before the baseline (see main). */
const WARM_UP_MESSAGES = 200_000;

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  // Twice: the first pass may only promote; weak/finalizable objects need a second one.
  gc();
  gc();
}

function main(): void {
  const n = Number(process.argv[2] ?? 100_000);
  if (!Number.isInteger(n) || n <= 0) throw new Error('usage: memory_child.js N');
  const parser = new LineParser({ timezone: 'UTC' });
  // Bounds above N: we measure the cost of what is kept, not the eviction policy.
  const engine = new Correlator({ maxMessages: n * 2, maxBytes: 0 });
  const start = Date.UTC(2026, 10, 12, 5, 40, 0);
  const senders = ['news@news.example.com', 'invoices@billing.example.com', 'alerts@example.com', 'orders@shop.example.com'];
  const clients = ['web01.int.example.com[10.20.1.21]', 'app03.int.example.com[10.20.0.13]', 'mail.example.net[198.51.100.25]'];

  /** The three lines of open message i. */
  const linesOf = (i: number): [string, string, string] => {
    // 1000 new messages per second of log time: all open well within idle_timeout/max_age.
    const ts = stamp(start + Math.floor(i / 1000) * 1000);
    const qid = (0x100000000 + i).toString(16).toUpperCase().padStart(11, '0');
    const pid = 2000 + (i % 97);
    return [
      `${ts} mx1 postfix/smtpd[${pid}]: ${qid}: client=${clients[i % clients.length]}`,
      `${ts} mx1 postfix/cleanup[${pid + 100}]: ${qid}: message-id=<${ts.replace(/\W/g, '')}.${i.toString(36)}@example.com>`,
      `${ts} mx1 postfix/qmgr[1234]: ${qid}: from=<${senders[i % senders.length]}>, size=${10_000 + (i % 5000)}, nrcpt=1 (queue active)`,
    ];
  };

  // Warm-up before the baseline: parse (and drop) lines of other messages, so the young
  // generation has grown to its working size and the parser is compiled. Otherwise that fixed
  // cost of any running process (tens of MiB of semi-space) lands in the per-message figure,
  // where it dominates at 100k messages. Nothing of it is kept: the events die young.
  const warm = new LineParser({ timezone: 'UTC' });
  let kept = 0;
  for (let i = 0; i < WARM_UP_MESSAGES; i++) for (const l of linesOf(n + i)) kept += warm.parse(l).time > 0 ? 1 : 0;
  if (kept !== WARM_UP_MESSAGES * 3) throw new Error('warm-up lines did not parse');

  collect();
  const before = process.memoryUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const [client, messageId, enqueue] = linesOf(i);
    engine.add(parser.parse(client));
    engine.add(parser.parse(messageId));
    engine.add(parser.parse(enqueue));
    if (i % 1024 === 1023) {
      engine.sweep();
      engine.take();
    }
  }
  engine.sweep();
  const emitted = engine.take().length;
  const feed = Number(process.hrtime.bigint() - t0) / 1e9;
  collect();
  const after = process.memoryUsage();
  const row: MemoryRow & { emitted: number } = {
    open: n,
    open_after: engine.openCount,
    heap_bytes_per_msg: (after.heapUsed - before.heapUsed) / n,
    rss_bytes_per_msg: (after.rss - before.rss) / n,
    approx_bytes_per_msg: engine.approxBytes / n,
    feed_s: feed,
    emitted,
  };
  process.stdout.write(JSON.stringify(row) + '\n');
}

main();
