import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BounceClass } from '../../model/mail_event.js';
import { RULE_IDS, classify, explain } from './classify.js';

interface Case {
  dsn: string | undefined;
  reply: string | undefined;
  want: BounceClass;
  rule: string;
}

const said = (host: string, ip: string, text: string, cmd = 'RCPT TO'): string =>
  `host ${host}[${ip}] said: ${text} (in reply to ${cmd} command)`;

// Real-shaped lines (Postfix "host ... said:", Exim "SMTP error from remote mail server", local
// reasons). At least one case per rule; the last test checks that coverage.
const CASES: Case[] = [
  // ---- Gmail
  {
    dsn: '4.7.28',
    reply: said(
      'gmail-smtp-in.l.google.com',
      '142.250.27.26',
      '421-4.7.28 [198.51.100.7      15] Our system has detected an unusual rate of 421-4.7.28 unsolicited mail originating from your IP address. To protect our users from 421-4.7.28 spam, mail sent from your IP address has been temporarily rate limited. 421-4.7.28 Please visit 421-4.7.28  https://support.google.com/mail/?p=UnsolicitedRateLimitError to 421 4.7.28 review our Bulk Email Senders Guidelines. d2e1a72fcca58-7a1b2c3d4e5si12345b3.210 - gsmtp',
      'end of DATA',
    ),
    want: 'policy.reputation',
    rule: 'gmail.unusual_rate',
  },
  {
    dsn: '5.7.1',
    reply: said(
      'gmail-smtp-in.l.google.com',
      '142.250.27.26',
      '550-5.7.1 [198.51.100.7      12] Our system has detected that this message is 550-5.7.1 likely unsolicited mail. To reduce the amount of spam sent to Gmail, 550-5.7.1 this message has been blocked. 550 5.7.1 https://support.google.com/mail/?p=UnsolicitedMessageError a1si123.45 - gsmtp',
      'end of DATA',
    ),
    want: 'policy.reputation',
    rule: 'gmail.likely_unsolicited',
  },
  {
    dsn: '5.7.26',
    reply: said(
      'gmail-smtp-in.l.google.com',
      '142.250.27.26',
      '550-5.7.26 This mail has been blocked because the sender is unauthenticated. 550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM. 550 5.7.26 Authentication results: DKIM = did not pass SPF [example.com] with ip: [198.51.100.7] = did not pass - gsmtp',
      'end of DATA',
    ),
    want: 'policy.auth',
    rule: 'gmail.unauthenticated',
  },
  {
    dsn: '5.7.1',
    // Exim form: literal \n between lines
    reply:
      'SMTP error from remote mail server after end of data: 550-5.7.1 [61.14.232.40] The IP address sending this message does not have a PTR\\n550-5.7.1 record setup. As a policy, Gmail does not accept messages from IPs\\n550-5.7.1 with missing PTR records. Please visit\\n550 5.7.1 information. u6si3554756pld.336 - gsmtp',
    want: 'policy.auth',
    rule: 'gmail.ptr',
  },
  {
    dsn: '4.2.1',
    reply: said(
      'gmail-smtp-in.l.google.com',
      '142.250.27.26',
      '450-4.2.1 The user you are trying to contact is receiving mail at a rate that 450-4.2.1 prevents additional messages from being delivered. Please resend your 450-4.2.1 message at a later time. 450 4.2.1 https://support.google.com/mail/?p=ReceivingRate z1si1.2 - gsmtp',
    ),
    want: 'policy.rate_limited',
    rule: 'gmail.recipient_rate',
  },
  {
    dsn: '4.2.2',
    reply: said(
      'gmail-smtp-in.l.google.com',
      '142.250.27.26',
      "452-4.2.2 The recipient's inbox is out of storage space. Please direct the 452-4.2.2 recipient to 452 4.2.2  https://support.google.com/mail/?p=OverQuotaTemp b1si2.3 - gsmtp",
    ),
    want: 'soft.mailbox_full',
    rule: 'gmail.over_quota',
  },
  {
    dsn: '5.1.1',
    reply: said(
      'gmail-smtp-in.l.google.com',
      '142.250.27.26',
      "550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1 double-checking the recipient's email address for typos or 550-5.1.1 unnecessary spaces. 550 5.1.1  https://support.google.com/mail/?p=NoSuchUser c1si3.4 - gsmtp",
    ),
    want: 'hard.invalid_recipient',
    rule: 'gmail.no_such_account',
  },
  {
    dsn: '5.2.1',
    reply: said('gmail-smtp-in.l.google.com', '142.250.27.26', '550 5.2.1 The email account that you tried to reach is disabled. d1si4.5 - gsmtp'),
    want: 'hard.invalid_recipient',
    rule: 'gmail.account_disabled',
  },
  {
    dsn: '4.7.0',
    reply: said('aspmx.l.google.com', '142.250.27.27', '421 4.7.0 TLS required for RCPT domain, closing connection. e1si5.6 - gsmtp'),
    want: 'transport.tls',
    rule: 'gmail.tls_required',
  },
  {
    dsn: '4.7.0',
    reply: said('aspmx.l.google.com', '142.250.27.27', '421-4.7.0 This mail server only accepts mail over TLS connections. 421 4.7.0 x1si9.10 - gsmtp', 'MAIL FROM'),
    want: 'transport.tls',
    rule: 'gmail.tls',
  },
  {
    dsn: '4.7.0',
    reply: said('aspmx.l.google.com', '142.250.27.27', '421 4.7.0 IP not in whitelist for RCPT domain, closing connection. f1si6.7 - gsmtp'),
    want: 'policy.reputation',
    rule: 'gmail.not_allowlisted',
  },
  {
    dsn: '5.7.1',
    reply: said(
      'gmail-smtp-in.l.google.com',
      '142.250.27.26',
      '550-5.7.1 [198.51.100.7] Messages missing a valid messageId header are not 550-5.7.1 accepted. This message is not RFC 5322 compliant. g1si7.8 - gsmtp',
      'end of DATA',
    ),
    want: 'policy.content',
    rule: 'gmail.content',
  },
  {
    dsn: '4.3.0',
    reply: said('gmail-smtp-in.l.google.com', '142.250.27.26', '421 4.3.0 Temporary System Problem. Try again later. h1si8.9 - gsmtp'),
    want: 'soft.temporary',
    rule: 'gmail.temporary',
  },
  // ---- Microsoft
  {
    dsn: '5.7.1',
    reply: said(
      'hotmail-com.olc.protection.outlook.com',
      '52.101.10.2',
      "550 5.7.1 Unfortunately, messages from [198.51.100.7] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. [DB3EUR04FT007.eop-eur04.prod.protection.outlook.com 2024-07-14T14:44:43.083Z 08DCA36F759CD546]",
      'MAIL FROM',
    ),
    want: 'policy.reputation',
    rule: 'microsoft.blocklist',
  },
  {
    dsn: '5.7.708',
    reply: said(
      'contoso-com.mail.protection.outlook.com',
      '52.101.40.6',
      '550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP. For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653 AS(7230) [BN8NAM12FT001.eop-nam12.prod.protection.outlook.com 2024-03-01T10:00:00.000Z 08DC39A4A1B2C3D4]',
      'MAIL FROM',
    ),
    want: 'policy.reputation',
    rule: 'microsoft.ip_refused',
  },
  {
    dsn: '4.7.650',
    reply: said(
      'hotmail-com.olc.protection.outlook.com',
      '52.101.10.2',
      '451 4.7.650 The mail server [198.51.100.7] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://postmaster.live.com (S775) [AM4PEPF00027A6C.eurprd04.prod.outlook.com 2024-05-02T08:12:13.456Z 08DC6A0B1C2D3E4F]',
      'MAIL FROM',
    ),
    want: 'policy.rate_limited',
    rule: 'microsoft.throttled',
  },
  {
    dsn: '5.1.10',
    reply: said(
      'contoso-com.mail.protection.outlook.com',
      '52.101.40.6',
      '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient nobody@contoso.com not found by SMTP address lookup',
    ),
    want: 'hard.invalid_recipient',
    rule: 'microsoft.recipient_not_found',
  },
  {
    dsn: '5.5.0',
    reply: said(
      'hotmail-com.olc.protection.outlook.com',
      '52.101.10.2',
      '550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). [HE1EUR01FT020.eop-EUR01.prod.protection.outlook.com 2023-09-19T15:05:34.324Z 08DBB71928CA8F8E]',
    ),
    want: 'hard.invalid_recipient',
    rule: 'recipient.unavailable',
  },
  {
    dsn: '5.4.1',
    reply: said(
      'company-com.mail.protection.outlook.com',
      '52.101.40.6',
      '550 5.4.1 Recipient address rejected: Access denied. [CY4PEPF0000EE3C.namprd03.prod.outlook.com 2023-09-18T12:48:32.808Z 08DBB45899852BA7]',
    ),
    want: 'hard.invalid_recipient',
    rule: 'microsoft.dbeb',
  },
  {
    dsn: '5.7.515',
    reply: said(
      'hotmail-com.olc.protection.outlook.com',
      '52.101.10.2',
      "550 5.7.515 Access denied, sending domain example.com doesn't meet the required authentication level. [AM4PEPF00027A6C.eurprd04.prod.outlook.com]",
      'end of DATA',
    ),
    want: 'policy.auth',
    rule: 'microsoft.auth_level',
  },
  // ---- Yahoo / AOL
  {
    dsn: '4.7.0',
    reply: said(
      'mta7.am0.yahoodns.net',
      '67.195.204.77',
      '421 4.7.0 [TSS04] Messages from 198.51.100.7 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes',
      'MAIL FROM',
    ),
    want: 'policy.reputation',
    rule: 'yahoo.deferred',
  },
  {
    dsn: '5.7.1',
    reply: said(
      'mta6.am0.yahoodns.net',
      '67.195.204.79',
      "553 5.7.1 [BL21] Connections will not be accepted from 198.51.100.7, because the ip is in Spamhaus's list; see https://postmaster.yahooinc.com/error-codes",
      'MAIL FROM',
    ),
    want: 'policy.reputation',
    rule: 'yahoo.blocklisted',
  },
  {
    dsn: '5.7.9',
    reply: said('mta5.am0.yahoodns.net', '98.136.96.75', '554 5.7.9 Message not accepted for policy reasons.  See https://postmaster.yahooinc.com/error-codes', 'end of DATA'),
    want: 'policy.reputation',
    rule: 'yahoo.policy',
  },
  {
    dsn: '5.0.0',
    reply: said('mx-aol.mail.gm0.yahoodns.net', '67.195.204.72', '552 1 Requested mail action aborted, mailbox not found'),
    want: 'hard.invalid_recipient',
    rule: 'yahoo.no_account',
  },
  {
    dsn: '4.4.5',
    reply: said('mta5.am0.yahoodns.net', '98.136.96.75', '451 VS1-IP Excessive unknown recipients - possible Open Relay (#4.1.8)'),
    want: 'policy.reputation',
    rule: 'yahoo.unknown_recipients',
  },
  {
    dsn: '4.0.0',
    reply: said('mta5.am0.yahoodns.net', '98.136.96.75', '421 Max message per connection reached, closing transmission channel'),
    want: 'policy.rate_limited',
    rule: 'yahoo.per_connection',
  },
  {
    dsn: '4.0.0',
    reply: said('mta5.am0.yahoodns.net', '98.136.96.75', '451 mta1012.mail.gq1.yahoo.com Resources temporarily unavailable. Please try again later [#4.16.1].'),
    want: 'soft.temporary',
    rule: 'yahoo.busy',
  },
  // ---- Apple iCloud
  {
    dsn: '5.7.1',
    reply: said('mx01.mail.icloud.com', '17.57.154.6', '550 5.7.1 [CS01] Message rejected due to local policy. Please visit https://support.apple.com/en-us/HT204137', 'end of DATA'),
    want: 'policy.content',
    rule: 'apple.content',
  },
  {
    dsn: '5.7.1',
    reply: said('mx02.mail.icloud.com', '17.57.155.23', '554 5.7.1 [HM08] Message rejected due to local policy. Please visit https://support.apple.com/en-us/HT204137', 'end of DATA'),
    want: 'policy.reputation',
    rule: 'apple.local_policy',
  },
  {
    dsn: '5.7.1',
    reply: said('mx01.mail.icloud.com', '17.57.154.6', '554 5.7.1 [HME1] Message rejected due to local policy. Please visit https://support.apple.com/en-us/HT204137', 'end of DATA'),
    want: 'policy.auth',
    rule: 'apple.auth',
  },
  {
    dsn: '4.7.1',
    reply: said('mx01.mail.icloud.com', '17.57.154.6', '421 4.7.1 Messages to someone@icloud.com deferred due to excessive volume. Try again later - https://support.apple.com/en-us/HT204137'),
    want: 'policy.rate_limited',
    rule: 'apple.volume',
  },
  // ---- Comcast
  {
    dsn: '5.0.0',
    reply: said('mx1.comcast.net', '96.114.157.80', '554 resimta-po-01v.sys.comcast.net comcast 198.51.100.7 found on one or more DNSBLs, see http://postmaster.comcast.net/smtp-error-codes.php#BL000001', 'CONNECT'),
    want: 'policy.reputation',
    rule: 'comcast.blocked',
  },
  {
    dsn: '4.0.0',
    reply: said('mx1.comcast.net', '96.114.157.80', '421 resimta-h1p-028597.sys.comcast.net 198.51.100.7 rate limited. See http://postmaster.comcast.net/smtp-error-codes.php#RL000001', 'MAIL FROM'),
    want: 'policy.rate_limited',
    rule: 'comcast.rate',
  },
  {
    dsn: '5.1.1',
    reply: said('mx2.comcast.net', '96.114.157.81', '550 5.1.1 <nobody@comcast.net> Not our Customer'),
    want: 'hard.invalid_recipient',
    rule: 'comcast.not_our_customer',
  },
  // ---- GMX / web.de
  {
    dsn: '5.0.0',
    reply:
      'host mx00.emig.gmx.net[212.227.15.9] refused to talk to me: 554-gmx.net (mxgmx104) Nemesis ESMTP Service not available 554-No SMTP service 554-IP address is block listed. 554 For explanation visit https://postmaster.gmx.net/en/case?c=r0201&i=ip&v=198.51.100.42&r=1MNcgj-1ue23t3pyV-00S2YR',
    want: 'policy.reputation',
    rule: 'unitedinternet.blocked',
  },
  // ---- Orange
  {
    dsn: '4.0.0',
    reply: 'host smtp-in.orange.fr[193.252.22.65] refused to talk to me: 421 mwinf5c20 ME Trop de connexions, veuillez verifier votre configuration. Too many connections, slow down. OFR004_104 [104]',
    want: 'policy.rate_limited',
    rule: 'orange.throttled',
  },
  {
    dsn: '4.0.0',
    reply: 'host smtp-in.orange.fr[193.252.22.65] refused to talk to me: 421 mwinf5d41 ME Service refuse. Veuillez essayer plus tard. Service refused, please try later. OFR_999 [999]',
    want: 'policy.reputation',
    rule: 'orange.suspended',
  },
  // ---- Mail.ru / Yandex
  {
    dsn: '5.0.0',
    reply: said('mxs.mail.ru', '94.100.180.31', '550 spam message rejected. Please visit https://help.mail.ru/notspam-support/id?c=abcdef or  report details to abuse@corp.mail.ru. Error code: 1A2B3C4D. ID: 5E6F7A8B.', 'end of DATA'),
    want: 'policy.reputation',
    rule: 'mailru.spam',
  },
  {
    dsn: '5.7.1',
    reply: said('mx.yandex.ru', '77.88.21.249', '554 5.7.1 [2] Message rejected under suspicion of SPAM; https://ya.cc/1IrBc 1690000000-AbCdEfGh12-1', 'end of DATA'),
    want: 'policy.reputation',
    rule: 'yandex.spam',
  },
  // ---- TLS (Postfix / Exim local texts, "delivery temporarily suspended" forms)
  {
    dsn: '4.7.4',
    reply: 'TLS is required, but was not offered by host mx.example.com[192.0.2.10]',
    want: 'transport.tls',
    rule: 'tls.required_not_offered',
  },
  {
    dsn: '4.7.5',
    reply: 'delivery temporarily suspended: Cannot start TLS: handshake failure',
    want: 'transport.tls',
    rule: 'tls.handshake',
  },
  {
    dsn: '4.7.5',
    reply: 'Server certificate not trusted',
    want: 'transport.tls',
    rule: 'tls.certificate',
  },
  // ---- auth
  {
    dsn: '5.7.1',
    reply: said('mx.example.org', '192.0.2.20', '550 5.7.1 Email rejected per DMARC policy for example.com', 'end of DATA'),
    want: 'policy.auth',
    rule: 'auth.dmarc',
  },
  {
    dsn: '5.7.23',
    reply: said('mx00.emig.gmx.net', '212.227.15.9', '550-Requested action not taken: mailbox unavailable 550-Reject due to SPF policy. 550 The originating IP of the message is not permitted by the domain owner', 'MAIL FROM'),
    want: 'policy.auth',
    rule: 'auth.spf',
  },
  {
    dsn: '5.7.20',
    reply: said('mx.example.org', '192.0.2.20', '550 5.7.20 No passing DKIM signature found', 'end of DATA'),
    want: 'policy.auth',
    rule: 'auth.dkim',
  },
  {
    dsn: '4.7.1',
    reply: said('mx.example.org', '192.0.2.20', '450 4.7.1 Client host rejected: cannot find your reverse hostname, [198.51.100.7]'),
    want: 'policy.auth',
    rule: 'auth.ptr',
  },
  {
    dsn: '5.5.2',
    reply: said('mx.example.org', '192.0.2.20', '504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname'),
    want: 'policy.auth',
    rule: 'auth.helo',
  },
  {
    dsn: '4.1.8',
    reply: said('mx.example.org', '192.0.2.20', '450 4.1.8 <bounce@nonexistent.example>: Sender address rejected: Domain not found', 'MAIL FROM'),
    want: 'policy.auth',
    rule: 'auth.sender',
  },
  {
    dsn: '5.7.8',
    reply: said('smtp.relay.example', '192.0.2.30', '535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6', 'AUTH'),
    want: 'policy.auth',
    rule: 'auth.smtp_auth',
  },
  // ---- DNS
  {
    dsn: '4.4.3',
    reply: 'Host or domain name not found. Name service error for name=example.net type=MX: Host not found, try again',
    want: 'transport.dns',
    rule: 'dns.temporary',
  },
  {
    dsn: '4.1.2',
    reply: said('mx.example.org', '192.0.2.20', '450 4.1.2 <user@typo.example>: Recipient address rejected: Domain not found'),
    want: 'transport.dns',
    rule: 'dns.not_found_temporary',
  },
  {
    dsn: '5.4.4',
    reply: 'Host or domain name not found. Name service error for name=gmial.com type=A: Host not found',
    want: 'hard.domain',
    rule: 'dns.not_found',
  },
  {
    dsn: '5.4.3',
    reply: 'Name service error for name=example.net type=MX: Malformed or unexpected name server response',
    want: 'transport.dns',
    rule: 'dns.error',
  },
  // ---- connect
  {
    dsn: '4.4.1',
    reply: 'connect to mx.example.com[192.0.2.10]:25: Connection refused',
    want: 'transport.connect',
    rule: 'connect.refused',
  },
  {
    dsn: '4.4.1',
    reply: 'delivery temporarily suspended: connect to mx.example.com[192.0.2.10]:25: Connection timed out',
    want: 'transport.connect',
    rule: 'connect.timeout',
  },
  {
    dsn: '4.4.1',
    reply: 'connect to mx.example.com[2001:db8::10]:25: Network is unreachable',
    want: 'transport.connect',
    rule: 'connect.unreachable',
  },
  {
    dsn: '4.4.2',
    reply: 'lost connection with mx.example.com[192.0.2.10] while receiving the initial server greeting',
    want: 'transport.connect',
    rule: 'connect.lost',
  },
  // ---- relay, mailbox, rate, content, recipient, reputation, temporary (generic phrases)
  {
    dsn: '5.7.1',
    reply: said('mx.example.org', '192.0.2.20', '554 5.7.1 <someone@elsewhere.example>: Relay access denied'),
    want: 'hard.domain',
    rule: 'relay.denied',
  },
  {
    dsn: '5.2.2',
    reply: said('mx.example.org', '192.0.2.20', '552 5.2.2 <user@example.org>: Mailbox full'),
    want: 'soft.mailbox_full',
    rule: 'mailbox.full',
  },
  {
    dsn: '4.7.1',
    reply: said('mx.example.org', '192.0.2.20', '450 4.7.1 Error: too many connections from 198.51.100.7', 'MAIL FROM'),
    want: 'policy.rate_limited',
    rule: 'rate.limited',
  },
  {
    dsn: '5.7.1',
    reply: said('mx.example.org', '192.0.2.20', '554 5.7.1 Message rejected: Virus found (Eicar-Test-Signature)', 'end of DATA'),
    want: 'policy.content',
    rule: 'content.malware',
  },
  {
    dsn: '5.3.4',
    reply: said('mx.example.org', '192.0.2.20', '552 5.3.4 Error: message file too big; maximum message size exceeded', 'end of DATA'),
    want: 'policy.content',
    rule: 'content.size',
  },
  {
    dsn: '5.6.0',
    reply: said('mx.example.org', '192.0.2.20', '554 5.6.0 Message content rejected by policy', 'end of DATA'),
    want: 'policy.content',
    rule: 'content.format',
  },
  {
    dsn: '5.1.1',
    reply: said('mx.spamexperts.com', '192.0.2.40', '550 5.1.1 <bob@spamfree.example>: Recipient address rejected: User unknown in virtual mailbox table'),
    want: 'hard.invalid_recipient',
    rule: 'recipient.unknown',
  },
  {
    dsn: '5.2.1',
    reply: said('mx.example.org', '192.0.2.20', '550 5.2.1 <old@example.org>: Account disabled'),
    want: 'hard.invalid_recipient',
    rule: 'recipient.disabled',
  },
  {
    dsn: '5.7.1',
    reply: said(
      'mx.example.org',
      '192.0.2.20',
      '554 5.7.1 Service unavailable; Client host [198.51.100.7] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/198.51.100.7',
    ),
    want: 'policy.reputation',
    rule: 'reputation.blocklist',
  },
  {
    dsn: '5.7.1',
    reply: said('mx.example.org', '192.0.2.20', '550 5.7.1 Message identified as spam (score 12.3)', 'end of DATA'),
    want: 'policy.reputation',
    rule: 'reputation.spam',
  },
  {
    dsn: '5.0.0',
    reply: said('mx.example.org', '192.0.2.20', '554 5.0.0 <unknown[198.51.100.7]>: Client host rejected: Access denied'),
    want: 'policy.reputation',
    rule: 'reputation.access_denied',
  },
  {
    dsn: '4.2.0',
    reply: said('mx.example.org', '192.0.2.20', '450 4.2.0 <user@example.org>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.org.html'),
    want: 'soft.temporary',
    rule: 'temporary.greylist',
  },
  {
    dsn: '4.0.0',
    reply: said('mx.example.org', '192.0.2.20', '421 4.0.0 Service not available, closing transmission channel', 'MAIL FROM'),
    want: 'soft.temporary',
    rule: 'temporary.generic',
  },
  // ---- enhanced code rules: replies with nothing the text rules know
  { dsn: '5.1.1', reply: said('mx.example.org', '192.0.2.20', '550 5.1.1 <x@example.org>... Sorry'), want: 'hard.invalid_recipient', rule: 'code.bad_mailbox' },
  { dsn: '5.1.10', reply: undefined, want: 'hard.domain', rule: 'code.bad_system' },
  { dsn: '5.1.8', reply: said('mx.example.org', '192.0.2.20', '553 5.1.8 <a@b.example>... Rejected', 'MAIL FROM'), want: 'policy.auth', rule: 'code.bad_sender' },
  { dsn: '5.2.1', reply: undefined, want: 'hard.invalid_recipient', rule: 'code.mailbox_disabled' },
  { dsn: '4.2.2', reply: undefined, want: 'soft.mailbox_full', rule: 'code.mailbox_full' },
  { dsn: '5.2.3', reply: undefined, want: 'policy.content', rule: 'code.message_length' },
  { dsn: '4.3.1', reply: undefined, want: 'soft.temporary', rule: 'code.system_full' },
  { dsn: '4.4.1', reply: undefined, want: 'transport.connect', rule: 'code.no_answer' },
  { dsn: '4.4.3', reply: undefined, want: 'transport.dns', rule: 'code.routing_server' },
  { dsn: '5.4.4', reply: undefined, want: 'hard.domain', rule: 'code.unroutable' },
  { dsn: '4.4.5', reply: said('mx.example.org', '192.0.2.20', '421 4.4.5 Server is overloaded'), want: 'soft.temporary', rule: 'code.congestion' },
  { dsn: '5.6.1', reply: undefined, want: 'policy.content', rule: 'code.media' },
  { dsn: '4.7.500', reply: said('contoso-com.mail.protection.outlook.com', '52.101.40.6', '451 4.7.500 Access denied, please try again later (S77719)'), want: 'policy.rate_limited', rule: 'code.microsoft_throttle' },
  { dsn: '5.7.750', reply: undefined, want: 'policy.reputation', rule: 'code.microsoft_tenant' },
  { dsn: '5.7.10', reply: undefined, want: 'transport.tls', rule: 'code.tls' },
  { dsn: '5.7.7', reply: undefined, want: 'policy.content', rule: 'code.integrity' },
  { dsn: '5.7.9', reply: undefined, want: 'policy.auth', rule: 'code.smtp_auth' },
  { dsn: '5.7.17', reply: undefined, want: 'hard.invalid_recipient', rule: 'code.owner_changed' },
  { dsn: '5.7.18', reply: undefined, want: 'hard.domain', rule: 'code.domain_owner_changed' },
  { dsn: '5.7.25', reply: undefined, want: 'policy.auth', rule: 'code.email_auth' },
  { dsn: '4.7.28', reply: undefined, want: 'policy.reputation', rule: 'code.mail_flood' },
  { dsn: '5.7.1', reply: said('mx.example.org', '192.0.2.20', '554 5.7.1 Go away'), want: 'policy.reputation', rule: 'code.not_authorized' },
  { dsn: '5.7.0', reply: undefined, want: 'policy.reputation', rule: 'code.policy' },
  // ---- basic reply code rules (no enhanced code anywhere)
  { dsn: undefined, reply: 'SMTP error from remote mail server after initial connection: 556 example.net does not accept mail', want: 'hard.domain', rule: 'reply.no_mail_domain' },
  { dsn: undefined, reply: said('mx.example.org', '192.0.2.20', '553 sorry, that address is not here'), want: 'hard.invalid_recipient', rule: 'reply.user_not_local' },
  { dsn: undefined, reply: said('mx.example.org', '192.0.2.20', '552 Requested action aborted'), want: 'soft.mailbox_full', rule: 'reply.storage' },
  { dsn: undefined, reply: said('smtp.relay.example', '192.0.2.30', '530 Must log in first', 'MAIL FROM'), want: 'policy.auth', rule: 'reply.auth' },
  { dsn: undefined, reply: said('mx.example.org', '192.0.2.20', '571 Delivery not authorized'), want: 'policy.reputation', rule: 'reply.not_authorized' },
  // ---- class defaults and fallback
  { dsn: '4.0.0', reply: said('mx.example.org', '192.0.2.20', '451 4.0.0 Something odd happened'), want: 'soft.temporary', rule: 'class.4xx' },
  { dsn: '5.0.0', reply: said('mx.example.org', '192.0.2.20', '554 5.0.0 Something odd happened'), want: 'other', rule: 'class.5xx' },
  { dsn: undefined, reply: 'mail for example.org loops back to myself', want: 'other', rule: 'fallback.other' },
];

