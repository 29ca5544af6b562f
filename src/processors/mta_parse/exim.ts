// Exim main log parser (Exim spec, chapter "Log files"; log_selector items).
//
// Two entry points:
//   parseEximLine    — a whole line of Exim's own main log ("2026-11-12 05:41:23 1tKx2c-... <= ...")
//   parseEximMessage — the message part only (Exim via syslog; the header is already parsed)
//
// How it works (hot path, no per-line regex alternations):
//   1. optional timestamp / [pid] / syslog split marker,
//   2. optional message id (old 6-6-2 or Exim 4.97+ 6-11-4 form) -> queue_id,
//   3. a two-character flag (<= (= => -> >> *> ** ==) or a literal prefix dispatch,
//   4. one left-to-right pass over "KEY=value" fields (quoted "..." values with \" escapes,
//      H= host specs "name (helo) [ip]:port*"), stopping at a top-level ": " after which
//      the free-text reason follows (** and == lines, "rejected ...: reason").
//
// Field conventions (attrs keys; values are as logged unless the key ends in _s = seconds):
//   router (R= on delivery lines), transport (T= on delivery lines), bounce_ref (R= on <=),
//   subject (T= on <=), user (U=), local_ip/local_port (I= on inbound lines; on outbound lines
//   I= sets ev.sending_ip and local_port), authenticator/auth_id/auth_sender (A=),
//   cert_verified (CV=), peer_dn (DN=), sni (SNI=), proxy (PRX=), return_path (P= on delivery),
//   queue_time/queue_time_s (QT=), deliver_time/deliver_time_s (DT=), receive_time/
//   receive_time_s (RT=), duration/duration_s (D=), dkim_domain (DKIM= on <=), connection_id
//   (Ci=), queue (Q=), shadow_transport (ST=), m8s (M8S=), msg_id_created (id*=), chunking (K),
//   pipelining (L, L-, L., L*), dnssec (DS), tfo (TFO), prdr (PRDR), tls_resumed (X=...*),
//   conn_reused (H=...* on delivery), errno ("defer (-44)"), parent ("(x@y)" on delivery),
//   flag (the two-character flag), recipients (received_recipients list), received_sender,
//   connection_count ("TCP/IP connection count"). Unknown KEY=value fields land as attrs[KEY].
//
// Event mapping: <= and (= -> arrival (fakereject: action 'fakereject'); => -> >> *> ->
// delivery_attempt status 'sent' (*> adds action 'suppressed'); ** -> status 'bounced';
// == -> status 'deferred'. QT= on a delivery also sets ev.delay (seconds on queue, like
// Postfix's delay=). relay is "name[ip]" or "name[ip]:port" (Postfix style); local deliveries
// without H= use the transport name as relay. message_id has no angle brackets.
// smtp_command values (the verb as logged, same vocabulary as postfix.ts): RCPT, MAIL, DATA
// (predata), DATA-END (after end of data, and Exim's "rejected after DATA/MIME/DKIM"), BDAT,
// EHLO, HELO (also Exim's ambiguous "rejected EHLO or HELO"), CONNECT (initial connection,
// connection-level rejects), STARTTLS, AUTH, VRFY, EXPN, ETRN, RSET, QUIT.
// DKIM verbose lines -> event 'auth' {mechanism 'dkim'}; signing lines -> 'dkim_sign' with
// auth.result 'signed'. The DKIM= tag on <= lines stays in attrs (not an auth event) so that
// verbose per-signature lines are not double counted.
// Exim local time without a zone is taken as UTC (the brief); "+hhmm" is honoured.

import type { AuthResult, MailEvent, TlsInfo } from '../../model/mail_event.js';
import { isAlnum, isDigit } from './text.js';

const SP = 32;
const QUOTE = 34;
const LPAREN = 40;
const RPAREN = 41;
const STAR = 42;
const PLUS = 43;
const MINUS = 45;
const DOT = 46;
const COLON = 58;
const LT = 60;
const EQ = 61;
const GT = 62;
const LBRACK = 91;
const BSLASH = 92;
const RBRACK = 93;

const M_ARRIVAL = 0;
const M_DELIVERY = 1;
const M_SESSION = 2; // inbound session/reject lines: stop at the first bare word
const M_TAIL = 3; // generic trailing fields (Completed QT=, lost D=, ...)

/** Per-line scratch, reused: parsing is synchronous, so one instance is enough. */
const st = {
  reasonAt: -1,
  stop: -1,
  hostSet: false,
  hName: undefined as string | undefined,
  hHelo: undefined as string | undefined,
  hIp: undefined as string | undefined,
  hPort: undefined as number | undefined,
  hReused: false,
  x: undefined as string | undefined,
  cv: undefined as string | undefined,
  // timestamp scratch
  tsTime: 0,
  tsEnd: 0,
  tsPid: -1,
};

function resetScan(): void {
  st.reasonAt = -1;
  st.stop = -1;
  st.hostSet = false;
  st.hName = st.hHelo = st.hIp = undefined;
  st.hPort = undefined;
  st.hReused = false;
  st.x = st.cv = undefined;
}

// ---------------------------------------------------------------------------------------------
// small helpers


function attr(ev: MailEvent, k: string, v: string | number): void {
  (ev.attrs ??= {})[k] = v;
}

function stripAngle(v: string): string {
  return v.length >= 2 && v.charCodeAt(0) === LT && v.charCodeAt(v.length - 1) === GT
    ? v.substring(1, v.length - 1)
    : v;
}

function domainOf(addr: string): string | undefined {
  const at = addr.lastIndexOf('@');
  return at >= 0 && at < addr.length - 1 ? addr.substring(at + 1).toLowerCase() : undefined;
}

function tokenEnd(s: string, i: number): number {
  const n = s.length;
  while (i < n && s.charCodeAt(i) !== SP) i++;
  return i;
}

function skipSp(s: string, i: number): number {
  const n = s.length;
  while (i < n && s.charCodeAt(i) === SP) i++;
  return i;
}

/** ": " (or ":" at end of line) at i, i.e. the start of free text. Returns its start or -1. */
function termAt(s: string, i: number): number {
  if (s.charCodeAt(i) !== COLON) return -1;
  if (i + 1 === s.length) return i + 1;
  return s.charCodeAt(i + 1) === SP ? skipSp(s, i + 1) : -1;
}

/**
 * A "KEY=" at i: an upper-case letter, up to 9 more alphanumerics, optional '*', then '='
 * (Exim's field names are upper case apart from id= / id*=; this keeps "cwd=", "pid=" and
 * local parts like "bob=x@y" out). Returns the '=' index or -1.
 */
function keyEq(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 105 && s.charCodeAt(i + 1) === 100) { // id= / id*=
    if (s.charCodeAt(i + 2) === EQ) return i + 2;
    return s.charCodeAt(i + 2) === STAR && s.charCodeAt(i + 3) === EQ ? i + 3 : -1;
  }
  if (c < 65 || c > 90) return -1;
  const lim = Math.min(s.length, i + 11);
  let j = i + 1;
  while (j < lim && isAlnum(s.charCodeAt(j))) j++;
  if (s.charCodeAt(j) === STAR) j++;
  return s.charCodeAt(j) === EQ ? j : -1;
}

function parseIntAt(s: string, i: number, end: number): number {
  let v = 0;
  for (let k = i; k < end; k++) {
    const c = s.charCodeAt(k);
    if (!isDigit(c)) return NaN;
    v = v * 10 + (c - 48);
  }
  return end > i ? v : NaN;
}

/** Exim durations: "3s", "1m2s", "2d3h", "1w", "0.123s" (millisec selector). NaN if malformed. */
export function eximDurationSeconds(v: string): number {
  let total = 0;
  let i = 0;
  const n = v.length;
  if (n === 0) return NaN;
  while (i < n) {
    const start = i;
    while (i < n && (isDigit(v.charCodeAt(i)) || v.charCodeAt(i) === DOT)) i++;
    if (i === start || i === n) return NaN;
    const num = Number(v.substring(start, i));
    if (Number.isNaN(num)) return NaN;
    switch (v.charCodeAt(i)) {
      case 115: total += num; break; // s
      case 109: total += num * 60; break; // m
      case 104: total += num * 3600; break; // h
      case 100: total += num * 86400; break; // d
      case 119: total += num * 604800; break; // w
      case 121: total += num * 31536000; break; // y
      default: return NaN;
    }
    i++;
  }
  return total;
}

