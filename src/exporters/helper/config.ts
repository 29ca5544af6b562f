// Config blocks shared by every push exporter (timeout, retry_on_failure, sending_queue),
// named after the OpenTelemetry Collector's exporterhelper so OTel users find what they know.
// An exporter spreads `exporterHelperProperties()` into its own Strict schema.
import { Type, type Static } from '@sinclair/typebox';
import { Duration, Strict, StringEnum } from '../../config/types.js';

export const RetrySettings = Strict(
  {
    enabled: Type.Boolean({ default: true, description: 'Retry transient failures (network errors, timeouts, 408, 429, 5xx). When false they fail at once.' }),
    initial_interval: Duration({ default: '1s', description: 'Wait before the first retry.' }),
    max_interval: Duration({ default: '30s', description: 'Upper bound of one back-off wait (a longer Retry-After from the backend is still honoured).' }),
    max_elapsed_time: Duration({
      default: '5m',
      description:
        'Give up on a request after retrying this long ("0s": never). Memory queue or no queue: the items are failed back to the pipeline. Disk queue: the request goes to the back of the queue instead (nothing acknowledged is dropped).',
    }),
    multiplier: Type.Number({ minimum: 1, default: 1.5, description: 'Each back-off wait is the previous one times this.' }),
    randomization_factor: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.5,
      description: 'Jitter: a wait is drawn uniformly from interval × [1 − f, 1 + f], so many senders do not retry in step.',
    }),
  },
  { default: {}, description: 'Retry with exponential back-off and jitter; Retry-After on 429/503 is honoured.' },
);

export const SendingQueueSettings = Strict(
  {
    enabled: Type.Boolean({ default: true, description: 'Queue requests and send them in the background. When false, each batch is sent (with retries) before the next is accepted.' }),
    storage: StringEnum(['memory', 'disk'] as const, {
      default: 'memory',
      description:
        'memory: the pipeline ack is released when the backend accepted the data (lost on a crash, re-read by sources that can). disk: the ack is released once the request is written to the queue files; it is sent later, also after a restart or kill -9.',
    }),
    directory: Type.Optional(
      Type.String({ minLength: 1, description: 'Directory of the disk queue. Default: <service.data_dir>/<exporter id with "/" as "_">. One exporter per directory.' }),
    ),
    size: Type.Integer({
      minimum: 1,
      default: 50_000,
      description: 'Capacity in items (log records, metric items, spans) across queued requests, like the pipeline queue.size. A request larger than the whole queue is accepted when the queue is empty.',
    }),
    num_consumers: Type.Integer({ minimum: 1, default: 10, description: 'Requests sent concurrently.' }),
    when_full: StringEnum(['block', 'drop_newest'] as const, {
      default: 'block',
      description:
        'block: consume waits for room (back-pressure to the source); drop_newest: the arriving batch is dropped, counted in mailsight_items_dropped_total, and its acks failed (it never reached the backend).',
    }),
    fsync: StringEnum(['always', 'interval', 'never'] as const, {
      default: 'interval',
      description:
        'Disk queue: when written records are fsynced. Every record is written (write(2)) before its ack is released, so it survives kill -9 with any policy. always: also fsynced before the ack (survives power loss / kernel crash); interval: fsynced every fsync_interval (a power loss can lose up to that much acknowledged data); never: left to the OS.',
    }),
    fsync_interval: Duration({ default: '1s', description: 'Disk queue with fsync: interval: how often written records are fsynced.' }),
  },
  { default: {}, description: 'Queue between the pipeline and the sender: in memory or on disk (survives restarts and kill -9).' },
);

/** The helper's options; spread into an exporter's schema with `exporterHelperProperties()`. */
export function exporterHelperProperties() {
  return {
    timeout: Duration({ default: '10s', description: 'Timeout of one send attempt (connect, upload and response).' }),
    retry_on_failure: RetrySettings,
    sending_queue: SendingQueueSettings,
  };
}

/** The helper's options on their own (its README's table). */
export const ExporterHelperSchema = Strict(exporterHelperProperties());
export type ExporterHelperConfig = Static<typeof ExporterHelperSchema>;
export type RetryConfig = Static<typeof RetrySettings>;
export type SendingQueueConfig = Static<typeof SendingQueueSettings>;
