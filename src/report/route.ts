// Which shard a raw log line belongs to, without parsing it: the sharded `report` runs one
// correlation engine per worker thread, and its main thread reads the input once and sends
// each worker the lines routed to it. What must meet in one engine:
//   - every line of one queue id (the key is the bare queue id, so the same id on two hosts
//     meets too, which cross-host `queued as` lookups need);
//   - the queue ids of one hand-off chain (`queued as X`, `forwarded as X`, `250 ... id=X`),
//     found by a scan of the whole input before routing (links.ts) and merged into one group.
// Anything else may land anywhere; over-merging only costs balance. Lines without a queue id
// (connects, NOQUEUE rejects, TLS notes) go round-robin. The extraction is a heuristic; the
// workers check that every event the correlation engine uses reached the shard of the parser's
// queue id, and the report falls back to one thread when one did not (see sharded.ts).
//
// The main thread runs this on every line, so it works on offsets into a block of lines and
// makes no string unless the key belongs to a linked group.

import { isQueueId } from '../processors/mta_parse/postfix.js';
import { isAlnum } from '../processors/mta_parse/text.js';

const COLON_SP_TRIES = 3;

/**
 * A queue id token: a Postfix id (short upper-case hex or long form, as the Postfix parser
 * decides), or letters, digits and '-' with at least one digit (Exim, milters). Words like
 * `warning`, `NOQUEUE` or `Deleted` are not.
 */
function isQueueIdToken(s: string, a: number, b: number): boolean {
  const n = b - a;
  if (n < 6 || n > 40) return false;
  let digit = false;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) digit = true;
    else if (!isAlnum(c) && c !== 45) return false;
  }
  return digit || isQueueId(s, a, b);
}

/** Exim message id at i (6-6-2 or 6-11-4 form) followed by a space or `end`: its end, else -1. */
function eximIdEnd(s: string, i: number, end: number): number {
  if (i + 16 > end || s.charCodeAt(i + 6) !== 45) return -1;
  let e = i;
  while (e < end && (isAlnum(s.charCodeAt(e)) || s.charCodeAt(e) === 45)) e++;
  if (e - i < 16 || e - i > 24) return -1;
  return e === end || s.charCodeAt(e) === 32 ? e : -1;
}

/** Skip Exim's own "YYYY-MM-DD HH:MM:SS[.fff][ +zzzz][ [pid]] " prefix at i, if there is one. */
function skipEximStamp(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (!(c >= 48 && c <= 57) || s.charCodeAt(i + 4) !== 45 || s.charCodeAt(i + 10) !== 32 || s.charCodeAt(i + 13) !== 58) return i;
  let p = i + 19;
  if (s.charCodeAt(p) === 46) {
    p++;
    while (s.charCodeAt(p) >= 48 && s.charCodeAt(p) <= 57) p++;
  }
  if (s.charCodeAt(p) === 32 && (s.charCodeAt(p + 1) === 43 || s.charCodeAt(p + 1) === 45)) p += 6;
  if (s.charCodeAt(p) === 32) p++;
  if (s.charCodeAt(p) === 91) {
    const close = s.indexOf('] ', p);
    if (close > 0 && close - p < 12) p = close + 2;
  }
  return p;
}

/** End of the run of letters, digits and '-' at p. */
function idEnd(text: string, p: number, end: number): number {
  let q = p;
  while (q < end && (isAlnum(text.charCodeAt(q)) || text.charCodeAt(q) === 45)) q++;
  return q;
}

/** Start of the key found by the last findKey() (a module variable: no allocation per line). */
let keyStart = 0;

/**
 * The queue id the line text[start, end) is about: returns the key's end (its start is left in
 * `keyStart`), or -1 when the line names none. Postfix, milters and Dovecot log
 * "... tag[pid]: [warning: ]QID: text"; Exim logs "[YYYY-MM-DD HH:MM:SS ]ID text", whole or
 * after a syslog header.
 */