test('every rule has at least one case', () => {
  const covered = new Set([...CASES, ...MORE].map((c) => c.rule));
  const missing = RULE_IDS.filter((id) => !covered.has(id));
  assert.deepEqual(missing, []);
});

for (const c of CASES) {
  test(`${c.rule}: ${c.dsn ?? '-'} ${(c.reply ?? '').slice(0, 70)}`, () => {
    assert.deepEqual(explain(c.dsn, c.reply), { class: c.want, rule: c.rule });
    assert.equal(classify(c.dsn, c.reply), c.want);
  });
}

// Precedence and edge cases beyond one-per-rule.
const MORE: Case[] = [
  // success is not a failure
  { dsn: '2.0.0', reply: said('mx.example.org', '192.0.2.20', '250 2.0.0 Ok: queued as 4ZxYz1abcd', 'end of DATA'), want: 'other', rule: '' },
  // Yahoo [TS03] and Microsoft "banned sending IP" variants
  { dsn: '4.7.0', reply: said('mta5.am0.yahoodns.net', '98.136.96.75', '421 4.7.0 [TS03] All messages from 198.51.100.7 will be permanently deferred; Retrying will NOT succeed. See https://help.yahoo.com/kb/postmaster', 'MAIL FROM'), want: 'policy.reputation', rule: 'yahoo.deferred' },
  { dsn: '5.7.606', reply: said('outlook-com.olc.protection.outlook.com', '52.101.10.2', '550 5.7.606 Access denied, banned sending IP [198.51.100.7]. To request removal from this list please visit https://sender.office.com/', 'MAIL FROM'), want: 'policy.reputation', rule: 'microsoft.blocklist' },
  { dsn: '4.7.500', reply: said('contoso-com.mail.protection.outlook.com', '52.101.40.6', '451 4.7.500 Server busy. Please try again later from [198.51.100.7]. (S77714) [BL6PEPF0001AB50.namprd04.prod.outlook.com 2024-07-14T14:44:43.083Z 08DCA36F759CD546]', 'MAIL FROM'), want: 'policy.rate_limited', rule: 'microsoft.throttled' },
  // Yahoo "dd This user doesn't have a yahoo.com account"
  { dsn: '5.0.0', reply: said('mta5.am0.yahoodns.net', '98.136.96.75', "554 delivery error: dd This user doesn't have a yahoo.com account (someone@yahoo.com) [0] - mta1012.mail.gq1.yahoo.com"), want: 'hard.invalid_recipient', rule: 'yahoo.no_account' },
  // Microsoft sender quota is rate limiting, not a full mailbox
  { dsn: '5.2.2', reply: '554 5.2.2 mailbox full; STOREDRV.Submission.Exception:SubmissionQuotaExceededException', want: 'soft.mailbox_full', rule: 'mailbox.full' },
  { dsn: '5.2.2', reply: said('smtp.office365.com', '52.96.0.1', '554 5.2.2 Submission quota exceeded', 'end of DATA'), want: 'policy.rate_limited', rule: 'rate.sending_quota' },
  // GMX/web.de: the generic first line must not decide; the last line does
  { dsn: '5.0.0', reply: said('mx00.emig.gmx.net', '212.227.15.9', '550-Requested action not taken: mailbox unavailable 550 invalid DNS MX or A/AAAA resource record', 'MAIL FROM'), want: 'policy.auth', rule: 'auth.sender' },
  { dsn: '5.0.0', reply: said('mx-ha01.web.de', '212.227.15.17', '554-Transaction failed 554-Reject due to policy restrictions. 554 For explanation visit https://postmaster.web.de/en/case?c=r0302', 'end of DATA'), want: 'policy.reputation', rule: 'unitedinternet.blocked' },
  { dsn: '5.0.0', reply: said('mx-ha01.web.de', '212.227.15.17', '550 Requested action not taken: mailbox unavailable'), want: 'hard.invalid_recipient', rule: 'recipient.unavailable' },
  // greylisting under a 4.7.1 code stays temporary
  { dsn: '4.7.1', reply: said('mx.example.org', '192.0.2.20', '451 4.7.1 Greylisting in action, please come back later'), want: 'soft.temporary', rule: 'temporary.greylist' },
  // "delivery temporarily suspended: ..." classified by what follows
  { dsn: '4.4.2', reply: 'delivery temporarily suspended: conversation with mx.example.com[192.0.2.10] timed out while receiving the initial server greeting', want: 'transport.connect', rule: 'connect.lost' },
  { dsn: '4.7.5', reply: 'delivery temporarily suspended: TLS is required, but our TLS engine is unavailable', want: 'transport.tls', rule: 'tls.required_not_offered' },
  { dsn: '4.4.3', reply: 'delivery temporarily suspended: Host or domain name not found. Name service error for name=example.net type=MX: Host not found, try again', want: 'transport.dns', rule: 'dns.temporary' },
  // DNS: no code -> temporary DNS problem; Exim unroutable -> hard.domain
  { dsn: undefined, reply: 'Host or domain name not found. Name service error for name=example.invalid type=MX: Host not found', want: 'transport.dns', rule: 'dns.not_found_temporary' },
  { dsn: undefined, reply: 'Unrouteable address', want: 'hard.domain', rule: 'dns.not_found' },
  { dsn: undefined, reply: 'Temporary failure in name resolution', want: 'transport.dns', rule: 'dns.temporary' },
  { dsn: undefined, reply: 'host lookup did not complete', want: 'transport.dns', rule: 'dns.temporary' },
  // Exim deferrals without codes
  { dsn: undefined, reply: 'retry time not reached for any host after a long failure period', want: 'soft.temporary', rule: 'temporary.generic' },
  { dsn: undefined, reply: 'SMTP error from remote mail server after RCPT TO:<bob@example.org>: 550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown', want: 'hard.invalid_recipient', rule: 'recipient.unknown' },
  { dsn: undefined, reply: 'H=mx.example.org [192.0.2.20]: SMTP timeout after RCPT TO:<bob@example.org>', want: 'transport.connect', rule: 'connect.lost' },
  // 4xx "mailbox unavailable" (RFC 5321 450) stays temporary
  { dsn: '4.2.0', reply: said('mx.example.org', '192.0.2.20', '450 Requested mail action not taken: mailbox unavailable'), want: 'soft.temporary', rule: 'class.4xx' },
  // 5xx "Service unavailable" is not temporary: its code decides
  { dsn: '5.7.1', reply: said('mx.example.org', '192.0.2.20', '554 5.7.1 Service unavailable'), want: 'policy.reputation', rule: 'code.not_authorized' },
  // generic quota phrases
  { dsn: '4.2.2', reply: said('mx.example.org', '192.0.2.20', '452 4.2.2 <u@example.org>: user is over quota'), want: 'soft.mailbox_full', rule: 'mailbox.full' },
  { dsn: '5.7.1', reply: said('mx.example.org', '192.0.2.20', '550 5.7.1 Rejected: 198.51.100.7 listed at bl.spamcop.net', 'MAIL FROM'), want: 'policy.reputation', rule: 'reputation.blocklist' },
  { dsn: '5.7.1', reply: said('mx.example.org', '192.0.2.20', '554 5.7.1 Blocked - see https://www.barracudacentral.org/blocklists?ip=198.51.100.7', 'MAIL FROM'), want: 'policy.reputation', rule: 'reputation.blocklist' },
  // a text rule restricted by code and by a second literal: needs both
  // ("tls" inside a host name must not make these TLS failures)
  { dsn: '5.7.1', reply: said('aspmx.l.google.com', '142.250.27.27', '550 5.7.1 Message from atlsmail.example refused - gsmtp'), want: 'policy.reputation', rule: 'code.not_authorized' },
  { dsn: '4.7.0', reply: said('mx.example.org', '192.0.2.20', '421 4.7.0 Message from atlsmail.example refused'), want: 'policy.reputation', rule: 'code.policy' },
  { dsn: '4.7.0', reply: said('mx.example.org', '192.0.2.20', '421 4.7.0 TLS version too old, upgrade to TLS 1.2'), want: 'transport.tls', rule: 'tls.required_not_offered' },
  // webhook diagnostic-code form ("smtp; 550 ...")
  { dsn: undefined, reply: 'smtp; 550 5.1.1 user unknown', want: 'hard.invalid_recipient', rule: 'recipient.unknown' },
  { dsn: undefined, reply: 'smtp;550 5.7.26 Multiple authentication checks failed', want: 'policy.auth', rule: 'code.email_auth' },
];

