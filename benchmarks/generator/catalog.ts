// What the simulated world looks like: recipient domains with their MX hosts, and every reply
// the generator can emit together with the bounce class (DESIGN §5) that reply must get. The
// class column is this generator's ground truth: it is decided here, per reply, from the
// enhanced status code and the text, NOT by calling mailsight's classifier.
import type { Rng } from './prng.js';

// The taxonomy itself is the model's (DESIGN §5); only the per-reply choice is the generator's.
export type { BounceClass } from '../../src/model/mail_event.js';
import type { BounceClass } from '../../src/model/mail_event.js';

export interface Mx {
  name: string;
  ip: string;
}

/** What a reply needs to render itself. */
export interface ReplyCtx {
  rng: Rng;
  rcpt: string;
  domain: string;
  senderDomain: string;
  mx: Mx;
  /** Our sending IP (what remote servers quote back). */
  ourIp: string;
  /** The message's own Message-ID (Outlook quotes it back). */
  messageId: string;
  size: number;
  /** ISO time of the attempt (Outlook puts it into its replies). */
  iso: string;
}

export type SmtpStage = 'MAIL FROM' | 'RCPT TO' | 'DATA' | 'end of DATA';

export interface ReplyDef {
  id: string;
  /** Ground truth: the class a correct classifier assigns to this reply. */
  cls: BounceClass;
  /** remote: the server's reply, logged as "host X said: ..."; local: the MTA's own text. */
  kind: 'remote' | 'local';
  /** Enhanced status code Postfix logs as dsn= (5.0.0/4.0.0 when the reply has none). */
  dsn: string;
  stage?: SmtpStage;
  /**
   * Connection-level failure: it hits every recipient of the destination in that attempt,
   * and later attempts of other messages may be cut short by Postfix's error agent
   * ("delivery temporarily suspended: ...").
   */
  conn: boolean;
  /** Reply lines (remote) or the local reason (Postfix wording). */
  lines(c: ReplyCtx): string[];
  /** Exim's wording of a local reason (after "defer (errno): "), when it differs. */
  exim?: (c: ReplyCtx) => { errno: number; text: string };
}

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const HEX = '0123456789abcdef';

export function randChars(rng: Rng, alphabet: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[rng.int(alphabet.length)];
  return s;
}

/** Gmail's trailing transaction tag: "41be03b00d2f7-7ea6f2cb6absi1234567a12.25 - gsmtp". */
function gsmtp(rng: Rng): string {
  return (
    randChars(rng, HEX, 13) +
    '-' +
    randChars(rng, HEX, 11) +
    'si' +
    rng.range(1000000, 9999999) +
    randChars(rng, LOWER, 1) +
    rng.range(10, 99) +
    '.' +
    rng.range(1, 999) +
    ' - gsmtp'
  );
}

/** Microsoft front-end tag: "[AM4PEPF00025F9B.EURPRD83.prod.outlook.com 2026-11-12T05:41:23.079Z 08DD01AB12345678]". */
function msTag(c: ReplyCtx): string {
  const rng = c.rng;
  const fe = randChars(rng, 'ABCDEFGHJKLMNPRSTUVWXYZ', 2) + rng.range(1, 9) + 'PEPF' + randChars(rng, '0123456789ABCDEF', 8);
  return '[' + fe + '.' + rng.pick(['EURPRD83', 'eurprd04', 'namprd12', 'apcprd06']) + '.prod.outlook.com ' + c.iso + ' ' + randChars(rng, '0123456789ABCDEF', 16) + ']';
}

/** A foreign long-format Postfix queue id (never collides with the fleet's short hex ids). */
export function foreignQueueId(rng: Rng): string {
  return '4' + randChars(rng, B62.slice(0, 36) + 'bcdfghjklmnpqrstvwxyz', 11);
}

// ---- replies -----------------------------------------------------------------------------------

const R = (def: ReplyDef): ReplyDef => def;

