// Table-driven tests of the OpenDKIM, OpenDMARC, policyd-spf and Dovecot message parsers.
// Messages are shaped after the programs' own syslog format strings (opendkim.c, opendmarc.c,
// spf-engine / postfix-policyd-spf-perl, Dovecot login/auth/lmtp processes). Each case lists
// the complete event minus the constant kind/host/program/time fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MailEvent } from '../../model/mail_event.js';
import type { MessageParser } from './types.js';
import { parseDovecot, parseOpenDkim, parseOpenDmarc, parsePolicydSpf } from './auth.js';

const PARSERS: Record<string, MessageParser> = { parseOpenDkim, parseOpenDmarc, parsePolicydSpf, parseDovecot };

interface Case {
  parser: keyof typeof PARSERS;
  name: string;
  msg: string;
  want: Partial<MailEvent>;
}

function base(program: string): MailEvent {
  return { kind: 'mail_event', time: 0, host: 'h', mta: 'exim', program, event: 'unparsed' };
}

function project(ev: MailEvent): Partial<MailEvent> {
  const { kind: _kind, host: _host, program: _program, time: _time, ...rest } = ev;
  return rest;
}

const CASES: Case[] = [
  {
    parser: 'parseOpenDkim',
    name: 'signature added',
    msg: '4F1A2B3C: DKIM-Signature field added (s=sel, d=example.com)',
    want: {
      mta: 'opendkim',
      event: 'dkim_sign',
      queue_id: '4F1A2B3C',
      auth: {
        mechanism: 'dkim',
        result: 'signed',
        selector: 'sel',
        domain: 'example.com',
      },
    },
  },
  {
    parser: 'parseOpenDkim',
    name: 'verification successful',
    msg: '4F1A2B3C: DKIM verification successful',
    want: {
      mta: 'opendkim',
      event: 'auth',
      queue_id: '4F1A2B3C',
      auth: {
        mechanism: 'dkim',
        result: 'pass',
      },
    },
  },
  {
    parser: 'parseOpenDkim',
    name: 'SSL detail before bad signature (context only)',
    msg: '4F1A2B3C s=sel d=example.com SSL error:04091068:rsa routines:INT_RSA_VERIFY:bad signature',
    want: {
      mta: 'opendkim',
      event: 'info',
      queue_id: '4F1A2B3C',
      auth: {
        mechanism: 'dkim',
        result: 'fail',
        selector: 'sel',
        domain: 'example.com',
        reason: 'error:04091068:rsa routines:INT_RSA_VERIFY:bad signature',
      },
    },
  },
  {
    parser: 'parseOpenDkim',
    name: 'bad signature data',
    msg: '4F1A2B3C: bad signature data',
    want: {
      mta: 'opendkim',
      event: 'auth',
      queue_id: '4F1A2B3C',
      auth: {
        mechanism: 'dkim',
        result: 'fail',
        reason: 'bad signature data',
      },
    },
  },
  {
    parser: 'parseOpenDkim',
    name: 'signature verification failed',
    msg: '4F1A2B3C: signature verification failed: body hash mismatch',
    want: {
      mta: 'opendkim',
      event: 'auth',
      queue_id: '4F1A2B3C',
      auth: {
        mechanism: 'dkim',
        result: 'fail',
        reason: 'signature verification failed: body hash mismatch',
      },
    },
  },
  {
    parser: 'parseOpenDkim',
    name: 'key not found is permerror',
    msg: "4F1A2B3C: key retrieval failed (s=sel, d=example.com): 'sel._domainkey.example.com' record not found",
    want: {
      mta: 'opendkim',
      event: 'auth',
      queue_id: '4F1A2B3C',
      auth: {
        mechanism: 'dkim',
        result: 'permerror',
        selector: 'sel',
        domain: 'example.com',
        reason: "key retrieval failed (s=sel, d=example.com): 'sel._domainkey.example.com' record not found",
      },
    },
  },
  {
    parser: 'parseOpenDkim',
    name: 'key query timeout is temperror',
    msg: "4F1A2B3C: key retrieval failed (s=sel, d=example.com): 'sel._domainkey.example.com' query timed out",
    want: {
      mta: 'opendkim',
      event: 'auth',
      queue_id: '4F1A2B3C',
      auth: {
        mechanism: 'dkim',
        result: 'temperror',
        selector: 'sel',
        domain: 'example.com',
        reason: "key retrieval failed (s=sel, d=example.com): 'sel._domainkey.example.com' query timed out",
      },
    },
  },
  {
    parser: 'parseOpenDkim',
    name: 'no signature data',
    msg: '4F1A2B3C: no signature data',
    want: {
      mta: 'opendkim',
      event: 'auth',
      queue_id: '4F1A2B3C',
      auth: {
        mechanism: 'dkim',
        result: 'none',
        reason: 'no signature data',
      },
    },
  },
  {
    parser: 'parseOpenDkim',
    name: 'syntax error',
    msg: '4F1A2B3C: syntax error: invalid tag',
    want: {
      mta: 'opendkim',
      event: 'auth',
      queue_id: '4F1A2B3C',
      auth: {
        mechanism: 'dkim',
        result: 'permerror',
        reason: 'syntax error: invalid tag',
      },
    },
  },
  {
    parser: 'parseOpenDkim',
    name: 'signers note',
    msg: '4F1A2B3C: message has signatures from example.com, mailer.example.net',
    want: {
      mta: 'opendkim',
      event: 'info',
      queue_id: '4F1A2B3C',
      attrs: {
        signers: 'example.com, mailer.example.net',
      },
    },
  },
  {
    parser: 'parseOpenDkim',
    name: 'external host tried to send as',
    msg: '4F1A2B3C: external host mail.example.org attempted to send as example.com',
    want: {
      mta: 'opendkim',
      event: 'info',
      queue_id: '4F1A2B3C',
      action: 'not_signed',
      reason: 'external host mail.example.org attempted to send as example.com',
      client_host: 'mail.example.org',
      attrs: {
        claimed_domain: 'example.com',
      },
    },
  },
  {
    parser: 'parseOpenDkim',
    name: 'not internal',
    msg: '4F1A2B3C: mail.example.org [192.0.2.1] not internal',
    want: {
      mta: 'opendkim',
      event: 'info',
      queue_id: '4F1A2B3C',
      action: 'not_signed',
      reason: 'not internal',
      client_host: 'mail.example.org',
      client_ip: '192.0.2.1',
    },
  },
  {
    parser: 'parseOpenDkim',
    name: 'not authenticated',
    msg: '4F1A2B3C: not authenticated',
    want: {
      mta: 'opendkim',
      event: 'info',
      queue_id: '4F1A2B3C',
      action: 'not_signed',
      reason: 'not authenticated',
    },
  },
  {
    parser: 'parseOpenDkim',
    name: 'unknown job id',
    msg: '(unknown-jobid) external host www.example.com attempted to send as example.de',
    want: {
      mta: 'opendkim',
      event: 'info',
      action: 'not_signed',
      reason: 'external host www.example.com attempted to send as example.de',
      client_host: 'www.example.com',
      attrs: {
        claimed_domain: 'example.de',
      },
    },
  },
  {
    parser: 'parseOpenDkim',
    name: 'starting',
    msg: 'OpenDKIM Filter v2.11.0 starting (args: -P /run/opendkim/opendkim.pid -p local:/run/opendkim/opendkim.sock)',
    want: {
      mta: 'opendkim',
      event: 'daemon',
      attrs: {
        version: '2.11.0',
      },
      action: 'start',
      reason: 'OpenDKIM Filter v2.11.0 starting (args: -P /run/opendkim/opendkim.pid -p local:/run/opendkim/opendkim.sock)',
    },
  },
  {
    parser: 'parseOpenDkim',
    name: 'terminating',
    msg: 'OpenDKIM Filter v2.11.0 terminating with status 0, errno = 0',
    want: {
      mta: 'opendkim',
      event: 'daemon',
      attrs: {
        version: '2.11.0',
      },
      action: 'stop',
      reason: 'OpenDKIM Filter v2.11.0 terminating with status 0, errno = 0',
    },
  },
  {
    parser: 'parseOpenDmarc',
    name: 'pass',
    msg: '4F1A2B3C: example.com pass',
    want: {
      mta: 'opendmarc',
      event: 'auth',
      queue_id: '4F1A2B3C',
      auth: {
        mechanism: 'dmarc',
        result: 'pass',
        domain: 'example.com',
      },
    },
  },
  {
    parser: 'parseOpenDmarc',
    name: 'fail',
    msg: '4F1A2B3C: example.com fail',
    want: {
      mta: 'opendmarc',
      event: 'auth',
      queue_id: '4F1A2B3C',
      auth: {
        mechanism: 'dmarc',
        result: 'fail',
        domain: 'example.com',
      },
    },
  },
  {
    parser: 'parseOpenDmarc',
    name: 'none',
    msg: '4F1A2B3C: example.net none',
    want: {
      mta: 'opendmarc',
      event: 'auth',
      queue_id: '4F1A2B3C',
      auth: {
        mechanism: 'dmarc',
        result: 'none',
        domain: 'example.net',
      },
    },
  },
  {
    parser: 'parseOpenDmarc',
    name: 'policy when logged',
    msg: '4F1A2B3C: example.com fail (p=reject dis=reject)',
    want: {
      mta: 'opendmarc',
      event: 'auth',
      queue_id: '4F1A2B3C',
      attrs: {
        disposition: 'reject',
      },
      auth: {
        mechanism: 'dmarc',
        result: 'fail',
        domain: 'example.com',
        policy: 'reject',
      },
    },
  },
  {
    parser: 'parseOpenDmarc',
    name: 'SPF self-validation',
    msg: '4F1A2B3C: SPF(mailfrom): example.com pass',
    want: {
      mta: 'opendmarc',
      event: 'auth',
      queue_id: '4F1A2B3C',
      attrs: {
        identity: 'mailfrom',
      },
      auth: {
        mechanism: 'spf',
        result: 'pass',
        domain: 'example.com',
      },
    },
  },
  {
    parser: 'parseOpenDmarc',
    name: 'SPF helo',
    msg: '4F1A2B3C: SPF(helo): mx.example.com none',
    want: {
      mta: 'opendmarc',
      event: 'auth',
      queue_id: '4F1A2B3C',
      attrs: {
        identity: 'helo',
      },
      auth: {
        mechanism: 'spf',
        result: 'none',
        domain: 'mx.example.com',
      },
    },
  },
  {
    parser: 'parseOpenDmarc',
    name: 'ignoring foreign A-R',
    msg: '4F1A2B3C ignoring Authentication-Results at 18 from mx.example.net',
    want: {
      mta: 'opendmarc',
      event: 'info',
      queue_id: '4F1A2B3C',
      reason: 'ignoring Authentication-Results at 18 from mx.example.net',
      attrs: {
        authserv_id: 'mx.example.net',
      },
    },
  },
  {
    parser: 'parseOpenDmarc',
    name: 'starting',
    msg: 'OpenDMARC Filter v1.4.2 starting (args: -c /etc/opendmarc.conf)',
    want: {
      mta: 'opendmarc',
      event: 'daemon',
      attrs: {
        version: '1.4.2',
      },
      action: 'start',
      reason: 'OpenDMARC Filter v1.4.2 starting (args: -c /etc/opendmarc.conf)',
    },
  },
  {
    parser: 'parseOpenDmarc',
    name: 'unparseable From',
    msg: '4F1A2B3C: unable to parse From header field',
    want: {
      mta: 'opendmarc',
      event: 'warning',
      queue_id: '4F1A2B3C',
      severity: 'warning',
      reason: 'unable to parse From header field',
    },
  },
  {
    parser: 'parsePolicydSpf',
    name: 'prepend Pass',
    msg: 'prepend Received-SPF: Pass (mailfrom) identity=mailfrom; client-ip=192.0.2.1; helo=mx.example.com; envelope-from=a@example.com; receiver=<UNKNOWN>',
    want: {
      mta: 'policyd-spf',
      event: 'auth',
      attrs: {
        identity: 'mailfrom',
        receiver: '<UNKNOWN>',
      },
      client_ip: '192.0.2.1',
      helo: 'mx.example.com',
      sender: 'a@example.com',
      sender_domain: 'example.com',
      action: 'prepend',
      auth: {
        mechanism: 'spf',
        result: 'pass',
        domain: 'example.com',
      },
    },
  },
  {
    parser: 'parsePolicydSpf',
    name: 'prepend Softfail',
    msg: 'prepend Received-SPF: Softfail (domain owner discourages use of this host) identity=mailfrom; client-ip=192.0.2.2; helo=mail.example.org; envelope-from=b@example.org; receiver=<UNKNOWN>',
    want: {
      mta: 'policyd-spf',
      event: 'auth',
      attrs: {
        identity: 'mailfrom',
        receiver: '<UNKNOWN>',
      },
      client_ip: '192.0.2.2',
      helo: 'mail.example.org',
      sender: 'b@example.org',
      sender_domain: 'example.org',
      action: 'prepend',
      auth: {
        mechanism: 'spf',
        result: 'softfail',
        domain: 'example.org',
        reason: 'domain owner discourages use of this host',
      },
    },
  },
  {
    parser: 'parsePolicydSpf',
    name: 'prepend Neutral',
    msg: 'prepend Received-SPF: Neutral (access neither permitted nor denied) identity=mailfrom; client-ip=192.0.2.3; helo=h.example; envelope-from=c@n.example; receiver=<UNKNOWN>',
    want: {
      mta: 'policyd-spf',
      event: 'auth',
      attrs: {
        identity: 'mailfrom',
        receiver: '<UNKNOWN>',
      },
      client_ip: '192.0.2.3',
      helo: 'h.example',
      sender: 'c@n.example',
      sender_domain: 'n.example',
      action: 'prepend',
      auth: {
        mechanism: 'spf',
        result: 'neutral',
        domain: 'n.example',
        reason: 'access neither permitted nor denied',
      },
    },
  },
  {
    parser: 'parsePolicydSpf',
    name: 'prepend None for null sender uses helo',
    msg: 'prepend Received-SPF: None (no SPF record) identity=helo; client-ip=192.0.2.4; helo=relay.example.net; envelope-from=<>; receiver=<UNKNOWN>',
    want: {
      mta: 'policyd-spf',
      event: 'auth',
      attrs: {
        identity: 'helo',
        receiver: '<UNKNOWN>',
      },
      client_ip: '192.0.2.4',
      helo: 'relay.example.net',
      sender: '',
      action: 'prepend',
      auth: {
        mechanism: 'spf',
        result: 'none',
        domain: 'relay.example.net',
        reason: 'no SPF record',
      },
    },
  },
  {
    parser: 'parsePolicydSpf',
    name: 'prepend Temperror',
    msg: 'prepend Received-SPF: Temperror (DNS timeout) identity=mailfrom; client-ip=192.0.2.5; helo=h.example; envelope-from=d@t.example; receiver=<UNKNOWN>',
    want: {
      mta: 'policyd-spf',
      event: 'auth',
      attrs: {
        identity: 'mailfrom',
        receiver: '<UNKNOWN>',
      },
      client_ip: '192.0.2.5',
      helo: 'h.example',
      sender: 'd@t.example',
      sender_domain: 't.example',
      action: 'prepend',
      auth: {
        mechanism: 'spf',
        result: 'temperror',
        domain: 't.example',
        reason: 'DNS timeout',
      },
    },
  },
  {
    parser: 'parsePolicydSpf',
    name: 'prepend Permerror',
    msg: 'prepend Received-SPF: Permerror (too many DNS lookups) identity=mailfrom; client-ip=192.0.2.6; helo=h.example; envelope-from=e@p.example; receiver=<UNKNOWN>',
    want: {
      mta: 'policyd-spf',
      event: 'auth',
      attrs: {
        identity: 'mailfrom',
        receiver: '<UNKNOWN>',
      },
      client_ip: '192.0.2.6',
      helo: 'h.example',
      sender: 'e@p.example',
      sender_domain: 'p.example',
      action: 'prepend',
      auth: {
        mechanism: 'spf',
        result: 'permerror',
        domain: 'p.example',
        reason: 'too many DNS lookups',
      },
    },
  },
  {
    parser: 'parsePolicydSpf',
    name: 'action=PREPEND variant',
    msg: 'action=PREPEND Received-SPF: Fail (mailfrom) identity=mailfrom; client-ip=192.0.2.7; helo=h.example; envelope-from=f@f.example; receiver=mx.local',
    want: {
      mta: 'policyd-spf',
      event: 'auth',
      attrs: {
        identity: 'mailfrom',
        receiver: 'mx.local',
      },
      client_ip: '192.0.2.7',
      helo: 'h.example',
      sender: 'f@f.example',
      sender_domain: 'f.example',
      action: 'prepend',
      auth: {
        mechanism: 'spf',
        result: 'fail',
        domain: 'f.example',
      },
    },
  },
  {
    parser: 'parsePolicydSpf',
    name: 'reject',
    msg: '550 5.7.23 Message rejected due to: SPF fail - not authorized. Please see http://www.openspf.net/Why?s=mfrom;id=a@example.com;ip=192.0.2.1;r=<UNKNOWN>',
    want: {
      mta: 'policyd-spf',
      event: 'auth',
      reply: '550 5.7.23 Message rejected due to: SPF fail - not authorized. Please see http://www.openspf.net/Why?s=mfrom;id=a@example.com;ip=192.0.2.1;r=<UNKNOWN>',
      reply_code: 550,
      dsn: '5.7.23',
      attrs: {
        identity: 'mailfrom',
      },
      sender: 'a@example.com',
      sender_domain: 'example.com',
      client_ip: '192.0.2.1',
      action: 'reject',
      status_class: '5xx',
      auth: {
        mechanism: 'spf',
        result: 'fail',
        reason: 'SPF fail - not authorized',
        domain: 'example.com',
      },
    },
  },
  {
    parser: 'parsePolicydSpf',
    name: 'reject helo with encoded id',
    msg: '550 5.7.23 Message rejected due to: SPF fail - not authorized. Please see http://www.openspf.net/Why?s=helo;id=bad.example;ip=192.0.2.8;r=mx%40local',
    want: {
      mta: 'policyd-spf',
      event: 'auth',
      reply: '550 5.7.23 Message rejected due to: SPF fail - not authorized. Please see http://www.openspf.net/Why?s=helo;id=bad.example;ip=192.0.2.8;r=mx%40local',
      reply_code: 550,
      dsn: '5.7.23',
      attrs: {
        identity: 'helo',
      },
      client_ip: '192.0.2.8',
      action: 'reject',
      status_class: '5xx',
      auth: {
        mechanism: 'spf',
        result: 'fail',
        reason: 'SPF fail - not authorized',
        domain: 'bad.example',
      },
    },
  },
  {
    parser: 'parsePolicydSpf',
    name: 'per-identity result line (context only)',
    msg: 'None; identity=helo; client-ip=192.0.2.1; helo=mx.example.com; envelope-from=a@example.com; receiver=<UNKNOWN>',
    want: {
      mta: 'policyd-spf',
      event: 'info',
      attrs: {
        identity: 'helo',
        receiver: '<UNKNOWN>',
      },
      client_ip: '192.0.2.1',
      helo: 'mx.example.com',
      sender: 'a@example.com',
      sender_domain: 'example.com',
      auth: {
        mechanism: 'spf',
        result: 'none',
        domain: 'mx.example.com',
      },
    },
  },
  {
    parser: 'parsePolicydSpf',
    name: 'perl policy action',
    msg: ": Policy action=PREPEND Received-SPF: pass (iambic.com: 209.128.72.242 is authorized to use 'promotions@iambic.com' in 'mfrom' identity (mechanism 'ip4:209.128.72.240/28' matched)) receiver=sh.dehumanizer.com; identity=mailfrom; envelope-from=\"promotions@iambic.com\"; helo=ns1.iambic.com; client-ip=209.128.72.242",
    want: {
      mta: 'policyd-spf',
      event: 'auth',
      attrs: {
        receiver: 'sh.dehumanizer.com',
        identity: 'mailfrom',
      },
      sender: 'promotions@iambic.com',
      sender_domain: 'iambic.com',
      helo: 'ns1.iambic.com',
      client_ip: '209.128.72.242',
      action: 'prepend',
      auth: {
        mechanism: 'spf',
        result: 'pass',
        domain: 'iambic.com',
        reason: "iambic.com: 209.128.72.242 is authorized to use 'promotions@iambic.com' in 'mfrom' identity (mechanism 'ip4:209.128.72.240/28' matched)",
      },
    },
  },
  {
    parser: 'parsePolicydSpf',
    name: 'perl summary (context only)',
    msg: ': SPF none (No applicable sender policy available): Envelope-from: bounce-1@lyris.example.com',
    want: {
      mta: 'policyd-spf',
      event: 'info',
      sender: 'bounce-1@lyris.example.com',
      sender_domain: 'lyris.example.com',
      auth: {
        mechanism: 'spf',
        result: 'none',
        reason: 'No applicable sender policy available',
        domain: 'lyris.example.com',
      },
    },
  },
  {
    parser: 'parseDovecot',
    name: 'imap login',
    msg: 'imap-login: Login: user=<a@b.example>, method=PLAIN, rip=192.0.2.9, lip=198.51.100.5, mpid=123, TLS, session=<abcDEF>',
    want: {
      mta: 'dovecot',
      event: 'auth',
      attrs: {
        service: 'imap',
        local_ip: '198.51.100.5',
        mail_pid: 123,
        session: 'abcDEF',
      },
      client_ip: '192.0.2.9',
      tls: {
        direction: 'inbound',
        peer_ip: '192.0.2.9',
      },
      auth: {
        mechanism: 'sasl',
        result: 'pass',
        username: 'a@b.example',
        method: 'PLAIN',
      },
    },
  },
  {
    parser: 'parseDovecot',
    name: 'auth failed disconnect',
    msg: 'imap-login: Disconnected (auth failed, 3 attempts in 12 secs): user=<x@b.example>, method=PLAIN, rip=192.0.2.9, lip=198.51.100.5, TLS, session=<abcDEF>',
    want: {
      mta: 'dovecot',
      event: 'auth',
      attrs: {
        service: 'imap',
        local_ip: '198.51.100.5',
        session: 'abcDEF',
        auth_attempts: 3,
      },
      client_ip: '192.0.2.9',
      tls: {
        direction: 'inbound',
        peer_ip: '192.0.2.9',
      },
      auth: {
        mechanism: 'sasl',
        result: 'fail',
        username: 'x@b.example',
        method: 'PLAIN',
        reason: 'auth failed, 3 attempts in 12 secs',
      },
      reason: 'Disconnected (auth failed, 3 attempts in 12 secs)',
    },
  },
  {
    parser: 'parseDovecot',
    name: 'pop3 aborted login',
    msg: 'pop3-login: Aborted login (auth failed, 1 attempts in 2 secs): user=<y@b.example>, method=LOGIN, rip=192.0.2.10, lip=198.51.100.5, session=<q1w2e3>',
    want: {
      mta: 'dovecot',
      event: 'auth',
      attrs: {
        service: 'pop3',
        local_ip: '198.51.100.5',
        session: 'q1w2e3',
        auth_attempts: 1,
      },
      client_ip: '192.0.2.10',
      auth: {
        mechanism: 'sasl',
        result: 'fail',
        username: 'y@b.example',
        method: 'LOGIN',
        reason: 'auth failed, 1 attempts in 2 secs',
      },
      reason: 'Aborted login (auth failed, 1 attempts in 2 secs)',
    },
  },
  {
    parser: 'parseDovecot',
    name: '2.3.21 login aborted form',
    msg: 'submission-login: Login aborted: Logged out (auth failed, 1 attempts in 2 secs) (auth_failed): user=<z@b.example>, method=PLAIN, rip=192.0.2.11, lip=198.51.100.5, TLS, session=<zz>',
    want: {
      mta: 'dovecot',
      event: 'auth',
      attrs: {
        service: 'submission',
        local_ip: '198.51.100.5',
        session: 'zz',
        auth_attempts: 1,
      },
      client_ip: '192.0.2.11',
      tls: {
        direction: 'inbound',
        peer_ip: '192.0.2.11',
      },
      auth: {
        mechanism: 'sasl',
        result: 'fail',
        username: 'z@b.example',
        method: 'PLAIN',
        reason: 'auth failed, 1 attempts in 2 secs',
      },
      reason: 'Login aborted: Logged out (auth failed, 1 attempts in 2 secs) (auth_failed)',
    },
  },
  {
    parser: 'parseDovecot',
    name: 'no auth attempts',
    msg: 'imap-login: Disconnected (no auth attempts in 0 secs): user=<>, rip=192.0.2.12, lip=198.51.100.5, session=<nn>',
    want: {
      mta: 'dovecot',
      event: 'disconnect',
      attrs: {
        service: 'imap',
        local_ip: '198.51.100.5',
        session: 'nn',
      },
      client_ip: '192.0.2.12',
      reason: 'Disconnected (no auth attempts in 0 secs)',
    },
  },
  {
    parser: 'parseDovecot',
    name: 'login with %k TLS details',
    msg: 'imap-login: Login: user=<a@b.example>, method=PLAIN, rip=192.0.2.9, lip=198.51.100.5, mpid=124, TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits), session=<k1>',
    want: {
      mta: 'dovecot',
      event: 'auth',
      attrs: {
        service: 'imap',
        local_ip: '198.51.100.5',
        mail_pid: 124,
        session: 'k1',
      },
      client_ip: '192.0.2.9',
      tls: {
        direction: 'inbound',
        protocol: 'TLSv1.3',
        cipher: 'TLS_AES_256_GCM_SHA384',
        bits: 256,
        peer_ip: '192.0.2.9',
      },
      auth: {
        mechanism: 'sasl',
        result: 'pass',
        username: 'a@b.example',
        method: 'PLAIN',
      },
    },
  },
  {
    parser: 'parseDovecot',
    name: 'passdb mismatch (context only)',
    msg: 'auth-worker(123): sql(user@b.example,192.0.2.9): Password mismatch',
    want: {
      mta: 'dovecot',
      event: 'info',
      attrs: {
        passdb: 'sql',
      },
      client_ip: '192.0.2.9',
      auth: {
        mechanism: 'sasl',
        result: 'fail',
        reason: 'Password mismatch',
        username: 'user@b.example',
      },
      reason: 'Password mismatch',
    },
  },
  {
    parser: 'parseDovecot',
    name: '2.3 passdb with level and session',
    msg: 'auth: Info: passwd-file(bob,192.0.2.13,<sEsS>): unknown user',
    want: {
      mta: 'dovecot',
      event: 'info',
      severity: 'info',
      attrs: {
        passdb: 'passwd-file',
      },
      client_ip: '192.0.2.13',
      auth: {
        mechanism: 'sasl',
        result: 'fail',
        reason: 'unknown user',
        username: 'bob',
      },
      reason: 'unknown user',
    },
  },
  {
    parser: 'parseDovecot',
    name: 'auth error',
    msg: 'auth: Error: LDAP: Connection lost to LDAP server, reconnecting',
    want: {
      mta: 'dovecot',
      event: 'error',
      severity: 'error',
      attrs: {
        service: 'auth',
      },
      reason: 'LDAP: Connection lost to LDAP server, reconnecting',
    },
  },
  {
    parser: 'parseDovecot',
    name: 'lmtp saved',
    msg: 'lmtp(user@b.example)<4242><AbCdEf>: msgid=<m1@example.org>: saved mail to INBOX',
    want: {
      mta: 'dovecot',
      event: 'delivery_attempt',
      message_id: 'm1@example.org',
      recipient: 'user@b.example',
      recipient_domain: 'b.example',
      attrs: {
        session: 'AbCdEf',
        mailbox: 'INBOX',
      },
      reason: 'saved mail to INBOX',
      status: 'sent',
      status_class: '2xx',
      relay: 'lmtp',
    },
  },
  {
    parser: 'parseDovecot',
    name: 'lmtp 2.2 form',
    msg: 'lmtp(4242, user@b.example): Yp8hN: msgid=<m2@example.org>: saved mail to INBOX',
    want: {
      mta: 'dovecot',
      event: 'delivery_attempt',
      attrs: {
        session: 'Yp8hN',
        mailbox: 'INBOX',
      },
      message_id: 'm2@example.org',
      recipient: 'user@b.example',
      recipient_domain: 'b.example',
      reason: 'saved mail to INBOX',
      status: 'sent',
      status_class: '2xx',
      relay: 'lmtp',
    },
  },
  {
    parser: 'parseDovecot',
    name: 'sieve store',
    msg: "lmtp(user@b.example)<4242><AbCdEf>: sieve: msgid=<m3@example.org>: stored mail into mailbox 'Junk'",
    want: {
      mta: 'dovecot',
      event: 'delivery_attempt',
      attrs: {
        sieve: 1,
        session: 'AbCdEf',
        mailbox: 'Junk',
      },
      message_id: 'm3@example.org',
      recipient: 'user@b.example',
      recipient_domain: 'b.example',
      reason: "stored mail into mailbox 'Junk'",
      status: 'sent',
      status_class: '2xx',
      relay: 'lmtp',
    },
  },
  {
    parser: 'parseDovecot',
    name: 'lmtp quota',
    msg: 'lmtp(user@b.example)<4242><AbCdEf>: Error: msgid=<m4@example.org>: save failed to INBOX: Quota exceeded (mailbox for user is full)',
    want: {
      mta: 'dovecot',
      event: 'delivery_attempt',
      severity: 'error',
      message_id: 'm4@example.org',
      recipient: 'user@b.example',
      recipient_domain: 'b.example',
      attrs: {
        session: 'AbCdEf',
      },
      reason: 'save failed to INBOX: Quota exceeded (mailbox for user is full)',
      status: 'bounced',
      status_class: '5xx',
      relay: 'lmtp',
    },
  },
  {
    parser: 'parseDovecot',
    name: 'imap logout',
    msg: 'imap(user@b.example)<4242><AbCdEf>: Disconnected: Logged out in=123 out=4567 deleted=0',
    want: {
      mta: 'dovecot',
      event: 'disconnect',
      attrs: {
        user: 'user@b.example',
        session: 'AbCdEf',
        service: 'imap',
        in: 123,
        out: 4567,
        deleted: 0,
      },
      reason: 'Logged out',
    },
  },
  {
    parser: 'parseDovecot',
    name: 'master start',
    msg: 'master: Dovecot v2.3.19 (b3ad6004dc) starting up for imap, pop3, lmtp (core dumps disabled)',
    want: {
      mta: 'dovecot',
      event: 'daemon',
      action: 'start',
      attrs: {
        version: '2.3.19',
      },
      reason: 'Dovecot v2.3.19 (b3ad6004dc) starting up for imap, pop3, lmtp (core dumps disabled)',
    },
  },
  {
    parser: 'parseDovecot',
    name: 'master stop',
    msg: 'master: Warning: Killed with signal 15 (by pid=1 uid=0 code=kill)',
    want: {
      mta: 'dovecot',
      event: 'daemon',
      severity: 'warning',
      action: 'stop',
      reason: 'Killed with signal 15 (by pid=1 uid=0 code=kill)',
    },
  },
  {
    parser: 'parseDovecot',
    name: 'old dovecot: prefix',
    msg: 'dovecot: imap-login: Login: user=<old@b.example>, method=PLAIN, rip=192.0.2.14, lip=198.51.100.5, mpid=9, secured, session=<o1>',
    want: {
      mta: 'dovecot',
      event: 'auth',
      attrs: {
        service: 'imap',
        local_ip: '198.51.100.5',
        mail_pid: 9,
        secured: 1,
        session: 'o1',
      },
      client_ip: '192.0.2.14',
      auth: {
        mechanism: 'sasl',
        result: 'pass',
        username: 'old@b.example',
        method: 'PLAIN',
      },
    },
  },
];