for (const c of MORE) {
  test(`precedence: ${c.rule || 'success'}: ${(c.reply ?? '').slice(0, 70)}`, () => {
    if (c.rule === '') assert.equal(classify(c.dsn, c.reply), undefined);
    else assert.deepEqual(explain(c.dsn, c.reply), { class: c.want, rule: c.rule });
  });
}

test('nothing to classify, and successes', () => {
  assert.equal(classify(undefined, undefined), undefined);
  assert.equal(classify('', ''), undefined);
  assert.equal(classify('2.0.0', undefined), undefined);
  assert.equal(classify('2.6.0', 'delivered via dovecot service'), undefined);
  assert.equal(classify(undefined, '250 2.0.0 Ok: queued as 12345'), undefined);
});

test('malformed enhanced codes are parsed leniently', () => {
  // unknown subject: the class survives, text and basic code still count
  assert.deepEqual(explain('5.12.345', undefined), { class: 'other', rule: 'class.5xx' });
  assert.deepEqual(explain('4.12.345', undefined), { class: 'soft.temporary', rule: 'class.4xx' });
  assert.deepEqual(explain('5.12.345', said('mx.example.org', '192.0.2.20', '550 no such user here')), {
    class: 'hard.invalid_recipient',
    rule: 'recipient.unknown',
  });
  // a malformed dsn yields to a well-formed code in the reply
  assert.deepEqual(explain('5.12.345', said('mx.example.org', '192.0.2.20', '552 5.2.2 Sorry')), {
    class: 'soft.mailbox_full',
    rule: 'code.mailbox_full',
  });
  // trailing dot
  assert.deepEqual(explain('4.2.2.', undefined), { class: 'soft.mailbox_full', rule: 'code.mailbox_full' });
  assert.deepEqual(explain('4.7.0.', undefined), { class: 'policy.reputation', rule: 'code.policy' });
  // missing detail: subject-level knowledge only, then the basic code
  assert.deepEqual(explain('5.1', undefined), { class: 'other', rule: 'class.5xx' });
  assert.deepEqual(explain('5.1', said('mx.example.org', '192.0.2.20', '553 Nope')), { class: 'hard.invalid_recipient', rule: 'reply.user_not_local' });
  // 4-digit detail and garbage
  assert.deepEqual(explain('5.7.1234', undefined), { class: 'policy.reputation', rule: 'code.policy' });
  assert.deepEqual(explain('x.y.z', undefined), { class: 'other', rule: 'fallback.other' });
  assert.deepEqual(explain(' 4.4.1', undefined), { class: 'transport.connect', rule: 'code.no_answer' });
  // a basic code at the start of dsn is not an enhanced code
  assert.deepEqual(explain('550', said('mx.example.org', '192.0.2.20', '550 Administrative prohibition')), { class: 'other', rule: 'class.5xx' });
});

