// Ground truth, accumulated from the simulation's own model as each line is emitted (never by
// parsing the output), following docs/report-semantics.md:
//   - a chain is one or more messages joined by hops ("queued as X" / "id=X" to a message that
//     is in the log); it is created at the message's first event and merged into its parent
//     chain when the hop line is emitted;
//   - a recipient is (chain, lowercased address); its final disposition is the first sent /
//     bounced attempt (neither is retried), or expired when the chain's last message expires;
//   - times are the timestamps as printed (second resolution for RFC 3164 and Exim), so the
//     latency a parser can measure is exactly the latency counted here.
// Chains are folded into counters as soon as they cannot change (last message removed), so
// memory holds only open chains plus one float per sent recipient (for exact percentiles).
import type { BounceClass } from './catalog.js';

export interface DomainCounts {
  sent: number;
  deferred_attempts: number;
  bounced: number;
  expired: number;
}

/** The stable keys of `mailsight report --json` (DESIGN §7). */
export interface ReportJson {
  messages: number;
  recipients: number;
  totals: { sent: number; deferred_attempts: number; bounced: number; expired: number; rejected: number };
  by_domain: Record<string, DomainCounts>;
  latency_seconds: { p50: number | null; p95: number | null; p99: number | null };
  bounce_classes: Record<string, number>;
  unparsed_lines: number;
}

/** Extra numbers for tests and humans (not part of the report contract). */
export interface TruthStats {
  still_queued: number;
  chains_open_at_end: number;
  hops: number;
  queue_id_reuses: number;
  lines: number;
}

type Final = 'sent' | 'bounced' | 'expired';

interface RcptState {
  domain: string;
  final: Final | undefined;
  lastFail: BounceClass | undefined;
}

export interface ChainT {
  start: number;
  rcpts: Map<string, RcptState>;
  /** nrcpt of the chain's last message (0 until its qmgr line was emitted). */
  nrcpt: number;
  last: MsgT;
  folded: boolean;
}

/** The truth's handle on one message (queue file). */
export interface MsgT {
  chain: ChainT;
  removed: boolean;
}

export class Truth {
  private messages = 0;
  private recipients = 0;
  private rejected = 0;
  private unparsed = 0;
  private stillQueued = 0;
  private hops = 0;
  reuses = 0;
  private readonly byDomain = new Map<string, DomainCounts>();
  private readonly classes = new Map<string, number>();
  private latencies = new Float64Array(1 << 16);
  private nLat = 0;
  private readonly open = new Set<ChainT>();

  constructor(private readonly resUs: number) {}

  /** Quantise a time to what the log line shows. */
  q(us: number): number {
    return Math.floor(us / this.resUs) * this.resUs;
  }

  private dom(d: string): DomainCounts {
    let c = this.byDomain.get(d);
    if (c === undefined) {
      c = { sent: 0, deferred_attempts: 0, bounced: 0, expired: 0 };
      this.byDomain.set(d, c);
    }
    return c;
  }

  /** The message's first event (client=, pickup, qmgr from= of a notice, Exim <=). */
  startMessage(us: number): MsgT {
    const chain: ChainT = { start: this.q(us), rcpts: new Map(), nrcpt: 0, last: undefined as unknown as MsgT, folded: false };
    const m: MsgT = { chain, removed: false };
    chain.last = m;
    this.open.add(chain);
    return m;
  }

  /** qmgr "nrcpt=N" of a message. */
  nrcpt(m: MsgT, n: number): void {
    if (m.chain.last === m) m.chain.nrcpt = n;
  }

  private rcpt(m: MsgT, addr: string, domain: string): RcptState {
    const key = addr.toLowerCase();
    let r = m.chain.rcpts.get(key);
    if (r === undefined) {
      r = { domain: domain.toLowerCase(), final: undefined, lastFail: undefined };
      m.chain.rcpts.set(key, r);
    }
    return r;
  }

  sent(m: MsgT, addr: string, domain: string, us: number): void {
    const r = this.rcpt(m, addr, domain);
    if (r.final !== undefined) return;
    r.final = 'sent';
    this.pushLatency((this.q(us) - m.chain.start) / 1e6);
  }

  deferred(m: MsgT, addr: string, domain: string, cls: BounceClass): void {
    const r = this.rcpt(m, addr, domain);
    r.lastFail = cls;
    this.dom(r.domain).deferred_attempts++;
  }

