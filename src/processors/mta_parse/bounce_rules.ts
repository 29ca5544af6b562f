// Bounce and deferral classification rules (DESIGN §5) as data. classify.ts compiles these
// tables once; nothing here runs per line.
//
// Evaluation order (first hit wins):
//   1. TEXT_RULES without `weak`, in table order: the reply text is more specific than the
//      code. Providers' own messages come first, then MTA-local transport texts, then generic
//      phrases.
//   2. CODE_RULES on the enhanced status code (RFC 3463 + IANA "SMTP Enhanced Status Codes"),
//      most specific first: c.s.d, X.s.d, c.s.*, X.s.*.
//   3. TEXT_RULES marked `weak`: vague phrases ("Access denied", "try again later", "mailbox
//      unavailable") that should not override a specific code such as Microsoft's 4.7.500.
//   4. REPLY_CODE_RULES on the basic reply code (RFC 5321).
//   5. CLASS_DEFAULT_RULES: 4xx -> soft.temporary, 5xx -> other.
//
// Decisions worth knowing (also in the notes below):
// - "Relay access denied" is hard.domain: the host we reached does not accept mail for the
//   recipient domain, retrying will not help, and suppression tools treat it as a hard bounce.
//   (A smarthost refusing us for missing SASL auth also lands here; the relay field tells.)
// - X.7.1 (and the rest of X.7.x with no better rule) defaults to policy.reputation: in practice
//   an unexplained "delivery not authorized" is an anti-spam verdict on the sending IP/domain.
// - PTR/rDNS, HELO and sender-domain checks count as policy.auth ("who is sending"), as RFC 7372
//   groups X.7.25 (reverse DNS) with SPF/DKIM (X.7.20-X.7.24) and DMARC (X.7.26).
// - DNS: temporary failures (4.x.x or "try again") are transport.dns; a permanent NXDOMAIN
//   (5.x.x "Host or domain name not found", "Domain not found") is hard.domain.
// - X.1.10 is "Recipient address has null MX" in the IANA registry (RFC 7505) -> hard.domain;
//   Microsoft's 5.1.10 RecipientNotFound is caught earlier by its text.
// - Spam verdicts are policy.reputation (DESIGN §5); policy.content is for viruses, attachments,
//   size and message-format rejections.
import type { BounceClass } from '../../model/mail_event.js';

/** A rule on the reply text. Substrings are literal and case-insensitive (ASCII). */
export interface TextRule {
  id: string;
  class: BounceClass;
  /** The rule is a candidate when any one of these substrings occurs. */
  any: readonly string[];
  /** Every one of these must occur too. */
  all?: readonly string[];
  /**
   * Not for failures of the other class. The class is the enhanced code's class digit, else the
   * first digit of the reply's basic code; local texts without any code (Postfix "connect to
   * ...", Exim "retry time not reached") have no class and pass either constraint.
   */
  cls?: 4 | 5;
  /** Only when the enhanced status code matches one of these patterns (see CodeRule.codes). */
  codes?: readonly string[];
  /** Extra condition for the few cases a literal cannot express; tested after `any` hit. */
  re?: RegExp;
  /** Vague phrase: consulted only after the enhanced-code rules found nothing. */
  weak?: boolean;
  note: string;
}

/** A rule on the enhanced status code. */
export interface CodeRule {
  id: string;
  class: BounceClass;
  /**
   * Patterns "c.s.d": c is 2|4|5 or X (any class); s and d are numbers, `*` (any) or, for d,
   * a range "500-699". E.g. "X.1.1", "5.2.1", "X.7.23-27", "4.*.*".
   */
  codes: readonly string[];
  note: string;
}

/** A rule on the basic (RFC 5321) reply code. */
export interface ReplyCodeRule {
  id: string;
  class: BounceClass;
  reply: readonly number[];
  note: string;
}

const GOOGLE = 'Google Workspace Admin Help "Gmail SMTP errors and codes"';
const MSFT = 'Microsoft Learn: Exchange Online NDRs / Outlook.com postmaster';
const YAHOO = 'Yahoo Sender Hub "SMTP Error Codes" (postmaster.yahooinc.com/error-codes)';

