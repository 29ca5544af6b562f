// The mail_metrics connector: MailEvents and MessageRecords in (a logs pipeline's exporter),
// cumulative MetricItems out (a metrics pipeline's receiver), per DESIGN §4.
//
// Each metric has exactly one source, so nothing is counted twice when a logs pipeline
// carries both events and records (correlate `emit: both`): real-time counters from events,
// mail.delivery.latency (and by default mail.messages.received) from records.
import type { QueueStateItem } from '../../model/items.js';
import { SeriesStarts, toMetrics } from '../../receivers/postfix_queue/metrics.js';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { releaseAll } from '../../pipeline/ack.js';
import type { Batch, Consumer, CreateSettings, Host, Processor } from '../../pipeline/component.js';
import { emit } from '../../pipeline/emit.js';
import { durationMs } from '../../config/types.js';
import type { MailEvent } from '../../model/mail_event.js';
import type { MessageRecord } from '../../model/message_record.js';
import type { MetricDataPoint, MetricItem } from '../../model/metrics.js';
import type { ComponentTelemetry } from '../../telemetry/component_telemetry.js';
import type { MailMetricsConfig } from './config.js';
import {
  counterPoints,
  histogramPoints,
  newCounter,
  newHistogram,
  newRate,
  observe,
  SeriesTable,
  type CounterSeries,
  type HistogramSeries,
  type RateSeries,
} from './series.js';

/** DESIGN §4 names; the exporters and alert rules rely on them. */
export const METRIC = {
  received: 'mail.messages.received',
  deliveries: 'mail.deliveries',
  latency: 'mail.delivery.latency',
  delay: 'mail.delivery.delay',
  rejects: 'mail.smtpd.rejects',
  auth: 'mail.auth.results',
  tls: 'mail.tls.sessions',
  saslFailures: 'mail.sasl.failures',
  saslRate: 'mail.sasl.send_rate',
} as const;

const STAGES = ['before_qmgr', 'in_qmgr', 'conn_setup', 'transmission'] as const;

const RESOURCE: Readonly<Record<string, string>> = Object.freeze({ 'service.name': 'mailsight' });

/** Pseudonymous id of a SASL username: short, stable, not the name itself. */
export function hashUsername(u: string): string {
  return createHash('sha256').update(u).digest('hex').slice(0, 16);
}

function checkBounds(b: number[], what: string): number[] {
  for (let i = 1; i < b.length; i++) {
    if (!(b[i] > b[i - 1])) throw new Error(`mail_metrics: ${what} must be strictly ascending`);
  }
  return b.slice();
}

export class MailMetricsConnector implements Processor {
  private readonly cfg: MailMetricsConfig;
  private readonly next: Consumer<MetricItem>;
  private readonly queueStarts = new Map<string, SeriesStarts>();
  private readonly log: Logger;
  private readonly telemetry: ComponentTelemetry;
  private readonly intervalMs: number;
  private readonly latencyBounds: number[];
  private readonly delayBounds: number[];
  private readonly receivedFromRecords: boolean;

  readonly received: SeriesTable<CounterSeries>;
  readonly deliveries: SeriesTable<CounterSeries>;
  readonly latency: SeriesTable<HistogramSeries>;
  readonly delay: SeriesTable<HistogramSeries>;
  readonly rejects: SeriesTable<CounterSeries>;
  readonly auth: SeriesTable<CounterSeries>;
  readonly tls: SeriesTable<CounterSeries>;
  readonly saslFailures: SeriesTable<CounterSeries>;
  readonly saslRate: SeriesTable<RateSeries>;
  /** The four delay-stage series, resolved once. */
  private stageSeries: HistogramSeries[] | undefined;
  private readonly userHashes = new Map<string, string>();
  private readonly seriesGauge: { set(v: number): void };

  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private lastFlush = Date.now();
  private stopped = false;

