// LogItems (raw lines, MailEvents, MessageRecords) -> OTel SDK ReadableLogRecords, which the
// OTLP transformer serialises. Attributes use the DESIGN §3 names; the body is one readable
// line; severity follows what the event means for mail flow, not only what the MTA logged.
import { SeverityNumber, type AnyValue, type AnyValueMap, type LogAttributes } from '@opentelemetry/api-logs';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { HrTime } from '@opentelemetry/api';
import type { LogItem, RawLine } from '../../model/items.js';
import type { MailEvent, Severity } from '../../model/mail_event.js';
import type { MessageRecord, RecipientRecord } from '../../model/message_record.js';
import { msToHrTime, SCOPE, type AddressPolicy, type Resources } from './common.js';

interface Sev {
  n: SeverityNumber;
  text: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL';
}
const DEBUG: Sev = { n: SeverityNumber.DEBUG, text: 'DEBUG' };
const INFO: Sev = { n: SeverityNumber.INFO, text: 'INFO' };
const WARN: Sev = { n: SeverityNumber.WARN, text: 'WARN' };
const ERROR: Sev = { n: SeverityNumber.ERROR, text: 'ERROR' };
const FATAL: Sev = { n: SeverityNumber.FATAL, text: 'FATAL' };

const FROM_MTA: Record<Severity, Sev> = { debug: DEBUG, info: INFO, notice: INFO, warning: WARN, error: ERROR, fatal: ERROR, panic: FATAL };

/**
 * error: the message will not be delivered (bounced, expired) or the MTA failed (fatal);
 * warn: delivery is delayed or refused (deferred, reject) or the session went wrong;
 * info: normal lifecycle. The MTA's own severity is used when it says more.
 */
export function eventSeverity(e: MailEvent): Sev {
  switch (e.status) {
    case 'bounced':
    case 'expired':
    case 'undeliverable':
      return ERROR;
    case 'deferred':
    case 'rejected':
      return WARN;
  }
  switch (e.event) {
    case 'expired':
    case 'error':
    case 'fatal':
      return ERROR;
    case 'panic':
      return FATAL;
    case 'reject':
    case 'warning':
    case 'frozen':
    case 'lost_connection':
    case 'timeout':
      return WARN;
    case 'auth':
      if (e.auth && !/^(pass|none|neutral)$/i.test(e.auth.result)) return WARN;
      break;
  }
  return e.severity ? FROM_MTA[e.severity] : INFO;
}

export function recordSeverity(r: MessageRecord): Sev {
  let sev = r.rejected || r.state === 'incomplete' ? WARN : INFO;
  for (const rc of r.recipients) {
    if (rc.final_status === 'bounced' || rc.final_status === 'expired' || rc.final_status === 'undeliverable') return ERROR;
    if (rc.final_status === 'rejected') sev = WARN;
  }
  return sev;
}

function set(a: LogAttributes, k: string, v: AnyValue): void {
  if (v !== undefined && v !== '') a[k] = v;
}

export class LogMapper {
  constructor(
    private readonly resources: Resources,
    private readonly addr: AddressPolicy,
    private readonly now: () => number = Date.now,
  ) {}

  map(items: readonly LogItem[]): ReadableLogRecord[] {
    const observed = msToHrTime(this.now());
    const resource = this.resources.get();
    const out: ReadableLogRecord[] = [];
    for (const it of items) {
      if (it.kind === 'mail_event') out.push(this.event(it, observed, resource));
      else if (it.kind === 'message_record') out.push(this.record(it, observed, resource));
      else if (it.kind === 'line') out.push(this.line(it, observed, resource));
    }
    return out;
  }

  private base(time: number, observed: HrTime, resource: ReadableLogRecord['resource'], sev: Sev, body: string, attributes: LogAttributes, eventName: string): ReadableLogRecord {
    return {
      hrTime: msToHrTime(time),
      hrTimeObserved: observed,
      severityNumber: sev.n,
      severityText: sev.text,
      body,
      eventName,
      resource,
      instrumentationScope: SCOPE,
      attributes,
      droppedAttributesCount: 0,
    };
  }

  line(l: RawLine, observed: HrTime, resource: ReadableLogRecord['resource']): ReadableLogRecord {
    const a: LogAttributes = { 'event.name': 'line' };
    if (l.source) for (const [k, v] of Object.entries(l.source)) a[`mail.source.${k}`] = v;
    return this.base(l.observed, observed, resource, INFO, this.addr.text(l.body), a, 'mail.line');
  }

