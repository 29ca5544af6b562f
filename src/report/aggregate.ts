// The aggregation behind `mailsight report`, as a pure module: MessageRecords and a few kinds
// of MailEvents in, the report object out. What each key counts is fixed by
// docs/report-semantics.md; records give per-recipient outcomes, events give per-line counts
// (deferred attempts, rejects, unparsed lines), so neither depends on how attempts are bounded
// inside records.
import type { BounceClass, MailEvent } from '../model/mail_event.js';
import type { MessageRecord, RecipientRecord } from '../model/message_record.js';
import { normaliseReply } from '../processors/mta_parse/normalise.js';

export interface DomainCounts {
  sent: number;
  deferred_attempts: number;
  bounced: number;
  expired: number;
}

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface ReasonCount {
  reason: string;
  count: number;
}

export interface Report {
  messages: number;
  recipients: number;
  totals: { sent: number; deferred_attempts: number; bounced: number; expired: number; rejected: number };
  by_domain: Record<string, DomainCounts>;
  latency_seconds: Percentiles;
  bounce_classes: Record<string, number>;
  unparsed_lines: number;
  // Extra keys, for humans (not part of the stable contract).
  latency_by_provider: Record<string, Percentiles & { count: number }>;
  top_deferral_reasons: ReasonCount[];
  top_bounce_reasons: ReasonCount[];
  rejects_by_reason: ReasonCount[];
  still_queued: { count: number; age_seconds: { p50: number | null; max: number | null } };
  unparsed_by_program: Record<string, number>;
  /** First and last event time of the input (Unix ms), null without events. */
  period: { start: number | null; end: number | null };
}

/** Distinct reasons tracked per table; beyond it they are counted under "(other reasons)". */
const MAX_REASONS = 10_000;
const TOP_N = 10;
const OTHER_REASONS = '(other reasons)';

/** Growable float array: latency samples without boxing. */
class Samples {
  private a = new Float64Array(256);
  n = 0;
  push(x: number): void {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = x;
  }
  sorted(): Float64Array {
    return this.a.subarray(0, this.n).slice().sort();
  }
  values(): Float64Array {
    return this.a.slice(0, this.n);
  }
  pushAll(xs: ArrayLike<number>): void {
    for (let i = 0; i < xs.length; i++) this.push(xs[i]);
  }
}

/** Nearest-rank percentile of ascending values: element ceil(p/100 × n) − 1, 3 decimals. */
export function nearestRank(sorted: ArrayLike<number>, p: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const i = Math.max(0, Math.ceil((p / 100) * n) - 1);
  return Math.round(sorted[i] * 1000) / 1000;
}

function percentiles(s: Samples): Percentiles {
  const v = s.sorted();
  return { p50: nearestRank(v, 50), p95: nearestRank(v, 95), p99: nearestRank(v, 99) };
}

class Tally {
  private readonly m = new Map<string, number>();
  add(key: string, n = 1): void {
    const c = this.m.get(key);
    if (c !== undefined) this.m.set(key, c + n);
    else if (this.m.size < MAX_REASONS) this.m.set(key, n);
    else this.m.set(OTHER_REASONS, (this.m.get(OTHER_REASONS) ?? 0) + n);
  }
  entries(): [string, number][] {
    return [...this.m];
  }
  top(n: number): ReasonCount[] {
    return [...this.m]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, n)
      .map(([reason, count]) => ({ reason, count }));
  }
}

function sortedRecord<V>(m: Map<string, V>): Record<string, V> {
  const o: Record<string, V> = {};
  for (const k of [...m.keys()].sort()) o[k] = m.get(k) as V;
  return o;
}

function lastFailedReply(r: RecipientRecord): string | undefined {
  const a = r.attempts;
  if (!a) return undefined;
  for (let i = a.length - 1; i >= 0; i--) if (a[i].status !== 'sent' && a[i].reply) return a[i].reply;
  return undefined;
}

/**
 * Everything an aggregator has counted, as plain data (structured-clone friendly): the sharded
 * report merges one per worker. Merging is exact: counts add, samples concatenate (percentiles
 * are taken after the merge), and still-queued ages are computed against the merged end.
 */
