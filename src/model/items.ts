// What flows through pipelines. A `logs` pipeline carries LogItems (raw lines, parsed
// MailEvents, correlated MessageRecords); a `metrics` pipeline carries MetricItems; a
// `traces` pipeline carries SpanItems.
import type { MailEvent } from './mail_event.js';
import type { MessageRecord } from './message_record.js';
import type { QueueSummary } from '../receivers/postfix_queue/queue_stats.js';

/** A raw line as a receiver read it, before any parsing. */
export interface RawLine {
  kind: 'line';
  body: string;
  /** When the receiver read it (Unix ms). */
  observed: number;
  /** Where it came from: file path, peer address, transport. */
  source?: Record<string, string>;
}

/** A correlated message lifecycle (the `correlate` processor's output). */
export type MessageRecordItem = MessageRecord;

/**
 * The queue as the correlation state sees it on one host (the `correlate` processor emits one
 * per host every `queue_state_interval`); `mail_metrics` turns it into mail.queue.* gauges.
 */
export interface QueueStateItem {
  kind: 'queue_state';
  host: string;
  /** The host's event-time clock (Unix ms): ages are measured against it. */
  time: number;
  summary: QueueSummary;
}

export type LogItem = RawLine | MailEvent | MessageRecordItem | QueueStateItem;

export type { MetricItem } from './metrics.js';
export type { SpanItem } from './spans.js';

export type Signal = 'logs' | 'metrics' | 'traces';

export type PipelineItem = LogItem | import('./metrics.js').MetricItem | import('./spans.js').SpanItem;