export const REPLIES = {
  // --- deferrals (4xx / local temporary) ---
  gmail_unusual_rate: R({
    id: 'gmail_unusual_rate', cls: 'policy.reputation', kind: 'remote', dsn: '4.7.28', stage: 'end of DATA', conn: false,
    lines: (c) => [
      `421-4.7.28 [${c.ourIp}      15] Our system has detected an unusual rate of`,
      '421-4.7.28 unsolicited mail originating from your IP address. To protect our',
      '421-4.7.28 users from spam, mail sent from your IP address has been temporarily',
      '421-4.7.28 rate limited. Please visit',
      '421-4.7.28  https://support.google.com/mail/?p=UnsolicitedIPError to',
      `421 4.7.28 review our Bulk Email Senders Guidelines. ${gsmtp(c.rng)}`,
    ],
  }),
  gmail_over_quota_temp: R({
    id: 'gmail_over_quota_temp', cls: 'soft.mailbox_full', kind: 'remote', dsn: '4.2.2', stage: 'RCPT TO', conn: false,
    lines: (c) => [
      "452-4.2.2 The recipient's inbox is out of storage space. Please direct the",
      '452-4.2.2 recipient to',
      `452 4.2.2  https://support.google.com/mail/?p=OverQuotaTemp ${gsmtp(c.rng)}`,
    ],
  }),
  gmail_temp_problem: R({
    id: 'gmail_temp_problem', cls: 'soft.temporary', kind: 'remote', dsn: '4.3.0', stage: 'end of DATA', conn: false,
    lines: (c) => [
      '421-4.3.0 Temporary System Problem.  Try again later (10). For more information,',
      `421 4.3.0 go to  https://support.google.com/a/answer/3221692 ${gsmtp(c.rng)}`,
    ],
  }),
  ms_rate_limited: R({
    id: 'ms_rate_limited', cls: 'policy.rate_limited', kind: 'remote', dsn: '4.7.650', stage: 'MAIL FROM', conn: true,
    lines: (c) => [
      `451 4.7.650 The mail server [${c.ourIp}] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://postmaster.live.com (S775) [Name=Protocol Filter Agent][AGT=PFA][MxId=${randChars(c.rng, '0123456789ABCDEF', 16)}] ${msTag(c)}`,
    ],
  }),
  yahoo_tss04: R({
    id: 'yahoo_tss04', cls: 'policy.reputation', kind: 'remote', dsn: '4.7.0', stage: 'MAIL FROM', conn: true,
    lines: (c) => [
      `421 4.7.0 [TSS04] Messages from ${c.ourIp} temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes`,
    ],
  }),
  greylist_postgrey: R({
    id: 'greylist_postgrey', cls: 'soft.temporary', kind: 'remote', dsn: '4.2.0', stage: 'RCPT TO', conn: false,
    lines: (c) => [`450 4.2.0 <${c.rcpt}>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/${c.domain}.html`],
  }),
  greylist_471: R({
    id: 'greylist_471', cls: 'soft.temporary', kind: 'remote', dsn: '4.7.1', stage: 'RCPT TO', conn: false,
    lines: (c) => [`451 4.7.1 <${c.rcpt}>: Recipient address rejected: Greylisted for 300 seconds (see http://greylisting.org)`],
  }),
  system_not_accepting: R({
    id: 'system_not_accepting', cls: 'soft.temporary', kind: 'remote', dsn: '4.3.2', stage: 'MAIL FROM', conn: true,
    lines: () => ['421 4.3.2 System not accepting network messages'],
  }),
  mailbox_full_temp: R({
    id: 'mailbox_full_temp', cls: 'soft.mailbox_full', kind: 'remote', dsn: '4.2.2', stage: 'RCPT TO', conn: false,
    lines: (c) => [`452 4.2.2 <${c.rcpt}>: Recipient address rejected: Mailbox full`],
  }),
  conn_refused: R({
    id: 'conn_refused', cls: 'transport.connect', kind: 'local', dsn: '4.4.1', conn: true,
    lines: (c) => [`connect to ${c.mx.name}[${c.mx.ip}]:25: Connection refused`],
    exim: () => ({ errno: 111, text: 'Connection refused' }),
  }),
  conn_timeout: R({
    id: 'conn_timeout', cls: 'transport.connect', kind: 'local', dsn: '4.4.1', conn: true,
    lines: (c) => [`connect to ${c.mx.name}[${c.mx.ip}]:25: Connection timed out`],
    exim: () => ({ errno: 110, text: 'Connection timed out' }),
  }),
  lost_connection: R({
    id: 'lost_connection', cls: 'transport.connect', kind: 'local', dsn: '4.4.2', conn: true,
    lines: (c) => [`lost connection with ${c.mx.name}[${c.mx.ip}] while receiving the initial server greeting`],
    exim: (c) => ({ errno: -18, text: `H=${c.mx.name} [${c.mx.ip}]: Remote host closed connection in response to initial connection` }),
  }),
  dns_tempfail: R({
    id: 'dns_tempfail', cls: 'transport.dns', kind: 'local', dsn: '4.4.3', conn: true,
    lines: (c) => [`Host or domain name not found. Name service error for name=${c.domain} type=MX: Host not found, try again`],
    exim: () => ({ errno: -1, text: 'host lookup did not complete' }),
  }),
  tls_not_offered: R({
    id: 'tls_not_offered', cls: 'transport.tls', kind: 'local', dsn: '4.7.4', conn: true,
    lines: (c) => [`TLS is required, but was not offered by host ${c.mx.name}[${c.mx.ip}]`],
    exim: (c) => ({ errno: -37, text: `H=${c.mx.name} [${c.mx.ip}]: a TLS session is required, but the server did not offer TLS support` }),
  }),
  tls_handshake: R({
    id: 'tls_handshake', cls: 'transport.tls', kind: 'local', dsn: '4.7.5', conn: true,
    lines: () => ['Cannot start TLS: handshake failure'],
    exim: (c) => ({ errno: -37, text: `H=${c.mx.name} [${c.mx.ip}]: TLS session: (SSL_connect): error:0A000410:SSL routines::sslv3 alert handshake failure` }),
  }),

  // --- bounces (5xx / local permanent) ---
  gmail_no_such_user: R({
    id: 'gmail_no_such_user', cls: 'hard.invalid_recipient', kind: 'remote', dsn: '5.1.1', stage: 'RCPT TO', conn: false,
    lines: (c) => [
      '550-5.1.1 The email account that you tried to reach does not exist. Please try',
      "550-5.1.1 double-checking the recipient's email address for typos or",
      '550-5.1.1 unnecessary spaces. For more information, go to',
      `550 5.1.1  https://support.google.com/mail/?p=NoSuchUser ${gsmtp(c.rng)}`,
    ],
  }),
  gmail_dmarc: R({
    id: 'gmail_dmarc', cls: 'policy.auth', kind: 'remote', dsn: '5.7.26', stage: 'end of DATA', conn: false,
    lines: (c) => [
      `550-5.7.26 Unauthenticated email from ${c.senderDomain} is not accepted due to domain's`,
      `550-5.7.26 DMARC policy. Please contact the administrator of ${c.senderDomain} domain if`,
      '550-5.7.26 this was a legitimate mail. To learn about the DMARC initiative, go to',
      `550 5.7.26  https://support.google.com/mail/?p=DmarcRejection ${gsmtp(c.rng)}`,
    ],
  }),
  gmail_over_quota_perm: R({
    id: 'gmail_over_quota_perm', cls: 'soft.mailbox_full', kind: 'remote', dsn: '5.2.2', stage: 'RCPT TO', conn: false,
    lines: (c) => [
      "552-5.2.2 The recipient's inbox is out of storage space and inactive. Please direct",
      '552-5.2.2 the recipient to',
      `552 5.2.2  https://support.google.com/mail/?p=OverQuotaPerm ${gsmtp(c.rng)}`,
    ],
  }),
  gmail_content: R({
    id: 'gmail_content', cls: 'policy.content', kind: 'remote', dsn: '5.7.0', stage: 'end of DATA', conn: false,
    lines: (c) => [
      '552-5.7.0 This message was blocked because its content presents a potential',
      '552-5.7.0 security issue. Please visit',
      '552-5.7.0  https://support.google.com/mail/?p=BlockedMessage to review our',
      `552 5.7.0 message content and attachment content guidelines. ${gsmtp(c.rng)}`,
    ],
  }),
  ms_mailbox_unavailable: R({
    id: 'ms_mailbox_unavailable', cls: 'hard.invalid_recipient', kind: 'remote', dsn: '5.5.0', stage: 'RCPT TO', conn: false,
    lines: (c) => [`550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). ${msTag(c)}`],
  }),
  ms_blocklist: R({
    id: 'ms_blocklist', cls: 'policy.reputation', kind: 'remote', dsn: '5.7.1', stage: 'MAIL FROM', conn: false,
    lines: (c) => [
      `550 5.7.1 Unfortunately, messages from [${c.ourIp}] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3140). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. ${msTag(c)}`,
    ],
  }),
  yahoo_no_account: R({
    id: 'yahoo_no_account', cls: 'hard.invalid_recipient', kind: 'remote', dsn: '5.0.0', stage: 'end of DATA', conn: false,
    lines: (c) => [`554 delivery error: dd This user doesn't have a ${c.domain} account (${c.rcpt}) [0] - mta${c.rng.range(1000, 9999)}.mail.gq1.yahoo.com`],
  }),
  icloud_no_user: R({
    id: 'icloud_no_user', cls: 'hard.invalid_recipient', kind: 'remote', dsn: '5.1.1', stage: 'RCPT TO', conn: false,
    lines: (c) => [`550 5.1.1 <${c.rcpt}>: user does not exist`],
  }),
  user_unknown: R({
    id: 'user_unknown', cls: 'hard.invalid_recipient', kind: 'remote', dsn: '5.1.1', stage: 'RCPT TO', conn: false,
    lines: (c) => [`550 5.1.1 <${c.rcpt}>: Recipient address rejected: User unknown in virtual mailbox table`],
  }),
  mailbox_full_perm: R({
    id: 'mailbox_full_perm', cls: 'soft.mailbox_full', kind: 'remote', dsn: '5.2.2', stage: 'RCPT TO', conn: false,
    lines: (c) => [`552 5.2.2 <${c.rcpt}>: Mailbox full`],
  }),
  spamhaus: R({
    id: 'spamhaus', cls: 'policy.reputation', kind: 'remote', dsn: '5.7.1', stage: 'RCPT TO', conn: false,
    lines: (c) => [`554 5.7.1 Service unavailable; Client host [${c.ourIp}] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/${c.ourIp}`],
  }),
  spf_fail: R({
    id: 'spf_fail', cls: 'policy.auth', kind: 'remote', dsn: '5.7.23', stage: 'RCPT TO', conn: false,
    lines: (c) => [`550 5.7.23 <${c.rcpt}>: Recipient address rejected: Message rejected due to: SPF fail - not authorized. Please see http://www.openspf.net/Why?s=mfrom;id=bounce@${c.senderDomain};ip=${c.ourIp};r=<UNKNOWN>`],
  }),
  size_limit: R({
    id: 'size_limit', cls: 'policy.content', kind: 'remote', dsn: '5.3.4', stage: 'end of DATA', conn: false,
    lines: () => ['552 5.3.4 Message size exceeds fixed limit'],
  }),
  nxdomain: R({
    id: 'nxdomain', cls: 'hard.domain', kind: 'local', dsn: '5.4.4', conn: true,
    lines: (c) => [`Host or domain name not found. Name service error for name=${c.domain} type=AAAA: Host not found`],
    exim: () => ({ errno: 0, text: 'Unrouteable address' }),
  }),
} as const satisfies Record<string, ReplyDef>;