export interface AggregateState {
  counts: [messages: number, recipients: number, sent: number, deferred: number, bounced: number, expired: number, rejected: number, unparsed: number];
  domains: [string, DomainCounts][];
  latency: Float64Array;
  latencyByProvider: [string, Float64Array][];
  classes: [string, number][];
  deferralReasons: [string, number][];
  bounceReasons: [string, number][];
  rejectReasons: [string, number][];
  unparsedByProgram: [string, number][];
  queuedStarts: number[];
  first: number;
  last: number;
}

function addInto(m: Map<string, number>, entries: [string, number][]): void {
  for (const [k, v] of entries) m.set(k, (m.get(k) ?? 0) + v);
}

export class ReportAggregator {
  private messages = 0;
  private recipients = 0;
  private sent = 0;
  private deferred = 0;
  private bounced = 0;
  private expired = 0;
  private rejected = 0;
  private unparsed = 0;
  private readonly domains = new Map<string, DomainCounts>();
  private readonly latency = new Samples();
  private readonly latencyByProvider = new Map<string, Samples>();
  private readonly classes = new Map<string, number>();
  private readonly deferralReasons = new Tally();
  private readonly bounceReasons = new Tally();
  private readonly rejectReasons = new Tally();
  private readonly unparsedByProgram = new Map<string, number>();
  private readonly queuedStarts: number[] = [];
  private first = Infinity;
  private last = -Infinity;

  /** Every parsed event (only rejects, deferred attempts and unparsed lines are counted). */
  addEvent(ev: MailEvent): void {
    const t = ev.time;
    if (t < this.first) this.first = t;
    if (t > this.last) this.last = t;
    switch (ev.event) {
      case 'unparsed':
        this.unparsed++;
        this.unparsedByProgram.set(ev.program || '-', (this.unparsedByProgram.get(ev.program || '-') ?? 0) + 1);
        break;
      case 'reject':
        this.rejected++;
        this.rejectReasons.add(normaliseReply(ev.reason ?? ev.reply ?? '(no reason)'));
        break;
      case 'delivery_attempt':
        if (ev.status === 'deferred') {
          this.deferred++;
          const d = ev.recipient_domain ?? domainOf(ev.recipient);
          if (d !== undefined) this.domain(d).deferred_attempts++;
          this.deferralReasons.add(normaliseReply(ev.reply ?? ev.reason ?? '(no reply)'));
        }
        break;
      default:
        break;
    }
  }

  /**
   * One MessageRecord. `stillQueued`: an open message at the end of the input (its final
   * recipients count; the rest are still queued).
   */
  addRecord(rec: MessageRecord, stillQueued = false): void {
    // NOQUEUE rejects are counted from their lines (totals.rejected), not as messages.
    if (rec.queue_id === 'NOQUEUE') return;
    const hop = rec.links?.from_queue_id !== undefined;
    if (!hop) this.messages++;
    let known = 0;
    for (const r of rec.recipients) {
      const f = r.final_status;
      // A recipient refused at RCPT was never one of the queued message's recipients.
      if (f === 'rejected') continue;
      known++;
      // Handed to the next hop: that hop's record counts the recipient.
      if (f === 'handoff') continue;
      this.recipients++;
      if (f === 'sent') {
        this.sent++;
        this.domain(r.domain).sent++;
        if (r.latency_seconds !== undefined) {
          this.latency.push(r.latency_seconds);
          const p = r.provider ?? 'other';
          let s = this.latencyByProvider.get(p);
          if (!s) this.latencyByProvider.set(p, (s = new Samples()));
          s.push(r.latency_seconds);
        }
      } else if (f === 'bounced' || f === 'expired') {
        if (f === 'bounced') {
          this.bounced++;
          this.domain(r.domain).bounced++;
        } else {
          this.expired++;
          this.domain(r.domain).expired++;
        }
        this.bounceClass(r.bounce_class ?? 'other');
        this.bounceReasons.add(normaliseReply(lastFailedReply(r) ?? '(no reply)'));
      }
    }
    // Recipients the queue manager counted (nrcpt) but no line named: counted as recipients;
    // when the message expired they expired too (their domain is unknown).
    const unseen = Math.max(0, (rec.nrcpt ?? 0) - known);
    if (unseen > 0) {
      this.recipients += unseen;
      if (rec.expired_time !== undefined && !rec.deleted) {
        this.expired += unseen;
        this.bounceClass('other', unseen);
      }
    }
    if (stillQueued) this.queuedStarts.push(rec.links?.chain_start_time ?? rec.start_time);
  }

