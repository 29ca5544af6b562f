// MetricItems -> OTel SDK ResourceMetrics (one per resource), with cumulative -> delta
// conversion per series when the backend wants deltas.
import { ValueType, type Attributes } from '@opentelemetry/api';
import { AggregationTemporality, DataPointType, type DataPoint, type Histogram, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { Resource } from '@opentelemetry/resources';
import { isHistogram, type HistogramValue, type MetricDataPoint, type MetricItem, type Temporality } from '../../model/metrics.js';
import { msToHrTime, SCOPE, type Resources } from './common.js';

interface SeriesState {
  startTime: number;
  time: number;
  value: number | HistogramValue;
  seen: number;
}

/**
 * Turns cumulative snapshots into deltas, per series (metric + attributes + resource).
 * Like the Collector's cumulativetodelta processor: the first point of a series only sets the
 * baseline unless the series started after this exporter did (then nothing of it was sent
 * before, and its whole value is the first delta); a value going down or a new start time is
 * a reset, and the new value is the delta. Idle series are forgotten after `idleMs`.
 */
export class DeltaConverter {
  private readonly series = new Map<string, SeriesState>();
  private calls = 0;

  constructor(
    private readonly startedAt: number,
    private readonly idleMs = 3_600_000,
    private readonly now: () => number = Date.now,
  ) {}

  convert(item: MetricItem): MetricItem | undefined {
    if (item.type === 'gauge' || item.temporality === 'delta') return item;
    if (++this.calls % 1000 === 0) this.sweep();
    const points: MetricDataPoint[] = [];
    const prefix = `${item.name}\u0000${item.type}\u0000${item.resource ? stableKey(item.resource) : ''}\u0000`;
    const seen = this.now();
    for (const p of item.points) {
      const key = prefix + stableKey(p.attributes);
      const prev = this.series.get(key);
      if (prev && p.time <= prev.time) continue; // a replayed or reordered snapshot: nothing new
      this.series.set(key, { startTime: p.startTime, time: p.time, value: p.value, seen });
      if (!prev) {
        if (p.startTime >= this.startedAt) points.push(p);
        continue;
      }
      // An up-down counter may go down; only a new start time is a reset for it.
      const reset = p.startTime !== prev.startTime || (item.monotonic !== false && decreased(prev.value, p.value));
      if (reset) points.push(p);
      else points.push({ attributes: p.attributes, startTime: prev.time, time: p.time, value: subtract(p.value, prev.value) });
    }
    return points.length ? { ...item, temporality: 'delta', points } : undefined;
  }

  get size(): number {
    return this.series.size;
  }

  private sweep(): void {
    const limit = this.now() - this.idleMs;
    for (const [k, s] of this.series) if (s.seen < limit) this.series.delete(k);
  }
}

function decreased(prev: number | HistogramValue, cur: number | HistogramValue): boolean {
  if (isHistogram(prev) || isHistogram(cur)) {
    if (!isHistogram(prev) || !isHistogram(cur)) return true;
    if (cur.count < prev.count || cur.bounds.length !== prev.bounds.length) return true;
    return cur.counts.some((c, i) => c < prev.counts[i]) || cur.bounds.some((b, i) => b !== prev.bounds[i]);
  }
  return cur < prev;
}

function subtract(cur: number | HistogramValue, prev: number | HistogramValue): number | HistogramValue {
  if (!isHistogram(cur) || !isHistogram(prev)) return (cur as number) - (prev as number);
  // min and max of the interval cannot be derived from two cumulative snapshots: left out.
  return { bounds: cur.bounds, counts: cur.counts.map((c, i) => c - prev.counts[i]), sum: cur.sum - prev.sum, count: cur.count - prev.count };
}

function stableKey(a: Record<string, string>): string {
  const keys = Object.keys(a);
  if (keys.length > 1) keys.sort();
  let s = '';
  for (const k of keys) s += k + '\u0001' + a[k] + '\u0002';
  return s;
}

const TEMPORALITY: Record<Temporality, AggregationTemporality> = {
  cumulative: AggregationTemporality.CUMULATIVE,
  delta: AggregationTemporality.DELTA,
};

export class MetricMapper {
  private readonly delta: DeltaConverter | undefined;

  constructor(
    private readonly resources: Resources,
    temporality: Temporality,
    startedAt = Date.now(),
  ) {
    this.delta = temporality === 'delta' ? new DeltaConverter(startedAt) : undefined;
  }

  /** Convert (delta if configured) and group by resource; one ResourceMetrics per resource. */
  map(items: readonly MetricItem[]): { resourceMetrics: ResourceMetrics; items: number }[] {
    const byResource = new Map<Resource, { data: MetricData[]; items: number }>();
    for (const raw of items) {
      if (raw.kind !== 'metric') continue;
      const item = this.delta ? this.delta.convert(raw) : raw;
      if (!item) continue;
      const resource = this.resources.get(item.resource);
      let g = byResource.get(resource);
      if (!g) byResource.set(resource, (g = { data: [], items: 0 }));
      g.data.push(toMetricData(item));
      g.items++;
    }
    return [...byResource].map(([resource, g]) => ({ resourceMetrics: { resource, scopeMetrics: [{ scope: SCOPE, metrics: g.data }] }, items: g.items }));
  }
}

export function toMetricData(m: MetricItem): MetricData {
  const descriptor = (valueType: ValueType) => ({ name: m.name, description: m.description, unit: m.unit, valueType });
  const temporality = TEMPORALITY[m.temporality];
  if (m.type === 'histogram') {
    const dataPoints: DataPoint<Histogram>[] = m.points.map((p) => {
      const h = p.value as HistogramValue;
      const value: Histogram = { buckets: { boundaries: h.bounds, counts: h.counts }, sum: h.sum, count: h.count };
      if (h.min !== undefined) value.min = h.min;
      if (h.max !== undefined) value.max = h.max;
      return { startTime: msToHrTime(p.startTime), endTime: msToHrTime(p.time), attributes: p.attributes as Attributes, value };
    });
    return { descriptor: descriptor(ValueType.DOUBLE), aggregationTemporality: temporality, dataPointType: DataPointType.HISTOGRAM, dataPoints };
  }
  // Whole-number series (counts of deliveries, queue lengths) go as int64, others as double.
  const allInt = m.points.every((p) => Number.isSafeInteger(p.value));
  const dataPoints: DataPoint<number>[] = m.points.map((p) => ({
    startTime: msToHrTime(p.startTime),
    endTime: msToHrTime(p.time),
    attributes: p.attributes as Attributes,
    value: p.value as number,
  }));
  const valueType = allInt ? ValueType.INT : ValueType.DOUBLE;
  if (m.type === 'gauge') return { descriptor: descriptor(valueType), aggregationTemporality: temporality, dataPointType: DataPointType.GAUGE, dataPoints };
  return { descriptor: descriptor(valueType), aggregationTemporality: temporality, dataPointType: DataPointType.SUM, dataPoints, isMonotonic: m.monotonic ?? true };
}
