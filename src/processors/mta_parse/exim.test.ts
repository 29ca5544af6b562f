// Table-driven tests of the Exim main-log parser. Each case is a real-shaped line (formats from
// the Exim specification's "Log files" chapter and Exim's sources) and the complete event the
// parser must produce, minus the constant kind/host/mta/program fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MailEvent } from '../../model/mail_event.js';
import { eximDurationSeconds, parseEximLine, parseEximMessage } from './exim.js';

interface Case {
  name: string;
  line: string;
  want: Partial<MailEvent>;
}

const at = (iso: string): number => Date.parse(iso);

function base(): MailEvent {
  return { kind: 'mail_event', time: 0, host: 'h', mta: 'exim', program: 'exim', event: 'unparsed' };
}

function project(ev: MailEvent): Partial<MailEvent> {
  const { kind: _kind, host: _host, mta: _mta, program: _program, ...rest } = ev;
  return rest;
}

const LINES: Case[] = [
  {
    name: 'arrival with TLS, SASL, interface, quoted subject and recipient list',
    line: '2026-11-12 05:41:23 1tKx2c-000Abc-5Z <= alice@example.com H=mail.example.org (helo.example.org) [192.0.2.10]:52344 I=[198.51.100.5]:25 P=esmtps X=TLS1.3:ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM:256 CV=no A=dovecot_plain:alice@example.com S=2345 id=<abc123@example.org> T="Hello \\"world\\"" for bob@example.net carol@example.net',
    want: {
      time: at('2026-11-12T05:41:23.000Z'),
      event: 'arrival',
      queue_id: '1tKx2c-000Abc-5Z',
      attrs: {
        flag: '<=',
        local_ip: '198.51.100.5',
        local_port: 25,
        cert_verified: 'no',
        authenticator: 'dovecot_plain',
        auth_id: 'alice@example.com',
        subject: 'Hello "world"',
        recipients: 'bob@example.net carol@example.net',
      },
      sender: 'alice@example.com',
      sender_domain: 'example.com',
      proto: 'esmtps',
      auth: {
        mechanism: 'sasl',
        result: 'pass',
        method: 'PLAIN',
        username: 'alice@example.com',
      },
      size: 2345,
      message_id: 'abc123@example.org',
      nrcpt: 2,
      client_host: 'mail.example.org',
      helo: 'helo.example.org',
      client_ip: '192.0.2.10',
      client_port: 52344,
      tls: {
        direction: 'inbound',
        protocol: 'TLSv1.3',
        cipher: 'ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM',
        bits: 256,
        trust: 'Untrusted',
        peer_host: 'mail.example.org',
        peer_ip: '192.0.2.10',
      },
    },
  },
  {
    name: 'local bounce arrival with R= reference',
    line: '2026-11-12 05:41:42 1tKx2c-000Abc-5Z <= <> R=1tKx2c-000Abc-5Y U=Debian-exim P=local S=1800',
    want: {
      time: at('2026-11-12T05:41:42.000Z'),
      event: 'arrival',
      queue_id: '1tKx2c-000Abc-5Z',
      attrs: {
        flag: '<=',
        bounce_ref: '1tKx2c-000Abc-5Y',
        user: 'Debian-exim',
      },
      sender: '',
      proto: 'local',
      size: 1800,
    },
  },
  {
    name: 'fakereject arrival',
    line: '2026-11-12 05:41:23 1tKx2c-000Abc-5Z (= spam@x.example H=(x) [192.0.2.50] P=esmtp S=999',
    want: {
      time: at('2026-11-12T05:41:23.000Z'),
      event: 'arrival',
      queue_id: '1tKx2c-000Abc-5Z',
      attrs: {
        flag: '(=',
      },
      action: 'fakereject',
      sender: 'spam@x.example',
      sender_domain: 'x.example',
      proto: 'esmtp',
      size: 999,
      helo: 'x',
      client_ip: '192.0.2.50',
    },
  },
  {
    name: 'delivery, new id form, millisec + zone + pid, TLS, C= with id=, QT/DT',
    line: '2026-11-12 05:41:24.123 +0100 [4242] 1tKx2c-000000003Xa-5Zq => bob@example.net <bob@alias.example> R=dnslookup T=remote_smtp H=mx1.example.net [203.0.113.7]:25* I=[198.51.100.5] X=TLSv1.2:ECDHE-RSA-AES128-GCM-SHA256:128 CV=yes DN="CN=mx1.example.net" K C="250 2.0.0 OK id=1tKy00-000Def-7Q" QT=1m2s DT=0.123s S=2400',
    want: {
      time: at('2026-11-12T04:41:24.123Z'),
      event: 'delivery_attempt',
      pid: 4242,
      queue_id: '1tKx2c-000000003Xa-5Zq',
      attrs: {
        flag: '=>',
        router: 'dnslookup',
        transport: 'remote_smtp',
        cert_verified: 'yes',
        peer_dn: 'CN=mx1.example.net',
        chunking: 1,
        queue_time: '1m2s',
        queue_time_s: 62,
        deliver_time: '0.123s',
        deliver_time_s: 0.123,
        conn_reused: 1,
      },
      status: 'sent',
      orig_recipient: 'bob@alias.example',
      recipient: 'bob@example.net',
      sending_ip: '198.51.100.5',
      reply: '250 2.0.0 OK id=1tKy00-000Def-7Q',
      reply_code: 250,
      dsn: '2.0.0',
      queued_as: '1tKy00-000Def-7Q',
      delay: 62,
      size: 2400,
      recipient_domain: 'example.net',
      relay_host: 'mx1.example.net',
      relay_ip: '203.0.113.7',
      relay_port: 25,
      relay: 'mx1.example.net[203.0.113.7]:25',
      tls: {
        direction: 'outbound',
        protocol: 'TLSv1.2',
        cipher: 'ECDHE-RSA-AES128-GCM-SHA256',
        bits: 128,
        trust: 'Verified',
        peer_host: 'mx1.example.net',
        peer_ip: '203.0.113.7',
      },
      status_class: '2xx',
    },
  },
  {
    name: 'delivery, Exim 4.97 id, postfix "queued as"',
    line: '2026-11-12 05:41:24 1qfxbL-000000003jI-2PDO => a@b.example R=r T=t H=mx [1.1.1.1] C="250 2.0.0 Ok: queued as 4XyZ123AbC"',
    want: {
      time: at('2026-11-12T05:41:24.000Z'),
      event: 'delivery_attempt',
      queue_id: '1qfxbL-000000003jI-2PDO',
      attrs: {
        flag: '=>',
        router: 'r',
        transport: 't',
      },
      status: 'sent',
      recipient: 'a@b.example',
      reply: '250 2.0.0 Ok: queued as 4XyZ123AbC',
      reply_code: 250,
      dsn: '2.0.0',
      queued_as: '4XyZ123AbC',
      recipient_domain: 'b.example',
      relay_host: 'mx',
      relay_ip: '1.1.1.1',
      relay: 'mx[1.1.1.1]',
      status_class: '2xx',
    },
  },
  {
    name: 'additional address in same delivery',
    line: '2026-11-12 05:41:23 1tKx2c-000Abc-5Z -> second@example.net R=dnslookup T=remote_smtp H=mx1.example.net [203.0.113.7] C="250 2.1.5 OK"',
    want: {
      time: at('2026-11-12T05:41:23.000Z'),
      event: 'delivery_attempt',
      queue_id: '1tKx2c-000Abc-5Z',
      attrs: {
        flag: '->',
        router: 'dnslookup',
        transport: 'remote_smtp',
      },
      status: 'sent',
      recipient: 'second@example.net',
      reply: '250 2.1.5 OK',
      reply_code: 250,
      dsn: '2.1.5',
      recipient_domain: 'example.net',
      relay_host: 'mx1.example.net',
      relay_ip: '203.0.113.7',
      relay: 'mx1.example.net[203.0.113.7]',
      status_class: '2xx',
    },
  },
  {
    name: 'cutthrough delivery',
    line: '2026-11-12 05:41:23 1tKx2c-000Abc-5Z >> cut@example.net R=dnslookup T=remote_smtp H=mx1.example.net [203.0.113.7] C="250 OK"',
    want: {
      time: at('2026-11-12T05:41:23.000Z'),
      event: 'delivery_attempt',
      queue_id: '1tKx2c-000Abc-5Z',
      attrs: {
        flag: '>>',
        router: 'dnslookup',
        transport: 'remote_smtp',
      },
      status: 'sent',
      recipient: 'cut@example.net',
      reply: '250 OK',
      reply_code: 250,
      recipient_domain: 'example.net',
      relay_host: 'mx1.example.net',
      relay_ip: '203.0.113.7',
      relay: 'mx1.example.net[203.0.113.7]',
      status_class: '2xx',
    },
  },
  {
    name: 'suppressed delivery (-N)',
    line: '2026-11-12 05:41:23 1tKx2c-000Abc-5Z *> test@example.net R=dnslookup T=remote_smtp',
    want: {
      time: at('2026-11-12T05:41:23.000Z'),
      event: 'delivery_attempt',
      queue_id: '1tKx2c-000Abc-5Z',
      attrs: {
        flag: '*>',
        router: 'dnslookup',
        transport: 'remote_smtp',
      },
      status: 'sent',
      action: 'suppressed',
      recipient: 'test@example.net',
      recipient_domain: 'example.net',
      relay: 'remote_smtp',
      status_class: '2xx',
    },
  },
  {
    name: 'local delivery with original address',
    line: '2026-11-12 05:41:41 1tKx2c-000Abc-5Z => marv <marv@hitch.example> R=localuser T=local_delivery',
    want: {
      time: at('2026-11-12T05:41:41.000Z'),
      event: 'delivery_attempt',
      queue_id: '1tKx2c-000Abc-5Z',
      attrs: {
        flag: '=>',
        router: 'localuser',
        transport: 'local_delivery',
      },
      status: 'sent',
      orig_recipient: 'marv@hitch.example',
      recipient: 'marv',
      recipient_domain: 'hitch.example',
      relay: 'local_delivery',
      status_class: '2xx',
    },
  },
  {
    name: 'blackhole',
    line: '2026-11-12 05:41:23 1tKx2c-000Abc-5Z => :blackhole: <hole@example.com> R=blackhole_router',
    want: {
      time: at('2026-11-12T05:41:23.000Z'),
      event: 'delivery_attempt',
      queue_id: '1tKx2c-000Abc-5Z',
      attrs: {
        flag: '=>',
        router: 'blackhole_router',
      },
      status: 'sent',
      orig_recipient: 'hole@example.com',
      recipient: ':blackhole:',
      action: 'discard',
      recipient_domain: 'example.com',
      status_class: '2xx',
    },
  },
  {
    name: 'bounce after RCPT with H=',
    line: '2026-11-12 05:41:25 1tKx2c-000Abc-5Z ** x@y.example R=dnslookup T=remote_smtp H=mx.y.example [1.2.3.4]: SMTP error from remote mail server after RCPT TO:<x@y.example>: 550 5.1.1 User unknown',
    want: {
      time: at('2026-11-12T05:41:25.000Z'),
      event: 'delivery_attempt',
      queue_id: '1tKx2c-000Abc-5Z',
      attrs: {
        flag: '**',
        router: 'dnslookup',
        transport: 'remote_smtp',
      },
      status: 'bounced',
      recipient: 'x@y.example',
      recipient_domain: 'y.example',
      relay_host: 'mx.y.example',
      relay_ip: '1.2.3.4',
      relay: 'mx.y.example[1.2.3.4]',
      reason: 'SMTP error from remote mail server after RCPT TO:<x@y.example>: 550 5.1.1 User unknown',
      smtp_command: 'RCPT',
      reply: '550 5.1.1 User unknown',
      reply_code: 550,
      dsn: '5.1.1',
      status_class: '5xx',
    },
  },
  {
    name: 'bounce, pre-4.80 "host ... [ip]:" form',
    line: '2026-11-12 05:41:45 1tKx2c-000Abc-5Z ** ace400@pb.example R=dnslookup T=remote_smtp: SMTP error from remote mailer after pipelined RCPT TO:<ace400@pb.example>: host pbmail3.py.example [192.168.63.111]: 553 5.3.0 <ace400@pb.example>...Addressee unknown',
    want: {
      time: at('2026-11-12T05:41:45.000Z'),
      event: 'delivery_attempt',
      queue_id: '1tKx2c-000Abc-5Z',
      attrs: {
        flag: '**',
        router: 'dnslookup',
        transport: 'remote_smtp',
      },
      status: 'bounced',
      recipient: 'ace400@pb.example',
      recipient_domain: 'pb.example',
      reason: 'SMTP error from remote mailer after pipelined RCPT TO:<ace400@pb.example>: host pbmail3.py.example [192.168.63.111]: 553 5.3.0 <ace400@pb.example>...Addressee unknown',
      smtp_command: 'RCPT',
      relay_host: 'pbmail3.py.example',
      relay_ip: '192.168.63.111',
      relay: 'pbmail3.py.example[192.168.63.111]',
      reply: '553 5.3.0 <ace400@pb.example>...Addressee unknown',
      reply_code: 553,
      dsn: '5.3.0',
      status_class: '5xx',
    },
  },
  {
    name: 'routing failure',
    line: '2026-11-12 05:41:46 1tKx2c-000Abc-5Z ** jim@trek99.example <jim@trek99.example>: unknown mail domain',
    want: {
      time: at('2026-11-12T05:41:46.000Z'),
      event: 'delivery_attempt',
      queue_id: '1tKx2c-000Abc-5Z',
      attrs: {
        flag: '**',
      },
      status: 'bounced',
      orig_recipient: 'jim@trek99.example',
      recipient: 'jim@trek99.example',
      recipient_domain: 'trek99.example',
      reason: 'unknown mail domain',
      reply: 'unknown mail domain',
      status_class: '5xx',
    },
  },
  {
    name: 'LMTP bounce after end of data',
    line: '2026-11-12 05:41:23 1tKx2c-000Abc-5Z ** user@example.org R=dovecot T=dovecot_lmtp H=127.0.0.1 [127.0.0.1]: LMTP error after end of data: 552 5.2.2 <user@example.org> Quota exceeded (mailbox for user is full)',
    want: {
      time: at('2026-11-12T05:41:23.000Z'),
      event: 'delivery_attempt',
      queue_id: '1tKx2c-000Abc-5Z',
      attrs: {
        flag: '**',
        router: 'dovecot',
        transport: 'dovecot_lmtp',
      },
      status: 'bounced',
      recipient: 'user@example.org',
      recipient_domain: 'example.org',
      relay_host: '127.0.0.1',
      relay_ip: '127.0.0.1',
      relay: '127.0.0.1[127.0.0.1]',
      reason: 'LMTP error after end of data: 552 5.2.2 <user@example.org> Quota exceeded (mailbox for user is full)',
      smtp_command: 'DATA-END',
      reply: '552 5.2.2 <user@example.org> Quota exceeded (mailbox for user is full)',
      reply_code: 552,
      dsn: '5.2.2',
      status_class: '5xx',
    },
  },
  {
    name: 'deferral with defer (-44) and pipelined RCPT',
    line: '2026-11-12 05:41:26 1tKx2c-000Abc-5Z == d@z.example R=dnslookup T=remote_smtp defer (-44) H=mx.z.example [5.6.7.8]: SMTP error from remote mail server after pipelined RCPT TO:<d@z.example>: 451 4.7.1 Greylisted, try later',
    want: {
      time: at('2026-11-12T05:41:26.000Z'),
      event: 'delivery_attempt',
      queue_id: '1tKx2c-000Abc-5Z',
      attrs: {
        flag: '==',
        router: 'dnslookup',
        transport: 'remote_smtp',
        errno: -44,
      },
      status: 'deferred',
      recipient: 'd@z.example',
      recipient_domain: 'z.example',
      relay_host: 'mx.z.example',
      relay_ip: '5.6.7.8',
      relay: 'mx.z.example[5.6.7.8]',
      reason: 'SMTP error from remote mail server after pipelined RCPT TO:<d@z.example>: 451 4.7.1 Greylisted, try later',
      smtp_command: 'RCPT',
      reply: '451 4.7.1 Greylisted, try later',
      reply_code: 451,
      dsn: '4.7.1',
      status_class: '4xx',
    },
  },
  {
    name: 'routing deferral, retry time not reached',
    line: '2026-11-12 05:41:27 1tKx2c-000Abc-5Z == d@z.example routing defer (-51): retry time not reached',
    want: {
      time: at('2026-11-12T05:41:27.000Z'),
      event: 'delivery_attempt',
      queue_id: '1tKx2c-000Abc-5Z',
      attrs: {
        flag: '==',
        errno: -51,
      },
      status: 'deferred',
      recipient: 'd@z.example',
      recipient_domain: 'z.example',
      reason: 'retry time not reached',
      reply: 'retry time not reached',
      status_class: '4xx',
    },
  },
  {
    name: 'deferral, timeout after end of data, DT=',
    line: '2026-11-12 05:41:23 1tKx2c-000Abc-5Z == z@slow.example R=dnslookup T=remote_smtp defer (110) H=mx.slow.example [192.0.2.70] DT=30s: SMTP timeout after end of data (1234 bytes written): Connection timed out',
    want: {
      time: at('2026-11-12T05:41:23.000Z'),
      event: 'delivery_attempt',
      queue_id: '1tKx2c-000Abc-5Z',
      attrs: {
        flag: '==',
        router: 'dnslookup',
        transport: 'remote_smtp',
        errno: 110,
        deliver_time: '30s',
        deliver_time_s: 30,
      },
      status: 'deferred',
      recipient: 'z@slow.example',
      recipient_domain: 'slow.example',
      relay_host: 'mx.slow.example',
      relay_ip: '192.0.2.70',
      relay: 'mx.slow.example[192.0.2.70]',
      reason: 'SMTP timeout after end of data (1234 bytes written): Connection timed out',
      smtp_command: 'DATA-END',
      reply: 'SMTP timeout after end of data (1234 bytes written): Connection timed out',
      status_class: '4xx',
    },
  },
  {
    name: 'per-host connect failure detail',
    line: '2026-11-12 05:41:40 1tKx2c-000Abc-5Z H=mx.z.example [5.6.7.8] Connection refused',
    want: {
      time: at('2026-11-12T05:41:40.000Z'),
      event: 'info',
      queue_id: '1tKx2c-000Abc-5Z',
      relay_host: 'mx.z.example',
      relay_ip: '5.6.7.8',
      relay: 'mx.z.example[5.6.7.8]',
      reason: 'Connection refused',
    },
  },
  {
    name: 'Completed with QT',
    line: '2026-11-12 05:41:28 1tKx2c-000Abc-5Z Completed QT=5s',
    want: {
      time: at('2026-11-12T05:41:28.000Z'),
      event: 'completed',
      queue_id: '1tKx2c-000Abc-5Z',
      attrs: {
        queue_time: '5s',
        queue_time_s: 5,
      },
    },
  },
  {
    name: 'Message is frozen (queue run skip)',
    line: '2026-11-12 05:41:39 1tKx2c-000Abc-5Z Message is frozen',
    want: {
      time: at('2026-11-12T05:41:39.000Z'),
      event: 'frozen',
      queue_id: '1tKx2c-000Abc-5Z',
      action: 'skip',
    },
  },
  {
    name: 'Frozen',
    line: '2026-11-12 05:41:23 1tKx2c-000Abc-5Z Frozen (delivery error message)',
    want: {
      time: at('2026-11-12T05:41:23.000Z'),
      event: 'frozen',
      queue_id: '1tKx2c-000Abc-5Z',
      reason: 'delivery error message',
    },
  },
  {
    name: 'Unfrozen',
    line: '2026-11-12 05:41:23 1tKx2c-000Abc-5Z Unfrozen by forced delivery',
    want: {
      time: at('2026-11-12T05:41:23.000Z'),
      event: 'unfrozen',
      queue_id: '1tKx2c-000Abc-5Z',
      reason: 'by forced delivery',
    },
  },
  {
    name: 'spool file locked',
    line: '2026-11-12 05:41:23 1tKx2c-000Abc-5Z Spool file is locked (another process is handling this message)',
    want: {
      time: at('2026-11-12T05:41:23.000Z'),
      event: 'info',
      queue_id: '1tKx2c-000Abc-5Z',
      action: 'locked',
      reason: 'Spool file is locked (another process is handling this message)',
    },
  },
  {
    name: 'RCPT reject (relay)',
    line: '2026-11-12 05:41:29 H=(helo.bad) [10.0.0.1]:1234 F=<spam@bad.example> rejected RCPT <victim@example.com>: relay not permitted',
    want: {
      time: at('2026-11-12T05:41:29.000Z'),
      event: 'reject',
      sender: 'spam@bad.example',
      sender_domain: 'bad.example',
      status: 'rejected',
      status_class: '5xx',
      recipient: 'victim@example.com',
      recipient_domain: 'example.com',
      smtp_command: 'RCPT',
      reason: 'relay not permitted',
      helo: 'helo.bad',
      client_ip: '10.0.0.1',
      client_port: 1234,
    },
  },
  {
    name: 'temporary RCPT reject',
    line: '2026-11-12 05:41:23 H=(helo.example) [192.0.2.62] F=<a@b.example> temporarily rejected RCPT <c@d.example>: greylisted',
    want: {
      time: at('2026-11-12T05:41:23.000Z'),
      event: 'reject',
      sender: 'a@b.example',
      sender_domain: 'b.example',
      status: 'rejected',
      status_class: '4xx',
      action: 'defer',
      recipient: 'c@d.example',
      recipient_domain: 'd.example',
      smtp_command: 'RCPT',
      reason: 'greylisted',
      helo: 'helo.example',
      client_ip: '192.0.2.62',
    },
  },
  {
    name: 'MAIL reject',
    line: '2026-11-12 05:41:23 H=mail.b.example [192.0.2.63] rejected MAIL <a@b.example>: Access denied',
    want: {
      time: at('2026-11-12T05:41:23.000Z'),
      event: 'reject',
      status: 'rejected',
      status_class: '5xx',
      sender: 'a@b.example',
      sender_domain: 'b.example',
      smtp_command: 'MAIL',
      reason: 'Access denied',
      client_host: 'mail.b.example',
      client_ip: '192.0.2.63',
    },
  },
  {
    name: 'reject after DATA (with id)',
    line: '2026-11-12 05:41:30 1tKx2c-000Abc-5Z H=(x) [10.0.0.2] F=<a@b.example> rejected after DATA: Your message scored 15 spam points',
    want: {
      time: at('2026-11-12T05:41:30.000Z'),
      event: 'reject',
      queue_id: '1tKx2c-000Abc-5Z',
      sender: 'a@b.example',
      sender_domain: 'b.example',
      status: 'rejected',
      status_class: '5xx',
      smtp_command: 'DATA-END',
      reason: 'Your message scored 15 spam points',
      helo: 'x',
      client_ip: '10.0.0.2',
    },
  },
  {
    name: 'HELO ACL reject',
    line: '2026-11-12 05:41:23 H=([192.0.2.64]) [192.0.2.64] rejected EHLO or HELO [192.0.2.64]: bare IP literal not allowed',
    want: {
      time: at('2026-11-12T05:41:23.000Z'),
      event: 'reject',
      status: 'rejected',
      status_class: '5xx',
      helo: '[192.0.2.64]',
      smtp_command: 'HELO',
      reason: 'bare IP literal not allowed',
      client_ip: '192.0.2.64',
    },
  },
  {
    name: 'EHLO syntax reject',
    line: '2026-11-12 05:41:43 rejected EHLO from [10.4.4.4]: syntactically invalid argument(s): _bad_',
    want: {
      time: at('2026-11-12T05:41:43.000Z'),
      event: 'reject',
      client_ip: '10.4.4.4',
      reason: 'syntactically invalid argument(s): _bad_',
      status: 'rejected',
      status_class: '5xx',
      smtp_command: 'EHLO',
    },
  },
  {
    name: 'sender verify fail',
    line: '2026-11-12 05:41:23 H=(helo.example) [192.0.2.65] sender verify fail for <a@b.example>: Unrouteable address',
    want: {
      time: at('2026-11-12T05:41:23.000Z'),
      event: 'warning',
      helo: 'helo.example',
      client_ip: '192.0.2.65',
      severity: 'warning',
      reason: 'sender verify fail for <a@b.example>: Unrouteable address',
      sender: 'a@b.example',
      sender_domain: 'b.example',
    },
  },
  {
    name: 'sync error before greeting',
    line: '2026-11-12 05:41:37 SMTP protocol synchronization error (input sent without waiting for greeting): rejected connection from H=[10.2.2.2] input="EHLO x\\r\\n"',
    want: {
      time: at('2026-11-12T05:41:37.000Z'),
      event: 'reject',
      status: 'rejected',
      status_class: '5xx',
      reason: 'SMTP protocol synchronization error (input sent without waiting for greeting)',
      client_ip: '10.2.2.2',
      smtp_command: 'CONNECT',
    },
  },
  {
    name: 'sync error on pipelined EHLO',
    line: '2026-11-12 05:41:23 SMTP protocol synchronization error (next input sent too soon: pipelining was not advertised): rejected "EHLO bad" H=(bad) [192.0.2.67] next input="MAIL FROM:<>\\r\\n"',
    want: {
      time: at('2026-11-12T05:41:23.000Z'),
      event: 'reject',
      status: 'rejected',
      status_class: '5xx',
      reason: 'SMTP protocol synchronization error (next input sent too soon: pipelining was not advertised)',
      helo: 'bad',
      client_ip: '192.0.2.67',
      smtp_command: 'EHLO',
    },
  },
  {
    name: 'connection with count',
    line: '2026-11-12 05:41:31 SMTP connection from [10.0.0.3]:4567 I=[198.51.100.5]:25 (TCP/IP connection count = 3)',
    want: {
      time: at('2026-11-12T05:41:31.000Z'),
      event: 'connect',
      client_ip: '10.0.0.3',
      client_port: 4567,
      attrs: {
        local_ip: '198.51.100.5',
        local_port: 25,
        connection_count: 3,
      },
    },
  },
  {
    name: 'connection lost',
    line: '2026-11-12 05:41:32 SMTP connection from (helo) [10.0.0.3]:4567 lost D=12s',
    want: {
      time: at('2026-11-12T05:41:32.000Z'),
      event: 'lost_connection',
      helo: 'helo',
      client_ip: '10.0.0.3',
      client_port: 4567,
      reason: 'lost',
      attrs: {
        duration: '12s',
        duration_s: 12,
      },
    },
  },
  {
    name: 'closed by QUIT',
    line: '2026-11-12 05:41:23 SMTP connection from (helo.example) [192.0.2.60]:4444 closed by QUIT',
    want: {
      time: at('2026-11-12T05:41:23.000Z'),
      event: 'disconnect',
      helo: 'helo.example',
      client_ip: '192.0.2.60',
      client_port: 4444,
      reason: 'closed by QUIT',
    },
  },
  {
    name: 'command timeout',
    line: '2026-11-12 05:41:23 SMTP command timeout on TLS connection from (helo.example) [192.0.2.60]',
    want: {
      time: at('2026-11-12T05:41:23.000Z'),
      event: 'timeout',
      helo: 'helo.example',
      client_ip: '192.0.2.60',
      reason: 'SMTP command timeout',
    },
  },
  {
    name: 'connection refused (limit)',
    line: '2026-11-12 05:41:23 Connection from [192.0.2.61] refused: too many connections',
    want: {
      time: at('2026-11-12T05:41:23.000Z'),
      event: 'reject',
      client_ip: '192.0.2.61',
      reason: 'too many connections',
      status: 'rejected',
      smtp_command: 'CONNECT',
    },
  },
  {
    name: 'no MAIL with command list',
    line: '2026-11-12 05:41:44 no MAIL in SMTP connection from (x) [10.5.5.5]:333 D=1s C=EHLO,STARTTLS,EHLO,QUIT',
    want: {
      time: at('2026-11-12T05:41:44.000Z'),
      event: 'disconnect',
      helo: 'x',
      client_ip: '10.5.5.5',
      client_port: 333,
      attrs: {
        duration: '1s',
        duration_s: 1,
      },
      commands: {
        ehlo: 2,
        starttls: 1,
        quit: 1,
        commands: 4,
      },
      reason: 'no MAIL in SMTP connection',
    },
  },
  {
    name: 'call dropped',
    line: '2026-11-12 05:41:23 SMTP call from (helo.example) [192.0.2.66] dropped: too many syntax or protocol errors (last command was "RCPT TO:<>")',
    want: {
      time: at('2026-11-12T05:41:23.000Z'),
      event: 'disconnect',
      helo: 'helo.example',
      client_ip: '192.0.2.66',
      reason: 'too many syntax or protocol errors (last command was "RCPT TO:<>")',
      action: 'drop',
    },
  },
  {
    name: 'no host name found',
    line: '2026-11-12 05:41:38 no host name found for IP address 10.3.3.3',
    want: {
      time: at('2026-11-12T05:41:38.000Z'),
      event: 'warning',
      severity: 'warning',
      client_ip: '10.3.3.3',
      reason: 'no host name found for IP address',
    },
  },
  {
    name: 'inbound TLS error',
    line: '2026-11-12 05:41:23 TLS error on connection from (helo.example) [192.0.2.60]:4444 (SSL_accept): error:0A000416:SSL routines::sslv3 alert certificate unknown',
    want: {
      time: at('2026-11-12T05:41:23.000Z'),
      event: 'tls',
      helo: 'helo.example',
      client_ip: '192.0.2.60',
      client_port: 4444,
      reason: '(SSL_accept): error:0A000416:SSL routines::sslv3 alert certificate unknown',
      tls: {
        direction: 'inbound',
        peer_ip: '192.0.2.60',
      },
      severity: 'warning',
    },
  },
  {
    name: 'SASL failure',
    line: '2026-11-12 05:41:36 dovecot_login authenticator failed for (helo) [10.1.1.1]:5555 I=[198.51.100.5]:587: 535 Incorrect authentication data (set_id=bob@example.com)',
    want: {
      time: at('2026-11-12T05:41:36.000Z'),
      event: 'auth',
      helo: 'helo',
      client_ip: '10.1.1.1',
      client_port: 5555,
      attrs: {
        local_ip: '198.51.100.5',
        local_port: 587,
        authenticator: 'dovecot_login',
      },
      reply: '535 Incorrect authentication data (set_id=bob@example.com)',
      reply_code: 535,
      smtp_command: 'AUTH',
      auth: {
        mechanism: 'sasl',
        result: 'fail',
        method: 'LOGIN',
        username: 'bob@example.com',
        reason: '535 Incorrect authentication data (set_id=bob@example.com)',
      },
    },
  },
  {
    name: 'DKIM verification succeeded',
    line: '2026-11-12 05:41:33 1tKx2c-000Abc-5Z DKIM: d=example.com s=sel c=relaxed/relaxed a=rsa-sha256 b=2048 [verification succeeded]',
    want: {
      time: at('2026-11-12T05:41:33.000Z'),
      event: 'auth',
      queue_id: '1tKx2c-000Abc-5Z',
      attrs: {
        dkim_canon: 'relaxed/relaxed',
        dkim_algo: 'rsa-sha256',
        dkim_bits: 2048,
      },
      auth: {
        mechanism: 'dkim',
        result: 'pass',
        domain: 'example.com',
        selector: 'sel',
      },
    },
  },
  {
    name: 'DKIM key unavailable',
    line: '2026-11-12 05:41:33 1tKx2c-000Abc-5Z DKIM: d=example.com s=sel c=relaxed/relaxed a=rsa-sha256 b=2048 [invalid - public key record (currently?) unavailable]',
    want: {
      time: at('2026-11-12T05:41:33.000Z'),
      event: 'auth',
      queue_id: '1tKx2c-000Abc-5Z',
      attrs: {
        dkim_canon: 'relaxed/relaxed',
        dkim_algo: 'rsa-sha256',
        dkim_bits: 2048,
      },
      auth: {
        mechanism: 'dkim',
        result: 'temperror',
        domain: 'example.com',
        selector: 'sel',
        reason: 'public key record (currently?) unavailable',
      },
    },
  },
  {
    name: 'DKIM body hash failure',
    line: '2026-11-12 05:41:23 1tKx2c-000Abc-5Z DKIM: d=bad.example s=s1 c=relaxed/simple a=rsa-sha256 b=1024 i=@bad.example t=1700000000 [verification failed - body hash mismatch (body probably modified in transit)]',
    want: {
      time: at('2026-11-12T05:41:23.000Z'),
      event: 'auth',
      queue_id: '1tKx2c-000Abc-5Z',
      attrs: {
        dkim_canon: 'relaxed/simple',
        dkim_algo: 'rsa-sha256',
        dkim_bits: 1024,
        dkim_identity: '@bad.example',
      },
      auth: {
        mechanism: 'dkim',
        result: 'fail',
        domain: 'bad.example',
        selector: 's1',
        reason: 'body hash mismatch (body probably modified in transit)',
      },
    },
  },
  {
    name: 'DKIM signing',
    line: '2026-11-12 05:41:23 1tKx2c-000Abc-5Z DKIM: d=example.com s=sel c=relaxed/relaxed a=rsa-sha256 b=2048 [signing]',
    want: {
      time: at('2026-11-12T05:41:23.000Z'),
      event: 'dkim_sign',
      queue_id: '1tKx2c-000Abc-5Z',
      attrs: {
        dkim_canon: 'relaxed/relaxed',
        dkim_algo: 'rsa-sha256',
        dkim_bits: 2048,
      },
      auth: {
        mechanism: 'dkim',
        result: 'signed',
        domain: 'example.com',
        selector: 'sel',
      },
    },
  },
  {
    name: 'DMARC p=none failure',
    line: "2026-11-12 05:41:34 1tKx2c-000Abc-5Z DMARC results: spf_domain=example.com dmarc_domain=example.com spf_align=yes dkim_align=no enforcement=\'None, Accept\'",
    want: {
      time: at('2026-11-12T05:41:34.000Z'),
      event: 'auth',
      queue_id: '1tKx2c-000Abc-5Z',
      attrs: {
        spf_domain: 'example.com',
        spf_align: 'yes',
        dkim_align: 'no',
        enforcement: 'None, Accept',
      },
      auth: {
        mechanism: 'dmarc',
        result: 'fail',
        domain: 'example.com',
        policy: 'none',
      },
    },
  },
  {
    name: 'DMARC reject',
    line: "2026-11-12 05:41:23 1tKx2c-000Abc-5Z DMARC results: spf_domain=a.example dmarc_domain=a.example spf_align=no dkim_align=no enforcement=\'Reject\'",
    want: {
      time: at('2026-11-12T05:41:23.000Z'),
      event: 'auth',
      queue_id: '1tKx2c-000Abc-5Z',
      attrs: {
        spf_domain: 'a.example',
        spf_align: 'no',
        dkim_align: 'no',
        enforcement: 'Reject',
      },
      auth: {
        mechanism: 'dmarc',
        result: 'fail',
        domain: 'a.example',
        policy: 'reject',
      },
    },
  },
  {
    name: 'queue run start',
    line: '2026-11-12 05:41:35 Start queue run: pid=1234',
    want: {
      time: at('2026-11-12T05:41:35.000Z'),
      event: 'info',
      action: 'queue_run_start',
      attrs: {
        queue_runner_pid: 1234,
      },
    },
  },
  {
    name: 'queue run end with args',
    line: '2026-11-12 05:41:23 End queue run: pid=1234 -qff',
    want: {
      time: at('2026-11-12T05:41:23.000Z'),
      event: 'info',
      action: 'queue_run_end',
      attrs: {
        queue_runner_pid: 1234,
        args: '-qff',
      },
    },
  },
  {
    name: 'daemon started',
    line: '2026-11-12 05:41:35 exim 4.96 daemon started: pid=999, -q30m, listening for SMTP on port 25 (IPv6 and IPv4)',
    want: {
      time: at('2026-11-12T05:41:35.000Z'),
      event: 'daemon',
      action: 'start',
      attrs: {
        version: '4.96',
        daemon_pid: 999,
      },
      reason: 'exim 4.96 daemon started: pid=999, -q30m, listening for SMTP on port 25 (IPv6 and IPv4)',
    },
  },
  {
    name: 'daemon re-exec',
    line: '2026-11-12 05:41:23 pid 777: SIGHUP received: re-exec daemon',
    want: {
      time: at('2026-11-12T05:41:23.000Z'),
      event: 'daemon',
      action: 'reload',
      reason: 'pid 777: SIGHUP received: re-exec daemon',
    },
  },
  {
    name: 'arguments logging',
    line: '2026-11-12 05:41:23 cwd=/var/spool/exim4 3 args: /usr/sbin/exim4 -Mc 1tKx2c-000Abc-5Z',
    want: {
      time: at('2026-11-12T05:41:23.000Z'),
      event: 'info',
      action: 'arguments',
      reason: 'cwd=/var/spool/exim4 3 args: /usr/sbin/exim4 -Mc 1tKx2c-000Abc-5Z',
    },
  },
  {
    name: 'deferral after MAIL FROM with SIZE',
    line: '2026-11-12 05:42:00 1tKx2c-000Abc-5Z == a@b.example R=dnslookup T=remote_smtp defer (-45) H=mx.b.example [192.0.2.80]: SMTP error from remote mail server after MAIL FROM:<s@example.com> SIZE=1234: 421 4.7.0 Try again later, closing connection.',
    want: {
      time: at('2026-11-12T05:42:00.000Z'),
      event: 'delivery_attempt',
      queue_id: '1tKx2c-000Abc-5Z',
      attrs: {
        flag: '==',
        router: 'dnslookup',
        transport: 'remote_smtp',
        errno: -45,
      },
      status: 'deferred',
      recipient: 'a@b.example',
      recipient_domain: 'b.example',
      relay_host: 'mx.b.example',
      relay_ip: '192.0.2.80',
      relay: 'mx.b.example[192.0.2.80]',
      reason: 'SMTP error from remote mail server after MAIL FROM:<s@example.com> SIZE=1234: 421 4.7.0 Try again later, closing connection.',
      smtp_command: 'MAIL',
      reply: '421 4.7.0 Try again later, closing connection.',
      reply_code: 421,
      dsn: '4.7.0',
      status_class: '4xx',
    },
  },
  {
    name: 'deferral after initial connection',
    line: '2026-11-12 05:42:01 1tKx2c-000Abc-5Z == a@b.example R=dnslookup T=remote_smtp defer (-18) H=mx.b.example [192.0.2.80]: SMTP error from remote mail server after initial connection: 421 4.3.2 Service not available',
    want: {
      time: at('2026-11-12T05:42:01.000Z'),
      event: 'delivery_attempt',
      queue_id: '1tKx2c-000Abc-5Z',
      attrs: {
        flag: '==',
        router: 'dnslookup',
        transport: 'remote_smtp',
        errno: -18,
      },
      status: 'deferred',
      recipient: 'a@b.example',
      recipient_domain: 'b.example',
      relay_host: 'mx.b.example',
      relay_ip: '192.0.2.80',
      relay: 'mx.b.example[192.0.2.80]',
      reason: 'SMTP error from remote mail server after initial connection: 421 4.3.2 Service not available',
      smtp_command: 'CONNECT',
      reply: '421 4.3.2 Service not available',
      reply_code: 421,
      dsn: '4.3.2',
      status_class: '4xx',
    },
  },
  {
    name: 'bounce after EHLO',
    line: '2026-11-12 05:42:02 1tKx2c-000Abc-5Z ** a@b.example R=dnslookup T=remote_smtp H=mx.b.example [192.0.2.80]: SMTP error from remote mail server after EHLO mail.example.com: 554 5.7.1 go away',
    want: {
      time: at('2026-11-12T05:42:02.000Z'),
      event: 'delivery_attempt',
      queue_id: '1tKx2c-000Abc-5Z',
      attrs: {
        flag: '**',
        router: 'dnslookup',
        transport: 'remote_smtp',
      },
      status: 'bounced',
      recipient: 'a@b.example',
      recipient_domain: 'b.example',
      relay_host: 'mx.b.example',
      relay_ip: '192.0.2.80',
      relay: 'mx.b.example[192.0.2.80]',
      reason: 'SMTP error from remote mail server after EHLO mail.example.com: 554 5.7.1 go away',
      smtp_command: 'EHLO',
      reply: '554 5.7.1 go away',
      reply_code: 554,
      dsn: '5.7.1',
      status_class: '5xx',
    },
  },
];

