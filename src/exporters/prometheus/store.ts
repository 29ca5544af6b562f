// The exporter's state: the latest cumulative value of every series it was given, and the
// Prometheus text format 0.0.4 rendering of it. Series are never evicted while the process
// lives, so a series that stops receiving updates keeps its last value instead of vanishing
// (Prometheus would otherwise see a gap and, when it returns, what looks like a reset).
import { isHistogram, type HistogramValue, type MetricItem } from '../../model/metrics.js';
import { escapeHelp, formatValue, labelString, metricName, type PromType } from './naming.js';

interface Series {
  /** Rendered labels without braces, e.g. `a="x",b="y"`; '' for none. */
  labels: string;
  startTime: number;
  time: number;
  value: number;
  hist: HistogramValue | undefined;
}

interface Family {
  name: string;
  type: PromType;
  help: string;
  series: Map<string, Series>;
}

export interface StoreOptions {
  /** Labels added to every series (their names are sanitised like attribute keys). */
  constLabels?: Record<string, string>;
  /** Copy resource attributes onto every series as labels. */
  resourceToLabels?: boolean;
  /** Prefix of every metric name (`namespace_`). */
  namespace?: string;
}

export interface AddResult {
  stored: number;
  /** Why items were not stored (type conflicts, unsupported temporality). */
  dropped: string[];
}

export class MetricStore {
  private readonly families = new Map<string, Family>();
  private readonly constLabels: Record<string, string>;
  private readonly resourceToLabels: boolean;
  private readonly namespace: string;
  /** Producers reuse a series' attribute object across snapshots: render its labels once. */
  private readonly labelCache = new WeakMap<object, { resource: object | undefined; reserved: string | undefined; labels: string }>();
  private rendered: string | undefined;
  /** Bumped by every add(): a scrape reuses what it encoded for the same version. */
  private ver = 0;

  constructor(opts: StoreOptions = {}) {
    this.constLabels = opts.constLabels ?? {};
    this.resourceToLabels = opts.resourceToLabels ?? false;
    this.namespace = opts.namespace ?? '';
  }

  /** Changes whenever the rendering may have changed. */
  get version(): number {
    return this.ver;
  }

  get seriesCount(): number {
    let n = 0;
    for (const f of this.families.values()) n += f.series.size;
    return n;
  }

  add(m: MetricItem): AddResult {
    const res: AddResult = { stored: 0, dropped: [] };
    const type: PromType = m.type === 'histogram' ? 'histogram' : m.type === 'sum' && m.monotonic === true ? 'counter' : 'gauge';
    const delta = m.temporality === 'delta';
    if (delta && type === 'gauge' && m.type === 'sum') {
      // A delta up-down counter cannot be turned into a gauge value without its history.
      res.dropped.push(`${m.name}: non-monotonic delta sum`);
      return res;
    }
    const name = metricName(m.name, m.unit, type, this.namespace);
    let fam = this.families.get(name);
    if (fam === undefined) {
      fam = { name, type, help: m.description, series: new Map() };
      this.families.set(name, fam);
    } else if (fam.type !== type) {
      res.dropped.push(`${m.name}: ${name} is already a ${fam.type}, not a ${type}`);
      return res;
    }
    const reserved = type === 'histogram' ? 'le' : undefined;
    for (const p of m.points) {
      const labels = this.labelsOf(p.attributes, m.resource, reserved);
      const old = fam.series.get(labels);
      const h = isHistogram(p.value) ? p.value : undefined;
      if ((type === 'histogram') !== (h !== undefined)) continue; // malformed point
      if (old === undefined) {
        fam.series.set(labels, { labels, startTime: p.startTime, time: p.time, value: h ? h.count : (p.value as number), hist: h ? copyHist(h) : undefined });
      } else if (delta) {
        old.time = Math.max(old.time, p.time);
        if (h) {
          if (old.hist && sameBounds(old.hist.bounds, h.bounds)) {
            for (let i = 0; i < h.counts.length; i++) old.hist.counts[i] += h.counts[i];
            old.hist.sum += h.sum;
            old.hist.count += h.count;
          } else old.hist = copyHist(h); // bounds changed: start over
        } else old.value += p.value as number;
      } else {
        if (p.time < old.time) continue; // an older snapshot arriving late: keep the newer one
        old.time = p.time;
        old.startTime = p.startTime;
        if (h) old.hist = old.hist !== undefined && sameBounds(old.hist.bounds, h.bounds) ? copyInto(old.hist, h) : copyHist(h);
        else old.value = p.value as number;
      }
      res.stored++;
    }
    this.rendered = undefined;
    this.ver++;
    return res;
  }

  /** Text format 0.0.4: families sorted by name, series in the order they first appeared. */
  render(): string {
    if (this.rendered !== undefined) return this.rendered;
    const out: string[] = [];
    for (const name of [...this.families.keys()].sort()) {
      const f = this.families.get(name)!;
      if (f.series.size === 0) continue;
      if (f.help !== '') out.push(`# HELP ${name} ${escapeHelp(f.help)}`);
      out.push(`# TYPE ${name} ${f.type}`);
      for (const s of f.series.values()) {
        if (f.type !== 'histogram' || s.hist === undefined) {
          out.push(`${name}${s.labels === '' ? '' : `{${s.labels}}`} ${formatValue(s.value)}`);
          continue;
        }
        const h = s.hist;
        const pre = s.labels === '' ? '{le="' : `{${s.labels},le="`;
        let cum = 0;
        for (let i = 0; i < h.bounds.length; i++) {
          cum += h.counts[i];
          out.push(`${name}_bucket${pre}${formatValue(h.bounds[i])}"} ${cum}`);
        }
        // +Inf is the total count by definition (the last explicit bucket included).
        out.push(`${name}_bucket${pre}+Inf"} ${h.count}`);
        const braces = s.labels === '' ? '' : `{${s.labels}}`;
        out.push(`${name}_sum${braces} ${formatValue(h.sum)}`);
        out.push(`${name}_count${braces} ${h.count}`);
      }
    }
    this.rendered = out.length === 0 ? '' : out.join('\n') + '\n';
    return this.rendered;
  }

  private labelsOf(attrs: Record<string, string>, resource: Record<string, string> | undefined, reserved: string | undefined): string {
    const res = this.resourceToLabels ? resource : undefined;
    const c = this.labelCache.get(attrs);
    if (c !== undefined && c.resource === res && c.reserved === reserved) return c.labels;
    // Lowest to highest precedence: const_labels, resource attributes, point attributes.
    const merged: Record<string, string> = { ...this.constLabels, ...(res ?? {}), ...attrs };
    const labels = labelString(merged, reserved);
    this.labelCache.set(attrs, { resource: res, reserved, labels });
    return labels;
  }
}

function copyHist(h: HistogramValue): HistogramValue {
  return { bounds: h.bounds.slice(), counts: h.counts.slice(), sum: h.sum, count: h.count };
}

/** Overwrite `to` with `from` (same bounds): a snapshot every interval allocates nothing. */
function copyInto(to: HistogramValue, from: HistogramValue): HistogramValue {
  const c = to.counts;
  if (c.length !== from.counts.length) return copyHist(from);
  for (let i = 0; i < c.length; i++) c[i] = from.counts[i];
  to.sum = from.sum;
  to.count = from.count;
  return to;
}

function sameBounds(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
