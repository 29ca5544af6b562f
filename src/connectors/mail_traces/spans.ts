// One trace per message: a root span from the message's first event to its end, a child span
// per delivery attempt (from its start — the attempt time minus its logged delays — to the
// attempt line), and a link from a `queued as` hop to the trace of the hop before it.
import { createHash } from 'node:crypto';
import type { MessageRecord, RecipientRecord } from '../../model/message_record.js';
import type { AttributeValue, SpanItem } from '../../model/spans.js';
import { spanIdOf, traceIdOf } from './ids.js';
import type { MailTracesConfig } from './config.js';

type Addresses = MailTracesConfig['addresses'];

export function maskAddress(address: string, how: Addresses): string {
  if (how === 'keep') return address;
  const at = address.lastIndexOf('@');
  const domain = at >= 0 ? address.slice(at + 1) : '';
  if (how === 'domain_only') return domain;
  const local = at >= 0 ? address.slice(0, at) : address;
  return `${createHash('sha256').update(local).digest('hex').slice(0, 12)}@${domain}`;
}

function attemptStart(time: number, delays: { before_qmgr: number; in_qmgr: number; conn_setup: number; transmission: number } | undefined, floor: number): number {
  if (!delays) return time;
  // The attempt itself is connection setup + transmission; queueing happened before it.
  const ms = (delays.conn_setup + delays.transmission) * 1000;
  return Math.max(floor, time - ms);
}

function statusOf(r: RecipientRecord): SpanItem['status'] {
  switch (r.final_status) {
    case 'sent':
    case 'handoff':
    case 'deliverable':
      return { code: 'ok' };
    case 'bounced':
    case 'expired':
    case 'rejected':
    case 'undeliverable':
      return { code: 'error', message: r.final_status };
    default:
      return { code: 'unset' };
  }
}

export function recordToSpans(rec: MessageRecord, cfg: MailTracesConfig): SpanItem[] {
  const traceId = traceIdOf(rec.host, rec.queue_id, rec.start_time);
  const rootId = spanIdOf(traceId, 'root');
  const end = Math.max(rec.end_time ?? rec.last_time, rec.start_time);
  const attrs: Record<string, AttributeValue> = {
    'mail.host': rec.host,
    'mail.mta': rec.mta,
    'mail.queue_id': rec.queue_id,
    'mail.record.state': rec.state,
    'mail.recipients': rec.recipients.length,
  };
  if (rec.message_id) attrs['mail.message_id'] = rec.message_id;
  if (rec.sender_domain !== undefined) attrs['mail.sender.domain'] = rec.sender_domain;
  if (rec.sender) attrs['mail.sender'] = maskAddress(rec.sender, cfg.addresses);
  if (rec.size !== undefined) attrs['mail.size'] = rec.size;
  if (rec.client?.ip) attrs['client.address'] = rec.client.ip;
  if (rec.stream) attrs['mail.stream'] = rec.stream;
  if (rec.tenant) attrs['mail.tenant'] = rec.tenant;
  if (rec.incomplete_reason) attrs['mail.record.incomplete_reason'] = rec.incomplete_reason;
  const failed = rec.rejected || rec.recipients.some((r) => statusOf(r).code === 'error');
  const root: SpanItem = {
    kind: 'span',
    traceId,
    spanId: rootId,
    name: `message ${rec.queue_id}`,
    spanKind: 'internal',
    startTime: rec.start_time,
    endTime: end,
    attributes: attrs,
    status: failed ? { code: 'error', message: rec.rejected ? 'rejected' : 'not delivered to every recipient' } : rec.state === 'final' ? { code: 'ok' } : { code: 'unset' },
  };
  const l = rec.links;
  if (l?.from_queue_id !== undefined && l.from_start_time !== undefined) {
    const prevTrace = traceIdOf(l.from_host ?? rec.host, l.from_queue_id, l.from_start_time);
    root.links = [{ traceId: prevTrace, spanId: spanIdOf(prevTrace, 'root'), attributes: { 'mail.link': 'queued_as', 'mail.queue_id': l.from_queue_id } }];
  }
  const events: NonNullable<SpanItem['events']> = [];
  if (rec.enqueue_time !== undefined) events.push({ name: 'enqueue', time: rec.enqueue_time, attributes: rec.nrcpt !== undefined ? { 'mail.nrcpt': rec.nrcpt } : {} });
  if (rec.expired_time !== undefined) events.push({ name: 'expired', time: rec.expired_time });
  if (rec.removed_time !== undefined) events.push({ name: 'removed', time: rec.removed_time });
  if (events.length) root.events = events;

  const spans: SpanItem[] = [root];
  for (let ri = 0; ri < rec.recipients.length; ri++) {
    const r = rec.recipients[ri];
    const attempts = r.attempts ?? [];
    const first = r.attempts_dropped ?? 0;
    for (let ai = 0; ai < attempts.length; ai++) {
      const a = attempts[ai];
      const sa: Record<string, AttributeValue> = {
        'mail.recipient.domain': r.domain,
        'mail.recipient': maskAddress(r.address, cfg.addresses),
        'smtp.status': a.status,
        'mail.attempt': first + ai + 1,
      };
      if (r.provider) sa['mail.provider'] = r.provider;
      if (a.relay) sa['mail.relay'] = a.relay;
      if (a.relay_ip) sa['server.address'] = a.relay_ip;
      if (a.dsn) {
        sa['smtp.dsn'] = a.dsn;
        sa['smtp.status_class'] = `${a.dsn[0]}xx`;
      }
      if (a.reply_code !== undefined) sa['smtp.reply_code'] = a.reply_code;
      if (a.reply) sa['smtp.reply'] = a.reply;
      if (a.bounce_class) sa['mail.bounce.class'] = a.bounce_class;
      if (a.tls) sa['tls.protocol.version'] = a.tls;
      if (a.queued_as) sa['mail.queued_as'] = a.queued_as;
      spans.push({
        kind: 'span',
        traceId,
        spanId: spanIdOf(traceId, `attempt/${ri}/${first + ai}`),
        parentSpanId: rootId,
        name: `delivery ${r.domain || r.address}`,
        spanKind: 'client',
        startTime: attemptStart(a.time, a.delays, rec.start_time),
        endTime: a.time,
        attributes: sa,
        status: a.status === 'sent' ? { code: 'ok' } : a.status === 'deferred' ? { code: 'unset', message: a.reply } : { code: 'error', message: a.reply ?? a.status },
      });
    }
  }
  return spans;
}
