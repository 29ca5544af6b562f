// Case `memory`: bytes per open (not yet final) message in the correlation engine, measured in
// a fresh child per size (memory_child.ts) with --expose-gc and the node flags mailsight runs
// with (its launcher's #! line): the engine is measured in the heap configuration it gets.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { MemoryRow } from '../lib/results.js';
import { launcher, skip, type Ctx } from './context.js';

export function runMemory(ctx: Ctx): void {
  const sizes = ctx.quick ? [10_000] : [100_000, 1_000_000];
  const child = join(ctx.root, 'dist', 'benchmarks', 'memory_child.js');
  // Without them V8 grows the young generation while the open messages pile up (they survive,
  // the warm-up's lines do not), and that growth (~25 MiB) lands in the per-message RSS.
  const nodeFlags = launcher(join(ctx.root, 'bin', 'mailsight.js')).slice(0, -1);
  for (const n of sizes) {
    const r = spawnSync(process.execPath, [...nodeFlags, '--expose-gc', '--max-old-space-size=8192', child, String(n)], {
      encoding: 'utf8',
      timeout: 15 * 60_000,
    });
    if (r.status !== 0) {
      skip(ctx, `memory-${n}`, `correlation memory at ${n} open messages`, 'failed', (r.stderr || String(r.error ?? r.signal)).trim().split('\n').slice(-3).join(' / '));
      continue;
    }
    const row = JSON.parse(r.stdout.trim().split('\n').pop() as string) as MemoryRow;
    ctx.results.memory.push(row);
    ctx.log(
      `  ${n} open: ${Math.round(row.heap_bytes_per_msg)} B/msg heap, ${Math.round(row.rss_bytes_per_msg)} B/msg RSS, ` +
        `engine estimate ${Math.round(row.approx_bytes_per_msg)} B/msg, ${row.open_after} open after feeding`,
    );
  }
}
