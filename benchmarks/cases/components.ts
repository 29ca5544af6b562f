// Which components this build registers (`mailsight components --json`), so that cases which
// need unfinished components skip with a message instead of failing.
import { spawnSync } from 'node:child_process';
import type { Ctx } from './context.js';

let cache: Set<string> | undefined;

export function registered(ctx: Ctx): Set<string> {
  if (cache) return cache;
  const r = spawnSync(process.execPath, [...ctx.mailsight, 'components', '--json'], { encoding: 'utf8', timeout: 60_000 });
  const set = new Set<string>();
  if (r.status === 0) {
    for (const c of JSON.parse(r.stdout) as { kind: string; type: string }[]) set.add(`${c.kind} ${c.type}`);
  }
  cache = set;
  return set;
}

/** The `kind type` pairs of `needs` that are not registered. */
export function missingComponents(ctx: Ctx, needs: string[]): string[] {
  const have = registered(ctx);
  return needs.filter((n) => !have.has(n));
}