  bounced(m: MsgT, addr: string, domain: string, cls: BounceClass): void {
    const r = this.rcpt(m, addr, domain);
    if (r.final !== undefined) return;
    r.lastFail = cls;
    r.final = 'bounced';
  }

  /** A hop line ("queued as X" of a message that is in the log): recipient seen, not final. */
  hopSeen(m: MsgT, addr: string, domain: string): void {
    this.rcpt(m, addr, domain);
  }

  /** The first hop line naming `to` was emitted: `to` continues `from`'s chain. */
  link(from: MsgT, to: MsgT): void {
    if (from.chain === to.chain) return;
    const parent = from.chain;
    const child = to.chain;
    this.hops++;
    // The child's own chain existed only because its lines came before the hop line.
    this.open.delete(child);
    for (const [k, v] of child.rcpts) {
      const p = parent.rcpts.get(k);
      if (p === undefined) parent.rcpts.set(k, v);
      else if (v.final !== undefined) p.final = v.final;
    }
    parent.nrcpt = child.nrcpt;
    parent.last = to;
    to.chain = parent;
  }

  /** qmgr "status=expired, returned to sender": every recipient without a final status. */
  expired(m: MsgT): void {
    if (m.chain.last !== m) return;
    for (const r of m.chain.rcpts.values()) if (r.final === undefined) r.final = 'expired';
  }

  removed(m: MsgT): void {
    m.removed = true;
    if (m.chain.last === m) this.fold(m.chain);
  }

  reject(): void {
    this.rejected++;
  }

  unparsedLine(): void {
    this.unparsed++;
  }

  private pushLatency(v: number): void {
    if (this.nLat === this.latencies.length) {
      const next = new Float64Array(this.latencies.length * 2);
      next.set(this.latencies);
      this.latencies = next;
    }
    this.latencies[this.nLat++] = v;
  }

  private fold(c: ChainT): void {
    if (c.folded) return;
    c.folded = true;
    this.open.delete(c);
    this.messages++;
    const n = Math.max(c.nrcpt, c.rcpts.size);
    this.recipients += n;
    let finals = 0;
    for (const r of c.rcpts.values()) {
      if (r.final === undefined) continue;
      finals++;
      const d = this.dom(r.domain);
      if (r.final === 'sent') d.sent++;
      else {
        if (r.final === 'bounced') d.bounced++;
        else d.expired++;
        const cls = r.lastFail ?? 'other';
        this.classes.set(cls, (this.classes.get(cls) ?? 0) + 1);
      }
    }
    this.stillQueued += n - finals;
  }

  /** Close the books: open chains count with their recipients still queued. */
  finish(lines: number): { report: ReportJson; stats: TruthStats } {
    const openAtEnd = this.open.size;
    for (const c of [...this.open]) this.fold(c);
    const totals = { sent: 0, deferred_attempts: 0, bounced: 0, expired: 0, rejected: this.rejected };
    const by_domain: Record<string, DomainCounts> = {};
    for (const d of [...this.byDomain.keys()].sort()) {
      const c = this.byDomain.get(d) as DomainCounts;
      totals.sent += c.sent;
      totals.deferred_attempts += c.deferred_attempts;
      totals.bounced += c.bounced;
      totals.expired += c.expired;
      if (c.sent + c.deferred_attempts + c.bounced + c.expired > 0) by_domain[d] = c;
    }
    const bounce_classes: Record<string, number> = {};
    for (const k of [...this.classes.keys()].sort()) bounce_classes[k] = this.classes.get(k) as number;
    const lat = this.latencies.subarray(0, this.nLat).slice().sort();
    const report: ReportJson = {
      messages: this.messages,
      recipients: this.recipients,
      totals,
      by_domain,
      latency_seconds: { p50: nearestRank(lat, 50), p95: nearestRank(lat, 95), p99: nearestRank(lat, 99) },
      bounce_classes,
      unparsed_lines: this.unparsed,
    };
    return {
      report,
      stats: { still_queued: this.stillQueued, chains_open_at_end: openAtEnd, hops: this.hops, queue_id_reuses: this.reuses, lines },
    };
  }
}

/** Nearest-rank percentile: sort ascending, element ceil(p/100 * n) - 1; 3 decimals. */
export function nearestRank(sorted: Float64Array, p: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const i = Math.max(0, Math.ceil((p / 100) * n) - 1);
  return Math.round(sorted[i] * 1000) / 1000;
}