export type ReplyId = keyof typeof REPLIES;

/** The ground-truth class table, reply id -> class (exported for docs and the classifier check). */
export const REPLY_CLASS: Readonly<Record<ReplyId, BounceClass>> = Object.fromEntries(
  Object.entries(REPLIES).map(([k, v]) => [k, v.cls]),
) as Record<ReplyId, BounceClass>;

// ---- destinations --------------------------------------------------------------------------------

export interface Destination {
  domain: string;
  /** Relative share of recipients. */
  weight: number;
  provider: string | undefined;
  mx: readonly Mx[];
  /** Trust level Postfix logs for the outbound TLS session; undefined = no TLS line. */
  tls: 'Trusted' | 'Verified' | 'Untrusted' | undefined;
  /** 250 reply of an accepted message. */
  ok(c: ReplyCtx): string;
  defer: readonly ReplyId[];
  deferW: readonly number[];
  bounce: readonly ReplyId[];
  bounceW: readonly number[];
  /** Multiplier on the base deferral / bounce probabilities. */
  deferRate: number;
  bounceRate: number;
}

const gmailOk = (c: ReplyCtx): string => `250 2.0.0 OK  ${Math.floor(Date.parse(c.iso) / 1000)} ${gsmtp(c.rng)}`;
const msOk = (c: ReplyCtx): string =>
  `250 2.6.0 ${c.messageId} [InternalId=${c.rng.range(10000000, 99999999)}${c.rng.range(1000, 9999)}, Hostname=${randChars(c.rng, 'ABCDEFGHJKLMNPRSTUVWXYZ', 4)}${c.rng.range(10, 99)}MB${c.rng.range(1000, 9999)}.eurprd0${c.rng.range(1, 9)}.prod.outlook.com] ${c.size + 1800} bytes in 0.${c.rng.range(100, 999)}, ${c.rng.range(10, 999)}.${c.rng.range(100, 999)} KB/sec Queued mail for delivery -> 250 2.1.5`;
