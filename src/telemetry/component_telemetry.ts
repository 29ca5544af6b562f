// Self-telemetry: per component counters of items received, emitted, dropped, refused and
// errors, plus queue depth, in one prom-client registry served on /metrics.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ComponentKind } from '../pipeline/component.js';

type Labels = 'kind' | 'component' | 'pipeline';
type ChildCounter = ReturnType<Counter<Labels>['labels']>;
type ChildGauge = ReturnType<Gauge<Labels>['labels']>;

export class SelfTelemetry {
  readonly registry = new Registry();
  private readonly received: Counter<Labels>;
  private readonly emitted: Counter<Labels>;
  private readonly dropped: Counter<Labels>;
  private readonly refused: Counter<Labels>;
  private readonly errors: Counter<Labels>;
  private readonly queueDepth: Gauge<Labels>;
  private readonly queueCapacity: Gauge<Labels>;
  private readonly extraCounters = new Map<string, Counter<Labels>>();
  private readonly extraGauges = new Map<string, Gauge<Labels>>();

  constructor(opts: { processMetrics?: boolean } = {}) {
    const r = this.registry;
    const labelNames: Labels[] = ['kind', 'component', 'pipeline'];
    const c = (name: string, help: string) => new Counter<Labels>({ name, help, labelNames, registers: [r] });
    const g = (name: string, help: string) => new Gauge<Labels>({ name, help, labelNames, registers: [r] });
    this.received = c('mailsight_items_received_total', 'Items a component accepted from upstream (or read, for receivers).');
    this.emitted = c('mailsight_items_emitted_total', 'Items a component passed downstream (or exported, for exporters).');
    this.dropped = c('mailsight_items_dropped_total', 'Items dropped by policy (drop_newest queue, memory limit with drop).');
    this.refused = c('mailsight_items_refused_total', 'Items refused back to the source (memory limit with refuse).');
    this.errors = c('mailsight_errors_total', 'Errors a component met (bad input, failed export, I/O).');
    this.queueDepth = g('mailsight_queue_items', 'Items waiting in the queue in front of a component.');
    this.queueCapacity = g('mailsight_queue_capacity_items', 'Capacity of the queue in front of a component.');
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: r, prefix: 'mailsight_process_' });
  }

  forComponent(kind: ComponentKind, component: string, pipeline = ''): ComponentTelemetry {
    return new ComponentTelemetry(this, { kind, component, pipeline });
  }

  /** @internal */
  children(labels: Record<Labels, string>) {
    return {
      received: this.received.labels(labels),
      emitted: this.emitted.labels(labels),
      dropped: this.dropped.labels(labels),
      refused: this.refused.labels(labels),
      errors: this.errors.labels(labels),
      queueDepth: this.queueDepth.labels(labels),
      queueCapacity: this.queueCapacity.labels(labels),
    };
  }

  /** @internal A component-specific counter, shared by all components that declare it. */
  extraCounter(name: string, help: string): Counter<Labels> {
    let m = this.extraCounters.get(name);
    if (!m) {
      m = new Counter<Labels>({ name, help, labelNames: ['kind', 'component', 'pipeline'], registers: [this.registry] });
      this.extraCounters.set(name, m);
    }
    return m;
  }

  /** @internal */
  extraCounterWith(name: string, help: string, label: string): Counter<string> {
    let m = this.extraCounters.get(name) as Counter<string> | undefined;
    if (!m) {
      m = new Counter<string>({ name, help, labelNames: ['kind', 'component', 'pipeline', label], registers: [this.registry] });
      this.extraCounters.set(name, m as Counter<Labels>);
    }
    return m;
  }

  /** @internal */
  extraGauge(name: string, help: string): Gauge<Labels> {
    let m = this.extraGauges.get(name);
    if (!m) {
      m = new Gauge<Labels>({ name, help, labelNames: ['kind', 'component', 'pipeline'], registers: [this.registry] });
      this.extraGauges.set(name, m);
    }
    return m;
  }

  metricsText(): Promise<string> {
    return this.registry.metrics();
  }

  /** Value of one self-metric series, for tests and the `test` command. */
  async value(name: string, labels: Partial<Record<Labels, string>>): Promise<number> {
    const metric = this.registry.getSingleMetric(name);
    if (!metric) return 0;
    const data = await metric.get();
    let sum = 0;
    for (const v of data.values) {
      const l = v.labels as Record<string, string>;
      if (Object.entries(labels).every(([k, want]) => l[k] === want)) sum += v.value;
    }
    return sum;
  }
}

/** The handle a component holds: label values are bound once, updates are cheap. */
export class ComponentTelemetry {
  private readonly c: ReturnType<SelfTelemetry['children']>;

  constructor(
    private readonly self: SelfTelemetry,
    readonly labels: Record<Labels, string>,
  ) {
    this.c = self.children(labels);
  }

  received(n: number): void { if (n) this.c.received.inc(n); }
  emitted(n: number): void { if (n) this.c.emitted.inc(n); }
  dropped(n: number): void { if (n) this.c.dropped.inc(n); }
  refused(n: number): void { if (n) this.c.refused.inc(n); }
  error(n = 1): void { this.c.errors.inc(n); }
  queueDepth(n: number): void { this.c.queueDepth.set(n); }
  queueCapacity(n: number): void { this.c.queueCapacity.set(n); }

  /** A component-specific counter, e.g. `mailsight_filelog_truncations_total`. */
  counter(name: string, help: string): { inc(n?: number): void } {
    return this.self.extraCounter(name, help).labels(this.labels);
  }

  /** A component-specific counter with one extra label, e.g. unparsed lines per program. */
  counterBy(name: string, help: string, label: string): { inc(value: string, n?: number): void } {
    const m = this.self.extraCounterWith(name, help, label);
    const base = this.labels;
    const children = new Map<string, { inc(n?: number): void }>();
    return {
      inc(value: string, n = 1) {
        let c = children.get(value);
        if (!c) children.set(value, (c = m.labels({ ...base, [label]: value })));
        c.inc(n);
      },
    };
  }

  gauge(name: string, help: string): { set(v: number): void } {
    return this.self.extraGauge(name, help).labels(this.labels);
  }

  /** The same component seen from another pipeline (processors are per pipeline). */
  withPipeline(pipeline: string): ComponentTelemetry {
    return new ComponentTelemetry(this.self, { ...this.labels, pipeline });
  }
}
