// SpanItems -> OTel SDK ReadableSpans, keeping the spans' own (log-derived) times and links.
import { SpanKind, SpanStatusCode, TraceFlags, type Attributes, type HrTime, type Link, type SpanContext } from '@opentelemetry/api';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import type { SpanItem } from '../../model/spans.js';
import { msToHrTime, SCOPE, type Resources } from './common.js';

const KIND: Record<SpanItem['spanKind'], SpanKind> = {
  internal: SpanKind.INTERNAL,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
};
const STATUS: Record<SpanItem['status']['code'], SpanStatusCode> = {
  unset: SpanStatusCode.UNSET,
  ok: SpanStatusCode.OK,
  error: SpanStatusCode.ERROR,
};

const ctx = (traceId: string, spanId: string): SpanContext => ({ traceId, spanId, traceFlags: TraceFlags.SAMPLED });

function duration(start: HrTime, end: HrTime): HrTime {
  let s = end[0] - start[0];
  let n = end[1] - start[1];
  if (n < 0) {
    s -= 1;
    n += 1e9;
  }
  return [s, n];
}

export class SpanMapper {
  constructor(private readonly resources: Resources) {}

  map(items: readonly SpanItem[]): ReadableSpan[] {
    const out: ReadableSpan[] = [];
    for (const s of items) if (s.kind === 'span') out.push(this.span(s));
    return out;
  }

  span(s: SpanItem): ReadableSpan {
    const context = ctx(s.traceId, s.spanId);
    const startTime = msToHrTime(s.startTime);
    const endTime = msToHrTime(s.endTime);
    const links: Link[] = (s.links ?? []).map((l) => (l.attributes ? { context: ctx(l.traceId, l.spanId), attributes: l.attributes } : { context: ctx(l.traceId, l.spanId) }));
    const events: TimedEvent[] = (s.events ?? []).map((e) => ({ name: e.name, time: msToHrTime(e.time), attributes: e.attributes as Attributes | undefined, droppedAttributesCount: 0 }));
    return {
      name: s.name,
      kind: KIND[s.spanKind],
      spanContext: () => context,
      parentSpanContext: s.parentSpanId ? ctx(s.traceId, s.parentSpanId) : undefined,
      startTime,
      endTime,
      duration: duration(startTime, endTime),
      status: s.status.message !== undefined ? { code: STATUS[s.status.code], message: s.status.message } : { code: STATUS[s.status.code] },
      attributes: s.attributes,
      links,
      events,
      ended: true,
      resource: this.resources.get(s.resource),
      instrumentationScope: SCOPE,
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    };
  }
}