  constructor(settings: CreateSettings<MailMetricsConfig, MetricItem>) {
    this.cfg = settings.config;
    this.next = settings.next;
    this.log = settings.logger;
    this.telemetry = settings.telemetry;
    this.intervalMs = durationMs(this.cfg.interval);
    this.latencyBounds = checkBounds(this.cfg.latency_buckets, 'latency_buckets');
    this.delayBounds = checkBounds(this.cfg.delay_buckets, 'delay_buckets');
    this.receivedFromRecords = this.cfg.received_from === 'records';
    const limit = this.cfg.max_series_per_metric;
    const overflowCounter = this.telemetry.counterBy(
      'mailsight_mail_metrics_overflow_total',
      'Updates that hit max_series_per_metric and went to an "other" (or otel.metric.overflow) series, by metric.',
      'metric',
    );
    const of = (name: string) => () => overflowCounter.inc(name);
    this.seriesGauge = this.telemetry.gauge('mailsight_mail_metrics_series', 'Series held by the mail_metrics connector, all metrics.');

    this.received = new SeriesTable({ names: ['mail.host', 'mail.stream', 'mail.tenant'], limit, onOverflow: of(METRIC.received) }, newCounter);
    this.deliveries = new SeriesTable(
      {
        names: ['smtp.status', 'smtp.status_class', 'smtp.dsn', 'mail.bounce.class', 'mail.recipient.domain', 'mail.provider', 'mail.sending_ip', 'mail.stream'],
        collapse: [4],
        limit,
        onOverflow: of(METRIC.deliveries),
      },
      newCounter,
    );
    this.latency = new SeriesTable(
      { names: ['mail.provider', 'mail.stream', 'smtp.status'], limit, onOverflow: of(METRIC.latency) },
      newHistogram(this.latencyBounds.length),
    );
    this.delay = new SeriesTable({ names: ['mail.delay.stage'], limit, onOverflow: of(METRIC.delay) }, newHistogram(this.delayBounds.length));
    this.rejects = new SeriesTable({ names: ['smtp.reply_code', 'mail.bounce.class'], limit, onOverflow: of(METRIC.rejects) }, newCounter);
    this.auth = new SeriesTable(
      { names: ['mail.auth.mechanism', 'mail.auth.result', 'mail.sender.domain'], collapse: [2], limit, onOverflow: of(METRIC.auth) },
      newCounter,
    );
    this.tls = new SeriesTable({ names: ['tls.direction', 'tls.result', 'tls.protocol.version'], limit, onOverflow: of(METRIC.tls) }, newCounter);
    this.saslFailures = new SeriesTable(
      { names: ['mail.sasl.method', 'mail.sasl.username.hash'], collapse: [1], limit, onOverflow: of(METRIC.saslFailures) },
      newCounter,
    );
    this.saslRate = new SeriesTable({ names: ['mail.sasl.username.hash'], collapse: [0], limit, onOverflow: of(METRIC.saslRate) }, newRate);
  }

  async start(_host: Host): Promise<void> {
    this.lastFlush = Date.now();
    // Unreferenced: the connector holds no acks, so it must not keep the process alive.
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    if (this.flushing) await this.flushing;
    await this.snapshotOut(); // final flush: what was counted since the last interval
  }

  async consume(batch: Batch<unknown>): Promise<void> {
    try {
      const queues = this.count(batch.items);
      if (queues !== undefined) await this.queueStates(queues);
    } catch (err) {
      this.telemetry.error();
      this.log.error({ err }, 'mail_metrics: failed to count a batch');
    } finally {
      // Metrics are derived data: once counted (or found uncountable) the input is done with.
      releaseAll(batch.acks);
    }
  }

  /**
   * Count one batch, in one pass. Items other than MailEvents, MessageRecords and queue states
   * are ignored; the queue states are returned for `queueStates`.
   */
  count(items: readonly unknown[]): QueueStateItem[] | undefined {
    const now = Date.now(); // series start time: one clock read per batch
    let queues: QueueStateItem[] | undefined;
    for (let i = 0; i < items.length; i++) {
      const it = items[i] as { kind?: unknown };
      if (it === null || typeof it !== 'object') continue;
      const kind = it.kind;
      if (kind === 'mail_event') this.onEvent(it as MailEvent, now);
      else if (kind === 'message_record') this.onRecord(it as MessageRecord, now);
      else if (kind === 'queue_state') (queues ??= []).push(it as QueueStateItem);
    }
    return queues;
  }

  /**
   * Queue gauges from the correlation state (correlate's queue_state items): the same metrics
   * the postfix_queue receiver emits, told apart by mail.queue.source = correlation, and sent
   * at once (they are snapshots of their own, not counters of this connector).
   */
  private async queueStates(items: readonly QueueStateItem[]): Promise<void> {
    let out: MetricItem[] | undefined;
    for (const q of items) {
      let starts = this.queueStarts.get(q.host);
      if (!starts) this.queueStarts.set(q.host, (starts = new SeriesStarts()));
      const metrics = toMetrics(q.summary, { up: true, mtaUp: undefined, durationSec: 0 }, q.host, q.time, starts);
      for (const m of metrics) {
        if (m.name === 'mail.queue.up' || m.name === 'mail.queue.read.duration') continue;
        for (const p of m.points) p.attributes = { ...p.attributes, 'mail.queue.source': 'correlation' };
        (out ??= []).push(m);
      }
    }
    if (out) await emit(this.next, out);
  }

