// Items covering what the otlphttp exporter maps: every DESIGN §3 attribute on logs, all
// metric kinds, spans with parents, links and events. Times carry microseconds on purpose.
import pino from 'pino';
import { Ajv } from 'ajv';
import type { MailEvent } from '../../../src/model/mail_event.js';
import type { MessageRecord } from '../../../src/model/message_record.js';
import type { MetricItem } from '../../../src/model/metrics.js';
import type { SpanItem } from '../../../src/model/spans.js';
import type { RawLine } from '../../../src/model/items.js';
import { OtlpHttpExporterConfig } from '../../../src/exporters/otlphttp/config.js';
import { OtlpHttpExporter } from '../../../src/exporters/otlphttp/otlphttp.js';
import { SelfTelemetry } from '../../../src/telemetry/component_telemetry.js';

const T0 = 1764288000123.456; // 2025-11-28T00:00:00.123456Z

export const events: MailEvent[] = [
  {
    kind: 'mail_event', time: T0, host: 'mx1', mta: 'postfix', program: 'postfix/smtp', pid: 4242, queue_id: '4053316030D', event: 'delivery_attempt',
    sender: 'alice.smith@billing.example', sender_domain: 'billing.example', recipient: 'bob@gmail.com', recipient_domain: 'gmail.com', provider: 'gmail',
    relay: 'gmail-smtp-in.l.google.com[142.250.1.27]:25', delay: 1.2, delays: { before_qmgr: 0.01, in_qmgr: 0, conn_setup: 0.5, transmission: 0.69 },
    dsn: '2.0.0', status: 'sent', status_class: '2xx', reply: '250 2.0.0 OK 1764288000 x1si123 - gsmtp', reply_code: 250, sending_ip: '192.0.2.10',
    tls: { direction: 'outbound', protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' },
  },
  {
    kind: 'mail_event', time: T0 + 1000.001, host: 'mx1', mta: 'postfix', program: 'postfix/smtp', pid: 4243, queue_id: '5164427141E', event: 'delivery_attempt',
    recipient: 'carol@yahoo.com', recipient_domain: 'yahoo.com', provider: 'yahoo', dsn: '4.7.0', status: 'deferred', status_class: '4xx', reply_code: 421,
    reply: '421 4.7.0 [TSS04] Messages from 192.0.2.10 temporarily deferred; see https://postmaster.yahooinc.com/error-codes for carol@yahoo.com', bounce_class: 'policy.rate_limited',
  },
  {
    kind: 'mail_event', time: T0 + 2000, host: 'mx2', mta: 'exim', program: 'exim', queue_id: '1tKx2c-000Abc-5Z', event: 'delivery_attempt',
    recipient: 'nobody@example.org', recipient_domain: 'example.org', dsn: '5.1.1', status: 'bounced', status_class: '5xx', reply_code: 550,
    reply: '550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown', bounce_class: 'hard.invalid_recipient',
  },
  {
    kind: 'mail_event', time: T0 + 3000, host: 'mx1', mta: 'postfix', program: 'postfix/smtpd', pid: 17, event: 'reject', client_host: 'unknown', client_ip: '203.0.113.9',
    reply_code: 554, dsn: '5.7.1', reply: '554 5.7.1 Service unavailable; Client host [203.0.113.9] blocked using zen.spamhaus.org', status: 'rejected', status_class: '5xx', bounce_class: 'policy.reputation',
  },
  {
    kind: 'mail_event', time: T0 + 4000, host: 'mx1', mta: 'opendkim', program: 'opendkim', pid: 99, queue_id: '4053316030D', event: 'auth',
    auth: { mechanism: 'dkim', result: 'fail', domain: 'billing.example', selector: 's1' },
  },
  { kind: 'mail_event', time: T0 + 5000, host: 'mx1', mta: 'postfix', program: 'postfix/master', event: 'fatal', severity: 'fatal', reason: 'bind 0.0.0.0 port 25: Address already in use' },
  { kind: 'mail_event', time: T0 + 6000, host: 'mx1', mta: 'unknown', program: 'weird', event: 'unparsed', raw: 'weird[1]: something about dave@example.net happened' },
];

export const record: MessageRecord = {
  kind: 'message_record', host: 'mx1', queue_id: '4053316030D', mta: 'postfix', state: 'final', origin: 'smtpd',
  start_time: T0 - 500, last_time: T0 + 10, enqueue_time: T0 - 400, end_time: T0 + 10, message_id: '20251128000000.ABC@billing.example',
  sender: 'alice.smith@billing.example', sender_domain: 'billing.example', size: 10240, nrcpt: 2, stream: 'transactional', tenant: 'acme',
  recipients: [
    { address: 'bob@gmail.com', domain: 'gmail.com', provider: 'gmail', final_status: 'sent', final_time: T0, latency_seconds: 0.5,
      attempts: [{ time: T0, status: 'sent', dsn: '2.0.0', reply_code: 250, reply: '250 2.0.0 OK', tls: 'TLSv1.3' }] },
    { address: 'nobody@example.org', domain: 'example.org', final_status: 'bounced', final_time: T0 + 5, bounce_class: 'hard.invalid_recipient', deferrals: 1,
      attempts: [{ time: T0 + 5, status: 'bounced', dsn: '5.1.1', reply_code: 550, reply: '550 5.1.1 <nobody@example.org>: User unknown' }] },
  ],
  events: 9,
};

export const line: RawLine = { kind: 'line', body: 'Nov 28 00:00:00 mx1 postfix/qmgr[1]: 4053316030D: removed', observed: T0 + 7000, source: { path: '/var/log/mail.log' } };

export const metrics: MetricItem[] = [
  {
    kind: 'metric', name: 'mail.deliveries', description: 'Delivery attempts by outcome', unit: '{delivery}', type: 'sum', monotonic: true, temporality: 'cumulative',
    points: [
      { attributes: { 'smtp.status': 'sent', 'mail.recipient.domain': 'gmail.com' }, startTime: T0 - 60_000, time: T0, value: 42 },
      { attributes: { 'smtp.status': 'deferred', 'mail.recipient.domain': 'yahoo.com' }, startTime: T0 - 60_000, time: T0, value: 7 },
    ],
    resource: { 'service.name': 'mailsight', 'host.name': 'collector-1' },
  },
  {
    kind: 'metric', name: 'mail.queue.messages', description: 'Messages in the queue', unit: '{message}', type: 'gauge', temporality: 'cumulative',
    points: [{ attributes: { queue: 'deferred' }, startTime: T0 - 60_000, time: T0, value: 12.5 }],
    resource: { 'service.name': 'mailsight', 'host.name': 'collector-1' },
  },
  {
    kind: 'metric', name: 'mail.delivery.latency', description: 'Enqueue to final', unit: 's', type: 'histogram', temporality: 'cumulative',
    points: [{ attributes: { 'mail.provider': 'gmail' }, startTime: T0 - 60_000, time: T0, value: { bounds: [0.1, 1, 10], counts: [1, 5, 2, 1], sum: 31.5, count: 9, min: 0.05, max: 20 } }],
    resource: { 'service.name': 'mailsight', 'host.name': 'collector-1' },
  },
];

export const spans: SpanItem[] = [
  {
    kind: 'span', traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', name: 'message 4053316030D', spanKind: 'server',
    startTime: T0 - 500, endTime: T0 + 10, attributes: { 'mail.host': 'mx1', 'mail.queue_id': '4053316030D', 'mail.nrcpt': 2, 'mail.final': true },
    status: { code: 'error', message: '1 of 2 recipients bounced' },
    links: [{ traceId: '1bf7651916cd43dd8448eb211c80319d', spanId: 'c8be7c8270314442', attributes: { 'mail.link': 'queued_as' } }],
    events: [{ name: 'enqueue', time: T0 - 400, attributes: { 'mail.nrcpt': 2 } }],
  },
  {
    kind: 'span', traceId: '0af7651916cd43dd8448eb211c80319c', spanId: '00f067aa0ba902b7', parentSpanId: 'b7ad6b7169203331', name: 'delivery gmail.com', spanKind: 'client',
    startTime: T0 - 1.5, endTime: T0, attributes: { 'smtp.status': 'sent', 'mail.delay.conn_setup': 0.5 }, status: { code: 'ok' },
  },
];

export function makeExporter(id: string, config: Record<string, unknown>, internals: { segmentBytes?: number } = {}) {
  const cfg: unknown = structuredClone(config);
  const validate = new Ajv({ useDefaults: true, strict: false }).compile(OtlpHttpExporterConfig);
  if (!validate(cfg)) throw new Error(JSON.stringify(validate.errors));
  const tel = new SelfTelemetry({ processMetrics: false });
  const exporter = new OtlpHttpExporter(
    { id, config: cfg as OtlpHttpExporterConfig, signal: 'logs', logger: pino({ level: process.env.MAILSIGHT_TEST_LOG ?? 'silent' }, pino.destination(2)), telemetry: tel.forComponent('exporter', id) },
    internals,
  );
  return { exporter, tel };
}
