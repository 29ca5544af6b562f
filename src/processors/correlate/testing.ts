// Builders of hand-written MailEvent sequences for the correlation and report tests, shaped
// like what mta_parse emits for the corresponding log lines.
import type { MailEvent } from '../../model/mail_event.js';

export const T0 = Date.UTC(2025, 2, 3, 10, 0, 0);

/** Unix ms of `sec` seconds after T0. */
export const at = (sec: number): number => T0 + sec * 1000;

type Fields = Partial<Omit<MailEvent, 'kind' | 'time' | 'event'>>;

export function ev(sec: number, event: MailEvent['event'], fields: Fields = {}): MailEvent {
  return { kind: 'mail_event', time: at(sec), host: 'mx1', mta: 'postfix', program: 'postfix/qmgr', event, ...fields };
}

export const client = (sec: number, qid: string, ip = '203.0.113.7', host = 'mx1'): MailEvent =>
  ev(sec, 'client', { host, program: 'postfix/smtpd', queue_id: qid, client_host: ip === '127.0.0.1' ? 'localhost' : 'mail.example.net', client_ip: ip });

export const messageId = (sec: number, qid: string, mid: string, host = 'mx1'): MailEvent =>
  ev(sec, 'message_id', { host, program: 'postfix/cleanup', queue_id: qid, message_id: mid });

export const enqueue = (sec: number, qid: string, nrcpt = 1, sender = 'app@billing.example', host = 'mx1'): MailEvent =>
  ev(sec, 'enqueue', { host, queue_id: qid, sender, sender_domain: sender.split('@')[1], size: 1234, nrcpt });

export function attempt(
  sec: number,
  qid: string,
  recipient: string,
  status: 'sent' | 'deferred' | 'bounced' | 'expired',
  extra: Fields = {},
): MailEvent {
  const domain = recipient.split('@')[1].toLowerCase();
  const base: Fields = {
    program: 'postfix/smtp',
    queue_id: qid,
    recipient,
    recipient_domain: domain,
    relay: `mx.${domain}[198.51.100.10]:25`,
    relay_ip: '198.51.100.10',
    status,
  };
  if (status === 'sent') Object.assign(base, { dsn: '2.0.0', reply: '250 2.0.0 Ok', reply_code: 250 });
  if (status === 'deferred') Object.assign(base, { dsn: '4.7.28', reply: '450 4.7.28 unusual rate of unsolicited mail', reply_code: 450, bounce_class: 'policy.reputation' });
  if (status === 'bounced') Object.assign(base, { dsn: '5.1.1', reply: '550 5.1.1 user unknown', reply_code: 550, bounce_class: 'hard.invalid_recipient' });
  return ev(sec, 'delivery_attempt', { ...base, ...extra });
}

export const removed = (sec: number, qid: string, host = 'mx1'): MailEvent => ev(sec, 'removed', { host, queue_id: qid });

export const expired = (sec: number, qid: string): MailEvent =>
  ev(sec, 'expired', { queue_id: qid, sender: 'app@billing.example', status: 'expired' });

export const noqueueReject = (sec: number, rcpt: string): MailEvent =>
  ev(sec, 'reject', {
    program: 'postfix/smtpd',
    client_host: 'unknown',
    client_ip: '192.0.2.9',
    sender: 'x@spam.example',
    recipient: rcpt,
    recipient_domain: rcpt.split('@')[1],
    reply_code: 554,
    dsn: '5.7.1',
    reason: 'Recipient address rejected: blocked by local policy',
    status: 'rejected',
    action: 'reject',
    smtp_command: 'RCPT',
  });
