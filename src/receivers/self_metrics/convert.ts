// prom-client's registry (mailsight's self-telemetry) as MetricItems: counters become
// monotonic cumulative sums, gauges gauges, histograms histograms, names and labels as they
// are on /metrics.
import type { MetricObjectWithValues, MetricValue, MetricValueWithName } from 'prom-client';
import type { HistogramValue, MetricDataPoint, MetricItem } from '../../model/metrics.js';

type Json = MetricObjectWithValues<MetricValue<string> | MetricValueWithName<string>>;

function labelsOf(l: Record<string, string | number | undefined>, drop?: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(l)) if (k !== drop && v !== undefined) out[k] = String(v);
  return out;
}

const keyOf = (a: Record<string, string>) => JSON.stringify(Object.entries(a).sort());

export function toMetricItems(metrics: Json[], now: number, start: number, includeProcess: boolean): MetricItem[] {
  const out: MetricItem[] = [];
  for (const m of metrics) {
    if (!includeProcess && m.name.startsWith('mailsight_process_')) continue;
    const type = String(m.type); // prom-client's MetricType enum values are these strings
    const base = { kind: 'metric' as const, name: m.name, description: m.help, unit: '', temporality: 'cumulative' as const };
    if (type === 'counter' || type === 'gauge') {
      const points: MetricDataPoint[] = m.values.map((v) => ({ attributes: labelsOf(v.labels), startTime: start, time: now, value: v.value }));
      if (points.length) out.push({ ...base, type: type === 'counter' ? 'sum' : 'gauge', monotonic: type === 'counter', points });
    } else if (type === 'histogram') {
      // One series per label set without `le`: cumulative bucket counts -> per-bucket counts.
      const series = new Map<string, { attributes: Record<string, string>; le: [number, number][]; sum: number; count: number }>();
      for (const v of m.values as MetricValueWithName<string>[]) {
        const attributes = labelsOf(v.labels, 'le');
        const k = keyOf(attributes);
        let s = series.get(k);
        if (!s) series.set(k, (s = { attributes, le: [], sum: 0, count: 0 }));
        if (v.metricName?.endsWith('_bucket')) {
          const le = v.labels.le === '+Inf' ? Infinity : Number(v.labels.le);
          s.le.push([le, v.value]);
        } else if (v.metricName?.endsWith('_sum')) s.sum = v.value;
        else if (v.metricName?.endsWith('_count')) s.count = v.value;
      }
      const points: MetricDataPoint[] = [];
      for (const s of series.values()) {
        s.le.sort((a, b) => a[0] - b[0]);
        const bounds = s.le.filter(([le]) => Number.isFinite(le)).map(([le]) => le);
        const counts: number[] = [];
        let prev = 0;
        for (const [, cum] of s.le) {
          counts.push(cum - prev);
          prev = cum;
        }
        if (counts.length === bounds.length) counts.push(s.count - prev);
        const value: HistogramValue = { bounds, counts, sum: s.sum, count: s.count };
        points.push({ attributes: s.attributes, startTime: start, time: now, value });
      }
      if (points.length) out.push({ ...base, type: 'histogram', points });
    }
    // prom-client summaries are not used by mailsight's self-telemetry.
  }
  return out;
}
