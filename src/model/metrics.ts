// Metric items: what flows through `metrics` pipelines. Shaped after OpenTelemetry's metric
// data model (one item = one metric with its data points) so OTLP export is a direct mapping
// and Prometheus export a rendering. Producers (mail_metrics, postfix_queue, self-telemetry)
// emit cumulative snapshots on an interval; exporters that want deltas derive them.

export type Temporality = 'cumulative' | 'delta';

export interface HistogramValue {
  /** Upper bounds of the buckets, ascending; the last bucket (+Inf) is implicit. */
  bounds: number[];
  /** bounds.length + 1 counts. */
  counts: number[];
  sum: number;
  count: number;
  min?: number;
  max?: number;
}

export interface MetricDataPoint {
  /** DESIGN §3 attribute names, e.g. { 'mail.recipient.domain': 'gmail.com', 'smtp.status': 'sent' }. */
  attributes: Record<string, string>;
  /** Start of the cumulative period (Unix ms): when this series first appeared. */
  startTime: number;
  /** Time of this observation (Unix ms). */
  time: number;
  value: number | HistogramValue;
}

export interface MetricItem {
  kind: 'metric';
  /** Dotted OpenTelemetry name from DESIGN §4, e.g. `mail.deliveries`. */
  name: string;
  description: string;
  /** UCUM unit: `s`, `By`, `{delivery}`, `{message}`. */
  unit: string;
  /** sum = counter (monotonic) or up-down counter; gauge = last value; histogram. */
  type: 'sum' | 'gauge' | 'histogram';
  monotonic?: boolean;
  temporality: Temporality;
  points: MetricDataPoint[];
  /** Resource attributes of the producer (service.name, host.name, ...). */
  resource?: Record<string, string>;
}

export function isHistogram(v: MetricDataPoint['value']): v is HistogramValue {
  return typeof v === 'object';
}
