import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MailEvent } from '../../model/mail_event.js';
import { parsePostfix, isQueueId, collapseReply, smtpCommandOf } from './postfix.js';

// One case per line shape: [program, message after the syslog header, every field the parser must
// set]. kind/time/host/mta/program are the frame's and are checked too (they must be untouched).
type Want = Omit<MailEvent, 'kind' | 'time' | 'host' | 'mta' | 'program'>;
const cases: Array<[string, string, Want]> = [
  ['postfix/smtpd', 'connect from mail-ed1-f41.google.com[209.85.208.41]',
    { event: 'connect', client_host: 'mail-ed1-f41.google.com', client_ip: '209.85.208.41' }],
  ['postfix/smtpd', 'connect from unknown[2001:db8::1]:51234',
    { event: 'connect', client_host: 'unknown', client_ip: '2001:db8::1', client_port: 51234 }],
  ['postfix/submission/smtpd', '4QcXyZ1bcdz5Lr1: client=laptop.example[192.0.2.10], sasl_method=PLAIN, sasl_username=alice@example.com',
    { event: 'client', queue_id: '4QcXyZ1bcdz5Lr1', client_host: 'laptop.example', client_ip: '192.0.2.10', auth: { mechanism: 'sasl', result: 'pass', method: 'PLAIN', username: 'alice@example.com' } }],
  ['postfix-in/smtpd', '3pJjgB6dpKz1JBPW: client=011.lax.mailroute.net[127.0.0.1], orig_queue_id=3pJjg82Vycz1JBJG, orig_client=wursti.dovecot.fi[87.106.245.223]',
    { event: 'client', queue_id: '3pJjgB6dpKz1JBPW', client_host: '011.lax.mailroute.net', client_ip: '127.0.0.1', attrs: { orig_queue_id: '3pJjg82Vycz1JBJG', orig_client_host: 'wursti.dovecot.fi', orig_client_ip: '87.106.245.223' } }],
  ['postfix/smtpd', 'warning: unknown[203.0.113.7]: SASL LOGIN authentication failed: UGFzc3dvcmQ6',
    { event: 'auth', client_host: 'unknown', client_ip: '203.0.113.7', severity: 'warning', auth: { mechanism: 'sasl', result: 'fail', method: 'LOGIN', reason: 'UGFzc3dvcmQ6' }, reason: 'UGFzc3dvcmQ6' }],
  ['postfix/smtpd', 'warning: unknown[203.0.113.7]: SASL PLAIN authentication failed: authentication failure, sasl_username=bob@example.com',
    { event: 'auth', client_host: 'unknown', client_ip: '203.0.113.7', severity: 'warning', auth: { mechanism: 'sasl', result: 'fail', method: 'PLAIN', username: 'bob@example.com', reason: 'authentication failure' }, reason: 'authentication failure' }],
  ['postfix/smtpd', '4053316030D: reject: DATA from client.example[192.0.2.5]: 550 5.7.1 <DATA>: Data command rejected: Multi-recipient bounce; from=<> to=<a@example.com> proto=ESMTP helo=<client.example>',
    { event: 'reject', queue_id: '4053316030D', client_host: 'client.example', client_ip: '192.0.2.5', smtp_command: 'DATA', sender: '', recipient: 'a@example.com', proto: 'ESMTP', helo: 'client.example', reply: '550 5.7.1 <DATA>: Data command rejected: Multi-recipient bounce', reply_code: 550, dsn: '5.7.1', reason: 'Data command rejected: Multi-recipient bounce', action: 'reject', status: 'rejected' }],
  ['postfix/smtpd', 'NOQUEUE: reject: CONNECT from bad.example[198.51.100.9]: 554 5.7.1 <bad.example[198.51.100.9]>: Client host rejected: Access denied;',
    { event: 'reject', client_host: 'bad.example', client_ip: '198.51.100.9', smtp_command: 'CONNECT', reply: '554 5.7.1 <bad.example[198.51.100.9]>: Client host rejected: Access denied', reply_code: 554, dsn: '5.7.1', reason: 'Client host rejected: Access denied', action: 'reject', status: 'rejected' }],
  ['postfix/smtpd', 'warning: hostname mail.bad.example does not resolve to address 198.51.100.9: Name or service not known',
    { event: 'warning', severity: 'warning', reason: 'hostname mail.bad.example does not resolve to address 198.51.100.9: Name or service not known', client_host: 'mail.bad.example', client_ip: '198.51.100.9' }],
  ['postfix/smtpd', 'lost connection after DATA (0 bytes) from unknown[198.51.100.9]',
    { event: 'lost_connection', attrs: { bytes: 0 }, client_host: 'unknown', client_ip: '198.51.100.9', smtp_command: 'DATA' }],
  ['postfix/smtpd', 'lost connection after AUTH from unknown[198.51.100.9]',
    { event: 'lost_connection', client_host: 'unknown', client_ip: '198.51.100.9', smtp_command: 'AUTH' }],
  ['postfix/smtpd', 'timeout after END-OF-MESSAGE from unknown[198.51.100.9]',
    { event: 'timeout', client_host: 'unknown', client_ip: '198.51.100.9', smtp_command: 'DATA-END' }],
  ['postfix/smtpd', 'too many errors after RCPT from unknown[198.51.100.9]',
    { event: 'info', client_host: 'unknown', client_ip: '198.51.100.9', smtp_command: 'RCPT', action: 'too_many_errors' }],
  ['postfix/smtpd', 'improper command pipelining after CONNECT from unknown[198.51.100.9]: EHLO x\\r\\n',
    { event: 'info', client_host: 'unknown', client_ip: '198.51.100.9', smtp_command: 'CONNECT', action: 'improper_pipelining', reason: 'EHLO x\\r\\n' }],
  ['postfix/smtpd', 'Anonymous TLS connection established from mail.example[192.0.2.1]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256',
    { event: 'tls', client_host: 'mail.example', client_ip: '192.0.2.1', tls: { direction: 'inbound', protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', bits: 256, trust: 'Anonymous', peer_host: 'mail.example', peer_ip: '192.0.2.1' }, attrs: { key_exchange: 'X25519', server_signature: 'RSA-PSS (2048 bits)', server_digest: 'SHA256' } }],
  ['postfix/smtpd', 'SSL_accept error from unknown[198.51.100.9]: lost connection',
    { event: 'tls', client_host: 'unknown', client_ip: '198.51.100.9', tls: { direction: 'inbound', peer_host: 'unknown', peer_ip: '198.51.100.9' }, severity: 'warning', action: 'handshake_failed', reason: 'lost connection' }],
  ['postfix/smtpd', 'NOQUEUE: milter-reject: RCPT from unknown[198.51.100.9]: 451 4.7.1 Service unavailable - try again later; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<x>',
    { event: 'reject', client_host: 'unknown', client_ip: '198.51.100.9', smtp_command: 'RCPT', sender: 'a@b.example', recipient: 'c@d.example', proto: 'ESMTP', helo: 'x', reply: '451 4.7.1 Service unavailable - try again later', reply_code: 451, dsn: '4.7.1', reason: 'Service unavailable - try again later', action: 'milter-reject', status: 'rejected' }],
  ['postfix/smtpd', 'warning: non-SMTP command from unknown[198.51.100.9]: GET / HTTP/1.1',
    { event: 'warning', severity: 'warning', reason: 'non-SMTP command from unknown[198.51.100.9]: GET / HTTP/1.1', client_host: 'unknown', client_ip: '198.51.100.9' }],
  ['postfix/postscreen', 'CONNECT from [198.51.100.9]:51234 to [192.0.2.25]:25',
    { event: 'postscreen', client_ip: '198.51.100.9', client_port: 51234, action: 'connect', attrs: { server_ip: '192.0.2.25', server_port: 25 } }],
  ['postfix/postscreen', 'PASS NEW [198.51.100.9]:51234',
    { event: 'postscreen', client_ip: '198.51.100.9', client_port: 51234, action: 'pass_new' }],
  ['postfix/postscreen', 'PASS OLD [198.51.100.9]:51234',
    { event: 'postscreen', client_ip: '198.51.100.9', client_port: 51234, action: 'pass_old' }],
  ['postfix/postscreen', 'DNSBL rank 3 for [198.51.100.9]:51234',
    { event: 'postscreen', client_ip: '198.51.100.9', client_port: 51234, action: 'dnsbl', attrs: { rank: 3 } }],
  ['postfix/postscreen', 'PREGREET 11 after 0.18 from [198.51.100.9]:51234: EHLO x\\r\\n',
    { event: 'postscreen', client_ip: '198.51.100.9', client_port: 51234, action: 'pregreet', attrs: { bytes: 11, after: 0.18 }, reason: 'EHLO x\\r\\n' }],
  ['postfix/postscreen', 'HANGUP after 0.52 from [198.51.100.9]:51234 in tests after SMTP handshake',
    { event: 'postscreen', client_ip: '198.51.100.9', client_port: 51234, action: 'hangup', attrs: { after: 0.52, stage: 'tests after SMTP handshake' } }],
  ['postfix/postscreen', 'DISCONNECT [198.51.100.9]:51234',
    { event: 'postscreen', client_ip: '198.51.100.9', client_port: 51234, action: 'disconnect' }],
  ['postfix/postscreen', 'NOQUEUE: reject: RCPT from [198.51.100.9]:51234: 550 5.7.1 Service unavailable; client [198.51.100.9] blocked using zen.spamhaus.org; from=<a@b.example>, to=<c@d.example>, proto=ESMTP, helo=<x>',
    { event: 'reject', client_ip: '198.51.100.9', client_port: 51234, smtp_command: 'RCPT', sender: 'a@b.example', recipient: 'c@d.example', proto: 'ESMTP', helo: 'x', reply: '550 5.7.1 Service unavailable; client [198.51.100.9] blocked using zen.spamhaus.org', reply_code: 550, dsn: '5.7.1', reason: 'Service unavailable; client [198.51.100.9] blocked using zen.spamhaus.org', action: 'reject', status: 'rejected' }],
  ['postfix/postscreen', 'COMMAND PIPELINING from [198.51.100.9]:51234 after EHLO: MAIL FROM:<a@b>\\r\\n',
    { event: 'postscreen', client_ip: '198.51.100.9', client_port: 51234, action: 'command_pipelining', smtp_command: 'EHLO', reason: 'MAIL FROM:<a@b>\\r\\n' }],
  ['postfix/postscreen', 'WHITELISTED [192.0.2.1]:40000',
    { event: 'postscreen', client_ip: '192.0.2.1', client_port: 40000, action: 'allowlisted' }],
  ['postfix/postscreen', 'ALLOWLISTED [192.0.2.1]:40000',
    { event: 'postscreen', client_ip: '192.0.2.1', client_port: 40000, action: 'allowlisted' }],
  ['postfix/postscreen', 'BLACKLISTED [198.51.100.9]:51234',
    { event: 'postscreen', client_ip: '198.51.100.9', client_port: 51234, action: 'denylisted' }],
  ['postfix/postscreen', 'COMMAND TIME LIMIT from [198.51.100.9]:51234 after DATA',
    { event: 'postscreen', client_ip: '198.51.100.9', client_port: 51234, action: 'command_time_limit', smtp_command: 'DATA' }],
  ['postfix/postscreen', 'cache btree:/var/lib/postfix/postscreen_cache full cleanup: retained=120 dropped=7 entries',
    { event: 'stats', reason: 'cache btree:/var/lib/postfix/postscreen_cache full cleanup: retained=120 dropped=7 entries', attrs: { stat: 'cache cleanup', cache: 'btree:/var/lib/postfix/postscreen_cache', retained: 120, dropped: 7 } }],
  ['postfix/dnsblog', 'addr 198.51.100.9 listed by domain zen.spamhaus.org as 127.0.0.2',
    { event: 'postscreen', action: 'dnsbl_listed', client_ip: '198.51.100.9', attrs: { dnsbl: 'zen.spamhaus.org', dnsbl_result: '127.0.0.2' } }],
  ['postfix/cleanup', '4053316030D: message-id=<>',
    { event: 'message_id', queue_id: '4053316030D' }],
  ['postfix/cleanup', '4053316030D: message-id=20261127220640.ABC@host',
    { event: 'message_id', queue_id: '4053316030D', message_id: '20261127220640.ABC@host' }],
  ['postfix/cleanup', '4053316030D: resent-message-id=<r1@example.com>',
    { event: 'info', queue_id: '4053316030D', action: 'resent_message_id', attrs: { resent_message_id: 'r1@example.com' } }],
  ['postfix/cleanup', '4053316030D: milter-reject: END-OF-MESSAGE from unknown[198.51.100.9]: 5.7.1 Rejected by DKIM policy; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<x>',
    { event: 'reject', queue_id: '4053316030D', client_host: 'unknown', client_ip: '198.51.100.9', smtp_command: 'DATA-END', sender: 'a@b.example', recipient: 'c@d.example', proto: 'ESMTP', helo: 'x', reply: '5.7.1 Rejected by DKIM policy', dsn: '5.7.1', reason: 'Rejected by DKIM policy', action: 'milter-reject', status: 'rejected' }],
  ['postfix/cleanup', '4053316030D: milter-discard: END-OF-MESSAGE from unknown[198.51.100.9]: milter triggers DISCARD action; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<x>',
    { event: 'discard', queue_id: '4053316030D', client_host: 'unknown', client_ip: '198.51.100.9', smtp_command: 'DATA-END', sender: 'a@b.example', recipient: 'c@d.example', proto: 'ESMTP', helo: 'x', reply: 'milter triggers DISCARD action', reason: 'milter triggers DISCARD action', action: 'milter-discard' }],
  ['postfix/cleanup', '4053316030D: milter-hold: END-OF-MESSAGE from unknown[198.51.100.9]: milter triggers HOLD action; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<x>',
    { event: 'hold', queue_id: '4053316030D', client_host: 'unknown', client_ip: '198.51.100.9', smtp_command: 'DATA-END', sender: 'a@b.example', recipient: 'c@d.example', proto: 'ESMTP', helo: 'x', reply: 'milter triggers HOLD action', reason: 'milter triggers HOLD action', action: 'milter-hold' }],
  ['postfix/cleanup', '4053316030D: reject: header Subject: You won from unknown[198.51.100.9]; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<x>: 5.7.1 message content rejected',
    { event: 'reject', queue_id: '4053316030D', action: 'reject', status: 'rejected', attrs: { header: 'Subject: You won' }, client_host: 'unknown', client_ip: '198.51.100.9', sender: 'a@b.example', recipient: 'c@d.example', proto: 'ESMTP', helo: 'x', reply: '5.7.1 message content rejected', dsn: '5.7.1', reason: 'message content rejected' }],
  ['postfix/cleanup', '4053316030D: reject: body http://spam.example/ from unknown[198.51.100.9]; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<x>: 5.7.1 no spam',
    { event: 'reject', queue_id: '4053316030D', action: 'reject', status: 'rejected', attrs: { body: 'http://spam.example/' }, client_host: 'unknown', client_ip: '198.51.100.9', sender: 'a@b.example', recipient: 'c@d.example', proto: 'ESMTP', helo: 'x', reply: '5.7.1 no spam', dsn: '5.7.1', reason: 'no spam' }],
  ['postfix/cleanup', '4053316030D: discard: header X-Spam: yes from localhost[127.0.0.1]; from=<a@b.example> to=<c@d.example> proto=SMTP helo=<localhost>',
    { event: 'discard', queue_id: '4053316030D', action: 'discard', attrs: { header: 'X-Spam: yes' }, client_host: 'localhost', client_ip: '127.0.0.1', sender: 'a@b.example', recipient: 'c@d.example', proto: 'SMTP', helo: 'localhost' }],
  ['postfix/cleanup', '4053316030D: hold: header Subject: check me from local; from=<root@mx1.example>',
    { event: 'hold', queue_id: '4053316030D', action: 'hold', attrs: { header: 'Subject: check me', origin: 'local' }, sender: 'root@mx1.example' }],
  ['postfix/cleanup', '4053316030D: warning: header Subject: hello from unknown[198.51.100.9]; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<x>: suspicious subject',
    { event: 'header_info', queue_id: '4053316030D', action: 'warning', severity: 'warning', attrs: { header: 'Subject: hello' }, client_host: 'unknown', client_ip: '198.51.100.9', sender: 'a@b.example', recipient: 'c@d.example', proto: 'ESMTP', helo: 'x', reply: 'suspicious subject', reason: 'suspicious subject' }],
  ['postfix/cleanup', '4053316030D: info: header X-Mailer: Foo 1.0 from localhost[127.0.0.1]; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<localhost>',
    { event: 'header_info', queue_id: '4053316030D', action: 'info', attrs: { header: 'X-Mailer: Foo 1.0' }, client_host: 'localhost', client_ip: '127.0.0.1', sender: 'a@b.example', recipient: 'c@d.example', proto: 'ESMTP', helo: 'localhost' }],
  ['postfix/cleanup', "warning: milter inet:127.0.0.1:8891: can't read SMFIC_OPTNEG reply packet header: Connection refused",
    { event: 'warning', severity: 'warning', reason: "milter inet:127.0.0.1:8891: can't read SMFIC_OPTNEG reply packet header: Connection refused" }],
  ['postfix/pickup', 'AC06116032B: uid=0 from=<noreply@lab.test>',
    { event: 'pickup', queue_id: 'AC06116032B', attrs: { uid: 0 }, sender: 'noreply@lab.test' }],
  ['postfix/qmgr', '4053316030D: from=<app2@billing.lab.test>, size=403, nrcpt=1 (queue active)',
    { event: 'enqueue', queue_id: '4053316030D', sender: 'app2@billing.lab.test', size: 403, nrcpt: 1 }],
  ['postfix/qmgr', '4053316030D: from=<>, status=expired, returned to sender',
    { event: 'expired', queue_id: '4053316030D', sender: '', status: 'expired' }],
  ['postfix/qmgr', '4053316030D: skipped, still being delivered',
    { event: 'info', queue_id: '4053316030D', action: 'skipped', reason: 'skipped, still being delivered' }],
  ['postfix/qmgr', '4053316030D: removed',
    { event: 'removed', queue_id: '4053316030D' }],
  ['postfix/local', '4QcXyZ1bcdz5Lr1: to=<alice@mx1.example>, orig_to=<root>, relay=local, delay=0.02, delays=0.01/0/0/0.01, dsn=2.0.0, status=sent (delivered to mailbox)',
    { event: 'delivery_attempt', queue_id: '4QcXyZ1bcdz5Lr1', recipient: 'alice@mx1.example', orig_recipient: 'root', relay: 'local', delay: 0.02, delays: { before_qmgr: 0.01, in_qmgr: 0, conn_setup: 0, transmission: 0.01 }, dsn: '2.0.0', status: 'sent', reply: 'delivered to mailbox' }],
  ['postfix/local', '4QcXyZ1bcdz5Lr1: to=<alice@other.example>, orig_to=<alias@mx1.example>, relay=local, delay=0.02, delays=0.01/0/0/0.01, dsn=2.0.0, status=sent (forwarded as 4QcXz01bcdz5Lr2)',
    { event: 'delivery_attempt', queue_id: '4QcXyZ1bcdz5Lr1', recipient: 'alice@other.example', orig_recipient: 'alias@mx1.example', relay: 'local', delay: 0.02, delays: { before_qmgr: 0.01, in_qmgr: 0, conn_setup: 0, transmission: 0.01 }, dsn: '2.0.0', status: 'sent', reply: 'forwarded as 4QcXz01bcdz5Lr2', queued_as: '4QcXz01bcdz5Lr2' }],
  ['postfix/virtual', '4053316030D: to=<bob@v.example>, relay=virtual, delay=0.1, delays=0.05/0/0/0.05, dsn=5.2.2, status=bounced (mailbox full)',
    { event: 'delivery_attempt', queue_id: '4053316030D', recipient: 'bob@v.example', relay: 'virtual', delay: 0.1, delays: { before_qmgr: 0.05, in_qmgr: 0, conn_setup: 0, transmission: 0.05 }, dsn: '5.2.2', status: 'bounced', reply: 'mailbox full' }],
  ['postfix/pipe', '4053316030D: to=<bob@v.example>, relay=dovecot, delay=0.1, delays=0.05/0/0/0.05, dsn=2.0.0, status=sent (delivered via dovecot service)',
    { event: 'delivery_attempt', queue_id: '4053316030D', recipient: 'bob@v.example', relay: 'dovecot', delay: 0.1, delays: { before_qmgr: 0.05, in_qmgr: 0, conn_setup: 0, transmission: 0.05 }, dsn: '2.0.0', status: 'sent', reply: 'delivered via dovecot service' }],
  ['postfix/lmtp', '4053316030D: to=<bob@v.example>, relay=mail.example[private/dovecot-lmtp], delay=0.1, delays=0.05/0/0.01/0.04, dsn=2.0.0, status=sent (250 2.0.0 <bob@v.example> Xk1pAbc Saved)',
    { event: 'delivery_attempt', queue_id: '4053316030D', recipient: 'bob@v.example', relay: 'mail.example[private/dovecot-lmtp]', relay_host: 'mail.example', attrs: { relay_socket: 'private/dovecot-lmtp' }, delay: 0.1, delays: { before_qmgr: 0.05, in_qmgr: 0, conn_setup: 0.01, transmission: 0.04 }, dsn: '2.0.0', status: 'sent', reply_code: 250, reply: '250 2.0.0 <bob@v.example> Xk1pAbc Saved' }],
  ['postfix-inbound/lmtp', '3pJjg82Vycz1JBJG: to=<tj@terramar.net>, relay=127.0.0.1[127.0.0.1]:10024, delay=2.6, delays=0.2/0/0/2.4, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 3pJjgB6dpKz1JBPW)',
    { event: 'delivery_attempt', queue_id: '3pJjg82Vycz1JBJG', recipient: 'tj@terramar.net', relay: '127.0.0.1[127.0.0.1]:10024', relay_host: '127.0.0.1', relay_ip: '127.0.0.1', relay_port: 10024, delay: 2.6, delays: { before_qmgr: 0.2, in_qmgr: 0, conn_setup: 0, transmission: 2.4 }, dsn: '2.0.0', status: 'sent', reply_code: 250, reply: '250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 3pJjgB6dpKz1JBPW', queued_as: '3pJjgB6dpKz1JBPW' }],
  ['postfix-out/smtp', '4053316030D: to=<x@gmail.com>, relay=gmail-smtp-in.l.google.com[142.250.27.26]:25, conn_use=2, delay=1.2, delays=0.1/0/0.5/0.6, tls=(!dane)/(!mta-sts), dsn=5.7.1, status=bounced (host gmail-smtp-in.l.google.com[142.250.27.26] said: 550-5.7.1 [192.0.2.1] Our system has detected that this message is 550-5.7.1 likely unsolicited mail. To reduce the amount of spam sent to Gmail, 550-5.7.1 this message has been blocked. 550 5.7.1  https://support.google.com/mail/?p=UnsolicitedMessage a1si123 - gsmtp (in reply to end of DATA command))',
    { event: 'delivery_attempt', queue_id: '4053316030D', recipient: 'x@gmail.com', relay: 'gmail-smtp-in.l.google.com[142.250.27.26]:25', relay_host: 'gmail-smtp-in.l.google.com', relay_ip: '142.250.27.26', relay_port: 25, conn_use: 2, delay: 1.2, delays: { before_qmgr: 0.1, in_qmgr: 0, conn_setup: 0.5, transmission: 0.6 }, attrs: { tls: '(!dane)/(!mta-sts)' }, dsn: '5.7.1', status: 'bounced', smtp_command: 'DATA-END', reply_code: 550, reply: '550 5.7.1 [192.0.2.1] Our system has detected that this message is likely unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been blocked. https://support.google.com/mail/?p=UnsolicitedMessage a1si123 - gsmtp' }],
  ['postfix/smtp', '4053316030D: to=<x@example.org>, relay=mx.example.org[2001:db8::25]:25, delay=0.5, delays=0.1/0/0.2/0.2, dsn=2.0.0, status=sent (250 2.0.0 OK id=1abcDE-000123-AB)',
    { event: 'delivery_attempt', queue_id: '4053316030D', recipient: 'x@example.org', relay: 'mx.example.org[2001:db8::25]:25', relay_host: 'mx.example.org', relay_ip: '2001:db8::25', relay_port: 25, delay: 0.5, delays: { before_qmgr: 0.1, in_qmgr: 0, conn_setup: 0.2, transmission: 0.2 }, dsn: '2.0.0', status: 'sent', reply_code: 250, reply: '250 2.0.0 OK id=1abcDE-000123-AB', queued_as: '1abcDE-000123-AB' }],
  ['postfix/smtp', '4053316030D: to=<x@example.org>, relay=none, delay=30, delays=0.1/0/30/0, dsn=4.4.1, status=deferred (connect to mx.example.org[192.0.2.80]:25: Connection timed out)',
    { event: 'delivery_attempt', queue_id: '4053316030D', recipient: 'x@example.org', relay: 'none', delay: 30, delays: { before_qmgr: 0.1, in_qmgr: 0, conn_setup: 30, transmission: 0 }, dsn: '4.4.1', status: 'deferred', reply: 'connect to mx.example.org[192.0.2.80]:25: Connection timed out' }],
  ['postfix/smtp', '4053316030D: lost connection with mx.example.org[192.0.2.80] while receiving the initial server greeting',
    { event: 'lost_connection', queue_id: '4053316030D', relay_host: 'mx.example.org', relay_ip: '192.0.2.80', smtp_command: 'CONNECT', reason: 'lost connection with mx.example.org[192.0.2.80] while receiving the initial server greeting' }],
  ['postfix/smtp', '4053316030D: conversation with mx.example.org[192.0.2.80] timed out while sending message body',
    { event: 'timeout', queue_id: '4053316030D', relay_host: 'mx.example.org', relay_ip: '192.0.2.80', smtp_command: 'DATA', reason: 'conversation with mx.example.org[192.0.2.80] timed out while sending message body' }],
  ['postfix/smtp', '4053316030D: host mx1.example.org[192.0.2.81] said: 421 4.7.0 Try again later (in reply to MAIL FROM command)',
    { event: 'info', queue_id: '4053316030D', action: 'remote_reply', relay_host: 'mx1.example.org', relay_ip: '192.0.2.81', smtp_command: 'MAIL', reply_code: 421, reply: '421 4.7.0 Try again later' }],
  ['postfix/smtp', '4053316030D: host mx1.example.org[192.0.2.81] refused to talk to me: 554 5.7.1 Blocked',
    { event: 'info', queue_id: '4053316030D', action: 'refused', smtp_command: 'CONNECT', relay_host: 'mx1.example.org', relay_ip: '192.0.2.81', reply_code: 554, reply: '554 5.7.1 Blocked' }],
  ['postfix/smtp', 'Trusted TLS connection established to mx.example.org[192.0.2.80]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256',
    { event: 'tls', relay_host: 'mx.example.org', relay_ip: '192.0.2.80', relay_port: 25, tls: { direction: 'outbound', protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', bits: 256, trust: 'Trusted', peer_host: 'mx.example.org', peer_ip: '192.0.2.80' }, attrs: { key_exchange: 'X25519', server_signature: 'RSA-PSS (2048 bits)', server_digest: 'SHA256' } }],
  ['postfix/smtp', 'Untrusted TLS connection established to mx.example.org[192.0.2.80]:25: TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)',
    { event: 'tls', relay_host: 'mx.example.org', relay_ip: '192.0.2.80', relay_port: 25, tls: { direction: 'outbound', protocol: 'TLSv1.2', cipher: 'ECDHE-RSA-AES256-GCM-SHA384', bits: 256, trust: 'Untrusted', peer_host: 'mx.example.org', peer_ip: '192.0.2.80' } }],
  ['postfix/smtp', 'Verified TLS connection established to mx.example.org[192.0.2.80]:25: TLSv1.3 with cipher TLS_AES_128_GCM_SHA256 (128/128 bits)',
    { event: 'tls', relay_host: 'mx.example.org', relay_ip: '192.0.2.80', relay_port: 25, tls: { direction: 'outbound', protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', bits: 128, trust: 'Verified', peer_host: 'mx.example.org', peer_ip: '192.0.2.80' } }],
  ['postfix/smtp', 'connect to 127.0.0.1[127.0.0.1]:2699: Connection refused',
    { event: 'info', action: 'connect_failed', smtp_command: 'CONNECT', relay_host: '127.0.0.1', relay_ip: '127.0.0.1', relay_port: 2699, reason: 'Connection refused' }],
  ['postfix/smtp', '4053316030D: SASL authentication failed; server smtp.relay.example[192.0.2.30] said: 535 5.7.8 Error: authentication failed',
    { event: 'auth', queue_id: '4053316030D', severity: 'warning', relay_host: 'smtp.relay.example', relay_ip: '192.0.2.30', reply_code: 535, reply: '535 5.7.8 Error: authentication failed', auth: { mechanism: 'sasl', result: 'fail', reason: '535 5.7.8 Error: authentication failed' }, reason: 'server smtp.relay.example[192.0.2.30] said: 535 5.7.8 Error: authentication failed' }],
  ['postfix/error', '4053316030D: to=<x@defer.test>, relay=none, delay=24, delays=24/0/0/0, dsn=4.4.4, status=deferred (delivery temporarily suspended: unable to look up host marketing.lab.test: Temporary failure in name resolution)',
    { event: 'delivery_attempt', queue_id: '4053316030D', recipient: 'x@defer.test', relay: 'none', delay: 24, delays: { before_qmgr: 24, in_qmgr: 0, conn_setup: 0, transmission: 0 }, dsn: '4.4.4', status: 'deferred', reply: 'delivery temporarily suspended: unable to look up host marketing.lab.test: Temporary failure in name resolution' }],
  ['postfix/discard', '4053316030D: to=<x@example.org>, relay=none, delay=0.01, delays=0/0/0/0.01, dsn=2.0.0, status=sent (discarded)',
    { event: 'delivery_attempt', queue_id: '4053316030D', recipient: 'x@example.org', relay: 'none', delay: 0.01, delays: { before_qmgr: 0, in_qmgr: 0, conn_setup: 0, transmission: 0.01 }, dsn: '2.0.0', status: 'sent', reply: 'discarded' }],
  ['postfix/verify', '4053316030D: to=<x@example.org>, relay=none, delay=0.01, delays=0/0/0/0.01, dsn=5.1.1, status=undeliverable (host mx[192.0.2.1] said: 550 5.1.1 No such user (in reply to RCPT TO command))',
    { event: 'delivery_attempt', queue_id: '4053316030D', recipient: 'x@example.org', relay: 'none', delay: 0.01, delays: { before_qmgr: 0, in_qmgr: 0, conn_setup: 0, transmission: 0.01 }, dsn: '5.1.1', status: 'undeliverable', relay_host: 'mx', relay_ip: '192.0.2.1', smtp_command: 'RCPT', reply_code: 550, reply: '550 5.1.1 No such user' }],
  ['postfix/bounce', '4A4FF160311: sender non-delivery notification: 4E1D5160321',
    { event: 'bounce_notice', queue_id: '4A4FF160311', notice_type: 'non-delivery', notice_queue_id: '4E1D5160321' }],
  ['postfix/bounce', '4A4FF160311: sender delay notification: 4E1D5160322',
    { event: 'bounce_notice', queue_id: '4A4FF160311', notice_type: 'delay', notice_queue_id: '4E1D5160322' }],
  ['postfix/bounce', '4A4FF160311: sender delivery status notification: 4E1D5160323',
    { event: 'bounce_notice', queue_id: '4A4FF160311', notice_type: 'success', notice_queue_id: '4E1D5160323' }],
  ['postfix/bounce', '4A4FF160311: postmaster non-delivery notification: 4E1D5160324',
    { event: 'bounce_notice', queue_id: '4A4FF160311', notice_type: 'non-delivery', notice_queue_id: '4E1D5160324', attrs: { notice_to: 'postmaster' } }],
  ['postfix/tlsproxy', 'CONNECT from [198.51.100.9]:51234',
    { event: 'info', client_ip: '198.51.100.9', client_port: 51234, action: 'connect' }],
  ['postfix/tlsproxy', 'DISCONNECT [198.51.100.9]:51234',
    { event: 'info', client_ip: '198.51.100.9', client_port: 51234, action: 'disconnect' }],
  ['postfix/postsuper', '4053316030D: placed on hold',
    { event: 'queue_action', queue_id: '4053316030D', action: 'hold' }],
  ['postfix/postsuper', '4053316030D: released from hold',
    { event: 'queue_action', queue_id: '4053316030D', action: 'release' }],
  ['postfix/postsuper', '4053316030D: removed',
    { event: 'queue_action', queue_id: '4053316030D', action: 'delete' }],
  ['postfix/postsuper', '4053316030D: requeued',
    { event: 'queue_action', queue_id: '4053316030D', action: 'requeue' }],
  ['postfix/postsuper', 'Placed on hold: 34 messages',
    { event: 'queue_action', action: 'hold', attrs: { count: 34 } }],
  ['postfix/postsuper', 'Released from hold: 1 message',
    { event: 'queue_action', action: 'release', attrs: { count: 1 } }],
  ['postfix/postsuper', 'Deleted: 3 messages',
    { event: 'queue_action', action: 'delete', attrs: { count: 3 } }],
  ['postfix/postsuper', 'Requeued: 12 messages',
    { event: 'queue_action', action: 'requeue', attrs: { count: 12 } }],
  ['postfix/anvil', 'statistics: max connection rate 12/60s for (smtp:198.51.100.9) at Nov 27 22:16:40',
    { event: 'stats', reason: 'max connection rate 12/60s for (smtp:198.51.100.9) at Nov 27 22:16:40', attrs: { stat: 'max connection rate', value: 12, interval_s: 60, client: 'smtp:198.51.100.9', at: 'Nov 27 22:16:40' } }],
  ['postfix/anvil', 'statistics: max connection count 3 for (smtp:198.51.100.9) at Nov 27 22:16:40',
    { event: 'stats', reason: 'max connection count 3 for (smtp:198.51.100.9) at Nov 27 22:16:40', attrs: { stat: 'max connection count', value: 3, client: 'smtp:198.51.100.9', at: 'Nov 27 22:16:40' } }],
  ['postfix/anvil', 'statistics: max cache size 2 at Nov 27 22:16:40',
    { event: 'stats', reason: 'max cache size 2 at Nov 27 22:16:40', attrs: { stat: 'max cache size', value: 2, at: 'Nov 27 22:16:40' } }],
  ['postfix/scache', 'statistics: domain lookup hits=5 miss=46 success=9%',
    { event: 'stats', reason: 'domain lookup hits=5 miss=46 success=9%', attrs: { stat: 'domain lookup', hits: 5, miss: 46, success: 9 } }],
  ['postfix/scache', 'statistics: start interval Nov 27 22:06:40',
    { event: 'stats', reason: 'start interval Nov 27 22:06:40', attrs: { stat: 'start interval', at: 'Nov 27 22:06:40' } }],
  ['postfix/scache', 'statistics: max simultaneous domains=1 addresses=2 connection=3',
    { event: 'stats', reason: 'max simultaneous domains=1 addresses=2 connection=3', attrs: { stat: 'max simultaneous', domains: 1, addresses: 2, connection: 3 } }],
  ['postfix/master', 'daemon started -- version 3.7.11, configuration /etc/postfix',
    { event: 'daemon', action: 'start', attrs: { version: '3.7.11', config_dir: '/etc/postfix' } }],
  ['postfix/master', 'terminating on signal 15',
    { event: 'daemon', action: 'stop', attrs: { signal: 15 } }],
  ['postfix/master', 'reload -- version 3.7.11, configuration /etc/postfix',
    { event: 'daemon', action: 'reload', attrs: { version: '3.7.11', config_dir: '/etc/postfix' } }],
  ['postfix/postfix-script', 'the Postfix mail system is running: PID: 4588',
    { event: 'daemon', attrs: { master_pid: 4588 }, action: 'status', reason: 'the Postfix mail system is running: PID: 4588' }],
  ['postfix/postfix-script', 'starting the Postfix mail system',
    { event: 'daemon', action: 'start', reason: 'starting the Postfix mail system' }],
  ['postfix/postfix-script', 'fatal: the Postfix mail system is not running',
    { event: 'fatal', severity: 'fatal', reason: 'the Postfix mail system is not running' }],
  ['postfix/smtpd', 'fatal: no SASL authentication mechanisms',
    { event: 'fatal', severity: 'fatal', reason: 'no SASL authentication mechanisms' }],
  ['postfix/master', 'panic: myfree: corrupt or unallocated memory block',
    { event: 'panic', severity: 'panic', reason: 'myfree: corrupt or unallocated memory block' }],
  ['postfix/qmgr', 'warning: 4053316030D: queue file size limit exceeded',
    { event: 'warning', queue_id: '4053316030D', severity: 'warning', reason: 'queue file size limit exceeded' }],
  ['postfix/smtpd', 'error: open database /etc/postfix/access.db: No such file or directory',
    { event: 'error', severity: 'error', reason: 'open database /etc/postfix/access.db: No such file or directory' }],
  ['postfix/sendmail', 'fatal: root(0): message file too big',
    { event: 'fatal', severity: 'fatal', reason: 'root(0): message file too big' }],
  ['postfix/smtp', '4053316030D: to=<x@example.org>, relay=mx.example.org[192.0.2.80]:25, delay=301, delays=0.1/0/1/300, dsn=4.4.2, status=deferred (lost connection with mx.example.org[192.0.2.80] while sending RCPT TO)',
    { event: 'delivery_attempt', queue_id: '4053316030D', recipient: 'x@example.org', relay: 'mx.example.org[192.0.2.80]:25', relay_host: 'mx.example.org', relay_ip: '192.0.2.80', relay_port: 25, delay: 301, delays: { before_qmgr: 0.1, in_qmgr: 0, conn_setup: 1, transmission: 300 }, dsn: '4.4.2', status: 'deferred', smtp_command: 'RCPT', reply: 'lost connection with mx.example.org[192.0.2.80] while sending RCPT TO' }],
  ['postfix/smtp', '4053316030D: to=<x@example.org>, relay=mx.example.org[192.0.2.80]:25, delay=3, delays=0.1/0/1/2, dsn=4.0.0, status=deferred (host mx.example.org[192.0.2.80] said: 421-4.7.0 Try later 421 4.7.0 Really (in reply to end of DATA command))',
    { event: 'delivery_attempt', queue_id: '4053316030D', recipient: 'x@example.org', relay: 'mx.example.org[192.0.2.80]:25', relay_host: 'mx.example.org', relay_ip: '192.0.2.80', relay_port: 25, delay: 3, delays: { before_qmgr: 0.1, in_qmgr: 0, conn_setup: 1, transmission: 2 }, dsn: '4.0.0', status: 'deferred', smtp_command: 'DATA-END', reply_code: 421, reply: '421 4.7.0 Try later Really' }],
  ['postfix/smtpd', '4053316030D: client=unknown[192.0.2.7]',
    { event: 'client', queue_id: '4053316030D', client_host: 'unknown', client_ip: '192.0.2.7' }],
  ['postfix/smtpd', 'NOQUEUE: reject_warning: RCPT from unknown[192.0.2.7]: 450 4.7.1 <x@y>: Recipient address rejected: test; from=<a@b> to=<x@y> proto=ESMTP helo=<h>',
    { event: 'warning', client_host: 'unknown', client_ip: '192.0.2.7', smtp_command: 'RCPT', sender: 'a@b', recipient: 'x@y', proto: 'ESMTP', helo: 'h', reply: '450 4.7.1 <x@y>: Recipient address rejected: test', reply_code: 450, dsn: '4.7.1', reason: 'Recipient address rejected: test', action: 'reject_warning', severity: 'warning' }],
  ['postfix/smtpd', '4053316030D: proxy-accept: END-OF-MESSAGE: 250 2.0.0 Ok: queued as 4QcXz01bcdz5Lr2; from=<a@b> to=<x@y> proto=ESMTP helo=<h>',
    { event: 'info', queue_id: '4053316030D', smtp_command: 'DATA-END', sender: 'a@b', recipient: 'x@y', proto: 'ESMTP', helo: 'h', reply: '250 2.0.0 Ok: queued as 4QcXz01bcdz5Lr2', reply_code: 250, dsn: '2.0.0', reason: 'Ok: queued as 4QcXz01bcdz5Lr2', action: 'proxy-accept', queued_as: '4QcXz01bcdz5Lr2' }],
  ['postfix/smtpd', '4053316030D: discard: RCPT from unknown[192.0.2.7]: <x@y>: Recipient address triggers DISCARD action; from=<a@b> to=<x@y> proto=ESMTP helo=<h>',
    { event: 'discard', queue_id: '4053316030D', client_host: 'unknown', client_ip: '192.0.2.7', smtp_command: 'RCPT', sender: 'a@b', recipient: 'x@y', proto: 'ESMTP', helo: 'h', reply: '<x@y>: Recipient address triggers DISCARD action', reason: 'Recipient address triggers DISCARD action', action: 'discard' }],
  ['postfix/smtpd', '4053316030D: hold: RCPT from unknown[192.0.2.7]: <x@y>: Recipient address triggers HOLD action; from=<a@b> to=<x@y> proto=ESMTP helo=<h>',
    { event: 'hold', queue_id: '4053316030D', client_host: 'unknown', client_ip: '192.0.2.7', smtp_command: 'RCPT', sender: 'a@b', recipient: 'x@y', proto: 'ESMTP', helo: 'h', reply: '<x@y>: Recipient address triggers HOLD action', reason: 'Recipient address triggers HOLD action', action: 'hold' }],
  ['postfix/smtpd', 'disconnect from unknown[192.0.2.7] ehlo=1 auth=0/1 quit=1 commands=2/3',
    { event: 'disconnect', client_host: 'unknown', client_ip: '192.0.2.7', commands: { ehlo: 1, auth: 1, auth_failed: 1, quit: 1, commands: 3, commands_failed: 1 } }],
  ['postfix/smtpd', 'discarding EHLO keywords: CHUNKING',
    { event: 'info', action: 'discard_ehlo_keywords', reason: 'CHUNKING' }],
  ['postfix/smtp', 'SSL_connect error to mx.example.org[192.0.2.80]:25: lost connection',
    { event: 'tls', relay_host: 'mx.example.org', relay_ip: '192.0.2.80', relay_port: 25, tls: { direction: 'outbound', peer_host: 'mx.example.org', peer_ip: '192.0.2.80' }, severity: 'warning', action: 'handshake_failed', reason: 'lost connection' }],
  ['postfix/smtp', 'Host offered STARTTLS: [mx.example.org]',
    { event: 'info', action: 'starttls_offered', relay_host: 'mx.example.org' }],
  ['postfix/smtp', 'connect to mail.example.org[2001:db8::25]:25: Network is unreachable',
    { event: 'info', action: 'connect_failed', smtp_command: 'CONNECT', relay_host: 'mail.example.org', relay_ip: '2001:db8::25', relay_port: 25, reason: 'Network is unreachable' }],
  ['postfix/anvil', 'statistics: max message rate 5/60s for (smtp:192.0.2.7) at Nov 27 22:16:40',
    { event: 'stats', reason: 'max message rate 5/60s for (smtp:192.0.2.7) at Nov 27 22:16:40', attrs: { stat: 'max message rate', value: 5, interval_s: 60, client: 'smtp:192.0.2.7', at: 'Nov 27 22:16:40' } }],
];

function frame(program: string): MailEvent {
  return { kind: 'mail_event', time: 1, host: 'mx1', mta: 'postfix', program, event: 'unparsed' };
}

for (const [program, msg, want] of cases) {
  test(`${program}: ${msg.slice(0, 80)}`, () => {
    const ev = frame(program);
    assert.equal(parsePostfix(msg, ev), true);
    assert.deepEqual(ev, { ...frame(program), ...want });
  });
}

test('lines Postfix does not write are refused (left for the unparsed counter)', () => {
  for (const [program, msg] of [
    ['postfix/smtp', 'something postfix never logs like this'],
    ['postfix/qmgr', '4053316030D: nonsense here'],
    ['postfix/smtp', '4053316030D: to=<x@y>, relay=none, status=weird (x)'],
    ['postfix/master', 'hello'],
    ['postfix/postsuper', 'Frobnicated: 3 messages'],
  ]) {
    assert.equal(parsePostfix(msg, frame(program)), false, msg);
  }
});

test('queue ids: short hex and long (enable_long_queue_ids)', () => {
  for (const id of ['4053316030D', 'AC06116032B', '4E1D5160321', '3pJjgB6dpKz1JBPW', '4QcXyZ1bcdz5Lr1', '3pJjg82Vycz1JBJG']) {
    assert.equal(isQueueId(id), true, id);
  }
  for (const id of ['NOQUEUE', 'warning', 'statistics', 'abc', '4QcXyZ1abcz5Lr1' /* vowel */, 'zzzz1234567', 'Placed']) {
    assert.equal(isQueueId(id), false, id);
  }
});

test('long queue ids flow through every message shape', () => {
  const ev = frame('postfix/cleanup');
  assert.equal(parsePostfix('3pJjgB6dpKz1JBPW: message-id=<566E07C4.5020602@rename-it.nl>', ev), true);
  assert.deepEqual(ev, { ...frame('postfix/cleanup'), event: 'message_id', queue_id: '3pJjgB6dpKz1JBPW', message_id: '566E07C4.5020602@rename-it.nl' });
});

test('multi-line replies collapse into one line', () => {
  assert.equal(
    collapseReply('550-5.7.1 [192.0.2.1] first line 550-5.7.1 second line 550 5.7.1  third line'),
    '550 5.7.1 [192.0.2.1] first line second line third line',
  );
  assert.equal(collapseReply('421-Service busy 421 try later'), '421 Service busy try later');
  assert.equal(collapseReply('250 2.0.0 Ok'), '250 2.0.0 Ok');
  assert.equal(collapseReply('no code   here'), 'no code here');
});

test('smtp_command vocabulary', () => {
  assert.equal(smtpCommandOf('RCPT TO'), 'RCPT');
  assert.equal(smtpCommandOf('MAIL FROM'), 'MAIL');
  assert.equal(smtpCommandOf('end of DATA'), 'DATA-END');
  assert.equal(smtpCommandOf('END-OF-MESSAGE'), 'DATA-END');
  assert.equal(smtpCommandOf('DATA'), 'DATA');
  assert.equal(smtpCommandOf('EHLO'), 'EHLO');
  assert.equal(smtpCommandOf('message body'), 'DATA');
  assert.equal(smtpCommandOf('the initial server greeting'), 'CONNECT');
});

test('TLS lines: unusual forms', () => {
  const tlsCases: Array<[string, string, Want]> = [
    // no peer at all
    ['postfix/smtpd', 'Anonymous TLS connection established from : TLSv1.2 with cipher AES128-SHA (128/128 bits)',
      { event: 'tls', tls: { direction: 'inbound', protocol: 'TLSv1.2', cipher: 'AES128-SHA', bits: 128, trust: 'Anonymous' } }],
    // IPv6 peer with a port
    ['postfix/smtp', 'Verified TLS connection established to mx6.example.net[2001:db8::25]:25: TLSv1.3 with cipher TLS_AES_128_GCM_SHA256 (128/128 bits)',
      { event: 'tls', relay_host: 'mx6.example.net', relay_ip: '2001:db8::25', relay_port: 25, tls: { direction: 'outbound', protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', bits: 128, trust: 'Verified', peer_host: 'mx6.example.net', peer_ip: '2001:db8::25' } }],
    // a peer without brackets, and a trust word Postfix may add later
    ['postfix/lmtp', 'Untrusted TLS connection established to private/dovecot-lmtp: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)',
      { event: 'tls', tls: { direction: 'outbound', protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', bits: 256, trust: 'Untrusted' } }],
    ['postfix/smtp', 'Trusted-ish TLS connection established to [192.0.2.80]:587: TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)',
      { event: 'tls', relay_ip: '192.0.2.80', relay_port: 587, tls: { direction: 'outbound', protocol: 'TLSv1.2', cipher: 'ECDHE-RSA-AES256-GCM-SHA384', bits: 256, trust: 'Trusted-ish', peer_ip: '192.0.2.80' } }],
    // an extra key=value tail and an unknown word in it: the known pairs are kept, the rest ignored
    ['postfix/smtpd', 'Anonymous TLS connection established from a.example[192.0.2.1]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519MLKEM768 server-signature ECDSA (prime256v1) server-digest SHA384 client-signature ECDSA (P-256) client-digest SHA256 foo=bar',
      { event: 'tls', client_host: 'a.example', client_ip: '192.0.2.1', tls: { direction: 'inbound', protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', bits: 256, trust: 'Anonymous', peer_host: 'a.example', peer_ip: '192.0.2.1' }, attrs: { key_exchange: 'X25519MLKEM768', server_signature: 'ECDSA (prime256v1)', server_digest: 'SHA384', client_signature: 'ECDSA (P-256)', client_digest: 'SHA256' } }],
    // a tail without known pairs adds no attrs; bits with leading zeros
    ['postfix/smtpd', 'Anonymous TLS connection established from b.example[192.0.2.2]: TLSv1 with cipher RC4 (0128/00128 bits), whatever',
      { event: 'tls', client_host: 'b.example', client_ip: '192.0.2.2', tls: { direction: 'inbound', protocol: 'TLSv1', cipher: 'RC4', bits: 128, trust: 'Anonymous', peer_host: 'b.example', peer_ip: '192.0.2.2' } }],
  ];
  for (const [program, msg, want] of tlsCases) {
    const ev = frame(program);
    assert.equal(parsePostfix(msg, ev), true, msg);
    assert.deepEqual(ev, { ...frame(program), ...want }, msg);
  }
});

test('TLS lines: what the old TLS regex refused is refused, what it took is parsed the same', () => {
  // The hand scanner must accept exactly the lines this pattern matched.
  const oracle = /^(\S+) TLS connection established (to|from) (\S*?): (\S+) with cipher (\S+) \((\d+)\/(\d+) bits\)(.*)$/;
  const good = 'Trusted TLS connection established to mx.example.org[192.0.2.80]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519';
  const variants = [
    good,
    good.replace(' to ', ' via '),
    good.replace(':25: ', ':25 '),
    good.replace(':25: ', ':25:\t'),
    good.replace('Trusted ', 'Trusted\t'),
    good.replace('TLSv1.3 ', 'TLSv1.3\u00a0'),
    good.replace('TLSv1.3 ', ''),
    good.replace(' with cipher ', ' with  cipher '),
    good.replace('TLS_AES_256_GCM_SHA384 ', 'TLS_AES_256_GCM_SHA384'),
    good.replace('(256/256 bits)', '(256 bits)'),
    good.replace('(256/256 bits)', '(/256 bits)'),
    good.replace('(256/256 bits)', '(256/ bits)'),
    good.replace('(256/256 bits)', '(256/256 bit)'),
    good.replace('(256/256 bits)', '(２５６/256 bits)'),
    good.replace('(256/256 bits)', '(12345678901234567890/256 bits)'),
    good + '\nnext line',
    good + '\u2028',
    good.slice(0, good.indexOf(' key-exchange')),
    good.replace('mx.example.org[192.0.2.80]:25', 'a:b[::1]:25'),
    good.replace('mx.example.org[192.0.2.80]:25', 'x'),
    good.replace('mx.example.org[192.0.2.80]:25: ', ': : '),
    good.replace('mx.example.org[192.0.2.80]:25: ', ' : '),
    'Verified TLS connection established from [192.0.2.1]: TLSv1.3 with cipher X (1/2 bits)',
    'Anonymous TLS connection established from',
    'Untrusted TLS connection established to : ',
  ];
  for (const msg of variants) {
    const m = oracle.exec(msg);
    const ev = frame('postfix/smtp');
    const ok = parsePostfix(msg, ev);
    assert.equal(ok && ev.event === 'tls', m !== null, JSON.stringify(msg));
    if (m === null) continue;
    assert.equal(ev.tls?.direction, m[2] === 'to' ? 'outbound' : 'inbound');
    assert.equal(ev.tls?.trust, m[1]);
    assert.equal(ev.tls?.protocol, m[4]);
    assert.equal(ev.tls?.cipher, m[5]);
    assert.equal(ev.tls?.bits, Number(m[6]));
  }
});
