// A queue summary as MetricItems (src/model/metrics.ts). Every metric is a gauge snapshot: each
// emission carries the complete set of points of that metric for this host, so a domain or a
// reason that left the queue simply has no point any more.
//
// Age statistics are one gauge with a `stat` attribute (p50, p95, p99, max) rather than a
// summary: MetricItem has no summary type, an OTLP gauge with an attribute is a direct mapping,
// and in Prometheus `mail_queue_age_seconds{stat="p95"}` does not pose as a summary's
// `quantile` series. Per-domain figures have their own metric names (mail.queue.domain.*) so
// that no metric mixes aggregation levels: summing mail_queue_messages over its labels gives
// the number of queued messages, while a message with recipients in two domains counts in both
// domains' series.
import type { MetricDataPoint, MetricItem } from '../../model/metrics.js';
import type { AgeStats, QueueSummary } from './queue_stats.js';

export const STATS = ['p50', 'p95', 'p99', 'max'] as const;

export interface PollStatus {
  /** The queue listing was read (the command ran and exited 0). */
  up: boolean;
  /** Whether Postfix itself runs: false when postqueue said "mail system is down"; undefined if unknown. */
  mtaUp: boolean | undefined;
  /** How long the read took, in seconds. */
  durationSec: number;
}

/**
 * Series bookkeeping across snapshots: first-seen times (the OTLP start time of a gauge series),
 * and the series that went away since the last snapshot. Those get one last point at 0 (the
 * truth: no queued message for that domain any more), because exporters that keep the last
 * value of every series (Prometheus) would otherwise show the old figure for ever.
 */
export class SeriesStarts {
  private prev = new Map<string, { name: string; attributes: Record<string, string>; start: number }>();
  private cur = new Map<string, { name: string; attributes: Record<string, string>; start: number }>();

  start(name: string, key: string, attributes: Record<string, string>, now: number): number {
    let e = this.cur.get(key);
    if (e === undefined) {
      e = { name, attributes, start: this.prev.get(key)?.start ?? now };
      this.cur.set(key, e);
    }
    return e.start;
  }

  /** Series of `name` in the previous snapshot and not (yet) in this one. */
  departed(name: string): Record<string, string>[] {
    const out: Record<string, string>[] = [];
    for (const [k, e] of this.prev) if (e.name === name && !this.cur.has(k)) out.push(e.attributes);
    return out;
  }

  /** End of one snapshot. */
  commit(): void {
    this.prev = this.cur;
    this.cur = new Map();
  }

  /** A failed read: forget what this snapshot started, compare the next one with the last good one. */
  abandon(): void {
    this.cur = new Map();
  }
}

interface Builder {
  point(attrs: Record<string, string>, value: number): void;
  /** The metric with its points, plus a 0 for each series that went away; undefined if none. */
  item(): MetricItem | undefined;
}

function builder(name: string, description: string, unit: string, time: number, starts: SeriesStarts, resource: Record<string, string> | undefined): Builder {
  const points: MetricDataPoint[] = [];
  return {
    point(attributes, value) {
      const key = name + '\u0000' + Object.entries(attributes).map(([k, v]) => `${k}=${v}`).join('\u0000');
      points.push({ attributes, startTime: starts.start(name, key, attributes, time), time, value });
    },
    item: () => {
      for (const attributes of starts.departed(name)) points.push({ attributes, startTime: time, time, value: 0 });
      if (!points.length) return undefined;
      return { kind: 'metric', name, description, unit, type: 'gauge', temporality: 'cumulative', points, ...(resource ? { resource } : {}) };
    },
  };
}

function ages(b: Builder, base: Record<string, string>, a: AgeStats): void {
  for (const stat of STATS) b.point({ ...base, stat }, a[stat]);
}

export function toMetrics(
  summary: QueueSummary | undefined,
  status: PollStatus,
  host: string,
  time: number,
  starts: SeriesStarts,
  resource?: Record<string, string>,
): MetricItem[] {
  const h = { 'mail.host': host };
  const mk = (name: string, description: string, unit: string) => builder(name, description, unit, time, starts, resource);
  const up = mk('mail.queue.up', 'Whether the last read of the Postfix queue succeeded (1) or failed (0).', '{status}');
  up.point(h, status.up ? 1 : 0);
  const dur = mk('mail.queue.read.duration', 'How long the last read of the Postfix queue took.', 's');
  dur.point(h, status.durationSec);
  const builders: Builder[] = [up, dur];
  if (status.mtaUp !== undefined) {
    const mta = mk('mail.mta.up', 'Whether the Postfix mail system was running at the last queue read (postqueue reports "mail system is down").', '{status}');
    mta.point(h, status.mtaUp ? 1 : 0);
    builders.push(mta);
  }
  if (!summary) {
    // Only the status: the queue figures of the last good read stay as they were downstream.
    const out = builders.map((b) => b.item()).filter((m): m is MetricItem => m !== undefined);
    starts.abandon();
    return out;
  }
  const msgs = mk('mail.queue.messages', 'Messages in the Postfix queue, per queue.', '{message}');
  const rcpts = mk('mail.queue.recipients', 'Recipients still to deliver of the messages in the queue, per queue.', '{recipient}');
  const bytes = mk('mail.queue.size', 'Sum of the sizes of the messages in the queue, per queue.', 'By');
  const age = mk('mail.queue.age', 'Age of the messages in the queue (now - arrival), per queue: stat = p50, p95, p99 (nearest rank) or max; 0 for an empty queue.', 's');
  for (const [queue, s] of summary.queues) {
    const a = { queue, ...h };
    msgs.point(a, s.messages);
    rcpts.point(a, s.recipients);
    bytes.point(a, s.bytes);
    ages(age, a, s.age);
  }
  builders.push(msgs, rcpts, bytes, age);

  {
    const dm = mk('mail.queue.domain.messages', 'Messages in the queue with at least one pending recipient in the domain, per queue and recipient domain (bounded by max_domains; the rest is `other`).', '{message}');
    const da = mk('mail.queue.domain.age', 'Age of the messages in the queue per queue and recipient domain: stat = p50, p95, p99 or max.', 's');
    for (const [queue, per] of summary.domains) {
      for (const [domain, s] of per) {
        const a = { queue, 'mail.recipient.domain': domain, ...h };
        dm.point(a, s.messages);
        ages(da, a, s.age);
      }
    }
    builders.push(dm, da);
  }

  {
    const r = mk('mail.queue.delay_reasons', 'Queued recipients whose last delivery attempt was deferred, by normalised delay reason (the most frequent; the rest is `other`).', '{recipient}');
    for (const x of summary.reasons) r.point({ reason: x.reason, 'mail.bounce.class': x.class, ...h }, x.recipients);
    builders.push(r);
  }
  const out = builders.map((b) => b.item()).filter((m): m is MetricItem => m !== undefined);
  starts.commit();
  return out;
}
