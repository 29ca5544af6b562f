import type { MailEvent } from '../../model/mail_event.js';

/**
 * A parser for the message part of one program's lines (after the syslog header).
 * `ev` arrives with kind, time, host, mta, program and pid set and event = 'unparsed'.
 * The parser sets `event` and the fields it understands and returns true; it returns false
 * (leaving `event` as 'unparsed') when it does not understand the message.
 */
export type MessageParser = (msg: string, ev: MailEvent) => boolean;
