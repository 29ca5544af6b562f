// Aggregation of one `postqueue -j` listing (one JSON object per queued message) into what the
// receiver reports: per queue and per recipient domain, message counts and age statistics,
// plus the top delay reasons. Streaming: records are added one by one and only ages and counts
// are kept, so a queue of a million messages costs a few numbers per message, not its JSON.
import { classify } from '../../processors/mta_parse/classify.js';
import { normaliseReply } from '../../processors/mta_parse/normalise.js';

/** Postfix's queues, always reported (0 when empty). */
export const QUEUES = ['active', 'deferred', 'hold', 'incoming', 'maildrop'] as const;

export const OTHER = 'other';
const KNOWN_QUEUES: ReadonlySet<string> = new Set(QUEUES);

/** One message as `postqueue -j` prints it (fields we use). */
export interface ShowqRecord {
  queue_name: string;
  queue_id?: string;
  arrival_time: number;
  message_size?: number;
  sender?: string;
  recipients?: { address?: string; delay_reason?: string }[];
}

export interface AgeStats {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface GroupStats {
  messages: number;
  age: AgeStats;
}

export interface QueueStats extends GroupStats {
  recipients: number;
  bytes: number;
}

export interface DelayReason {
  reason: string;
  /** Bounce/deferral class of the reason (DESIGN §5), from the shared classifier. */
  class: string;
  /** Recipients whose last attempt was deferred for this reason. */
  recipients: number;
}

export interface QueueSummary {
  queues: Map<string, QueueStats>;
  /** queue → domain → stats; at most maxDomains domains plus `other`. */
  domains: Map<string, Map<string, GroupStats>>;
  reasons: DelayReason[];
  /** Messages read. */
  messages: number;
}

export interface AggregateOptions {
  /** Domains reported by name (the most frequent); the rest are `other`. 0: no per-domain stats. */
  maxDomains: number;
  /** Delay reasons reported by name (the most frequent); the rest are `other`. 0: none. */
  topReasons: number;
  /** Distinct domains tracked during one listing (memory bound); later new ones count as `other`. */
  maxTrackedDomains?: number;
}

/**
 * Quantile by the nearest-rank method on an ascending array: the smallest value with at least
 * q of the values at or below it. 0 for an empty array.
 */
export function nearestRank(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const r = Math.ceil(q * n);
  return sorted[Math.min(n, Math.max(1, r)) - 1];
}

export function ageStats(ages: number[]): AgeStats {
  const a = Float64Array.from(ages).sort();
  return { p50: nearestRank(a, 0.5), p95: nearestRank(a, 0.95), p99: nearestRank(a, 0.99), max: a.length ? a[a.length - 1] : 0 };
}

const RE_SUSPENDED = /^delivery temporarily suspended:\s*/i;
// An enhanced status code, not a piece of an IP address (`1.2.3.4` contains `2.3.4`).
const RE_DSN = /(?<![\d.])[245]\.\d{1,3}\.\d{1,3}(?!\.?\d)/;

/**
 * A delay reason in a form that groups: `delivery temporarily suspended: ` (Postfix's note that
 * it did not even try because an earlier attempt to the same destination failed) is removed,
 * then hosts, addresses, ports, ids and numbers are masked by the same normaliser the report's
 * top deferral reasons use.
 */
export function normaliseReason(reason: string): string {
  const s = normaliseReply(reason.replace(RE_SUSPENDED, ''));
  // Ports after a masked host (`<host>:25`) vary per destination.
  return s.replace(/(<host>|<ip>):\d+/g, '$1');
}

export function reasonClass(reason: string): string {
  const m = RE_DSN.exec(reason);
  return classify(m ? m[0] : undefined, reason) ?? OTHER;
}

function domainOf(address: unknown): string | undefined {
  if (typeof address !== 'string') return undefined;
  const at = address.lastIndexOf('@');
  if (at < 0 || at === address.length - 1) return undefined;
  return address.slice(at + 1).toLowerCase();
}

export class QueueAggregator {
  /** Per message (by id, in reading order): its age and its queue. */
  private readonly msgAge: number[] = [];
  private readonly msgQueue: string[] = [];
  private readonly counts = new Map<string, { messages: number; recipients: number; bytes: number }>();
  /** domain → ids of messages with at least one recipient there (each id once). */
  private readonly byDomain = new Map<string, number[]>();
  /** Ids of messages with a recipient in a domain beyond maxTrackedDomains (memory bound). */
  private readonly untracked: number[] = [];
  private readonly reasonCounts = new Map<string, { raw: string; n: number }>();
  private readonly maxTracked: number;

  constructor(
    private readonly nowSec: number,
    private readonly opts: AggregateOptions,
  ) {
    this.maxTracked = opts.maxTrackedDomains ?? Math.max(10_000, opts.maxDomains * 10);
    for (const q of QUEUES) this.counts.set(q, { messages: 0, recipients: 0, bytes: 0 });
  }