const postfixOk = (c: ReplyCtx): string => `250 2.0.0 Ok: queued as ${foreignQueueId(c.rng)}`;
const eximOk = (c: ReplyCtx): string =>
  `250 OK id=${randChars(c.rng, B62, 6)}-${randChars(c.rng, B62, 6)}-${randChars(c.rng, B62, 2)}`;

const GENERIC_DEFER: ReplyId[] = ['greylist_postgrey', 'greylist_471', 'conn_refused', 'conn_timeout', 'dns_tempfail', 'tls_not_offered', 'tls_handshake', 'lost_connection', 'system_not_accepting', 'mailbox_full_temp'];
const GENERIC_DEFER_W = [3, 2, 2, 3, 1.5, 0.5, 0.5, 1, 0.7, 0.8];
const GENERIC_BOUNCE: ReplyId[] = ['user_unknown', 'mailbox_full_perm', 'spamhaus', 'spf_fail', 'size_limit'];
const GENERIC_BOUNCE_W = [8, 1.5, 1, 0.7, 0.4];

function dest(
  domain: string,
  weight: number,
  provider: string | undefined,
  mx: Mx[],
  tls: Destination['tls'],
  ok: Destination['ok'],
  defer: ReplyId[],
  deferW: number[],
  bounce: ReplyId[],
  bounceW: number[],
  deferRate = 1,
  bounceRate = 1,
): Destination {
  return { domain, weight, provider, mx, tls, ok, defer, deferW, bounce, bounceW, deferRate, bounceRate };
}

