// `mta_parse`: raw lines in, MailEvents out. Items that are already parsed pass through.
import { defineProcessor, type Batch, type Processor } from '../../pipeline/component.js';
import type { LogItem } from '../../model/items.js';
import type { MailEvent } from '../../model/mail_event.js';
import { MtaParseConfig } from './config.js';
import { LineParser } from './parser.js';

export const mtaParseFactory = defineProcessor({
  type: 'mta_parse',
  kind: 'processor',
  stability: 'beta',
  description: 'Parse Postfix, Exim, OpenDKIM, OpenDMARC, policyd-spf and Dovecot lines into MailEvents; unparsed lines are kept and counted.',
  signals: ['logs'],
  configSchema: MtaParseConfig,
  create: ({ config, next, telemetry }): Processor => {
    const parser = new LineParser({ mta: config.mta, timezone: config.timezone, keepRaw: config.keep_raw });
    const unparsed = telemetry.counterBy('mailsight_mta_parse_unparsed_lines_total', 'Lines no parser rule understood, by program.', 'program');
    const parsed = telemetry.counterBy('mailsight_mta_parse_events_total', 'Events parsed, by event type.', 'event');
    return {
      start: async () => undefined,
      shutdown: async () => undefined,
      consume(batch: Batch<LogItem>): Promise<void> {
        const items = batch.items;
        const out: LogItem[] = new Array(items.length);
        const counts = new Map<string, number>();
        let unparsedBy: Map<string, number> | undefined;
        for (let i = 0; i < items.length; i++) {
          const item = items[i];
          if (item.kind !== 'line') {
            out[i] = item;
            continue;
          }
          const ev: MailEvent = parser.parse(item.body);
          out[i] = ev;
          const event = ev.event;
          if (event === 'unparsed') {
            const program = ev.program || '-';
            unparsedBy ??= new Map();
            unparsedBy.set(program, (unparsedBy.get(program) ?? 0) + 1);
          }
          counts.set(event, (counts.get(event) ?? 0) + 1);
        }
        // One counter update per event type (and per program of unparsed lines) per batch, not per line.
        for (const [event, n] of counts) parsed.inc(event, n);
        if (unparsedBy !== undefined) for (const [program, n] of unparsedBy) unparsed.inc(program, n);
        return next.consume({ items: out, acks: batch.acks });
      },
    };
  },
});