function durationAttr(ev: MailEvent, name: string, v: string): number {
  attr(ev, name, v);
  const secs = eximDurationSeconds(v);
  if (!Number.isNaN(secs)) attr(ev, name + '_s', secs);
  return secs;
}

function readQuoted(s: string, i: number): { value: string; end: number } {
  const n = s.length;
  let j = i + 1;
  let esc = false;
  while (j < n) {
    const c = s.charCodeAt(j);
    if (c === BSLASH) { esc = true; j += 2; continue; }
    if (c === QUOTE) break;
    j++;
  }
  let value = s.substring(i + 1, Math.min(j, n));
  if (esc) value = value.replace(/\\(["\\])/g, '$1');
  return { value, end: Math.min(j + 1, n) };
}

/**
 * Host spec "name (helo) [ip]:port*", any part optional except that a bare name stands alone.
 * Fills st.h*; returns the index just after the spec.
 */
function parseHost(s: string, i: number): number {
  const n = s.length;
  st.hostSet = true;
  st.hName = st.hHelo = st.hIp = undefined;
  st.hPort = undefined;
  st.hReused = false;
  let c = s.charCodeAt(i);
  if (c !== LPAREN && c !== LBRACK) {
    let e = tokenEnd(s, i);
    // "H=mx.example: reason" — leave the ':' for the terminator check
    if (s.charCodeAt(e - 1) === COLON && e - 1 > i) e--;
    st.hName = s.substring(i, e);
    if (e + 1 < n && s.charCodeAt(e) === SP) {
      c = s.charCodeAt(e + 1);
      if (c !== LPAREN && c !== LBRACK) return e;
      i = e + 1;
    } else {
      return e;
    }
  }
  if (c === LPAREN) {
    const close = s.indexOf(')', i + 1);
    if (close < 0) return n;
    st.hHelo = s.substring(i + 1, close);
    i = close + 1;
    if (i + 1 < n && s.charCodeAt(i) === SP && s.charCodeAt(i + 1) === LBRACK) i++;
    else return i;
  }
  const close = s.indexOf(']', i + 1);
  if (close < 0) return n;
  st.hIp = s.substring(i + 1, close);
  i = close + 1;
  if (s.charCodeAt(i) === COLON && isDigit(s.charCodeAt(i + 1))) {
    let e = i + 1;
    while (e < n && isDigit(s.charCodeAt(e))) e++;
    st.hPort = parseIntAt(s, i + 1, e);
    i = e;
  }
  if (s.charCodeAt(i) === STAR) {
    st.hReused = true;
    i++;
  }
  return i;
}

/** "[ip]:port" as in I= values. */
function parseBracketIpPort(v: string): { ip: string; port: number | undefined } | undefined {
  if (v.charCodeAt(0) !== LBRACK) return undefined;
  const close = v.indexOf(']');
  if (close < 0) return undefined;
  const ip = v.substring(1, close);
  let port: number | undefined;
  if (v.charCodeAt(close + 1) === COLON) {
    const p = parseIntAt(v, close + 2, v.length);
    if (!Number.isNaN(p)) port = p;
  }
  return { ip, port };
}

// ---------------------------------------------------------------------------------------------
// replies, commands, TLS

/** SMTP command named after "after " / "in response to " in Exim's error texts. */
function commandAt(t: string, p: number): string | undefined {
  if (t.startsWith('pipelined ', p)) p += 10;
  switch (t.charCodeAt(p)) {
    case 82: // R
      if (t.startsWith('RCPT', p)) return 'RCPT';
      if (t.startsWith('RSET', p)) return 'RSET';
      return undefined;
    case 77: return t.startsWith('MAIL', p) ? 'MAIL' : undefined;
    case 101: return t.startsWith('end of data', p) ? 'DATA-END' : undefined;
    case 68: return t.startsWith('DATA', p) ? 'DATA' : undefined;
    case 66: return t.startsWith('BDAT', p) ? 'BDAT' : undefined;
    case 105: return t.startsWith('initial connection', p) ? 'CONNECT' : undefined;
    case 69:
      if (t.startsWith('EHLO', p)) return 'EHLO';
      if (t.startsWith('EXPN', p)) return 'EXPN';
      if (t.startsWith('ETRN', p)) return 'ETRN';
      return undefined;
    case 72: return t.startsWith('HELO', p) ? 'HELO' : undefined;
    case 83: return t.startsWith('STARTTLS', p) ? 'STARTTLS' : undefined;
    case 65: return t.startsWith('AUTH', p) ? 'AUTH' : undefined;
    case 86: return t.startsWith('VRFY', p) ? 'VRFY' : undefined;
    case 81: return t.startsWith('QUIT', p) ? 'QUIT' : undefined;
    default: return undefined;
  }
}

function isDsnAt(t: string, i: number, e: number): boolean {
  // d.d{1,3}.d{1,3}
  const c = t.charCodeAt(i);
  if (c !== 50 && c !== 52 && c !== 53) return false;
  if (t.charCodeAt(i + 1) !== DOT) return false;
  let j = i + 2;
  let dots = 0;
  let digits = 0;
  for (; j < e; j++) {
    const d = t.charCodeAt(j);
    if (isDigit(d)) { if (++digits > 3) return false; continue; }
    if (d === DOT && digits > 0 && dots === 0) { dots++; digits = 0; continue; }
    return false;
  }
  return dots === 1 && digits > 0;
}

/** "250 2.0.0 OK id=..." -> reply, reply_code, dsn, queued_as. */
export function applySmtpReply(text: string, ev: MailEvent): void {
  ev.reply = text;
  const c0 = text.charCodeAt(0);
  if (!(c0 >= 50 && c0 <= 53) || !isDigit(text.charCodeAt(1)) || !isDigit(text.charCodeAt(2))) return;
  const sep = text.charCodeAt(3);
  if (text.length > 3 && sep !== SP && sep !== MINUS) return;
  ev.reply_code = parseIntAt(text, 0, 3);
  const ds = 4;
  const de = tokenEnd(text, ds);
  if (de > ds && isDsnAt(text, ds, de)) ev.dsn = text.substring(ds, de);
  if (c0 === 50) {
    let q = text.indexOf('queued as ');
    if (q >= 0) q += 10;
    else {
      q = text.indexOf(' id=');
      if (q >= 0) q += 4;
    }
    if (q >= 0) {
      let e = tokenEnd(text, q);
      // trailing punctuation of "queued as ABC)." style replies
      while (e > q && !isAlnum(text.charCodeAt(e - 1))) e--;
      if (e > q) ev.queued_as = text.substring(q, e);
    }
  }
}

function classOf(code: number | undefined, status: MailEvent['status']): MailEvent['status_class'] {
  if (code !== undefined) {
    if (code >= 500) return '5xx';
    if (code >= 400) return '4xx';
    if (code >= 200 && code < 300) return '2xx';
  }
  if (status === 'sent') return '2xx';
  if (status === 'deferred') return '4xx';
  if (status === 'bounced') return '5xx';
  return undefined;
}

/**
 * Free text after a ** / == / detail line: "SMTP error from remote mail server after RCPT TO:<x>:
 * 550 5.1.1 ...", old "...: host mx [ip]: 550 ...", "SMTP timeout after end of data ...: ...",
 * "Remote host closed connection in response to end of data", "retry time not reached ...".
 */
function applyReason(text: string, ev: MailEvent): void {
  ev.reason = text;
  let k = text.indexOf(' after ');
  let p = -1;
  if (k >= 0) p = k + 7;
  else {
    k = text.indexOf('in response to ');
    if (k >= 0) p = k + 15;
  }
  if (p >= 0) {
    const cmd = commandAt(text, p);
    if (cmd !== undefined) ev.smtp_command = cmd;
    const q = text.indexOf(': ', p);
    if (q >= 0) {
      let r = q + 2;
      if (text.startsWith('host ', r)) {
        // pre-4.80 form: "...: host mx.example [1.2.3.4]: 550 ..."
        // callers have already assigned the H= host, so the scratch can be reused here
        const e = parseHost(text, r + 5);
        if (ev.relay_ip === undefined && st.hIp !== undefined) assignRelay(ev);
        const t = termAt(text, e);
        if (t >= 0) r = t;
      }
      if (isDigit(text.charCodeAt(r))) {
        applySmtpReply(text.substring(r), ev);
        return;
      }
    }
  }
  ev.reply = text;
}

function buildTls(direction: TlsInfo['direction']): TlsInfo {
  const tls: TlsInfo = { direction };
  let x = st.x as string;
  if (x.charCodeAt(x.length - 1) === STAR) x = x.substring(0, x.length - 1);
  const a = x.indexOf(':');
  const b = x.lastIndexOf(':');
  let proto = a >= 0 ? x.substring(0, a) : x;
  // GnuTLS builds log "TLS1.3"; normalise to the OpenSSL spelling used by tls.protocol.version
  if (proto.startsWith('TLS') && isDigit(proto.charCodeAt(3))) proto = 'TLSv' + proto.substring(3);
  tls.protocol = proto;
  if (a >= 0) {
    const bits = b > a ? parseIntAt(x, b + 1, x.length) : NaN;
    if (!Number.isNaN(bits)) {
      tls.cipher = x.substring(a + 1, b);
      tls.bits = bits;
    } else {
      tls.cipher = x.substring(a + 1);
    }
  }
  if (st.cv !== undefined) tls.trust = st.cv === 'no' ? 'Untrusted' : 'Verified';
  return tls;
}

function assignClient(ev: MailEvent): void {
  if (st.hName !== undefined) ev.client_host = st.hName;
  if (st.hHelo !== undefined) ev.helo = st.hHelo;
  if (st.hIp !== undefined) ev.client_ip = st.hIp;
  if (st.hPort !== undefined) ev.client_port = st.hPort;
}

function assignRelay(ev: MailEvent): void {
  const name = st.hName ?? st.hIp;
  if (name === undefined) return;
  if (st.hName !== undefined) ev.relay_host = st.hName;
  if (st.hIp !== undefined) ev.relay_ip = st.hIp;
  if (st.hPort !== undefined) ev.relay_port = st.hPort;
  ev.relay = st.hIp === undefined ? name : st.hPort === undefined ? `${name}[${st.hIp}]` : `${name}[${st.hIp}]:${st.hPort}`;
  if (st.hReused) attr(ev, 'conn_reused', 1);
}

function finishTls(ev: MailEvent, direction: TlsInfo['direction']): void {
  if (st.x === undefined) return;
  const tls = buildTls(direction);
  if (st.hName !== undefined) tls.peer_host = st.hName;
  if (st.hIp !== undefined) tls.peer_ip = st.hIp;
  ev.tls = tls;
}

// SASL mechanism from common authenticator driver names ("dovecot_plain", "login", "cram_md5")
function saslMethod(name: string): string {
  const lower = name.toLowerCase();
  const u = lower.lastIndexOf('_');
  const tail = u >= 0 ? lower.substring(u + 1) : lower;
  switch (tail) {
    case 'plain': return 'PLAIN';
    case 'login': return 'LOGIN';
    case 'md5': return lower.endsWith('cram_md5') ? 'CRAM-MD5' : name;
    case 'xoauth2': return 'XOAUTH2';
    case 'oauthbearer': return 'OAUTHBEARER';
    case 'external': return 'EXTERNAL';
    case 'gssapi': return 'GSSAPI';
    default: return name;
  }
}

function applyAuthField(v: string, ev: MailEvent, mode: number): void {
  const c1 = v.indexOf(':');
  const name = c1 >= 0 ? v.substring(0, c1) : v;
  let id: string | undefined;
  let sender: string | undefined;
  if (c1 >= 0) {
    const c2 = v.indexOf(':', c1 + 1);
    id = c2 >= 0 ? v.substring(c1 + 1, c2) : v.substring(c1 + 1);
    if (c2 >= 0) sender = v.substring(c2 + 1);
  }
  attr(ev, 'authenticator', name);
  if (id !== undefined && id !== '') attr(ev, 'auth_id', id);
  if (sender !== undefined && sender !== '') attr(ev, 'auth_sender', sender);
  if (mode !== M_DELIVERY) {
    // inbound: the client authenticated to us
    const auth: AuthResult = { mechanism: 'sasl', result: 'pass', method: saslMethod(name) };
    if (id !== undefined && id !== '') auth.username = id;
    ev.auth = auth;
  }
}

/** C=EHLO,STARTTLS,EHLO,QUIT (smtp_no_mail) -> { ehlo: 2, starttls: 1, quit: 1, commands: 4 } */
function applyCommandList(v: string, ev: MailEvent): void {
  const cmds: Record<string, number> = {};
  let total = 0;
  let i = 0;
  while (i <= v.length) {
    let e = v.indexOf(',', i);
    if (e < 0) e = v.length;
    if (e > i) {
      const c = v.substring(i, e).toLowerCase();
      if (c !== '...') {
        cmds[c] = (cmds[c] ?? 0) + 1;
        total++;
      }
    }
    i = e + 1;
  }
  cmds.commands = total;
  ev.commands = cmds;
}

// ---------------------------------------------------------------------------------------------
// the field tokenizer

function applyField(key: string, v: string, ev: MailEvent, mode: number): void {
  switch (key) {
    case 'S': {
      const n = parseIntAt(v, 0, v.length);
      if (!Number.isNaN(n)) ev.size = n;
      else attr(ev, 'S', v);
      return;
    }
    case 'P':
      if (mode === M_DELIVERY) attr(ev, 'return_path', stripAngle(v));
      else ev.proto = v;
      return;
    case 'id':
      ev.message_id = stripAngle(v);
      return;
    case 'id*':
      ev.message_id = stripAngle(v);
      attr(ev, 'msg_id_created', 1);
      return;
    case 'U': attr(ev, 'user', v); return;
    case 'A': applyAuthField(v, ev, mode); return;
    case 'X': st.x = v; if (v.charCodeAt(v.length - 1) === STAR) attr(ev, 'tls_resumed', 1); return;
    case 'CV': st.cv = v; attr(ev, 'cert_verified', v); return;
    case 'DN': attr(ev, 'peer_dn', v); return;
    case 'SNI': attr(ev, 'sni', v); return;
    case 'PRX': attr(ev, 'proxy', v); return;
    case 'I': {
      const ip = parseBracketIpPort(v);
      if (ip === undefined) { attr(ev, 'I', v); return; }
      if (mode === M_DELIVERY) ev.sending_ip = ip.ip;
      else attr(ev, 'local_ip', ip.ip);
      if (ip.port !== undefined) attr(ev, 'local_port', ip.port);
      return;
    }
    case 'R':
      attr(ev, mode === M_ARRIVAL ? 'bounce_ref' : mode === M_DELIVERY ? 'router' : 'R', v);
      return;
    case 'T':
      attr(ev, mode === M_ARRIVAL ? 'subject' : mode === M_DELIVERY ? 'transport' : 'T', v);
      return;
    case 'F': {
      const s = stripAngle(v);
      ev.sender = s;
      const d = domainOf(s);
      if (d !== undefined) ev.sender_domain = d;
      return;
    }
    case 'C':
      if (mode === M_DELIVERY) applySmtpReply(v, ev);
      else if (v.indexOf(' ') < 0 && v.length > 0 && !isDigit(v.charCodeAt(0))) applyCommandList(v, ev);
      else attr(ev, 'C', v);
      return;
    case 'QT': {
      const secs = durationAttr(ev, 'queue_time', v);
      if (mode === M_DELIVERY && !Number.isNaN(secs)) ev.delay = secs;
      return;
    }
    case 'DT': durationAttr(ev, 'deliver_time', v); return;
    case 'RT': durationAttr(ev, 'receive_time', v); return;
    case 'D': durationAttr(ev, 'duration', v); return;
    case 'DKIM': attr(ev, 'dkim_domain', v); return;
    case 'Ci': attr(ev, 'connection_id', v); return;
    case 'Q': attr(ev, 'queue', v); return;
    case 'ST': attr(ev, 'shadow_transport', v); return;
    case 'M8S': attr(ev, 'm8s', v); return;
    default: attr(ev, key, v);
  }
}

/** Bare (non KEY=) tokens. Returns the index to continue at, or -1 to stop scanning. */
function bareToken(s: string, i: number, e: number, ev: MailEvent, mode: number): number {
  const n = s.length;
  const c = s.charCodeAt(i);
  const len = e - i;
  // flags that log_selector adds without a value
  if (c === 75 && len === 1) { attr(ev, 'chunking', 1); return e; } // K
  if (c === 76 && (len === 1 || (len === 2 && (s.charCodeAt(i + 1) === MINUS || s.charCodeAt(i + 1) === DOT || s.charCodeAt(i + 1) === STAR)))) {
    attr(ev, 'pipelining', s.substring(i, e));
    return e;
  }
  if (len === 2 && c === 68 && s.charCodeAt(i + 1) === 83) { attr(ev, 'dnssec', 1); return e; } // DS
  if (c === 84 && s.startsWith('TFO', i) && (len === 3 || (len === 4 && s.charCodeAt(i + 3) === STAR))) { attr(ev, 'tfo', 1); return e; }
  if (len === 4 && s.startsWith('PRDR', i)) { attr(ev, 'prdr', 1); return e; }
  if (mode === M_ARRIVAL) {
    if (len === 3 && s.startsWith('for', i)) {
      // received_recipients: the rest of the line is the recipient list
      const start = skipSp(s, e);
      if (start < n) {
        const list = s.substring(start).trimEnd();
        let count = 1;
        for (let k = 0; k < list.length; k++) if (list.charCodeAt(k) === SP) count++;
        attr(ev, 'recipients', list);
        ev.nrcpt = count;
      }
      return n;
    }
    if (len === 4 && s.startsWith('from', i)) {
      const start = skipSp(s, e);
      const end = tokenEnd(s, start);
      if (end > start) attr(ev, 'received_sender', stripAngle(s.substring(start, end)));
      return end;
    }
    return e; // tolerate anything else on arrival lines
  }
  if (mode === M_SESSION) return -1;
  // delivery / tail: "defer (-44)" / "routing defer (-51):" / "(111):"
  if (c === LPAREN) {
    let close = e - 1;
    if (s.charCodeAt(close) === COLON) close--;
    if (s.charCodeAt(close) === RPAREN) {
      const neg = s.charCodeAt(i + 1) === MINUS || s.charCodeAt(i + 1) === PLUS;
      const num = parseIntAt(s, neg ? i + 2 : i + 1, close);
      if (!Number.isNaN(num)) attr(ev, 'errno', s.charCodeAt(i + 1) === MINUS ? -num : num);
    }
  }
  if (s.charCodeAt(e - 1) === COLON) {
    st.reasonAt = skipSp(s, e);
    return -1;
  }
  return e;
}

/** One pass over "KEY=value" fields from i. Sets st.reasonAt / st.stop when it ends early. */
function scanFields(s: string, i: number, ev: MailEvent, mode: number): void {
  const n = s.length;
  while (i < n) {
    i = skipSp(s, i);
    if (i >= n) break;
    if (mode !== M_ARRIVAL) {
      const t = termAt(s, i);
      if (t >= 0) { st.reasonAt = t; return; }
    }
    const eq = keyEq(s, i);
    if (eq < 0) {
      const e = tokenEnd(s, i);
      const next = bareToken(s, i, e, ev, mode);
      if (next < 0) {
        if (st.reasonAt < 0) st.stop = i;
        return;
      }
      i = next;
      continue;
    }
    const key = s.substring(i, eq);
    const v = eq + 1;
    if (key === 'H') {
      i = parseHost(s, v);
      continue; // a following ':' is caught by termAt at the loop top
    }
    if (s.charCodeAt(v) === QUOTE) {
      const q = readQuoted(s, v);
      applyField(key, q.value, ev, mode);
      i = q.end;
      continue;
    }
    let e = tokenEnd(s, v);
    let term = -1;
    if (mode !== M_ARRIVAL && s.charCodeAt(e - 1) === COLON && e - 1 > v) {
      term = skipSp(s, e);
      e--;
    }
    applyField(key, s.substring(v, e), ev, mode);
    if (term >= 0) { st.reasonAt = term; return; }
    i = e;
  }
}

/** Index of the first KEY= token at or after i (or s.length): the end of a free-text phrase. */
function phraseEnd(s: string, i: number): number {
  const n = s.length;
  while (i < n) {
    if ((i === 0 || s.charCodeAt(i - 1) === SP) && keyEq(s, i) >= 0) return i;
    i++;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// line kinds

function arrival(s: string, i: number, ev: MailEvent, fake: boolean): boolean {
  ev.event = 'arrival';
  attr(ev, 'flag', fake ? '(=' : '<=');
  if (fake) ev.action = 'fakereject';
  const e = tokenEnd(s, i);
  const sender = s.substring(i, e);
  ev.sender = sender === '<>' ? '' : stripAngle(sender);
  const d = domainOf(ev.sender);
  if (d !== undefined) ev.sender_domain = d;
  resetScan();
  scanFields(s, e, ev, M_ARRIVAL);
  if (st.hostSet) assignClient(ev);
  finishTls(ev, 'inbound');
  return true;
}

/** Recipient part of a delivery line: "a@b", "a@b <orig>", "|/bin/prog args (parent) <orig>". */
function addressPart(s: string, i: number, ev: MailEvent): number {
  const n = s.length;
  let e = tokenEnd(s, i);
  // "x@y: reason" ends the fields; ":blackhole:" is an address, not a terminator
  let t = s.charCodeAt(e - 1) === COLON && s.charCodeAt(i) !== COLON ? e - 1 : -1;
  let rcpt = s.substring(i, t >= 0 ? t : e);
  if (t >= 0) {
    ev.recipient = rcpt;
    st.reasonAt = skipSp(s, e);
    return n;
  }
  i = skipSp(s, e);
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === LT) {
      e = tokenEnd(s, i);
      t = s.charCodeAt(e - 1) === COLON ? e - 1 : e;
      ev.orig_recipient = stripAngle(s.substring(i, t));
      if (t < e) { st.reasonAt = skipSp(s, e); break; }
      i = skipSp(s, e);
      continue;
    }
    if (c === LPAREN) {
      const close = s.indexOf(')', i);
      if (close < 0) break;
      attr(ev, 'parent', s.substring(i + 1, close));
      e = close + 1;
      const tt = termAt(s, e);
      if (tt >= 0) { st.reasonAt = tt; break; }
      i = skipSp(s, e);
      continue;
    }
    if (keyEq(s, i) >= 0) break;
    // words of a pipe command ("|/usr/bin/prog -x <orig>"); anything else is for the field scanner
    if (rcpt.charCodeAt(0) !== 124) break;
    e = tokenEnd(s, i);
    rcpt += ' ' + s.substring(i, e);
    i = skipSp(s, e);
  }
  ev.recipient = rcpt;
  return st.reasonAt >= 0 ? n : i;
}

function delivery(s: string, i: number, ev: MailEvent, flag: string): boolean {
  ev.event = 'delivery_attempt';
  attr(ev, 'flag', flag);
  ev.status = flag === '**' ? 'bounced' : flag === '==' ? 'deferred' : 'sent';
  if (flag === '*>') ev.action = 'suppressed';
  resetScan();
  const next = addressPart(s, i, ev);
  if (st.reasonAt < 0) scanFields(s, next, ev, M_DELIVERY);
  const rcpt = ev.recipient as string;
  if (rcpt === ':blackhole:' || rcpt === 'discarded') ev.action = 'discard';
  const d = domainOf(rcpt) ?? (ev.orig_recipient !== undefined ? domainOf(ev.orig_recipient) : undefined);
  if (d !== undefined) ev.recipient_domain = d;
  if (st.hostSet) assignRelay(ev);
  else if (ev.status === 'sent' && ev.attrs?.transport !== undefined) ev.relay = String(ev.attrs.transport);
  finishTls(ev, 'outbound');
  if (st.reasonAt >= 0 && st.reasonAt < s.length) applyReason(s.substring(st.reasonAt), ev);
  const cls = classOf(ev.reply_code, ev.status);
  if (cls !== undefined) ev.status_class = cls;
  return true;
}

function dkimLine(s: string, i: number, ev: MailEvent): boolean {
  if (s.startsWith('validation error', i) || s.startsWith('Error during validation', i)) {
    ev.event = 'warning';
    ev.severity = 'warning';
    ev.reason = s.substring(i);
    return true;
  }
  const auth: AuthResult = { mechanism: 'dkim', result: 'none' };
  const n = s.length;
  let bracket = -1;
  while (i < n) {
    i = skipSp(s, i);
    if (i >= n) break;
    if (s.charCodeAt(i) === LBRACK) { bracket = i; break; }
    const e = tokenEnd(s, i);
    if (s.charCodeAt(i + 1) === EQ) {
      const v = s.substring(i + 2, e);
      switch (s.charCodeAt(i)) {
        case 100: auth.domain = v; break; // d
        case 115: auth.selector = v; break; // s
        case 99: attr(ev, 'dkim_canon', v); break; // c
        case 97: attr(ev, 'dkim_algo', v); break; // a
        case 98: { const b = parseIntAt(v, 0, v.length); if (!Number.isNaN(b)) attr(ev, 'dkim_bits', b); break; } // b
        case 105: attr(ev, 'dkim_identity', v); break; // i
        default: break;
      }
    } else if (s.startsWith('signing', i)) {
      bracket = i - 1;
      break;
    }
    i = e;
  }
  let text = '';
  if (bracket >= 0) {
    const close = s.lastIndexOf(']');
    text = s.substring(bracket + 1, close > bracket ? close : n);
  }
  if (text.startsWith('signing') || text === 'signed') {
    ev.event = 'dkim_sign';
    auth.result = 'signed';
    ev.auth = auth;
    return true;
  }
  ev.event = 'auth';
  if (text === 'verification succeeded') auth.result = 'pass';
  else if (text === 'not verified') auth.result = 'none';
  else {
    const dash = text.indexOf(' - ');
    const head = dash >= 0 ? text.substring(0, dash) : text;
    const why = dash >= 0 ? text.substring(dash + 3) : undefined;
    if (head === 'verification failed') auth.result = 'fail';
    else if (head === 'invalid') auth.result = why !== undefined && why.indexOf('unavailable') >= 0 ? 'temperror' : 'permerror';
    else if (head.length > 0) auth.result = head; // ACL override: "[status - reason]"
    if (why !== undefined) auth.reason = why;
  }
  ev.auth = auth;
  return true;
}

function dmarcLine(s: string, i: number, ev: MailEvent): boolean {
  const auth: AuthResult = { mechanism: 'dmarc', result: 'none' };
  const n = s.length;
  let enforcement: string | undefined;
  let status: string | undefined;
  while (i < n) {
    i = skipSp(s, i);
    if (i >= n) break;
    const eq = s.indexOf('=', i);
    const sp = tokenEnd(s, i);
    if (eq < 0 || eq > sp) { i = sp; continue; }
    const key = s.substring(i, eq);
    let v: string;
    let e: number;
    if (s.charCodeAt(eq + 1) === 39) { // '...'
      const close = s.indexOf("'", eq + 2);
      e = close < 0 ? n : close + 1;
      v = s.substring(eq + 2, close < 0 ? n : close);
    } else {
      e = tokenEnd(s, eq + 1);
      v = s.substring(eq + 1, e);
    }
    switch (key) {
      case 'dmarc_domain': auth.domain = v; break;
      case 'spf_domain': attr(ev, 'spf_domain', v); break;
      case 'spf_align': attr(ev, 'spf_align', v); break;
      case 'dkim_align': attr(ev, 'dkim_align', v); break;
      case 'enforcement': enforcement = v; break;
      case 'DMARC-Status': case 'DMARC': case 'status': status = v.toLowerCase(); break;
      default: attr(ev, key, v);
    }
    i = e;
  }
  if (enforcement !== undefined) {
    attr(ev, 'enforcement', enforcement);
    // Exim's enforcement text: "Accept", "None, Accept" (failed, p=none), "Reject",
    // "Quarantine", "No DMARC record", "No From: domain found", "Internal Policy Error"
    switch (enforcement) {
      case 'Accept': auth.result = 'pass'; break;
      case 'None, Accept': auth.result = 'fail'; auth.policy = 'none'; break;
      case 'Reject': auth.result = 'fail'; auth.policy = 'reject'; break;
      case 'Quarantine': auth.result = 'fail'; auth.policy = 'quarantine'; break;
      case 'No DMARC record': auth.result = 'none'; break;
      case 'No From: domain found': auth.result = 'permerror'; break;
      default: auth.result = 'temperror';
    }
  }
  if (status !== undefined) auth.result = status;
  ev.event = 'auth';
  ev.auth = auth;
  return true;
}

/** "rejected RCPT <x>: why" etc. after the session fields (H= F= ...). */
function rejectPhrase(s: string, i: number, ev: MailEvent): boolean {
  let temp = false;
  if (s.startsWith('temporarily ', i)) { temp = true; i += 12; }
  if (!s.startsWith('rejected', i)) return false;
  i = skipSp(s, i + 8);
  ev.event = 'reject';
  ev.status = 'rejected';
  ev.status_class = temp ? '4xx' : '5xx';
  if (temp) ev.action = 'defer';
  const n = s.length;
  let cmd: string | undefined;
  let p = i;
  if (s.startsWith('after ', i)) {
    p = i + 6;
    cmd = s.startsWith('DATA', p) || s.startsWith('MIME', p) || s.startsWith('DKIM', p) || s.startsWith('PRDR', p) ? 'DATA-END' : commandAt(s, p);
  } else if (s.startsWith('connection', i)) {
    cmd = 'CONNECT';
  } else if (s.startsWith('EHLO or HELO ', i)) {
    cmd = 'HELO';
    const e = tokenEnd(s, i + 13);
    let he = e;
    if (s.charCodeAt(e - 1) === COLON) he--;
    ev.helo = s.substring(i + 13, he);
  } else {
    cmd = s.startsWith('DATA', i) ? 'DATA' : commandAt(s, i);
    if (cmd === 'RCPT' || cmd === 'MAIL') {
      const a = skipSp(s, i + 4);
      if (s.charCodeAt(a) === LT) {
        const close = s.indexOf('>', a);
        if (close > 0) {
          const addr = s.substring(a + 1, close);
          if (cmd === 'RCPT') {
            ev.recipient = addr;
            const d = domainOf(addr);
            if (d !== undefined) ev.recipient_domain = d;
          } else {
            ev.sender = addr;
            const d = domainOf(addr);
            if (d !== undefined) ev.sender_domain = d;
          }
          p = close + 1;
        }
      }
    }
  }
  if (cmd !== undefined) ev.smtp_command = cmd;
  const colon = s.indexOf(': ', p);
  if (colon >= 0) ev.reason = s.substring(skipSp(s, colon + 2));
  else if (s.charCodeAt(n - 1) === COLON) ev.reason = '';
  else ev.reason = s.substring(i);
  return true;
}

/** Lines that start with fields: "H=... F=<..> rejected ...", "H=mx [ip]: SMTP error ...". */
function fieldsLine(s: string, i: number, ev: MailEvent, hasId: boolean): boolean {
  resetScan();
  scanFields(s, i, ev, M_SESSION);
  if (st.reasonAt >= 0) {
    const text = s.substring(st.reasonAt);
    ev.event = 'info';
    if (hasId) {
      // per-host detail before the ==/** summary line: the host is the remote server
      assignRelay(ev);
      finishTls(ev, 'outbound');
      applyReason(text, ev);
    } else {
      assignClient(ev);
      finishTls(ev, 'inbound');
      ev.reason = text;
    }
    return true;
  }
  const rest = st.stop >= 0 ? st.stop : s.length;
  if (rejectPhrase(s, rest, ev)) {
    if (st.hostSet) assignClient(ev);
    finishTls(ev, 'inbound');
    return true;
  }
  const outbound = hasId && !s.startsWith('Warning:', rest) && !s.startsWith('sender verify', rest);
  if (st.hostSet) (outbound ? assignRelay : assignClient)(ev);
  finishTls(ev, outbound ? 'outbound' : 'inbound');
  const text = s.substring(rest);
  if (s.startsWith('Warning: ', rest)) {
    ev.event = 'warning';
    ev.severity = 'warning';
    ev.reason = text.substring(9);
  } else if (s.startsWith('sender verify ', rest)) {
    ev.event = 'warning';
    ev.severity = 'warning';
    ev.reason = text;
    const a = s.indexOf('<', rest);
    const b = a >= 0 ? s.indexOf('>', a) : -1;
    if (b > a) {
      ev.sender = s.substring(a + 1, b);
      const d = domainOf(ev.sender);
      if (d !== undefined) ev.sender_domain = d;
    }
  } else if (s.startsWith('dropped: ', rest)) {
    ev.event = 'disconnect';
    ev.action = 'drop';
    ev.reason = text.substring(9);
  } else {
    ev.event = 'info';
    if (text.length > 0) ev.reason = text;
  }
  return true;
}

/** "SMTP connection from (helo) [ip]:port I=... (TCP/IP connection count = 1)" and friends. */
function connectionFrom(s: string, i: number, ev: MailEvent, kind: MailEvent['event']): boolean {
  resetScan();
  let h = i;
  if (s.startsWith('H=', h)) h += 2;
  const e = parseHost(s, h);
  assignClient(ev);
  const t = termAt(s, e);
  if (t >= 0) {
    st.reasonAt = t;
  } else {
    scanFields(s, e, ev, M_SESSION);
  }
  ev.event = kind;
  if (st.reasonAt >= 0) {
    ev.reason = s.substring(st.reasonAt);
  } else if (st.stop >= 0) {
    const pe = phraseEnd(s, st.stop);
    const phrase = s.substring(st.stop, pe).trimEnd();
    if (phrase.length > 0) ev.reason = phrase;
    if (pe < s.length) scanFields(s, pe, ev, M_TAIL);
  }
  finishTls(ev, 'inbound');
  return true;
}

function authenticatorFailed(s: string, i: number, at: number, ev: MailEvent): boolean {
  const name = s.substring(i, at);
  const r = connectionFrom(s, at + 26, ev, 'auth');
  const text = ev.reason ?? '';
  delete ev.reason;
  const auth: AuthResult = { mechanism: 'sasl', result: 'fail', method: saslMethod(name) };
  attr(ev, 'authenticator', name);
  if (text.length > 0) {
    applySmtpReply(text, ev);
    if (ev.reply_code !== undefined && ev.reply_code < 500) auth.result = 'temperror';
    const sid = text.indexOf('(set_id=');
    if (sid >= 0) {
      const close = text.indexOf(')', sid);
      auth.username = text.substring(sid + 8, close < 0 ? text.length : close);
    }
    auth.reason = text;
  }
  ev.smtp_command = 'AUTH';
  ev.auth = auth;
  return r;
}

/** Lines after a message id that carry no two-character flag. */
function idLine(s: string, i: number, ev: MailEvent): boolean {
  const c = s.charCodeAt(i);
  switch (c) {
    case 67: // C
      if (s.startsWith('Completed', i)) {
        ev.event = 'completed';
        if (i + 9 < s.length) {
          resetScan();
          scanFields(s, i + 9, ev, M_TAIL);
        }
        return true;
      }
      break;
    case 77: // M
      if (s.startsWith('Message is frozen', i)) {
        ev.event = 'frozen';
        ev.action = 'skip';
        return true;
      }
      if (s.startsWith('Message ', i) && s.indexOf(' removed by ', i) > 0) {
        ev.event = 'removed';
        ev.reason = s.substring(i);
        return true;
      }
      break;
    case 70: // F
      if (s.startsWith('Frozen', i)) {
        ev.event = 'frozen';
        tailFrozen(s, i + 6, ev);
        return true;
      }
      break;
    case 85: // U
      if (s.startsWith('Unfrozen', i)) {
        ev.event = 'unfrozen';
        tailFrozen(s, i + 8, ev);
        return true;
      }
      break;
    case 83: // S
    case 115: // s
      if (s.startsWith('pool file is locked', i + 1) || s.startsWith('pool file locked', i + 1)) {
        ev.event = 'info';
        ev.action = 'locked';
        ev.reason = s.substring(i);
        return true;
      }
      if (s.startsWith('SMTP data timeout', i)) return sessionLine(s, i, ev, true);
      if (s.startsWith('SMTP error from remote', i) || s.startsWith('SMTP timeout', i)) {
        ev.event = 'info';
        applyReason(s.substring(i), ev);
        return true;
      }
      break;
    case 68: // D
      if (s.startsWith('DKIM: ', i)) return dkimLine(s, i + 6, ev);
      if (s.startsWith('DMARC results:', i)) return dmarcLine(s, i + 14, ev);
      if (s.startsWith('DMARC', i)) return dmarcLine(s, i, ev);
      break;
    case 114: // r
      if (s.startsWith('removed by ', i)) {
        ev.event = 'removed';
        ev.reason = s.substring(i);
        return true;
      }
      if (s.startsWith('retry time not reached', i)) {
        ev.event = 'info';
        ev.action = 'retry_wait';
        ev.reason = s.substring(i);
        return true;
      }
      if (s.startsWith('rejected from ', i)) {
        // non-SMTP ACL rejection: "rejected from <a@b> U=x: reason"
        ev.event = 'reject';
        ev.status = 'rejected';
        ev.status_class = '5xx';
        const a = i + 14;
        const e = tokenEnd(s, a);
        const t = s.charCodeAt(e - 1) === COLON ? e - 1 : e;
        ev.sender = stripAngle(s.substring(a, t));
        const d = domainOf(ev.sender);
        if (d !== undefined) ev.sender_domain = d;
        resetScan();
        if (t < e) st.reasonAt = skipSp(s, e);
        else scanFields(s, e, ev, M_TAIL);
        if (st.reasonAt >= 0) ev.reason = s.substring(st.reasonAt);
        return true;
      }
      break;
    case 87: // W
      if (s.startsWith('Warning: ', i)) {
        ev.event = 'warning';
        ev.severity = 'warning';
        ev.reason = s.substring(i + 9);
        return true;
      }
      break;
    case 110: // n
      if (s.startsWith('no immediate delivery', i)) {
        ev.event = 'info';
        ev.action = 'queued';
        ev.reason = s.substring(i);
        return true;
      }
      break;
    case 99: // c
      if (s.startsWith('cancelled by timeout_frozen_after', i)) {
        ev.event = 'removed';
        ev.reason = s.substring(i);
        return true;
      }
      break;
    default:
      break;
  }
  if (keyEq(s, i) >= 0) return fieldsLine(s, i, ev, true);
  if (s.endsWith(': error ignored') || s.startsWith('error ignored', i)) {
    ev.event = 'info';
    ev.reason = s.substring(i);
    return true;
  }
  return sessionLine(s, i, ev, true);
}

function tailFrozen(s: string, i: number, ev: MailEvent): void {
  let t = s.substring(i).trim();
  if (t.charCodeAt(0) === COLON) t = t.substring(1).trim();
  if (t.charCodeAt(0) === LPAREN && t.charCodeAt(t.length - 1) === RPAREN) t = t.substring(1, t.length - 1);
  if (t.length > 0) ev.reason = t;
}

function queueRun(s: string, i: number, ev: MailEvent, action: string): boolean {
  ev.event = 'info';
  ev.action = action;
  const p = s.indexOf('pid=', i);
  if (p >= 0) {
    let e = tokenEnd(s, p + 4);
    if (s.charCodeAt(e - 1) === 44) e--; // "pid=123,"
    const pid = parseIntAt(s, p + 4, e);
    if (!Number.isNaN(pid)) attr(ev, 'queue_runner_pid', pid);
    const rest = s.substring(tokenEnd(s, p + 4)).trim();
    if (rest.length > 0) attr(ev, 'args', rest);
  }
  return true;
}

/** Lines without a message id (connections, daemon, queue runs) — also tried after an id. */
function sessionLine(s: string, i: number, ev: MailEvent, hasId: boolean): boolean {
  const c = s.charCodeAt(i);
  if (keyEq(s, i) >= 0) return fieldsLine(s, i, ev, hasId);
  switch (c) {
    case 83: // S
      if (s.startsWith('SMTP connection from ', i)) {
        connectionFrom(s, i + 21, ev, 'connect');
        const r = ev.reason;
        if (r !== undefined) {
          if (r.startsWith('(TCP/IP connection count = ')) {
            const num = parseIntAt(r, 27, r.length - 1);
            if (!Number.isNaN(num)) attr(ev, 'connection_count', num);
            delete ev.reason;
          } else if (r.startsWith('lost')) {
            ev.event = 'lost_connection';
          } else if (r.startsWith('closed') || r.startsWith('D=')) {
            ev.event = 'disconnect';
          } else if (r.indexOf('refused') >= 0) {
            ev.event = 'reject';
            ev.status = 'rejected';
            ev.smtp_command = 'CONNECT';
          }
        }
        return true;
      }
      if (s.startsWith('SMTP command timeout on ', i)) {
        const f = s.indexOf('connection from ', i);
        if (f < 0) break;
        connectionFrom(s, f + 16, ev, 'timeout');
        ev.reason = 'SMTP command timeout';
        return true;
      }
      if (s.startsWith('SMTP data timeout', i)) {
        const f = s.indexOf('connection from ', i);
        if (f < 0) break;
        connectionFrom(s, f + 16, ev, 'timeout');
        ev.reason = 'SMTP data timeout (message abandoned)';
        ev.smtp_command = 'DATA';
        return true;
      }
      if (s.startsWith('SMTP call from ', i)) {
        connectionFrom(s, i + 15, ev, 'disconnect');
        const r = ev.reason;
        if (r !== undefined && r.startsWith('dropped: ')) {
          ev.action = 'drop';
          ev.reason = r.substring(9);
        }
        return true;
      }
      if (s.startsWith('SMTP protocol synchronization error', i)) {
        // "... (why): rejected connection from H=[ip] input=..." or "...: rejected "EHLO x" H=..."
        ev.event = 'reject';
        ev.status = 'rejected';
        ev.status_class = '5xx';
        const colon = s.indexOf('): ', i);
        ev.reason = s.substring(i, colon >= 0 ? colon + 1 : s.length);
        const h = s.indexOf(' H=', i);
        if (h >= 0) {
          resetScan();
          scanFields(s, h + 1, ev, M_TAIL);
          if (st.hostSet) assignClient(ev);
        }
        const q = s.indexOf('rejected "', i);
        ev.smtp_command = q >= 0 ? (commandAt(s, q + 10) ?? 'CONNECT') : 'CONNECT';
        return true;
      }
      if (s.startsWith('SMTP protocol error in "', i) || s.startsWith('SMTP syntax error in "', i)) {
        ev.event = 'warning';
        ev.severity = 'warning';
        const q = s.indexOf('"', i) + 1;
        const cmd = commandAt(s, q);
        if (cmd !== undefined) ev.smtp_command = cmd;
        const h = s.indexOf(' H=', q);
        if (h >= 0) {
          resetScan();
          scanFields(s, h + 1, ev, M_SESSION);
          if (st.hostSet) assignClient(ev);
          ev.reason = st.stop >= 0 ? s.substring(i, h) + ': ' + s.substring(st.stop) : s.substring(i, h);
        } else {
          ev.reason = s.substring(i);
        }
        return true;
      }
      if (s.startsWith('Start queue run', i)) return queueRun(s, i, ev, 'queue_run_start');
      break;
    case 69: // E
      if (s.startsWith('End queue run', i)) return queueRun(s, i, ev, 'queue_run_end');
      break;
    case 117: // u
      if (s.startsWith('unexpected disconnection while reading SMTP command from ', i)) {
        connectionFrom(s, i + 57, ev, 'lost_connection');
        ev.reason = 'unexpected disconnection while reading SMTP command';
        return true;
      }
      // Exim run with -C (an alternative config) drops root: logged once per invocation.
      if (s.startsWith('user lost privilege for using -C option', i)) {
        ev.event = 'warning';
        ev.severity = 'warning';
        ev.reason = s.substring(i);
        return true;
      }
      break;
    case 110: // n
      if (s.startsWith('no MAIL in SMTP connection from ', i)) {
        connectionFrom(s, i + 32, ev, 'disconnect');
        ev.reason = 'no MAIL in SMTP connection';
        return true;
      }
      if (s.startsWith('no host name found for IP address ', i)) {
        ev.event = 'warning';
        ev.severity = 'warning';
        ev.client_ip = s.substring(i + 34, tokenEnd(s, i + 34));
        ev.reason = 'no host name found for IP address';
        return true;
      }
      if (s.startsWith('no IP address found for host ', i)) {
        ev.event = 'warning';
        ev.severity = 'warning';
        ev.reason = s.substring(i);
        const f = s.indexOf('connection from ', i);
        if (f >= 0) {
          resetScan();
          parseHost(s, f + 16);
          assignClient(ev);
        }
        return true;
      }
      break;
    case 114: // r
      if (s.startsWith('rejected EHLO from ', i) || s.startsWith('rejected HELO from ', i)) {
        connectionFrom(s, i + 19, ev, 'reject');
        ev.status = 'rejected';
        ev.status_class = '5xx';
        ev.smtp_command = s.charCodeAt(i + 9) === 69 ? 'EHLO' : 'HELO';
        return true;
      }
      break;
    case 67: // C
      if (s.startsWith('Connection from ', i)) {
        connectionFrom(s, i + 16, ev, 'reject');
        ev.status = 'rejected';
        ev.smtp_command = 'CONNECT';
        const r = ev.reason;
        if (r !== undefined && r.startsWith('refused: ')) ev.reason = r.substring(9);
        return true;
      }
      break;
    case 84: // T
      if (s.startsWith('TLS error on connection from ', i)) {
        connectionFrom(s, i + 29, ev, 'tls');
        ev.tls = { direction: 'inbound' };
        if (ev.client_ip !== undefined) ev.tls.peer_ip = ev.client_ip;
        ev.severity = 'warning';
        return true;
      }
      if (s.startsWith('TLS error on connection to ', i)) {
        resetScan();
        const e = parseHost(s, i + 27);
        assignRelay(ev);
        ev.event = 'tls';
        ev.severity = 'warning';
        ev.tls = { direction: 'outbound' };
        if (st.hName !== undefined) ev.tls.peer_host = st.hName;
        if (st.hIp !== undefined) ev.tls.peer_ip = st.hIp;
        const r = s.substring(skipSp(s, e));
        if (r.length > 0) ev.reason = r;
        return true;
      }
      break;
    case 101: // e
      if (s.startsWith('exim ', i) && s.indexOf(' daemon started', i) > 0) {
        ev.event = 'daemon';
        ev.action = 'start';
        attr(ev, 'version', s.substring(i + 5, tokenEnd(s, i + 5)));
        const p = s.indexOf('pid=', i);
        if (p >= 0) {
          let e = tokenEnd(s, p + 4);
          if (s.charCodeAt(e - 1) === 44) e--;
          const pid = parseIntAt(s, p + 4, e);
          if (!Number.isNaN(pid)) attr(ev, 'daemon_pid', pid);
        }
        ev.reason = s.substring(i);
        return true;
      }
      break;
    case 112: // p
      if (s.startsWith('pid ', i) && s.indexOf('SIGHUP received', i) > 0) {
        ev.event = 'daemon';
        ev.action = 'reload';
        ev.reason = s.substring(i);
        return true;
      }
      break;
    case 99: // c
      if (s.startsWith('cwd=', i)) {
        ev.event = 'info';
        ev.action = 'arguments';
        ev.reason = s.substring(i);
        return true;
      }
      break;
    case 68: // D
      if (s.startsWith('DKIM: ', i)) return dkimLine(s, i + 6, ev);
      if (s.startsWith('DMARC results:', i)) return dmarcLine(s, i + 14, ev);
      break;
    case 87: // W
      if (s.startsWith('Warning: ', i)) {
        ev.event = 'warning';
        ev.severity = 'warning';
        ev.reason = s.substring(i + 9);
        return true;
      }
      break;
    default:
      break;
  }
  const af = s.indexOf(' authenticator failed for ', i);
  if (af > i && s.indexOf(' ', i) === af) return authenticatorFailed(s, i, af, ev);
  return false;
}

// ---------------------------------------------------------------------------------------------
// timestamps and entry points

function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

let dayKey = '\u0000';
let dayMs = 0;

/** "YYYY-MM-DD HH:MM:SS[.fff][ +hhmm][ [pid]]" at i; fills st.ts*. */
function parseStamp(s: string, i: number): boolean {
  if (s.length < i + 19) return false;
  const y1 = two(s, i);
  const y2 = two(s, i + 2);
  const mo = two(s, i + 5);
  const d = two(s, i + 8);
  const h = two(s, i + 11);
  const mi = two(s, i + 14);
  const se = two(s, i + 17);
  if (y1 < 0 || y2 < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60) return false;
  if (s.charCodeAt(i + 4) !== MINUS || s.charCodeAt(i + 7) !== MINUS || s.charCodeAt(i + 10) !== SP
    || s.charCodeAt(i + 13) !== COLON || s.charCodeAt(i + 16) !== COLON) return false;
  // consecutive lines share the date: Date.UTC once per day seen
  let day: number;
  if (s.startsWith(dayKey, i)) day = dayMs;
  else {
    day = Date.UTC(y1 * 100 + y2, mo - 1, d);
    dayKey = s.substring(i, i + 10);
    dayMs = day;
  }
  let t = day + ((h * 60 + mi) * 60 + se) * 1000;
  let p = i + 19;
  const n = s.length;
  if (s.charCodeAt(p) === DOT) {
    let scale = 100;
    let ms = 0;
    p++;
    while (p < n && isDigit(s.charCodeAt(p))) {
      ms += (s.charCodeAt(p) - 48) * scale;
      scale /= 10;
      p++;
    }
    t += ms;
  }
  if (s.charCodeAt(p) === SP && (s.charCodeAt(p + 1) === PLUS || s.charCodeAt(p + 1) === MINUS)) {
    const oh = two(s, p + 2);
    const om = two(s, p + 4);
    if (oh >= 0 && om >= 0 && (p + 6 === n || s.charCodeAt(p + 6) === SP)) {
      const off = (oh * 60 + om) * 60000;
      t += s.charCodeAt(p + 1) === PLUS ? -off : off;
      p += 6;
    }
  }
  st.tsPid = -1;
  if (s.charCodeAt(p) === SP && s.charCodeAt(p + 1) === LBRACK) {
    const close = s.indexOf(']', p + 2);
    const pid = close > 0 ? parseIntAt(s, p + 2, close) : NaN;
    if (!Number.isNaN(pid)) {
      st.tsPid = pid;
      p = close + 1;
    }
  }
  st.tsTime = t;
  st.tsEnd = skipSp(s, p);
  return true;
}

/**
 * Length of an Exim message id at i, else 0: 16 for the classic 6-6-2 form (1tKx2c-000Abc-5Z),
 * 21..23 for the Exim 4.97+ 6-11-4 form (1qfxbL-000000003jI-2PDO); the last part is accepted
 * with 2..4 characters because sanitising log shippers have been seen to trim it.
 */
function idLenAt(s: string, i: number): number {
  const n = s.length;
  if (n - i < 16 || s.charCodeAt(i + 6) !== MINUS) return 0;
  for (let k = 0; k < 6; k++) if (!isAlnum(s.charCodeAt(i + k))) return 0;
  let mid: number;
  if (s.charCodeAt(i + 13) === MINUS) mid = 13;
  else if (s.charCodeAt(i + 18) === MINUS) mid = 18;
  else return 0;
  for (let k = i + 7; k < i + mid; k++) if (!isAlnum(s.charCodeAt(k))) return 0;
  let e = i + mid + 1;
  const lim = Math.min(n, e + 4);
  while (e < lim && isAlnum(s.charCodeAt(e))) e++;
  const tail = e - (i + mid + 1);
  if (tail < 2 || (mid === 13 && tail !== 2)) return 0;
  return e === n || s.charCodeAt(e) === SP ? e - i : 0;
}

function body(s: string, i: number, ev: MailEvent): boolean {
  const idl = idLenAt(s, i);
  if (idl === 0) return sessionLine(s, i, ev, false);
  ev.queue_id = s.substring(i, i + idl);
  i = skipSp(s, i + idl);
  if (i >= s.length) return false;
  if (s.charCodeAt(i + 2) === SP) {
    const c0 = s.charCodeAt(i);
    const c1 = s.charCodeAt(i + 1);
    if (c1 === EQ) {
      if (c0 === LT) return arrival(s, i + 3, ev, false);
      if (c0 === LPAREN) return arrival(s, i + 3, ev, true);
      if (c0 === EQ) return delivery(s, i + 3, ev, '==');
    } else if (c1 === GT) {
      if (c0 === EQ) return delivery(s, i + 3, ev, '=>');
      if (c0 === MINUS) return delivery(s, i + 3, ev, '->');
      if (c0 === GT) return delivery(s, i + 3, ev, '>>');
      if (c0 === STAR) return delivery(s, i + 3, ev, '*>');
    } else if (c0 === STAR && c1 === STAR) {
      return delivery(s, i + 3, ev, '**');
    }
  }
  return idLine(s, i, ev);
}

/** A whole line of Exim's own main log. */
export function parseEximLine(line: string, ev: MailEvent): boolean {
  ev.mta = 'exim';
  ev.program = 'exim';
  if (!parseStamp(line, 0)) return false;
  ev.time = st.tsTime;
  if (st.tsPid >= 0) ev.pid = st.tsPid;
  return body(line, st.tsEnd, ev);
}

/** The message part of an Exim line that arrived via syslog (header already parsed). */
export function parseEximMessage(msg: string, ev: MailEvent): boolean {
  ev.mta = 'exim';
  let i = skipSp(msg, 0);
  // syslog splits long entries into "[n/m] " / "[n\m] " parts; only the first starts a line
  if (msg.charCodeAt(i) === LBRACK && isDigit(msg.charCodeAt(i + 1))) {
    let j = i + 1;
    while (isDigit(msg.charCodeAt(j))) j++;
    const sep = msg.charCodeAt(j);
    if (sep === 47 || sep === BSLASH) {
      const part = parseIntAt(msg, i + 1, j);
      const close = msg.indexOf('] ', j);
      if (close > 0) {
        if (part !== 1) return false;
        i = skipSp(msg, close + 2);
      }
    }
  }
  // syslog_timestamp (default true) repeats Exim's own stamp; the syslog header already gave
  // the time (with year and zone handling), so only the pid is taken from it
  if (isDigit(msg.charCodeAt(i)) && msg.charCodeAt(i + 4) === MINUS && parseStamp(msg, i)) {
    if (st.tsPid >= 0 && ev.pid === undefined) ev.pid = st.tsPid;
    i = st.tsEnd;
  } else if (msg.charCodeAt(i) === LBRACK) {
    // log_selector +pid without a timestamp
    const close = msg.indexOf('] ', i);
    const pid = close > 0 ? parseIntAt(msg, i + 1, close) : NaN;
    if (!Number.isNaN(pid)) {
      if (ev.pid === undefined) ev.pid = pid;
      i = skipSp(msg, close + 2);
    }
  }
  return body(msg, i, ev);
}