function findKey(text: string, start: number, end: number): number {
  let p = skipEximStamp(text, start);
  if (p > start) {
    keyStart = p;
    return eximIdEnd(text, p, end);
  }
  // The first ": " ends the syslog tag (RFC 3164) or, in RFC 5424 and journald, the queue id.
  // Native indexOf; it only runs past `end` on a line without any ": ".
  const c = text.indexOf(': ', start);
  if (c < 0 || c >= end) return -1;
  const before = text.charCodeAt(c - 1);
  if (before !== 93 /* ] of tag[pid] */ && isAlnum(before)) {
    let a = c;
    while (a > start && text.charCodeAt(a - 1) !== 32) a--;
    if (text.charCodeAt(a) === 34) a++; // journald JSON: "MESSAGE": "QID: ..."
    if (isQueueIdToken(text, a, c)) {
      keyStart = a;
      return c;
    }
  }
  // After the tag: "QID: ", or "warning: QID: ", or Exim's own line.
  p = c + 2;
  for (let k = 0; k < COLON_SP_TRIES; k++) {
    const q = idEnd(text, p, end);
    if (q + 1 < end && text.charCodeAt(q) === 58 && text.charCodeAt(q + 1) === 32) {
      if (isQueueIdToken(text, p, q)) {
        keyStart = p;
        return q;
      }
      p = q + 2; // a severity or other word: the id may follow
      continue;
    }
    if (k > 0) return -1;
    const x = skipEximStamp(text, p);
    const e = eximIdEnd(text, x, end);
    if (e < 0) return -1;
    keyStart = x;
    return e;
  }
  return -1;
}

/** The routing key of one line (its queue id as route.ts finds it), or undefined. */
export function routingKey(line: string): string | undefined {
  const e = findKey(line, 0, line.length);
  return e < 0 ? undefined : line.slice(keyStart, e);
}

/** FNV-1a over UTF-16 code units of s[a, b): cheap, and the same in every thread and run. */
function hashRange(s: string, a: number, b: number): number {
  let h = 0x811c9dc5;
  for (let i = a; i < b; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function hashKey(s: string): number {
  return hashRange(s, 0, s.length);
}

/** Routes lines to `shards` workers; `groups` maps the queue ids of hand-off chains to a shard. */
export class ShardRouter {
  private rr = 0;
  /** Hashes of the grouped keys: most keys are in no group and skip the Map lookup (and its slice). */
  private readonly grouped = new Set<number>();

  constructor(
    readonly shards: number,
    private readonly groups: ReadonlyMap<string, number>,
  ) {
    for (const k of groups.keys()) this.grouped.add(hashKey(k));
  }

  /** Shard of a queue id. */
  shardOfKey(key: string): number {
    const h = hashKey(key);
    if (this.grouped.has(h)) {
      const g = this.groups.get(key);
      if (g !== undefined) return g;
    }
    return h % this.shards;
  }

  /** Shard of the line text[start, end); call once per line, in input order (round-robin state). */
  shardOfLine(text: string, start: number, end: number): number {
    const e = findKey(text, start, end);
    if (e < 0) {
      const s = this.rr;
      this.rr = s + 1 === this.shards ? 0 : s + 1;
      return s;
    }
    const a = keyStart;
    const h = hashRange(text, a, e);
    if (this.grouped.has(h)) {
      const g = this.groups.get(text.slice(a, e));
      if (g !== undefined) return g;
    }
    return h % this.shards;
  }
}

/**
 * Append every line of `text` (a block of whole lines) to the list of the shard it routes to,
 * newline included: the lines LineSource takes (empty ones skipped; a CR before the newline
 * is not part of the routing key). Returns the number of lines routed.
 */
export function routeBlock(text: string, router: ShardRouter, parts: string[][]): number {
  const end = text.length;
  let n = 0;
  for (let s = 0; s < end; ) {
    let e = text.indexOf('\n', s);
    if (e < 0) e = end;
    const next = e + 1;
    let k = e;
    if (k > s && text.charCodeAt(k - 1) === 13) k--;
    if (k > s) {
      parts[router.shardOfLine(text, s, k)].push(e < end ? text.slice(s, next) : text.slice(s, e) + '\n');
      n++;
    }
    s = next;
  }
  return n;
}