export const TEXT_RULES: readonly TextRule[] = [
  // ---- Gmail / Google Workspace --------------------------------------------------------------
  {
    id: 'gmail.unusual_rate',
    class: 'policy.reputation',
    any: ['unusual rate of unsolicited mail'],
    note: `${GOOGLE}: 421 4.7.28 / 4.7.0 "unusual rate of unsolicited mail originating from your IP" (a reputation verdict, even though the text says "rate limited")`,
  },
  {
    id: 'gmail.likely_unsolicited',
    class: 'policy.reputation',
    any: ['likely unsolicited mail', 'likely suspicious due to the very low reputation'],
    note: `${GOOGLE}: 550 5.7.1 "this message is likely unsolicited mail"; 5.7.1 low reputation of the sending domain`,
  },
  {
    id: 'gmail.unauthenticated',
    class: 'policy.auth',
    any: [
      'sender is unauthenticated',
      'does not have authentication information',
      'fails to pass authentication checks',
      'does not pass authentication checks',
      'authentication checks did not pass',
      'unauthenticated email from',
    ],
    note: `${GOOGLE}: 5.7.26 / 4.7.26 / 4.7.0 unauthenticated mail (SPF, DKIM, DMARC); Yahoo uses the same wording with 5.7.9`,
  },
  {
    id: 'gmail.ptr',
    class: 'policy.auth',
    any: [
      'does not have a ptr record',
      'ptr record setup',
      'forward dns entry does not point to the sending ip',
      'ipv6 sending guidelines regarding ptr',
    ],
    note: `${GOOGLE}: 5.7.25 / 4.7.25 (formerly 5.7.1) sending IP has no PTR or no matching forward DNS`,
  },
  {
    id: 'gmail.recipient_rate',
    class: 'policy.rate_limited',
    any: [
      'receiving mail at a rate that prevents additional messages',
      'receiving email at a rate that prevents additional messages',
      'receiving mail too quickly',
      'receiving email too quickly',
      'peak smtp relay limit exceeded',
      'daily user sending limit exceeded',
      'daily sending quota exceeded',
    ],
    note: `${GOOGLE}: 450 4.2.1 recipient receiving too fast; 450 4.2.1 SMTP relay peak limit; 550 5.4.5 daily sending limit`,
  },
  {
    id: 'gmail.over_quota',
    class: 'soft.mailbox_full',
    any: ['account that you tried to reach is over quota', 'inbox is out of storage space', 'out of storage space'],
    note: `${GOOGLE}: 452 4.2.2 / 552 5.2.2 recipient over quota / inbox out of storage space`,
  },
  {
    id: 'gmail.no_such_account',
    class: 'hard.invalid_recipient',
    any: ['account that you tried to reach does not exist'],
    note: `${GOOGLE}: 550 5.1.1 "The email account that you tried to reach does not exist"`,
  },
  {
    id: 'gmail.account_disabled',
    class: 'hard.invalid_recipient',
    any: ['account that you tried to reach is disabled', 'account that you tried to reach is inactive'],
    note: `${GOOGLE}: 550 5.2.1 account disabled / inactive`,
  },
  {
    id: 'gmail.tls_required',
    class: 'transport.tls',
    any: ['tls required for rcpt domain'],
    note: `${GOOGLE}: 421 4.7.0 / 530 5.7.0 "TLS required for RCPT domain, closing connection"`,
  },
  {
    id: 'gmail.tls',
    class: 'transport.tls',
    any: ['tls'],
    all: ['gsmtp'],
    codes: ['X.7.0'],
    note: `${GOOGLE}: other 4.7.0/5.7.0 replies about TLS (e.g. "Must issue a STARTTLS command first", TLS version/cipher requirements); "tls" alone is too short a literal, so only with Gmail's "gsmtp" tag and X.7.0`,
  },
  {
    id: 'gmail.not_allowlisted',
    class: 'policy.reputation',
    any: ['ip not in whitelist for rcpt domain', 'not in whitelist'],
    note: `${GOOGLE}: 421 4.7.0 "IP not in whitelist for RCPT domain"`,
  },
  {
    id: 'gmail.content',
    class: 'policy.content',
    any: [
      'content presents a potential security issue',
      'not rfc 5322 compliant',
      'multiple addresses in from: header',
      'policy that prohibited the mail that you sent',
    ],
    note: `${GOOGLE}: 552 5.7.0 blocked content; 550 5.7.1 not RFC 5322 compliant / multiple From: / recipient domain policy`,
  },
  {
    id: 'gmail.temporary',
    class: 'soft.temporary',
    any: ['temporary system problem'],
    note: `${GOOGLE}: 421 4.3.0 / 4.7.0 "Temporary System Problem. Try again later"`,
  },

  // ---- Microsoft (Outlook.com consumer, Exchange Online) -------------------------------------
  {
    id: 'microsoft.blocklist',
    class: 'policy.reputation',
    any: ['(s3140)', '(s3150)', 'part of their network is on our block list', 'banned sending ip'],
    note: `${MSFT}: 550 5.7.1 "Unfortunately, messages from [ip] weren't sent ... on our block list (S3140/S3150)"; 5.7.606-649 "banned sending IP"`,
  },
  {
    id: 'microsoft.ip_refused',
    class: 'policy.reputation',
    any: ['traffic not accepted from this ip', 'tenant has exceeded threshold', 'weren\'t sent. please contact your internet service provider'],
    note: `${MSFT}: 550 5.7.708 "Access denied, traffic not accepted from this IP"; 5.7.705/5.7.750 tenant blocked`,
  },
  {
    id: 'microsoft.throttled',
    class: 'policy.rate_limited',
    any: ['temporarily rate limited due to ip reputation', 'server busy. please try again later from'],
    note: `${MSFT}: 451 4.7.650 "temporarily rate limited due to IP reputation"; 451 4.7.500 "Server busy. Please try again later from [ip]" (S77714/S77719)`,
  },
  {
    id: 'microsoft.recipient_not_found',
    class: 'hard.invalid_recipient',
    any: ['recipientnotfound', 'recipient not found by smtp address lookup'],
    note: `${MSFT}: 550 5.1.10 / 5.5.0 "RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"`,
  },
  {
    id: 'microsoft.dbeb',
    class: 'hard.invalid_recipient',
    any: ['recipient address rejected: access denied'],
    note: `${MSFT}: 550 5.4.1 "Recipient address rejected: Access denied" (Directory-Based Edge Blocking: recipient not in the tenant directory)`,
  },
  {
    id: 'microsoft.auth_level',
    class: 'policy.auth',
    any: ['required authentication level', 'does not pass dmarc verification'],
    note: `${MSFT}: 550 5.7.515 "sending domain doesn't meet the required authentication level"; 5.7.509 DMARC reject`,
  },

  // ---- Yahoo / AOL ---------------------------------------------------------------------------
  {
    id: 'yahoo.deferred',
    class: 'policy.reputation',
    any: ['[tss0', '[tss1', '[ts0'],
    note: `${YAHOO}: 421 4.7.0 [TSS04] "temporarily deferred due to unexpected volume or user complaints"; [TS01]-[TS03] deferred for complaints / permanently deferred`,
  },
  {
    id: 'yahoo.blocklisted',
    class: 'policy.reputation',
    any: ['[bl21]', '[bl22]', '[bl23]', 'connections will not be accepted from'],
    note: `${YAHOO}: 553 5.7.1 [BL21]/[BL22]/[BL23] "Connections will not be accepted from ip, because the ip is in Spamhaus's list"`,
  },
  {
    id: 'yahoo.policy',
    class: 'policy.reputation',
    any: ['not accepted for policy reasons'],
    note: `${YAHOO}: 554 5.7.9 "Message not accepted for policy reasons"`,
  },
  {
    id: 'yahoo.no_account',
    class: 'hard.invalid_recipient',
    any: ['this user doesn\'t have a', 'requested mail action aborted, mailbox not found', 'account has been disabled or discontinued'],
    note: `${YAHOO}: 552 1 "Requested mail action aborted, mailbox not found"; 554 "delivery error: dd This user doesn't have a yahoo.com account"`,
  },
  {
    id: 'yahoo.unknown_recipients',
    class: 'policy.reputation',
    any: ['excessive unknown recipients'],
    note: `${YAHOO}: 451 VS1-IP/VS1-MF "Excessive unknown recipients - possible Open Relay"`,
  },
  {
    id: 'yahoo.per_connection',
    class: 'policy.rate_limited',
    any: ['max message per connection', 'max messages per connection'],
    note: `${YAHOO}: 421 "Max message per connection reached, closing transmission channel"`,
  },
  {
    id: 'yahoo.busy',
    class: 'soft.temporary',
    any: ['resources temporarily unavailable', 'resources temporarily not available'],
    note: `${YAHOO}: 451 "Resources temporarily unavailable. Please try again later [#4.16.1]"`,
  },

  // ---- Apple iCloud ---------------------------------------------------------------------------
  {
    id: 'apple.content',
    class: 'policy.content',
    any: ['[cs0'],
    note: 'Apple iCloud 550/554 5.7.1 [CS01]/[CS02] "Message rejected due to local policy"; CS is read as "content scanner" by senders (smtp.codes/icloud, Email Geeks) - Apple does not document it',
  },
  {
    id: 'apple.local_policy',
    class: 'policy.reputation',
    any: ['[hm0'],
    note: 'Apple iCloud 554 5.7.1 [HM08] "Message rejected due to local policy": sender-level filtering (undocumented by Apple)',
  },
  {
    id: 'apple.auth',
    class: 'policy.auth',
    any: ['[hme'],
    note: 'Apple iCloud 554 5.7.1 [HME1]: SPF and DKIM both failed (bentonow.com/smtp-errors/apple)',
  },
  {
    id: 'apple.volume',
    class: 'policy.rate_limited',
    any: ['deferred due to excessive volume'],
    note: 'Apple iCloud 421 4.7.1 "Messages to x deferred due to excessive volume. Try again later" (support.apple.com HT204137)',
  },

  // ---- Comcast ---------------------------------------------------------------------------------
  {
    id: 'comcast.blocked',
    class: 'policy.reputation',
    any: ['bl0000', 'es0000'],
    note: 'Comcast postmaster "mail delivery error codes": BL000000-BL000111 (spam patterns, Spamhaus, Cloudmark, SenderScore), ES000001/ES000010 (dynamic IP space)',
  },
  {
    id: 'comcast.rate',
    class: 'policy.rate_limited',
    any: ['rl0000', 'too many sessions opened'],
    note: 'Comcast postmaster: RL000001 rate limit; 421 "Too many sessions opened" (10 concurrent connections)',
  },
  {
    id: 'comcast.not_our_customer',
    class: 'hard.invalid_recipient',
    any: ['not our customer'],
    note: 'Comcast 550 5.1.1 "Not our Customer"',
  },

  // ---- GMX / web.de / mail.com (United Internet) ----------------------------------------------
  {
    id: 'unitedinternet.blocked',
    class: 'policy.reputation',
    any: ['ip address is block listed', 'reject due to policy restrictions', 'reject due to policy violations'],
    note: 'postmaster.gmx.net / postmaster.web.de: 554 "Nemesis ESMTP Service not available ... IP address is block listed"; 421/450 "Reject due to policy violations/restrictions" (bad delivery quota, rate)',
  },

  // ---- Orange / Wanadoo ---------------------------------------------------------------------------
  {
    id: 'orange.throttled',
    class: 'policy.rate_limited',
    any: ['ofr004_'],
    note: 'Orange 421 OFR004_104 "too many connections, slow down" / OFR004_105 "Service refuse. Veuillez essayer plus tard"',
  },
  {
    id: 'orange.suspended',
    class: 'policy.reputation',
    any: ['ofr_999'],
    note: 'Orange 421 OFR_999: sending IP suspended (about 2 hours) after earlier policy breaches',
  },

  // ---- Mail.ru / Yandex ----------------------------------------------------------------------------
  {
    id: 'mailru.spam',
    class: 'policy.reputation',
    any: ['spam message rejected', 'spam message discarded'],
    note: 'Mail.ru 550 "spam message rejected. Please visit https://help.mail.ru/..." ',
  },
  {
    id: 'yandex.spam',
    class: 'policy.reputation',
    any: ['rejected under suspicion of spam', 'blocked by spam statistics'],
    note: 'Yandex 554 5.7.1 "Message rejected under suspicion of SPAM"; "Blocked by spam statistics" (yandex.com/support/mail/bounces)',
  },

  // ---- TLS (Postfix smtp client, Exim, generic servers) ---------------------------------------
  {
    id: 'tls.required_not_offered',
    class: 'transport.tls',
    any: [
      'tls is required, but',
      'tls session is required',
      'must issue a starttls command first',
      'encryption required',
      'requires tls',
      'tls required',
      'did not offer tls support',
      'tls version',
      'did not use tls',
    ],
    note: 'Postfix smtp(8) "TLS is required, but was not offered by host"; Exim "a TLS session is required, but the server did not offer TLS support"; 530 5.7.0 "Must issue a STARTTLS command first" (RFC 3207)',
  },
  {
    id: 'tls.handshake',
    class: 'transport.tls',
    any: ['cannot start tls', 'tls handshake', 'ssl handshake', 'handshake failure', 'tls session: (ssl_connect)', 'tls error on connection', 'starttls failed'],
    note: 'Postfix "Cannot start TLS: handshake failure"; Exim "TLS session: (SSL_connect): ..." / "TLS error on connection"',
  },
  {
    id: 'tls.certificate',
    class: 'transport.tls',
    any: [
      'certificate verification failed',
      'certificate not trusted',
      'certificate not verified',
      'certificate verify failed',
      'certificate has expired',
      'self-signed certificate',
      'self signed certificate',
      'unable to get local issuer certificate',
      'no tlsa records',
      'tlsa record',
      'mta-sts',
    ],
    note: 'Postfix "Server certificate not trusted" / "not verified", DANE (TLSA) and MTA-STS policy failures, OpenSSL verify errors',
  },

  // ---- Sender identity and authentication (SPF, DKIM, DMARC, PTR, HELO, sender domain) --------
  {
    id: 'auth.dmarc',
    class: 'policy.auth',
    any: ['dmarc'],
    note: 'Any DMARC rejection (RFC 7489; X.7.26 per RFC 7372 / IANA)',
  },
  {
    id: 'auth.spf',
    class: 'policy.auth',
    any: ['spf', 'sender policy framework', 'not designated as permitted sender', 'is not allowed to send mail from'],
    note: 'SPF failures (RFC 7208; X.7.23/X.7.24 per RFC 7372)',
  },
  {
    id: 'auth.dkim',
    class: 'policy.auth',
    any: ['dkim', 'domainkeys'],
    note: 'DKIM failures (RFC 6376; X.7.20-X.7.22 per RFC 7372)',
  },
  {
    id: 'auth.ptr',
    class: 'policy.auth',
    any: [
      'reverse dns',
      'reverse hostname',
      'rdns',
      'ptr record',
      'no ptr',
      'cannot find your hostname',
      'reverse lookup',
      'fix reverse dns',
      'without a valid sender domain',
    ],
    note: 'Reverse DNS checks (X.7.25 per RFC 7372): Postfix reject_unknown_client_hostname "cannot find your reverse hostname", Comcast "Reverse DNS failure", AT&T "Fix reverse DNS"',
  },
  {
    id: 'auth.helo',
    class: 'policy.auth',
    any: ['helo command rejected', 'ehlo command rejected', 'invalid helo', 'bad helo', 'helo name', 'ehlo name'],
    note: 'Postfix "Helo command rejected: need fully-qualified hostname" and similar HELO identity checks',
  },
  {
    id: 'auth.sender',
    class: 'policy.auth',
    any: [
      'sender address rejected',
      'sender verify failed',
      'sender verification failed',
      'sender domain',
      'sender is not authorized',
      'unauthenticated sender',
      'invalid dns mx or a/aaaa resource record',
    ],
    note: 'Postfix "Sender address rejected: Domain not found" (reject_unknown_sender_domain), Exim "Sender verify failed", GMX/web.de "invalid DNS MX or A/AAAA resource record" (sender domain): who-is-sending checks (X.1.7/X.1.8)',
  },
  {
    id: 'auth.smtp_auth',
    class: 'policy.auth',
    any: ['authentication required', 'authentication failed', 'authentication credentials invalid', 'authentication is required', 'sasl'],
    note: 'SMTP AUTH failures (RFC 4954: 530 5.7.0, 535 5.7.8)',
  },

  // ---- DNS ------------------------------------------------------------------------------------
  {
    id: 'dns.temporary',
    class: 'transport.dns',
    any: [
      'host not found, try again',
      'temporary failure in name resolution',
      'host lookup did not complete', // Exim: DNS lookup deferred (R=dnslookup defer (-1))
      'servfail',
      'dns lookup timeout',
      'dns timeout',
      'dns temporary failure',
      'temporary dns failure',
      'malformed or unexpected name server reply',
      'no address associated with',
    ],
    note: 'Postfix "Name service error ... Host not found, try again" (4.4.3), resolver temporary failures',
  },
  {
    id: 'dns.not_found_temporary',
    class: 'transport.dns',
    cls: 4,
    any: ['host or domain name not found', 'name service error', 'domain not found', 'no such domain', 'unknown domain'],
    note: 'Postfix 4.x.x "Host or domain name not found. Name service error" and 450 4.1.2 "Recipient address rejected: Domain not found": retried, so a DNS problem rather than a bad domain (also when no code is known)',
  },
  {
    id: 'dns.not_found',
    class: 'hard.domain',
    any: [
      'host or domain name not found',
      'domain not found',
      'no such domain',
      'domain does not exist',
      'nxdomain',
      'unrouteable address',
      'unrouteable mail domain',
      'all relevant mx records point to non-existent hosts',
      'does not accept mail (nullmx)',
      'null mx',
      'no mx record',
      'unknown domain',
    ],
    note: 'Permanent NXDOMAIN / null MX (RFC 7505): Postfix 5.4.4 "Host or domain name not found", 5.1.2 "Domain not found"; Exim "Unrouteable address" (the dnslookup router found no such domain)',
  },
  {
    id: 'dns.error',
    class: 'transport.dns',
    any: ['name service error', 'dns error', 'dns failure', 'dns lookup failed', 'name server failure'],
    note: 'Remaining resolver errors (Postfix "Name service error for name=... type=MX")',
  },

  // ---- Connection ------------------------------------------------------------------------------
  {
    id: 'connect.refused',
    class: 'transport.connect',
    any: ['connection refused'],
    note: 'Postfix "connect to host[ip]:25: Connection refused"; Exim "defer (111): Connection refused" (ECONNREFUSED)',
  },
  {
    id: 'connect.timeout',
    class: 'transport.connect',
    any: ['connection timed out', 'operation timed out', 'no answer from host'],
    note: 'Postfix "connect to ...: Connection timed out"; Exim "defer (110)" (ETIMEDOUT); X.4.1 text',
  },
  {
    id: 'connect.unreachable',
    class: 'transport.connect',
    any: ['no route to host', 'network is unreachable', 'host is unreachable', 'host unreachable'],
    note: 'Postfix connect(2) errors EHOSTUNREACH / ENETUNREACH',
  },
  {
    id: 'connect.lost',
    class: 'transport.connect',
    any: [
      'lost connection with',
      'conversation with',
      'connection reset',
      'connection closed',
      'connection dropped',
      'remote host closed connection',
      'smtp timeout',
      'timed out while',
      'unable to connect',
      'could not connect',
      'failed to connect',
    ],
    note: 'Postfix "lost connection with host[ip] while ...", "conversation with host[ip] timed out while ..."; Exim "SMTP timeout after ..."',
  },

  // ---- Relay access denied --------------------------------------------------------------------
  {
    id: 'relay.denied',
    class: 'hard.domain',
    any: ['relay access denied', 'relaying denied', 'relay not permitted', 'relaying not allowed', 'not permitted to relay', 'unable to relay', 'relay denied', 'we do not relay'],
    note: 'Postfix "Relay access denied" (554 5.7.1): the host does not accept mail for the recipient domain; a permanent routing/domain problem, not a reputation verdict (decision, see header)',
  },

  // ---- Sender-side quotas (before "quota exceeded" means a full mailbox) ------------------------
  {
    id: 'rate.sending_quota',
    class: 'policy.rate_limited',
    any: ['submission quota', 'sending quota', 'send quota', 'sending limit', 'message quota exceeded for'],
    note: 'Sender quotas: Microsoft 554 5.2.2 "Submission quota exceeded", provider "daily sending quota exceeded"',
  },

  // ---- Mailbox full ----------------------------------------------------------------------------
  {
    id: 'mailbox.full',
    class: 'soft.mailbox_full',
    any: [
      'mailbox full',
      'mailbox is full',
      'mailbox has exceeded',
      'mailbox quota',
      'mailbox size limit',
      'over quota',
      'overquota',
      'quota exceeded',
      'quotaexceeded',
      'exceeded quota',
      'exceeds quota',
      'quota exceed',
      'exceeded storage allocation',
      'insufficient storage',
      'user has exceeded',
      'too many messages in this mailbox',
      'too many messages on this mailbox',
      'disk quota',
    ],
    note: 'RFC 3463 X.2.2 "Mailbox full"; RFC 5321 552 "exceeded storage allocation"; Microsoft QuotaExceededException; Mail.ru "User quota exceeded"',
  },

  // ---- Rate limiting ---------------------------------------------------------------------------
  {
    id: 'rate.limited',
    class: 'policy.rate_limited',
    any: [
      'rate limit',
      'ratelimit',
      'rate-limit',
      'throttl',
      'too many connections',
      'too many concurrent',
      'too many sessions',
      'too many messages',
      'too many mails',
      'too many emails',
      'too many recipients',
      'too quickly',
      'too fast',
      'sending rate',
      'excessive volume',
      'exceeded the rate',
      'connection limit',
      'messages per connection',
      'hourly limit',
      'daily limit',
    ],
    note: 'Generic throttling replies (RFC 3463 has no code for it; receivers use 421/450/451 4.7.x)',
  },

  // ---- Content -------------------------------------------------------------------------------
  {
    id: 'content.malware',
    class: 'policy.content',
    any: ['virus', 'malware', 'infected', 'attachment', 'file type', 'executable', 'phishing'],
    note: 'Virus / attachment / phishing content rejections',
  },
  {
    id: 'content.size',
    class: 'policy.content',
    any: [
      'message size',
      'message too large',
      'message too big',
      'message is too large',
      'message is too big',
      'size exceeds',
      'exceeds size',
      'exceeds the maximum',
      'maximum message size',
      'size limit',
      'message length exceeds',
    ],
    note: 'RFC 3463 X.3.4 "Message too big for system", X.2.3 "Message length exceeds administrative limit"',
  },
  {
    id: 'content.format',
    class: 'policy.content',
    any: [
      'content rejected',
      'content filter',
      'message content',
      'rfc 5322',
      'rfc5322',
      'rfc 2822',
      'line too long',
      'header too long',
      'invalid header',
      'malformed',
      'bare lf',
    ],
    note: 'Content filter and message-format rejections (RFC 3463 X.6.x media errors)',
  },

  // ---- Invalid recipient -------------------------------------------------------------------
  {
    id: 'recipient.unknown',
    class: 'hard.invalid_recipient',
    any: [
      'user unknown',
      'unknown user',
      'no such user',
      'no such recipient',
      'no such mailbox',
      'no such person',
      'no mailbox',
      'mailbox not found',
      'mailbox does not exist',
      'user does not exist',
      'user not found',
      'address does not exist',
      'recipient does not exist',
      'account does not exist',
      'recipient not found',
      'unknown recipient',
      'recipient unknown',
      'invalid recipient',
      'recipient invalid',
      'invalid mailbox',
      'invalid address',
      'addressee unknown',
      'not a valid mailbox',
      'undeliverable address',
      'bad destination mailbox',
      'unknown or illegal alias',
      'user doesn\'t exist',
      'user does not have an account',
    ],
    note: 'Unknown mailbox (RFC 3463 X.1.1): Postfix "User unknown in ... table", Exim/qmail "No such user", Mail.ru "invalid mailbox", Yandex "No such user!"',
  },
  {
    id: 'recipient.disabled',
    class: 'hard.invalid_recipient',
    any: [
      'account disabled',
      'account is disabled',
      'account has been disabled',
      'mailbox disabled',
      'mailbox is disabled',
      'account inactive',
      'inactive user',
      'inactive account',
      'inactive email address',
      'mailbox inactive',
      'account closed',
      'account has been closed',
      'account is suspended',
      'mailbox has been suspended',
    ],
    note: 'RFC 3463 X.2.1 "Mailbox disabled, not accepting messages"; iCloud "inactive email address"',
  },

  // ---- Reputation --------------------------------------------------------------------------
  {
    id: 'reputation.blocklist',
    class: 'policy.reputation',
    any: [
      'blocked using',
      'blacklist',
      'blocklist',
      'block list',
      'black list',
      'denylist',
      'listed at',
      'listed in',
      'listed on',
      'dnsbl',
      'spamhaus',
      'spamcop',
      'barracuda',
      'sorbs',
      'uceprotect',
      'abuseat',
      'spamrats',
      'psbl',
      'mailspike',
      'invaluement',
      'senderscore',
      'cloudmark',
      'abusix',
      'surbl',
    ],
    note: 'DNS blocklists (Spamhaus, Barracuda BRBL, SpamCop, SORBS, ...): Postfix reject_rbl_client "Client host [ip] blocked using zen.spamhaus.org"',
  },
  {
    id: 'reputation.spam',
    class: 'policy.reputation',
    any: [
      ' spam ',
      ' spam.',
      ' spam,',
      ' spam;',
      ' spam:',
      ' spam)',
      '(spam',
      'as spam',
      'spam detected',
      'spam score',
      'spamscore',
      'anti-spam',
      'antispam',
      'unsolicited',
      'bulk mail',
      'junk mail',
      'reputation',
    ],
    note: 'Spam verdicts and reputation (DESIGN §5: spam is policy.reputation). Phrases, not the bare word, so host names like spamexperts.com do not match',
  },
  // ---- Temporary -----------------------------------------------------------------------------
  {
    id: 'temporary.greylist',
    class: 'soft.temporary',
    any: ['greylist', 'graylist', 'grey-list', 'gray-list'],
    note: 'Greylisting (postgrey 450 4.2.0 "Greylisted", others 451 4.7.1): always retried and accepted later',
  },

  // ---- Weak phrases: only when no specific enhanced-code rule applies --------------------------
  {
    id: 'recipient.unavailable',
    class: 'hard.invalid_recipient',
    cls: 5,
    weak: true,
    any: ['mailbox unavailable', 'mailbox currently unavailable'],
    note: `RFC 5321 550 "mailbox unavailable": Outlook.com 550 5.5.0 "Requested action not taken: mailbox unavailable" = unknown user (${MSFT}; spamresource.com 2023-09). Weak because GMX/web.de use it as the first line of multi-line policy rejects whose last line tells the reason, and the 450 form means busy`,
  },
  {
    id: 'reputation.access_denied',
    class: 'policy.reputation',
    weak: true,
    any: ['client host rejected', 'access denied', 'service unavailable; client host', 'not authorized to send', 'rejected due to local policy', 'local policy'],
    note: 'Client IP blocks by policy (Postfix check_client_access "Client host rejected: Access denied", "rejected due to local policy")',
  },

  {
    id: 'temporary.generic',
    class: 'soft.temporary',
    cls: 4,
    weak: true,
    any: [
      'try again later',
      'please try later',
      'temporarily unavailable',
      'temporarily deferred',
      'temporary failure',
      'temporarily rejected',
      'insufficient system storage',
      'retry time not reached',
      'service not available',
      'service unavailable',
      'server busy',
      'local error in processing',
      'internal server error',
    ],
    note: 'Generic transient failures (RFC 5321 421/450/451/452), greylisting, Exim "retry time not reached"; a 5xx "Service unavailable" is left to its code',
  },
];