  state(): AggregateState {
    return {
      counts: [this.messages, this.recipients, this.sent, this.deferred, this.bounced, this.expired, this.rejected, this.unparsed],
      domains: [...this.domains],
      latency: this.latency.values(),
      latencyByProvider: [...this.latencyByProvider].map(([p, s]) => [p, s.values()]),
      classes: [...this.classes],
      deferralReasons: this.deferralReasons.entries(),
      bounceReasons: this.bounceReasons.entries(),
      rejectReasons: this.rejectReasons.entries(),
      unparsedByProgram: [...this.unparsedByProgram],
      queuedStarts: this.queuedStarts,
      first: this.first,
      last: this.last,
    };
  }

  /** Add another aggregator's state (from a worker) to this one. */
  merge(s: AggregateState): void {
    const c = s.counts;
    this.messages += c[0];
    this.recipients += c[1];
    this.sent += c[2];
    this.deferred += c[3];
    this.bounced += c[4];
    this.expired += c[5];
    this.rejected += c[6];
    this.unparsed += c[7];
    for (const [d, dc] of s.domains) {
      const mine = this.domain(d);
      mine.sent += dc.sent;
      mine.deferred_attempts += dc.deferred_attempts;
      mine.bounced += dc.bounced;
      mine.expired += dc.expired;
    }
    this.latency.pushAll(s.latency);
    for (const [p, xs] of s.latencyByProvider) {
      let mine = this.latencyByProvider.get(p);
      if (!mine) this.latencyByProvider.set(p, (mine = new Samples()));
      mine.pushAll(xs);
    }
    addInto(this.classes, s.classes);
    for (const [k, v] of s.deferralReasons) this.deferralReasons.add(k, v);
    for (const [k, v] of s.bounceReasons) this.bounceReasons.add(k, v);
    for (const [k, v] of s.rejectReasons) this.rejectReasons.add(k, v);
    addInto(this.unparsedByProgram, s.unparsedByProgram);
    for (const t of s.queuedStarts) this.queuedStarts.push(t);
    if (s.first < this.first) this.first = s.first;
    if (s.last > this.last) this.last = s.last;
  }

  result(): Report {
    const byDomain = new Map<string, DomainCounts>();
    for (const [d, c] of this.domains) {
      if (c.sent || c.deferred_attempts || c.bounced || c.expired) byDomain.set(d, c);
    }
    const latencyByProvider = new Map<string, Percentiles & { count: number }>();
    for (const [p, s] of this.latencyByProvider) latencyByProvider.set(p, { count: s.n, ...percentiles(s) });
    const ages = this.queuedStarts.map((s) => (this.last - s) / 1000).sort((a, b) => a - b);
    return {
      messages: this.messages,
      recipients: this.recipients,
      totals: { sent: this.sent, deferred_attempts: this.deferred, bounced: this.bounced, expired: this.expired, rejected: this.rejected },
      by_domain: sortedRecord(byDomain),
      latency_seconds: percentiles(this.latency),
      bounce_classes: sortedRecord(this.classes),
      unparsed_lines: this.unparsed,
      latency_by_provider: sortedRecord(latencyByProvider),
      top_deferral_reasons: this.deferralReasons.top(TOP_N),
      top_bounce_reasons: this.bounceReasons.top(TOP_N),
      rejects_by_reason: this.rejectReasons.top(TOP_N),
      still_queued: {
        count: ages.length,
        age_seconds: { p50: nearestRank(ages, 50), max: ages.length ? Math.round(ages[ages.length - 1] * 1000) / 1000 : null },
      },
      unparsed_by_program: sortedRecord(this.unparsedByProgram),
      period: { start: Number.isFinite(this.first) ? this.first : null, end: Number.isFinite(this.last) ? this.last : null },
    };
  }

  private domain(d: string): DomainCounts {
    const k = d === '' ? '(none)' : d.toLowerCase();
    let c = this.domains.get(k);
    if (!c) this.domains.set(k, (c = { sent: 0, deferred_attempts: 0, bounced: 0, expired: 0 }));
    return c;
  }

  private bounceClass(c: BounceClass | string, n = 1): void {
    this.classes.set(c, (this.classes.get(c) ?? 0) + n);
  }
}

function domainOf(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1).toLowerCase();
}