  /** Emit a snapshot now (also what the interval timer does). */
  flush(): Promise<void> {
    if (this.stopped && this.flushing === undefined) return Promise.resolve();
    this.flushing ??= this.snapshotOut().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private onEvent(ev: MailEvent, now: number): void {
    switch (ev.event) {
      case 'delivery_attempt':
        this.countDelivery(ev, ev.status, now);
        if (ev.delays !== undefined) this.countDelays(ev, now);
        break;
      case 'expired':
        // qmgr's per-message expiry line names no recipient: one count per message.
        this.countDelivery(ev, 'expired', now);
        break;
      case 'reject': {
        const v = this.rejects.values;
        v[0] = ev.reply_code !== undefined ? String(ev.reply_code) : undefined;
        v[1] = ev.bounce_class ?? 'other';
        this.rejects.series(now).value++;
        break;
      }
      case 'client':
      case 'pickup':
      case 'arrival':
        if (!this.receivedFromRecords) {
          const v = this.received.values;
          v[0] = ev.host;
          v[1] = attr(ev, 'mail.stream');
          v[2] = attr(ev, 'mail.tenant');
          this.received.series(now).value++;
        }
        if (ev.auth !== undefined && ev.auth.mechanism === 'sasl' && ev.auth.result === 'pass' && ev.auth.username !== undefined) {
          this.saslRate.values[0] = this.userHash(ev.auth.username);
          this.saslRate.series(now).pending++;
        }
        break;
    }
    const a = ev.auth;
    if (a !== undefined) {
      const v = this.auth.values;
      v[0] = a.mechanism;
      v[1] = a.result;
      v[2] = a.domain ?? (a.mechanism === 'sasl' ? undefined : ev.sender_domain);
      this.auth.series(now).value++;
      if (a.mechanism === 'sasl' && a.result !== 'pass') {
        const f = this.saslFailures.values;
        f[0] = a.method;
        f[1] = a.username !== undefined ? this.userHash(a.username) : undefined;
        this.saslFailures.series(now).value++;
      }
    }
    const t = ev.tls;
    if (t !== undefined) {
      // Postfix logs TLS sessions as lines of their own (failures as warnings); Exim puts
      // X=... on the arrival/delivery line, which is then an established session.
      const failed = ev.event === 'tls' && (ev.action === 'handshake_failed' || ev.severity === 'warning' || ev.severity === 'error');
      const v = this.tls.values;
      v[0] = t.direction;
      v[1] = failed ? 'failed' : 'established';
      v[2] = t.protocol;
      this.tls.series(now).value++;
    }
  }

  private countDelivery(ev: MailEvent, status: string | undefined, now: number): void {
    const v = this.deliveries.values;
    v[0] = status;
    v[1] = ev.status_class ?? statusClass(ev);
    v[2] = ev.dsn;
    v[3] = status === 'sent' ? undefined : ev.bounce_class;
    v[4] = ev.recipient_domain;
    v[5] = ev.provider;
    v[6] = ev.sending_ip;
    v[7] = attr(ev, 'mail.stream');
    this.deliveries.series(now).value++;
  }

  private countDelays(ev: MailEvent, now: number): void {
    let st = this.stageSeries;
    if (st === undefined) {
      st = [];
      for (const stage of STAGES) {
        this.delay.values[0] = stage;
        st.push(this.delay.series(now));
      }
      this.stageSeries = st;
    }
    const d = ev.delays!;
    const b = this.delayBounds;
    observeIf(st[0], b, d.before_qmgr);
    observeIf(st[1], b, d.in_qmgr);
    observeIf(st[2], b, d.conn_setup);
    observeIf(st[3], b, d.transmission);
  }

  private onRecord(rec: MessageRecord, now: number): void {
    // A hop (content filter re-injection, relay of the fleet) continues a chain counted at
    // its first message; a record that never reached the queue manager was never queued.
    if (this.receivedFromRecords && rec.enqueue_time !== undefined && rec.queue_id !== 'NOQUEUE' && rec.links?.from_queue_id === undefined) {
      const v = this.received.values;
      v[0] = rec.host;
      v[1] = rec.stream;
      v[2] = rec.tenant;
      this.received.series(now).value++;
    }
    const start = rec.links?.chain_start_time ?? rec.start_time;
    const rs = rec.recipients;
    for (let i = 0; i < rs.length; i++) {
      const r = rs[i];
      const fs = r.final_status;
      if (fs !== 'sent' && fs !== 'bounced' && fs !== 'expired') continue;
      // The correlator fills latency_seconds for `sent`; bounced/expired are measured the same way.
      const lat = r.latency_seconds ?? (r.final_time !== undefined ? (r.final_time - start) / 1000 : undefined);
      if (lat === undefined || !(lat >= 0)) continue;
      const v = this.latency.values;
      v[0] = r.provider;
      v[1] = rec.stream;
      v[2] = fs;
      observe(this.latency.series(now), this.latencyBounds, lat);
    }
  }

  private userHash(u: string): string {
    let h = this.userHashes.get(u);
    if (h === undefined) {
      h = hashUsername(u);
      // Bounded like the series: beyond it, hash again rather than remember every name.
      if (this.userHashes.size < 2 * this.cfg.max_series_per_metric) this.userHashes.set(u, h);
    }
    return h;
  }

  /** One MetricItem per metric that has series, all its points, cumulative since each series began. */
  snapshot(now = Date.now()): MetricItem[] {
    const elapsed = Math.max(0.001, (now - this.lastFlush) / 1000);
    this.lastFlush = now;
    for (const s of this.saslRate.all()) {
      s.value = s.pending / elapsed;
      s.pending = 0;
    }
    const out: MetricItem[] = [];
    const add = (name: string, description: string, unit: string, type: MetricItem['type'], points: MetricDataPoint[], monotonic?: boolean) => {
      if (points.length === 0) return;
      const m: MetricItem = { kind: 'metric', name, description, unit, type, temporality: 'cumulative', points, resource: RESOURCE };
      if (monotonic !== undefined) m.monotonic = monotonic;
      out.push(m);
    };
    add(METRIC.received, 'Messages that entered the queue.', '{message}', 'sum', counterPoints(this.received, now), true);
    add(METRIC.deliveries, 'Delivery attempts by outcome (one per recipient line; qmgr expiry lines once per message).', '{delivery}', 'sum', counterPoints(this.deliveries, now), true);
    add(METRIC.latency, 'Enqueue to final disposition (sent, bounced, expired) per recipient.', 's', 'histogram', histogramPoints(this.latency, this.latencyBounds, now));
    add(METRIC.delay, 'Postfix delays=a/b/c/d of delivery attempts, per stage.', 's', 'histogram', histogramPoints(this.delay, this.delayBounds, now));
    add(METRIC.rejects, 'SMTP rejects (smtpd, postscreen, cleanup/milter, Exim).', '{reject}', 'sum', counterPoints(this.rejects, now), true);
    add(METRIC.auth, 'Authentication results: SPF, DKIM, DMARC, SASL.', '{result}', 'sum', counterPoints(this.auth, now), true);
    add(METRIC.tls, 'TLS sessions, established or failed.', '{session}', 'sum', counterPoints(this.tls, now), true);
    add(METRIC.saslFailures, 'Failed or aborted SASL authentications.', '{failure}', 'sum', counterPoints(this.saslFailures, now), true);
    add(METRIC.saslRate, 'Messages per second submitted by each SASL-authenticated user over the last interval (user hashed).', '{message}/s', 'gauge', counterPoints(this.saslRate, now));
    let n = 0;
    for (const t of [this.received, this.deliveries, this.latency, this.delay, this.rejects, this.auth, this.tls, this.saslFailures, this.saslRate]) n += t.size;
    this.seriesGauge.set(n);
    return out;
  }

  private async snapshotOut(): Promise<void> {
    const items = this.snapshot();
    if (items.length === 0) return;
    try {
      // Fresh acks: nothing upstream waits on derived metrics.
      await emit(this.next, items);
    } catch (err) {
      // The next snapshot carries the same cumulative values, so nothing is lost for good.
      this.telemetry.error();
      this.log.warn({ err }, 'mail_metrics: snapshot not accepted downstream');
    }
  }
}

function observeIf(h: HistogramSeries, bounds: readonly number[], x: number): void {
  if (x >= 0) observe(h, bounds, x); // NaN and negatives (clock steps) are not durations
}

function attr(ev: MailEvent, key: string): string | undefined {
  const a = ev.attrs;
  if (a === undefined) return undefined;
  const v = a[key];
  return typeof v === 'string' ? v : undefined;
}

/** smtp.status_class from the DSN or reply code when the parser did not set it. */
function statusClass(ev: MailEvent): string | undefined {
  const c = ev.dsn !== undefined ? ev.dsn.charCodeAt(0) : ev.reply_code !== undefined ? 48 + Math.floor(ev.reply_code / 100) : 0;
  return c === 50 ? '2xx' : c === 52 ? '4xx' : c === 53 ? '5xx' : undefined;
}
