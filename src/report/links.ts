// Hand-off links of a whole input, for routing (route.ts): a delivery that names the queue id
// of the next hop ("queued as X", "forwarded as X", "250 ... id=X") ties the two queue ids to
// one shard. Found by substring search over whole chunks (no per-line work for the ~90 % of
// lines without a link). Over-approximation is harmless: a false link only merges two groups.
import { routingKey } from './route.js';

const NEEDLES = ['queued as ', 'forwarded as ', ' id='].map((n) => Buffer.from(n));

function isIdChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45;
}

/**
 * Call `link(from, to)` for every hand-off named in `block` (bytes of whole lines). `from` is
 * the routing key of the line, `to` the named queue id. Searched in bytes: only the few lines
 * that match are decoded.
 */
export function scanLinks(block: Buffer, link: (from: string, to: string) => void): void {
  for (const needle of NEEDLES) {
    let i = block.indexOf(needle);
    while (i >= 0) {
      const s = i + needle.length;
      let e = s;
      while (e < block.length && isIdChar(block[e])) e++;
      while (e > s && block[e - 1] === 45) e--;
      let next = e;
      if (e - s >= 5) {
        const ls = block.lastIndexOf(10, i) + 1;
        let le = block.indexOf(10, e);
        if (le < 0) le = block.length;
        const from = routingKey(block.toString('utf8', ls, le));
        if (from !== undefined) link(from, block.toString('latin1', s, e));
        next = le;
      }
      i = block.indexOf(needle, next);
    }
  }
}

/** Union-find over queue ids; groups() assigns each linked group one shard. */
export class LinkGroups {
  private readonly parent = new Map<string, string>();

  add(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  }

  /** Links from a flat [from, to, from, to, ...] list (how workers send them). */
  addFlat(pairs: readonly string[]): void {
    for (let i = 0; i + 1 < pairs.length; i += 2) this.add(pairs[i], pairs[i + 1]);
  }

  get size(): number {
    return this.parent.size;
  }

  /** Every linked queue id -> the shard of its group (decided by `shardOf(root)`). */
  groups(shardOf: (root: string) => number): Map<string, number> {
    const out = new Map<string, number>();
    for (const k of this.parent.keys()) {
      const root = this.find(k);
      out.set(k, shardOf(root));
      if (!out.has(root)) out.set(root, shardOf(root));
    }
    return out;
  }

  private find(x: string): string {
    let r = x;
    for (let p = this.parent.get(r); p !== undefined; p = this.parent.get(r)) r = p;
    // Path compression keeps later finds short.
    let c = x;
    while (c !== r) {
      const p = this.parent.get(c) as string;
      this.parent.set(c, r);
      c = p;
    }
    return r;
  }
}
