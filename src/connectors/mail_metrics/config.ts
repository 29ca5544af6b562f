// Config of the mail_metrics connector (logs -> metrics).
import { Type, type Static } from '@sinclair/typebox';
import { Duration, Strict, StringEnum } from '../../config/types.js';

/** Enqueue → final delivery: seconds to days (deferred mail retries for up to 5 days). */
export const DEFAULT_LATENCY_BUCKETS = [
  1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 43200, 86400, 172800, 432000,
];

/** Postfix delays=a/b/c/d: mostly sub-second, but before_qmgr/in_qmgr reach days for deferred mail. */
export const DEFAULT_DELAY_BUCKETS = [
  0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400, 86400, 432000,
];

const Buckets = (def: number[], what: string, note = '') =>
  Type.Array(Type.Number({ exclusiveMinimum: 0 }), {
    minItems: 1,
    maxItems: 64,
    default: def,
    description: `Upper bounds (seconds, ascending) of the ${what} histogram buckets; +Inf is implicit.${note}`,
  });

export const MailMetricsConfig = Strict(
  {
    interval: Duration({
      default: '10s',
      description: 'A cumulative snapshot of every metric is emitted this often (and once more at shutdown).',
    }),
    max_series_per_metric: Type.Integer({
      minimum: 1,
      default: 5000,
      description:
        'Series per metric at most. Beyond it, new series get "other" in their unbounded attribute (recipient/sender domain, hashed SASL user); see README.',
    }),
    received_from: StringEnum(['records', 'events'] as const, {
      default: 'records',
      description:
        'Source of mail.messages.received. records: one per MessageRecord that reached the queue (needs the correlate processor; counted when the record is emitted, hops counted once). events: one per smtpd client=, pickup or Exim <= event (real time, no correlate needed; a content-filter re-injection counts twice).',
    }),
    latency_buckets: Buckets(
      DEFAULT_LATENCY_BUCKETS,
      'mail.delivery.latency',
      " The default spans a second to 5 days (Postfix's default maximal_queue_lifetime).",
    ),
    delay_buckets: Buckets(DEFAULT_DELAY_BUCKETS, 'mail.delivery.delay'),
  },
  {
    default: {},
    description:
      'Derives the DESIGN §4 mail metrics (deliveries, latency, delays, rejects, auth, TLS, SASL) from MailEvents and MessageRecords; emits cumulative MetricItems every interval.',
  },
);

export type MailMetricsConfig = Static<typeof MailMetricsConfig>;