  event(e: MailEvent, observed: HrTime, resource: ReadableLogRecord['resource']): ReadableLogRecord {
    const a: LogAttributes = {};
    const ad = this.addr;
    set(a, 'event.name', e.event);
    set(a, 'mail.host', e.host);
    set(a, 'mail.mta', e.mta);
    set(a, 'mail.program', e.program);
    set(a, 'process.pid', e.pid);
    set(a, 'mail.queue_id', e.queue_id);
    set(a, 'mail.message_id', e.message_id);
    if (e.sender !== undefined) set(a, 'mail.sender.address', ad.address(e.sender));
    set(a, 'mail.sender.domain', e.sender_domain);
    if (e.recipient !== undefined) set(a, 'mail.recipient.address', ad.address(e.recipient));
    if (e.orig_recipient !== undefined) set(a, 'mail.recipient.original_address', ad.address(e.orig_recipient));
    set(a, 'mail.recipient.domain', e.recipient_domain);
    set(a, 'mail.provider', e.provider);
    set(a, 'mail.sending_ip', e.sending_ip);
    set(a, 'mail.size', e.size);
    set(a, 'mail.nrcpt', e.nrcpt);
    set(a, 'client.address', e.client_ip);
    set(a, 'mail.client.host', e.client_host);
    set(a, 'mail.relay', e.relay);
    set(a, 'smtp.status', e.status);
    set(a, 'smtp.status_class', e.status_class);
    set(a, 'smtp.dsn', e.dsn);
    set(a, 'smtp.reply_code', e.reply_code);
    if (e.reply !== undefined) set(a, 'smtp.reply', ad.text(e.reply));
    set(a, 'smtp.command', e.smtp_command);
    set(a, 'mail.bounce.class', e.bounce_class);
    set(a, 'mail.delay', e.delay);
    if (e.delays) {
      set(a, 'mail.delay.before_qmgr', e.delays.before_qmgr);
      set(a, 'mail.delay.in_qmgr', e.delays.in_qmgr);
      set(a, 'mail.delay.conn_setup', e.delays.conn_setup);
      set(a, 'mail.delay.transmission', e.delays.transmission);
    }
    set(a, 'mail.queued_as', e.queued_as);
    set(a, 'mail.reason', e.reason !== undefined ? ad.text(e.reason) : undefined);
    set(a, 'mail.action', e.action);
    if (e.tls) {
      set(a, 'tls.protocol.version', e.tls.protocol);
      set(a, 'tls.cipher', e.tls.cipher);
      set(a, 'mail.tls.direction', e.tls.direction);
      set(a, 'mail.tls.trust', e.tls.trust);
    }
    if (e.auth) {
      set(a, 'mail.auth.mechanism', e.auth.mechanism);
      set(a, 'mail.auth.result', e.auth.result);
      set(a, 'mail.auth.domain', e.auth.domain);
      set(a, 'mail.auth.method', e.auth.method);
    }
    // What a parser kept beyond the model (Exim's T=/R=, TLS key exchange, milter details):
    // under mail.attr.*, with addresses in the text handled like every other text.
    if (e.attrs !== undefined) {
      for (const k in e.attrs) {
        const v = e.attrs[k];
        set(a, `mail.attr.${k}`, typeof v === 'string' ? ad.text(v) : v);
      }
    }
    const body = e.event === 'unparsed' && e.raw !== undefined ? ad.text(e.raw) : this.eventBody(e);
    return this.base(e.time, observed, resource, eventSeverity(e), body, a, `mail.${e.event}`);
  }

  /** e.g. `postfix/smtp[123] 4053316030D: delivery_attempt to=<…@gmail.com> status=deferred dsn=4.7.28 (421 …)` */
  eventBody(e: MailEvent): string {
    const ad = this.addr;
    let s = e.program + (e.pid !== undefined ? `[${e.pid}]` : '') + (e.queue_id ? ` ${e.queue_id}:` : ':') + ' ' + e.event;
    if (e.client_host !== undefined || e.client_ip !== undefined) s += ` client=${e.client_host ?? 'unknown'}[${e.client_ip ?? ''}]`;
    if (e.message_id !== undefined) s += ` message-id=<${e.message_id}>`;
    if (e.sender !== undefined) s += ` from=<${ad.address(e.sender)}>`;
    if (e.recipient !== undefined) s += ` to=<${ad.address(e.recipient)}>`;
    if (e.relay !== undefined) s += ` relay=${e.relay}`;
    if (e.size !== undefined) s += ` size=${e.size}`;
    if (e.nrcpt !== undefined) s += ` nrcpt=${e.nrcpt}`;
    if (e.delay !== undefined) s += ` delay=${e.delay}`;
    if (e.status !== undefined) s += ` status=${e.status}`;
    if (e.dsn !== undefined) s += ` dsn=${e.dsn}`;
    if (e.bounce_class !== undefined) s += ` class=${e.bounce_class}`;
    if (e.tls?.protocol !== undefined) s += ` tls=${e.tls.protocol}`;
    if (e.auth) s += ` ${e.auth.mechanism}=${e.auth.result}${e.auth.domain ? ` domain=${e.auth.domain}` : ''}`;
    if (e.reason !== undefined) s += ` reason=${ad.text(e.reason)}`;
    if (e.reply !== undefined) s += ` (${ad.text(e.reply)})`;
    return s;
  }