export const CODE_RULES: readonly CodeRule[] = [
  // X.1.x addressing (RFC 3463 §3.2, IANA)
  { id: 'code.bad_mailbox', class: 'hard.invalid_recipient', codes: ['X.1.1', 'X.1.3', 'X.1.4', 'X.1.6'], note: 'RFC 3463 X.1.1 bad destination mailbox, X.1.3 bad syntax, X.1.4 ambiguous, X.1.6 mailbox moved' },
  { id: 'code.bad_system', class: 'hard.domain', codes: ['X.1.2', 'X.1.10'], note: 'RFC 3463 X.1.2 bad destination system address; RFC 7505 X.1.10 recipient address has null MX' },
  { id: 'code.bad_sender', class: 'policy.auth', codes: ['X.1.7', 'X.1.8'], note: 'RFC 3463 X.1.7/X.1.8 bad sender mailbox / system address: a sender identity check' },
  // X.2.x mailbox
  { id: 'code.mailbox_disabled', class: 'hard.invalid_recipient', codes: ['5.2.1'], note: 'RFC 3463 5.2.1 mailbox disabled (4.2.1 is used for receiving-rate limits, left to text)' },
  { id: 'code.mailbox_full', class: 'soft.mailbox_full', codes: ['X.2.2'], note: 'RFC 3463 X.2.2 mailbox full' },
  { id: 'code.message_length', class: 'policy.content', codes: ['X.2.3', 'X.3.4'], note: 'RFC 3463 X.2.3 message length exceeds administrative limit, X.3.4 message too big for system' },
  // X.3.x mail system
  { id: 'code.system_full', class: 'soft.temporary', codes: ['X.3.1', 'X.3.2'], note: 'RFC 3463 X.3.1 mail system full, X.3.2 system not accepting network messages' },
  // X.4.x network and routing
  { id: 'code.no_answer', class: 'transport.connect', codes: ['X.4.1', 'X.4.2'], note: 'RFC 3463 X.4.1 no answer from host, X.4.2 bad connection' },
  { id: 'code.routing_server', class: 'transport.dns', codes: ['X.4.3', '4.4.4'], note: 'RFC 3463 X.4.3 directory (DNS) server failure; 4.4.4 unable to route, temporarily (Postfix DNS lookups)' },
  { id: 'code.unroutable', class: 'hard.domain', codes: ['5.4.4'], note: 'RFC 3463 5.4.4 unable to route (Postfix: no such domain / no MX)' },
  { id: 'code.congestion', class: 'soft.temporary', codes: ['X.4.5', 'X.4.7'], note: 'RFC 3463 X.4.5 mail system congestion, X.4.7 delivery time expired' },
  // X.6.x media
  { id: 'code.media', class: 'policy.content', codes: ['X.6.*'], note: 'RFC 3463 X.6.x message content or media errors' },
  // X.7.x security or policy
  { id: 'code.microsoft_throttle', class: 'policy.rate_limited', codes: ['4.7.500-699'], note: 'Microsoft Exchange Online 4.7.500-699 "Access denied, please try again later" / "Server busy" throttling' },
  { id: 'code.microsoft_tenant', class: 'policy.reputation', codes: ['5.7.700-750'], note: 'Microsoft Exchange Online 5.7.700-750 tenant/IP blocks (e.g. 5.7.708 traffic not accepted from this IP)' },
  { id: 'code.tls', class: 'transport.tls', codes: ['X.7.3', 'X.7.4', 'X.7.5', 'X.7.6', 'X.7.10', 'X.7.11', 'X.7.30'], note: 'RFC 3463 X.7.3-X.7.6 security features; RFC 4954/IANA X.7.10/X.7.11 encryption needed/required; RFC 8689 X.7.30 REQUIRETLS' },
  { id: 'code.integrity', class: 'policy.content', codes: ['X.7.7', 'X.7.16'], note: 'RFC 3463 X.7.7 message integrity failure; RFC 6710 X.7.16 message too big for priority' },
  { id: 'code.smtp_auth', class: 'policy.auth', codes: ['X.7.8', 'X.7.9', 'X.7.12', 'X.7.13', 'X.7.14'], note: 'RFC 4954 / IANA X.7.8 credentials invalid, X.7.9 mechanism too weak, X.7.12-X.7.14' },
  { id: 'code.owner_changed', class: 'hard.invalid_recipient', codes: ['X.7.17'], note: 'RFC 7293 X.7.17 mailbox owner has changed' },
  { id: 'code.domain_owner_changed', class: 'hard.domain', codes: ['X.7.18'], note: 'RFC 7293 X.7.18 domain owner has changed' },
  { id: 'code.email_auth', class: 'policy.auth', codes: ['X.7.20-27', 'X.7.29'], note: 'RFC 7372 X.7.20-X.7.22 DKIM, X.7.23/X.7.24 SPF, X.7.25 reverse DNS, X.7.26 multiple checks (DMARC), X.7.27 sender null MX; RFC 8617 X.7.29 ARC' },
  { id: 'code.mail_flood', class: 'policy.reputation', codes: ['X.7.28'], note: 'IANA X.7.28 "mail flood detected" (Gmail 4.7.28 unsolicited mail rate)' },
  { id: 'code.not_authorized', class: 'policy.reputation', codes: ['X.7.1'], note: 'RFC 3463 X.7.1 delivery not authorized, message refused: default reputation when the text says nothing better (decision, see header)' },
  { id: 'code.policy', class: 'policy.reputation', codes: ['X.7.*'], note: 'RFC 3463 X.7.x security or policy status, no more specific rule' },
];

