// `mail_traces`: MessageRecords in (logs), one trace per message out (traces).
import { defineConnector, type Batch, type Processor } from '../../pipeline/component.js';
import type { LogItem } from '../../model/items.js';
import type { SpanItem } from '../../model/spans.js';
import { MailTracesConfig } from './config.js';
import { recordToSpans } from './spans.js';

export const mailTracesFactory = defineConnector({
  type: 'mail_traces',
  kind: 'connector',
  stability: 'alpha',
  description: 'One trace per correlated message: a root span for its life in the queue, a child span per delivery attempt, links across queued-as hops.',
  signals: ['logs', 'traces'],
  from: ['logs'],
  to: ['traces'],
  configSchema: MailTracesConfig,
  create: ({ config, next }): Processor => ({
    start: async () => undefined,
    shutdown: async () => undefined,
    consume(batch: Batch<LogItem>): Promise<void> {
      const spans: SpanItem[] = [];
      for (const item of batch.items) {
        if (item.kind !== 'message_record') continue;
        if (item.state === 'incomplete' && !config.include_incomplete) continue;
        if (item.state === 'open') continue;
        for (const s of recordToSpans(item, config)) spans.push(s);
      }
      // The spans carry the acks of the records they came from.
      return next.consume({ items: spans, acks: batch.acks });
    },
  }),
});