for (const c of CASES) {
  test(`${c.parser}: ${c.name}`, () => {
    const ev = base('prog');
    assert.equal(PARSERS[c.parser](c.msg, ev), true);
    assert.equal(ev.program, 'prog', 'program as logged is kept');
    assert.equal(ev.time, 0, 'time comes from the syslog header');
    assert.deepEqual(project(ev), c.want);
  });
}

test('auth parsers: lines they do not know stay unparsed', () => {
  const unknown: Array<[MessageParser, string]> = [
    [parseOpenDkim, '4F1A2B3C: something new in 2.12'],
    [parseOpenDkim, 'no job id at all'],
    [parseOpenDmarc, '4F1A2B3C: example.com maybe'],
    [parseOpenDmarc, '4F1A2B3C: localhost pass'], // a domain has a dot
    [parsePolicydSpf, 'prepend X-Other: header'],
    [parsePolicydSpf, 'prepend Received-SPF: Bogus (x) identity=mailfrom'],
    [parseDovecot, 'no service prefix here'],
  ];
  for (const [parse, msg] of unknown) {
    const ev = base('prog');
    assert.equal(parse(msg, ev), false, msg);
    assert.equal(ev.event, 'unparsed', msg);
  }
});

test('decision lines and their context lines are told apart by event', () => {
  // OpenDKIM logs the crypto detail and then the result for the same message
  const detail = base('opendkim');
  const decision = base('opendkim');
  parseOpenDkim('4F1A2B3C s=sel d=example.com SSL error:04091068:rsa routines:INT_RSA_VERIFY:bad signature', detail);
  parseOpenDkim('4F1A2B3C: bad signature data', decision);
  assert.equal(detail.event, 'info');
  assert.equal(decision.event, 'auth');
  assert.equal(detail.queue_id, decision.queue_id);
});