  record(r: MessageRecord, observed: HrTime, resource: ReadableLogRecord['resource']): ReadableLogRecord {
    const a: LogAttributes = {};
    const ad = this.addr;
    set(a, 'event.name', 'message_record');
    set(a, 'mail.host', r.host);
    set(a, 'mail.mta', r.mta);
    set(a, 'mail.queue_id', r.queue_id);
    set(a, 'mail.message_id', r.message_id);
    if (r.sender !== undefined) set(a, 'mail.sender.address', ad.address(r.sender));
    set(a, 'mail.sender.domain', r.sender_domain);
    set(a, 'mail.stream', r.stream);
    set(a, 'mail.tenant', r.tenant);
    set(a, 'mail.size', r.size);
    set(a, 'mail.nrcpt', r.nrcpt);
    set(a, 'mail.record.state', r.state);
    set(a, 'mail.record.incomplete_reason', r.incomplete_reason);
    set(a, 'mail.origin', r.origin);
    set(a, 'client.address', r.client?.ip);
    set(a, 'mail.client.host', r.client?.host);
    set(a, 'mail.events', r.events);
    if (r.links?.queued_as?.length) set(a, 'mail.queued_as', [...r.links.queued_as]);
    set(a, 'mail.from_queue_id', r.links?.from_queue_id);
    // One recipient (the common case): the same flat attributes as a delivery event.
    if (r.recipients.length === 1) {
      const rc = r.recipients[0];
      set(a, 'mail.recipient.domain', rc.domain);
      set(a, 'mail.provider', rc.provider);
      set(a, 'smtp.status', rc.final_status);
      set(a, 'mail.bounce.class', rc.bounce_class);
      const last = rc.attempts?.[rc.attempts.length - 1];
      set(a, 'smtp.dsn', last?.dsn);
      set(a, 'smtp.reply_code', last?.reply_code);
      set(a, 'tls.protocol.version', last?.tls);
    }
    if (r.recipients.length) set(a, 'mail.recipients', r.recipients.map((rc) => this.recipient(rc)));
    const time = r.end_time ?? r.last_time;
    return this.base(time, observed, resource, recordSeverity(r), this.recordBody(r), a, 'mail.message_record');
  }

  private recipient(rc: RecipientRecord): AnyValueMap {
    const m: AnyValueMap = { address: this.addr.address(rc.address), domain: rc.domain };
    if (rc.provider !== undefined) m.provider = rc.provider;
    if (rc.final_status !== undefined) m.status = rc.final_status;
    if (rc.bounce_class !== undefined) m['bounce.class'] = rc.bounce_class;
    if (rc.latency_seconds !== undefined) m.latency_seconds = rc.latency_seconds;
    if (rc.deferrals !== undefined) m.deferrals = rc.deferrals;
    m.attempts = (rc.attempts?.length ?? 0) + (rc.attempts_dropped ?? 0);
    const last = rc.attempts?.[rc.attempts.length - 1];
    if (last?.dsn !== undefined) m.dsn = last.dsn;
    if (last?.reply !== undefined) m.reply = this.addr.text(last.reply);
    return m;
  }

  /** e.g. `message 4053316030D on mx1 from=<…@example.com> size=1234: 2 recipients: <…@gmail.com> sent 1.2s, <…@yahoo.com> bounced (hard.invalid_recipient)` */
  recordBody(r: MessageRecord): string {
    const ad = this.addr;
    let s = `message ${r.queue_id} on ${r.host}`;
    if (r.sender !== undefined) s += ` from=<${ad.address(r.sender)}>`;
    if (r.message_id !== undefined) s += ` message-id=<${r.message_id}>`;
    if (r.size !== undefined) s += ` size=${r.size}`;
    s += ` ${r.state}${r.incomplete_reason ? ` (${r.incomplete_reason})` : ''}`;
    if (r.rejected) s += ' rejected';
    if (r.recipients.length) {
      s += `: ${r.recipients.length} recipient${r.recipients.length === 1 ? '' : 's'}: `;
      s += r.recipients
        .slice(0, 10)
        .map((rc) => {
          let t = `<${ad.address(rc.address)}> ${rc.final_status ?? 'pending'}`;
          if (rc.latency_seconds !== undefined) t += ` ${rc.latency_seconds}s`;
          if (rc.deferrals) t += ` after ${rc.deferrals} deferral${rc.deferrals === 1 ? '' : 's'}`;
          if (rc.bounce_class !== undefined && rc.final_status !== 'sent') t += ` (${rc.bounce_class})`;
          return t;
        })
        .join(', ');
      if (r.recipients.length > 10) s += `, … ${r.recipients.length - 10} more`;
    }
    return s;
  }
}