export const REPLY_CODE_RULES: readonly ReplyCodeRule[] = [
  { id: 'reply.no_mail_domain', class: 'hard.domain', reply: [521, 556], note: 'RFC 7504: 521 host / 556 domain does not accept mail' },
  { id: 'reply.user_not_local', class: 'hard.invalid_recipient', reply: [551, 553], note: 'RFC 5321: 551 user not local, 553 mailbox name not allowed' },
  { id: 'reply.storage', class: 'soft.mailbox_full', reply: [552], note: 'RFC 5321: 552 requested mail action aborted: exceeded storage allocation' },
  { id: 'reply.auth', class: 'policy.auth', reply: [530, 535], note: 'RFC 4954: 530 authentication required, 535 authentication credentials invalid' },
  { id: 'reply.not_authorized', class: 'policy.reputation', reply: [571], note: 'Non-standard 571 "delivery not authorized" (older Exchange / IIS)' },
];

/** Applied last, by the failure's class (enhanced code class, else the basic code's first digit). */
export const CLASS_DEFAULT_RULES: readonly CodeRule[] = [
  { id: 'class.4xx', class: 'soft.temporary', codes: ['4.*.*'], note: 'RFC 3463 class 4 persistent transient failure with nothing more specific' },
  { id: 'class.5xx', class: 'other', codes: ['5.*.*'], note: 'RFC 3463 class 5 permanent failure with nothing more specific' },
];