const GMAIL_MX: Mx[] = [
  { name: 'gmail-smtp-in.l.google.com', ip: '142.250.102.27' },
  { name: 'alt1.gmail-smtp-in.l.google.com', ip: '142.250.153.26' },
];
const OUTLOOK_MX: Mx[] = [{ name: 'outlook-com.olc.protection.outlook.com', ip: '52.101.68.10' }, { name: 'outlook-com.olc.protection.outlook.com', ip: '52.101.40.0' }];
const YAHOO_MX: Mx[] = [{ name: 'mta7.am0.yahoodns.net', ip: '67.195.204.77' }, { name: 'mta6.am0.yahoodns.net', ip: '98.136.96.91' }];
const ICLOUD_MX: Mx[] = [{ name: 'mx01.mail.icloud.com', ip: '17.57.154.23' }, { name: 'mx02.mail.icloud.com', ip: '17.57.155.34' }];

const GMAIL_DEFER: ReplyId[] = ['gmail_unusual_rate', 'gmail_over_quota_temp', 'gmail_temp_problem', 'conn_timeout'];
const GMAIL_DEFER_W = [6, 1.5, 1, 0.5];
const GMAIL_BOUNCE: ReplyId[] = ['gmail_no_such_user', 'gmail_dmarc', 'gmail_over_quota_perm', 'gmail_content'];
const GMAIL_BOUNCE_W = [10, 2, 1, 0.5];
const MS_DEFER: ReplyId[] = ['ms_rate_limited', 'conn_timeout'];
const MS_BOUNCE: ReplyId[] = ['ms_mailbox_unavailable', 'ms_blocklist'];

