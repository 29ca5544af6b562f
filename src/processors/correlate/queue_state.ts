// The queue as the correlation state sees it (DESIGN §4: queue size and age come from the live
// queue when a postfix_queue receiver reads it and, without one, from the messages that are
// enqueued and not yet final). Open records are summarised per host with the same aggregator
// the postfix_queue receiver uses on `postqueue -j`, so both give the same metric shapes.
import type { MessageRecord } from '../../model/message_record.js';
import type { QueueStateItem } from '../../model/items.js';
import { QueueAggregator, type ShowqRecord } from '../../receivers/postfix_queue/queue_stats.js';

/** Which Postfix queue an open message is most likely in. */
export function queueOf(rec: MessageRecord): ShowqRecord['queue_name'] {
  if (rec.held) return 'hold';
  if (rec.enqueue_time === undefined) return 'incoming';
  for (const r of rec.recipients) if (r.final_status === undefined && (r.deferrals ?? 0) > 0) return 'deferred';
  return 'active';
}

function toShowq(rec: MessageRecord): ShowqRecord {
  const recipients: { address?: string; delay_reason?: string }[] = [];
  for (const r of rec.recipients) {
    if (r.final_status !== undefined) continue;
    const last = r.attempts?.[r.attempts.length - 1];
    recipients.push(last?.status === 'deferred' && last.reply ? { address: r.address, delay_reason: last.reply } : { address: r.address });
  }
  return {
    queue_name: queueOf(rec),
    queue_id: rec.queue_id,
    arrival_time: (rec.enqueue_time ?? rec.start_time) / 1000,
    message_size: rec.size,
    recipients,
  };
}

/**
 * One summary per host of the open messages, ages against that host's event-time clock (a
 * replay reports the queue as it was at that point of the log, not against the wall clock).
 */
export function queueStates(open: Iterable<MessageRecord>, clocks: Record<string, number>, maxDomains: number): QueueStateItem[] {
  const byHost = new Map<string, QueueAggregator>();
  for (const rec of open) {
    if (rec.state !== 'open' || rec.queue_id === 'NOQUEUE') continue;
    let agg = byHost.get(rec.host);
    if (!agg) byHost.set(rec.host, (agg = new QueueAggregator((clocks[rec.host] ?? rec.last_time) / 1000, { maxDomains, topReasons: 10 })));
    agg.add(toShowq(rec));
  }
  // Hosts with a clock but nothing open report an empty queue (their gauges go to 0).
  for (const host of Object.keys(clocks)) {
    if (!byHost.has(host) && Number.isFinite(clocks[host])) byHost.set(host, new QueueAggregator(clocks[host] / 1000, { maxDomains, topReasons: 10 }));
  }
  const out: QueueStateItem[] = [];
  for (const [host, agg] of byHost) out.push(withJson({ kind: 'queue_state', host, time: clocks[host] ?? Date.now(), summary: agg.finish() }));
  return out;
}

/** The summary holds Maps: give the item a JSON form (file and debug exporters write JSON). */
function withJson(item: QueueStateItem): QueueStateItem {
  Object.defineProperty(item, 'toJSON', {
    enumerable: false,
    value: () => ({
      kind: item.kind,
      host: item.host,
      time: item.time,
      summary: {
        messages: item.summary.messages,
        queues: Object.fromEntries(item.summary.queues),
        domains: Object.fromEntries([...item.summary.domains].map(([q, d]) => [q, Object.fromEntries(d)])),
        reasons: item.summary.reasons,
      },
    }),
  });
  return item;
}