test('multi-line replies collapsed into one line keep their phrases', () => {
  // the phrase is split by a continuation prefix in both Postfix and Exim forms
  const postfix = said('mx.example.org', '192.0.2.20', '550-5.1.1 Sorry, the mailbox 550-5.1.1 does not exist here. 550 5.1.1 Bye');
  assert.deepEqual(explain('5.1.1', postfix), { class: 'hard.invalid_recipient', rule: 'recipient.unknown' });
  const exim = 'SMTP error from remote mail server after RCPT TO:<a@b.example>: 452-4.2.2 The mailbox\\n452-4.2.2 is full, try later\\n452 4.2.2 Bye';
  assert.deepEqual(explain(undefined, exim), { class: 'soft.mailbox_full', rule: 'mailbox.full' });
  // "550 " repeated without an enhanced code after it is ordinary text, not a continuation
  assert.deepEqual(explain(undefined, '450 retry in 450 seconds, greylisted'), { class: 'soft.temporary', rule: 'temporary.greylist' });
});

test('host names and addresses do not trigger text rules', () => {
  // "spam" in the MX host (preamble) and in the recipient's address must not make this reputation
  assert.equal(
    classify('5.1.1', said('mx.spamexperts.com', '192.0.2.40', '550 5.1.1 <user@blacklist-spam.example>: Recipient address rejected: User unknown')),
    'hard.invalid_recipient',
  );
  assert.equal(classify('4.4.1', 'connect to antispam.example.net[192.0.2.40]:25: Connection refused'), 'transport.connect');
});

test('classification is case-insensitive and ignores whitespace runs', () => {
  assert.equal(classify('5.0.0', '550   USER    UNKNOWN'), 'hard.invalid_recipient');
  assert.equal(classify('4.0.0', '421\tToo\tMany\tConnections'), 'policy.rate_limited');
});