/** Recipient domains. The big providers dominate; test domains and typos make up the tail. */
export const DESTINATIONS: readonly Destination[] = [
  dest('gmail.com', 34, 'gmail', GMAIL_MX, 'Trusted', gmailOk, GMAIL_DEFER, GMAIL_DEFER_W, GMAIL_BOUNCE, GMAIL_BOUNCE_W),
  dest('googlemail.com', 1, 'gmail', GMAIL_MX, 'Trusted', gmailOk, GMAIL_DEFER, GMAIL_DEFER_W, GMAIL_BOUNCE, GMAIL_BOUNCE_W),
  dest('outlook.com', 9, 'microsoft', OUTLOOK_MX, 'Trusted', msOk, MS_DEFER, [5, 1], MS_BOUNCE, [8, 1]),
  dest('hotmail.com', 8, 'microsoft', OUTLOOK_MX, 'Trusted', msOk, MS_DEFER, [5, 1], MS_BOUNCE, [8, 1]),
  dest('live.com', 2, 'microsoft', OUTLOOK_MX, 'Trusted', msOk, MS_DEFER, [5, 1], MS_BOUNCE, [8, 1]),
  dest('yahoo.com', 8, 'yahoo', YAHOO_MX, 'Trusted', () => '250 ok dirdel', ['yahoo_tss04', 'conn_timeout'], [6, 1], ['yahoo_no_account'], [1]),
  dest('aol.com', 2, 'yahoo', [{ name: 'mx-aol.mail.gm0.yahoodns.net', ip: '67.195.204.73' }], 'Trusted', () => '250 ok dirdel', ['yahoo_tss04'], [1], ['yahoo_no_account'], [1]),
  dest('icloud.com', 6, 'apple', ICLOUD_MX, 'Trusted', postfixOk, ['conn_timeout', 'system_not_accepting'], [1, 1], ['icloud_no_user'], [1], 0.5),
  dest('me.com', 1, 'apple', ICLOUD_MX, 'Trusted', postfixOk, ['conn_timeout'], [1], ['icloud_no_user'], [1], 0.5),
  dest('gmx.de', 2, 'gmx', [{ name: 'mx00.emig.gmx.net', ip: '212.227.15.9' }], 'Trusted', postfixOk, GENERIC_DEFER, GENERIC_DEFER_W, GENERIC_BOUNCE, GENERIC_BOUNCE_W),
  dest('web.de', 2, 'webde', [{ name: 'mx-ha03.web.de', ip: '212.227.17.8' }], 'Trusted', postfixOk, GENERIC_DEFER, GENERIC_DEFER_W, GENERIC_BOUNCE, GENERIC_BOUNCE_W),
  dest('orange.fr', 1.5, 'orange', [{ name: 'smtp-in.orange.fr', ip: '80.12.242.14' }], 'Untrusted', postfixOk, GENERIC_DEFER, GENERIC_DEFER_W, GENERIC_BOUNCE, GENERIC_BOUNCE_W),
  dest('comcast.net', 1.5, 'comcast', [{ name: 'mx1a1.comcast.net', ip: '96.103.145.164' }], 'Trusted', postfixOk, GENERIC_DEFER, GENERIC_DEFER_W, GENERIC_BOUNCE, GENERIC_BOUNCE_W),
  dest('proton.me', 1, 'proton', [{ name: 'mail.protonmail.ch', ip: '185.70.42.128' }], 'Trusted', postfixOk, GENERIC_DEFER, GENERIC_DEFER_W, GENERIC_BOUNCE, GENERIC_BOUNCE_W),
  // Business and test destinations: smaller servers, greylisting, outages, Exim receivers.
  dest('example.org', 3, undefined, [{ name: 'mx.example.org', ip: '198.51.100.7' }], 'Untrusted', postfixOk, GENERIC_DEFER, GENERIC_DEFER_W, GENERIC_BOUNCE, GENERIC_BOUNCE_W, 1.5),
  dest('example.net', 2, undefined, [{ name: 'mail.example.net', ip: '198.51.100.12' }], 'Untrusted', eximOk, GENERIC_DEFER, GENERIC_DEFER_W, GENERIC_BOUNCE, GENERIC_BOUNCE_W, 1.5),
  dest('corp.test', 2, undefined, [{ name: 'mx1.corp.test', ip: '192.0.2.25' }, { name: 'mx2.corp.test', ip: '192.0.2.26' }], undefined, postfixOk, GENERIC_DEFER, GENERIC_DEFER_W, GENERIC_BOUNCE, GENERIC_BOUNCE_W, 2),
  dest('shop.test', 1, undefined, [{ name: 'mail.shop.test', ip: '192.0.2.40' }], 'Untrusted', eximOk, GENERIC_DEFER, GENERIC_DEFER_W, GENERIC_BOUNCE, GENERIC_BOUNCE_W, 2),
  dest('slow.test', 0.5, undefined, [{ name: 'mx.slow.test', ip: '192.0.2.77' }], undefined, postfixOk, ['conn_timeout', 'lost_connection', 'greylist_471'], [3, 2, 1], ['user_unknown'], [1], 6),
  dest('down.test', 0.3, undefined, [{ name: 'mx.down.test', ip: '192.0.2.99' }], undefined, postfixOk, ['conn_refused'], [1], ['user_unknown'], [1], 1000, 0),
  // Typos of big providers: NXDOMAIN, bounced straight away.
  dest('gmail.con', 0.3, undefined, [{ name: 'gmail.con', ip: '0.0.0.0' }], undefined, postfixOk, ['dns_tempfail'], [1], ['nxdomain'], [1], 0, 1000),
  dest('hotmial.com', 0.2, undefined, [{ name: 'hotmial.com', ip: '0.0.0.0' }], undefined, postfixOk, ['dns_tempfail'], [1], ['nxdomain'], [1], 0, 1000),
];

