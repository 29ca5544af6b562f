// Span items: what flows through `traces` pipelines. Shaped after OpenTelemetry's span model
// so OTLP export is a direct mapping. Times come from log timestamps, not from the clock.

export type AttributeValue = string | number | boolean;

export interface SpanLink {
  traceId: string;
  spanId: string;
  attributes?: Record<string, AttributeValue>;
}

export interface SpanEvent {
  name: string;
  time: number;
  attributes?: Record<string, AttributeValue>;
}

export interface SpanItem {
  kind: 'span';
  /** 32 lowercase hex characters. */
  traceId: string;
  /** 16 lowercase hex characters. */
  spanId: string;
  parentSpanId?: string;
  name: string;
  spanKind: 'internal' | 'server' | 'client' | 'producer' | 'consumer';
  /** Unix ms (fractional for sub-millisecond precision). */
  startTime: number;
  endTime: number;
  attributes: Record<string, AttributeValue>;
  status: { code: 'unset' | 'ok' | 'error'; message?: string };
  links?: SpanLink[];
  events?: SpanEvent[];
  resource?: Record<string, string>;
}