for (const c of LINES) {
  test(`exim line: ${c.name}`, () => {
    const ev = base();
    assert.equal(parseEximLine(c.line, ev), true);
    assert.equal(ev.mta, 'exim');
    assert.equal(ev.program, 'exim');
    assert.deepEqual(project(ev), c.want);
  });
}

// Exim lines that came through syslog: the header set time/program/pid already.
const MESSAGES: Case[] = [
  {
    name: 'plain message part',
    line: '1tKx2c-000Abc-5Z => x@y.example R=dnslookup T=remote_smtp H=mx.y.example [192.0.2.1] C="250 OK"',
    want: {
      time: 0,
      event: 'delivery_attempt',
      queue_id: '1tKx2c-000Abc-5Z',
      attrs: { flag: '=>', router: 'dnslookup', transport: 'remote_smtp' },
      status: 'sent',
      recipient: 'x@y.example',
      reply: '250 OK',
      reply_code: 250,
      recipient_domain: 'y.example',
      relay_host: 'mx.y.example',
      relay_ip: '192.0.2.1',
      relay: 'mx.y.example[192.0.2.1]',
      status_class: '2xx',
    },
  },
  {
    name: 'syslog_timestamp repeats the Exim stamp (time stays the header time), +pid',
    line: '2026-11-12 05:41:23 [321] 1tKx2c-000Abc-5Z Completed',
    want: { time: 0, pid: 321, event: 'completed', queue_id: '1tKx2c-000Abc-5Z' },
  },
  {
    name: 'first part of a split long line',
    line: '[1/2] 2026-11-12 05:41:23 1tKx2c-000Abc-5Z ** x@y.example: Unrouteable address',
    want: {
      time: 0,
      event: 'delivery_attempt',
      queue_id: '1tKx2c-000Abc-5Z',
      attrs: { flag: '**' },
      status: 'bounced',
      recipient: 'x@y.example',
      recipient_domain: 'y.example',
      reason: 'Unrouteable address',
      reply: 'Unrouteable address',
      status_class: '5xx',
    },
  },
  {
    name: 'log_selector +pid without syslog timestamp',
    line: '[4242] Start queue run: pid=4242',
    want: { time: 0, pid: 4242, event: 'info', action: 'queue_run_start', attrs: { queue_runner_pid: 4242 } },
  },
];