/** Sender identities of the fleet's own applications (also the targets of bounce notices). */
export interface SenderApp {
  client: string;
  ip: string;
  sasl: string | undefined;
  senders: readonly string[];
}

export const SENDER_APPS: readonly SenderApp[] = [
  { client: 'app01.int.example.com', ip: '10.20.0.11', sasl: 'billing', senders: ['invoices@billing.example.com', 'bounces+billing@billing.example.com'] },
  { client: 'app02.int.example.com', ip: '10.20.0.12', sasl: 'news', senders: ['news@news.example.com', 'digest@news.example.com'] },
  { client: 'app03.int.example.com', ip: '10.20.0.13', sasl: undefined, senders: ['no-reply@example.com', 'alerts@example.com'] },
  { client: 'web01.int.example.com', ip: '10.20.1.21', sasl: 'web', senders: ['support@example.com', 'orders@shop.example.com'] },
  { client: 'unknown', ip: '10.20.2.50', sasl: undefined, senders: ['cron@legacy.example.com'] },
];

/** Where bounce notices to our own senders go (they are recipients of the notice messages). */
export const SENDER_DESTS: Readonly<Record<string, { mx: Mx; dnsFailRate: number }>> = {
  'billing.example.com': { mx: { name: 'mx.example.com', ip: '203.0.113.25' }, dnsFailRate: 0 },
  'news.example.com': { mx: { name: 'mx.example.com', ip: '203.0.113.25' }, dnsFailRate: 0 },
  'example.com': { mx: { name: 'mx.example.com', ip: '203.0.113.25' }, dnsFailRate: 0 },
  'shop.example.com': { mx: { name: 'mx.shop.example.com', ip: '203.0.113.26' }, dnsFailRate: 0.2 },
  'legacy.example.com': { mx: { name: 'legacy.example.com', ip: '203.0.113.27' }, dnsFailRate: 0.6 },
};

export const FIRST_NAMES = ['anna', 'ben', 'carla', 'dmitri', 'elena', 'femi', 'grace', 'hiro', 'ines', 'jonas', 'kim', 'lena', 'marco', 'nadia', 'omar', 'priya', 'quinn', 'rosa', 'sven', 'tara', 'uma', 'victor', 'wen', 'yusuf', 'zoe'];
export const LAST_NAMES = ['smith', 'muller', 'garcia', 'rossi', 'kowalski', 'nguyen', 'okafor', 'tanaka', 'silva', 'johansson', 'dubois', 'novak', 'haddad', 'ivanova', 'schmidt'];

/** External clients that try to relay through us or hit blocked recipients (rejects). */
export const REJECT_CLIENTS: readonly { client: string; ip: string; helo: string }[] = [
  { client: 'unknown', ip: '198.51.100.77', helo: 'WIN-3KQ8PLM2' },
  { client: 'unknown', ip: '203.0.113.201', helo: 'ylmf-pc' },
  { client: 'scanner.example.net', ip: '198.51.100.150', helo: 'scanner.example.net' },
];