  /** Add one record; returns false (and ignores it) when it is not a queue record. */
  add(r: unknown): boolean {
    if (typeof r !== 'object' || r === null) return false;
    const rec = r as ShowqRecord;
    if (typeof rec.queue_name !== 'string' || rec.queue_name === '' || typeof rec.arrival_time !== 'number') return false;
    // Only Postfix's queue names become attribute values (a garbled listing must not add series).
    const q = KNOWN_QUEUES.has(rec.queue_name) ? rec.queue_name : OTHER;
    const id = this.msgAge.length;
    const age = Math.max(0, this.nowSec - rec.arrival_time);
    this.msgAge.push(age);
    this.msgQueue.push(q);
    let cnt = this.counts.get(q);
    if (!cnt) this.counts.set(q, (cnt = { messages: 0, recipients: 0, bytes: 0 }));
    const rcpts = Array.isArray(rec.recipients) ? rec.recipients : [];
    cnt.messages++;
    cnt.recipients += rcpts.length;
    if (typeof rec.message_size === 'number' && rec.message_size > 0) cnt.bytes += rec.message_size;
    for (const rc of rcpts) {
      if (typeof rc !== 'object' || rc === null) continue;
      if (this.opts.maxDomains > 0) {
        const d = domainOf(rc.address);
        if (d !== undefined) this.addDomain(d, id);
      }
      const raw = rc.delay_reason;
      if (this.opts.topReasons > 0 && typeof raw === 'string' && raw !== '') {
        const key = normaliseReason(raw);
        const e = this.reasonCounts.get(key);
        if (e) e.n++;
        else this.reasonCounts.set(key, { raw, n: 1 });
      }
    }
    return true;
  }

  private addDomain(d: string, id: number): void {
    let ids = this.byDomain.get(d);
    if (!ids) {
      if (this.byDomain.size >= this.maxTracked) {
        if (this.untracked[this.untracked.length - 1] !== id) this.untracked.push(id);
        return;
      }
      this.byDomain.set(d, (ids = []));
    }
    // Ids arrive in order: one entry per message and domain, however many recipients it has there.
    if (ids[ids.length - 1] !== id) ids.push(id);
  }

  /** Messages read so far. */
  get messages(): number {
    return this.msgAge.length;
  }

  finish(): QueueSummary {
    const agesOf = (ids: Iterable<number>): Map<string, number[]> => {
      const m = new Map<string, number[]>();
      for (const id of ids) {
        const q = this.msgQueue[id];
        let a = m.get(q);
        if (!a) m.set(q, (a = []));
        a.push(this.msgAge[id]);
      }
      return m;
    };

    const queues = new Map<string, QueueStats>();
    const all = agesOf(this.msgAge.keys());
    for (const [q, c] of this.counts) {
      queues.set(q, { messages: c.messages, age: ageStats(all.get(q) ?? []), recipients: c.recipients, bytes: c.bytes });
    }

    // Domains: the most frequent by messages over all queues (ties by name), the rest `other`.
    const domains = new Map<string, Map<string, GroupStats>>();
    const put = (q: string, d: string, ages: number[]) => {
      let per = domains.get(q);
      if (!per) domains.set(q, (per = new Map()));
      per.set(d, { messages: ages.length, age: ageStats(ages) });
    };
    if (this.opts.maxDomains > 0) {
      const ranked = [...this.byDomain.entries()].sort(
        (a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0),
      );
      for (const [d, ids] of ranked.slice(0, this.opts.maxDomains)) {
        for (const [q, ages] of agesOf(ids)) put(q, d, ages);
      }
      // `other`: each message with a recipient in any domain not kept, counted once.
      const rest = ranked.slice(this.opts.maxDomains);
      if (rest.length || this.untracked.length) {
        const mark = new Uint8Array(this.msgAge.length);
        for (const [, ids] of rest) for (const id of ids) mark[id] = 1;
        for (const id of this.untracked) mark[id] = 1;
        const ids: number[] = [];
        for (let i = 0; i < mark.length; i++) if (mark[i]) ids.push(i);
        for (const [q, ages] of agesOf(ids)) put(q, OTHER, ages);
      }
    }

    // Delay reasons: the most frequent, the rest summed as `other`.
    const reasons: DelayReason[] = [];
    if (this.opts.topReasons > 0) {
      const sorted = [...this.reasonCounts.entries()].sort((a, b) => b[1].n - a[1].n || (a[0] < b[0] ? -1 : 1));
      for (const [reason, { raw, n }] of sorted.slice(0, this.opts.topReasons)) {
        reasons.push({ reason, class: reasonClass(raw), recipients: n });
      }
      const restN = sorted.slice(this.opts.topReasons).reduce((s, e) => s + e[1].n, 0);
      if (restN > 0) reasons.push({ reason: OTHER, class: OTHER, recipients: restN });
    }
    return { queues, domains, reasons, messages: this.msgAge.length };
  }
}
