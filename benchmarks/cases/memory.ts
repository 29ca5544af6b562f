// Case `memory`: bytes per open (not yet final) message in the correlation engine, measured in
// a fresh child per size (memory_child.ts) with --expose-gc.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { MemoryRow } from '../lib/results.js';
import { skip, type Ctx } from './context.js';

export function runMemory(ctx: Ctx): void {
  const sizes = ctx.quick ? [10_000] : [100_000, 1_000_000];
  const child = join(ctx.root, 'dist', 'benchmarks', 'memory_child.js');
  for (const n of sizes) {
    const r = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=8192', child, String(n)], {
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