for (const c of MESSAGES) {
  test(`exim message: ${c.name}`, () => {
    const ev = base();
    ev.program = 'exim4';
    assert.equal(parseEximMessage(c.line, ev), true);
    assert.equal(ev.program, 'exim4', 'program as logged is kept');
    assert.deepEqual(project(ev), c.want);
  });
}

test('exim: continuation parts of a split line are not parsed', () => {
  const ev = base();
  assert.equal(parseEximMessage('[2/2]  mple>)', ev), false);
  assert.equal(ev.event, 'unparsed');
});

test('exim: unknown text after a message id stays unparsed but keeps time and queue_id', () => {
  const ev = base();
  assert.equal(parseEximLine('2026-11-12 05:41:23 1tKx2c-000Abc-5Z something nobody has seen before', ev), false);
  assert.deepEqual(project(ev), { time: at('2026-11-12T05:41:23Z'), event: 'unparsed', queue_id: '1tKx2c-000Abc-5Z' });
});

test('exim: lines without a valid timestamp are rejected', () => {
  const bad = [
    '',
    'garbage',
    '2026-13-12 05:41:23 1tKx2c-000Abc-5Z Completed',
    '2026-11-12 25:41:23 1tKx2c-000Abc-5Z Completed',
    '2026-11-12T05:41:23 1tKx2c-000Abc-5Z Completed',
    'Nov 12 05:41:23 host exim[1]: 1tKx2c-000Abc-5Z Completed',
  ];
  for (const line of bad) {
    const ev = base();
    assert.equal(parseEximLine(line, ev), false, line);
    assert.equal(ev.event, 'unparsed');
  }
});

test('exim: message id forms', () => {
  const ids: Array<[string, string | undefined]> = [
    ['1tKx2c-000Abc-5Z', '1tKx2c-000Abc-5Z'],
    ['1qfxbL-000000003jI-2PDO', '1qfxbL-000000003jI-2PDO'],
    ['1tKx2c-000Abc-5Zq', undefined], // old form has exactly two trailing characters
    ['1tKx2c_000Abc-5Z', undefined],
  ];
  for (const [id, want] of ids) {
    const ev = base();
    parseEximLine(`2026-11-12 05:41:23 ${id} Completed`, ev);
    assert.equal(ev.queue_id, want, id);
  }
});

test('exim: duration strings', () => {
  const cases: Array<[string, number]> = [
    ['3s', 3], ['1m2s', 62], ['0.123s', 0.123], ['2d3h', 183600], ['1w', 604800], ['1h0m5s', 3605],
  ];
  for (const [v, want] of cases) assert.equal(eximDurationSeconds(v), want, v);
  for (const bad of ['', 's', '5', '3x', '1m2']) assert.ok(Number.isNaN(eximDurationSeconds(bad)), bad);
});
