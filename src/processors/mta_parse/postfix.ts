// Postfix message parser: the text after `postfix/<daemon>[pid]: `.
//
// Dispatch is on the daemon name, then on literal prefixes (startsWith / charCodeAt); small anchored
// regexes run only after a prefix matched. Line shapes follow the Postfix sources (log_adhoc.c,
// smtpd.c, smtpd_check.c log_whatsup, cleanup_message.c cleanup_act_log, postscreen_*.c, anvil.c,
// scache.c, master.c, postsuper.c, bounce_*_service.c).
//
// Field conventions (see also parser.ts):
// - smtp_command is the SMTP verb, upper case: CONNECT (greeting), EHLO, HELO, LHLO, STARTTLS,
//   AUTH, MAIL, RCPT, DATA, BDAT, DATA-END, QUIT, RSET, ... . DATA-END is the reply after the
//   message body: a remote "(in reply to end of DATA command)", "while sending end of data", and
//   smtpd's own "END-OF-MESSAGE" stage all map to it (the Exim parser uses the same word).
// - delivery `reply` is the remote reply alone (`host X said:` and `(in reply to ...)` removed,
//   multi-line replies collapsed to one line) or Postfix's local reason when there is no remote one.
// - reject: `reply` is the full reply text ("554 5.7.1 <a@b>: Recipient address rejected: ..."),
//   `reason` the part after the codes and the optional `<address>: ` ("Recipient address rejected: ...").
// - relay=host[ip]:port fills relay (as logged), relay_host, relay_ip, relay_port; relay=none/local/
//   dovecot/... only fills relay; a non-IP inside the brackets (private/dovecot-lmtp) goes to
//   attrs.relay_socket.
import type { MailEvent, MailEventType, DeliveryStatus, Delays, TlsInfo } from '../../model/mail_event.js';
import type { MessageParser } from './types.js';
import { flat, isAlnum, isDigit, isSpace } from './text.js';

// ---------------------------------------------------------------------------------------------
// small helpers

function isUpperHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70);
}

function isVowel(c: number): boolean {
  // AEIOUaeiou: absent from the long queue id alphabet.
  return c === 65 || c === 69 || c === 73 || c === 79 || c === 85 || c === 97 || c === 101 || c === 105 || c === 111 || c === 117;
}

/** Is s[start, end) a Postfix queue id: short (uppercase hex, 6+) or long (time 10+ chars, 'z', inode)? */
export function isQueueId(s: string, start = 0, end = s.length): boolean {
  const len = end - start;
  if (len < 6) return false;
  let hex = true;
  let lastZ = -1;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!isAlnum(c)) return false;
    if (hex && !isUpperHex(c)) hex = false;
    if (c === 122) lastZ = i;
    else if (isVowel(c)) {
      if (!hex) return false;
    }
  }
  if (hex) return true;
  // long ids: seconds (6+) + microseconds (4) base-52, 'z', inode base-51 (no 'z').
  return lastZ - start >= 10 && lastZ < end - 1;
}

// Character classes of queue id characters: one table load per character on the hot path.
const QID_ALNUM = 1;
const QID_UPPER_HEX = 2;
const QID_VOWEL = 4;
const QID_CHARS = new Uint8Array(128);
for (let c = 48; c <= 57; c++) QID_CHARS[c] = QID_ALNUM | QID_UPPER_HEX;
for (let c = 65; c <= 90; c++) QID_CHARS[c] = QID_ALNUM | (c <= 70 ? QID_UPPER_HEX : 0);
for (let c = 97; c <= 122; c++) QID_CHARS[c] = QID_ALNUM;
for (const v of 'AEIOUaeiou') QID_CHARS[v.charCodeAt(0)] |= QID_VOWEL;

/**
 * If msg starts with `QUEUEID: `, the index of the colon; else -1. One pass: the checks of
 * isQueueId() run while looking for the colon.
 */
function queueIdPrefix(msg: string): number {
  // Where a queue id could end: the first ": " (found natively; most lines without a queue
  // id are settled here). The loop then only checks the characters before it.
  const n = msg.indexOf(': ');
  if (n < 6 || n >= 40) return -1;
  let hex = true;
  let vowelAfterNonHex = false;
  let lastZ = -1;
  for (let i = 0; i < n; i++) {
    const c = msg.charCodeAt(i);
    const k = c < 128 ? QID_CHARS[c] : 0;
    if (k !== 0) {
      if ((k & QID_UPPER_HEX) === 0) hex = false;
      if (c === 122) lastZ = i;
      else if ((k & QID_VOWEL) !== 0 && !hex) vowelAfterNonHex = true;
      continue;
    }
    return -1;
  }
  if (vowelAfterNonHex) return -1;
  return hex || (lastZ >= 10 && lastZ < n - 1) ? n : -1;
}

/** Does s[p, e) hold a line terminator (what a regex `.` does not match)? */
function hasLineBreak(s: string, p: number, e: number): boolean {
  for (let i = p; i < e; i++) {
    const c = s.charCodeAt(i);
    if (c === 10 || c === 13 || c === 0x2028 || c === 0x2029) return true;
  }
  return false;
}

/** End of the digit run starting at p. */
function digitsEnd(s: string, p: number): number {
  while (isDigit(s.charCodeAt(p))) p++;
  return p;
}

/** Number(s.slice(p, e)) for a run of ASCII digits, without the slice when it is exact. */
function digitsValue(s: string, p: number, e: number): number {
  if (e - p > 15) return Number(s.slice(p, e));
  let v = 0;
  for (let i = p; i < e; i++) v = v * 10 + (s.charCodeAt(i) - 48);
  return v;
}

function num(s: string): number | undefined {
  return numAt(s, 0, s.length);
}

/** Decimal number in s[p, e): digits with an optional fraction parsed inline (Number() on a slice is
 * several times slower on this hot path); anything else falls back to Number(). */
function numAt(s: string, p: number, e: number): number | undefined {
  if (e <= p) return undefined;
  let v = 0;
  let i = p;
  for (; i < e; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) v = v * 10 + (c - 48);
    else break;
  }
  if (i === e) return v;
  if (s.charCodeAt(i) === 46 && i > p) {
    let scale = 1;
    let f = 0;
    for (i++; i < e; i++) {
      const c = s.charCodeAt(i);
      if (c >= 48 && c <= 57) {
        f = f * 10 + (c - 48);
        scale *= 10;
      } else break;
    }
    // one correctly rounded division: the same double Number() would give
    if (i === e && scale > 1 && scale <= 1e15) return (v * scale + f) / scale;
  }
  const x = Number(s.slice(p, e));
  return Number.isFinite(x) ? x : undefined;
}

function setAttr(ev: MailEvent, k: string, v: string | number): void {
  (ev.attrs ??= {})[k] = v;
}

function isIpLike(s: string): boolean {
  if (s.length === 0) return false;
  let colon = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 58) colon = true;
    else if (!(isDigit(c) || c === 46 || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false;
  }
  return colon || isDigit(s.charCodeAt(0));
}

interface Peer {
  host: string | undefined;
  ip: string | undefined;
  port: number | undefined;
  /** Bracket content when it is not an address (e.g. private/dovecot-lmtp). */
  socket: string | undefined;
  /** Length of the peer text (it ends after the port when there is one). */
  len: number;
}

/**
 * `host[addr]`, `host[addr]:port`, `[addr]:port` starting at p, ending before a space/colon/comma/end.
 * Only s[p, limit) is looked at: parsePeer(s, p, e) is parsePeer(s.slice(p, e), 0) without the slice.
 */
function parsePeer(s: string, p: number, limit = s.length): Peer | undefined {
  const open = s.indexOf('[', p);
  if (open < 0 || open >= limit) return undefined;
  const close = s.indexOf(']', open + 1);
  if (close < 0 || close >= limit) return undefined;
  // The host must not contain spaces (that would mean we jumped to an unrelated bracket).
  const sp = s.indexOf(' ', p);
  if (sp >= 0 && sp < open) return undefined;
  const inner = s.slice(open + 1, close);
  let end = close + 1;
  let port: number | undefined;
  if (end + 1 < limit && s.charCodeAt(end) === 58 && isDigit(s.charCodeAt(end + 1))) {
    let q = end + 1;
    let v = 0;
    while (q < limit && isDigit(s.charCodeAt(q))) v = v * 10 + (s.charCodeAt(q++) - 48);
    port = v;
    end = q;
  }
  const ipLike = isIpLike(inner);
  // Postfix logs IPv6 client addresses with an "ipv6:" prefix in some places.
  const ip = ipLike ? inner : inner.startsWith('ipv6:') || inner.startsWith('IPv6:') ? inner.slice(5) : undefined;
  return { host: open > p ? s.slice(p, open) : undefined, ip, port, socket: ip === undefined ? inner : undefined, len: end - p };
}

function setClient(ev: MailEvent, peer: Peer): void {
  if (peer.host !== undefined) ev.client_host = peer.host;
  if (peer.ip !== undefined) ev.client_ip = peer.ip;
  if (peer.port !== undefined) ev.client_port = peer.port;
}

function setRelayPeer(ev: MailEvent, peer: Peer): void {
  if (peer.host !== undefined) ev.relay_host = peer.host;
  if (peer.ip !== undefined) ev.relay_ip = peer.ip;
  if (peer.port !== undefined) ev.relay_port = peer.port;
  if (peer.socket !== undefined) setAttr(ev, 'relay_socket', peer.socket);
}

/** Text between `<` at p and the next `>`; returns [value, index after '>'] or undefined. */
function angle(s: string, p: number): [string, number] | undefined {
  if (s.charCodeAt(p) !== 60) return undefined;
  const e = s.indexOf('>', p + 1);
  if (e < 0) return undefined;
  return [s.slice(p + 1, e), e + 1];
}

/** Map an SMTP phrase ("RCPT TO", "end of DATA", "MAIL FROM") to the smtp_command vocabulary. */
export function smtpCommandOf(phrase: string): string {
  const p = phrase.trim();
  const u = p.toUpperCase();
  if (u === 'END-OF-MESSAGE' || u.startsWith('END OF DATA')) return 'DATA-END';
  if (u === 'MESSAGE BODY') return 'DATA';
  if (u.startsWith('THE INITIAL SERVER GREETING') || u.startsWith('INITIAL SERVER GREETING') || u === 'THE INITIAL PROTOCOL HANDSHAKE') return 'CONNECT';
  const sp = u.indexOf(' ');
  return sp < 0 ? u : u.slice(0, sp);
}

/** smtpd/postscreen stage names are verbs already, except END-OF-MESSAGE. */
function stageCommand(where: string): string {
  return where === 'END-OF-MESSAGE' ? 'DATA-END' : where;
}

/** The command a "while ..." phrase of smtp/lmtp refers to. */
function whileCommand(phrase: string): string | undefined {
  // while sending RCPT TO | receiving the initial server greeting | performing the EHLO handshake
  let m: RegExpExecArray | null;
  if ((m = /^(?:sending|receiving) (.+?)(?: -- .*)?$/.exec(phrase))) return smtpCommandOf(m[1]);
  if ((m = /^performing the (\S+) handshake/.exec(phrase))) return m[1] === 'initial' ? 'CONNECT' : m[1].toUpperCase();
  return undefined;
}

/** The leading 3-digit reply code, when followed by space, '-' or end. */
function replyCode(s: string): number | undefined {
  return replyCodeIn(s, 0, s.length);
}

/** replyCode(s.slice(p, e)) without the slice. */
function replyCodeIn(s: string, p: number, e: number): number | undefined {
  if (e - p < 3) return undefined;
  const c0 = s.charCodeAt(p);
  if (!(c0 >= 50 && c0 <= 53) || !isDigit(s.charCodeAt(p + 1)) || !isDigit(s.charCodeAt(p + 2))) return undefined;
  const c3 = s.charCodeAt(p + 3);
  if (e - p > 3 && c3 !== 32 && c3 !== 45) return undefined;
  return (c0 - 48) * 100 + (s.charCodeAt(p + 1) - 48) * 10 + (s.charCodeAt(p + 2) - 48);
}

/**
 * End of an enhanced status code "X.Y.Z" at p (X one of 2/4/5, Y and Z 1-3 digits) followed by
 * a space or the end of s; -1 when there is none. (The regex /^([245]\.\d{1,3}\.\d{1,3})(?: |$)/.)
 */
function dsnEnd(s: string, p: number): number {
  const c = s.charCodeAt(p);
  if ((c !== 50 && c !== 52 && c !== 53) || s.charCodeAt(p + 1) !== 46) return -1;
  const a = digitsEnd(s, p + 2);
  if (a === p + 2 || a - (p + 2) > 3 || s.charCodeAt(a) !== 46) return -1;
  const b = digitsEnd(s, a + 1);
  if (b === a + 1 || b - (a + 1) > 3) return -1;
  return b === s.length || s.charCodeAt(b) === 32 ? b : -1;
}

/**
 * Collapse a multi-line reply logged as "550-5.7.1 a 550-5.7.1 b 550 5.7.1 c" into
 * "550 5.7.1 a b c", and squeeze runs of spaces.
 */
export function collapseReply(text: string): string {
  let t = text;
  if (t.charCodeAt(3) === 45 && replyCode(t) !== undefined) t = joinContinuations(t);
  if (t.indexOf('  ') >= 0) t = squeezeSpaces(t);
  return t.trim();
}

/**
 * "550-5.7.1 a 550-5.7.1 b 550 5.7.1 c" -> "550 5.7.1 a b c" (t starts with a code and '-'):
 * every " 550-" or " 550 ", with the same enhanced code and a space after it when present,
 * becomes one space. Scanned with indexOf, not a RegExp built per reply.
 */
function joinContinuations(t: string): string {
  const cs = t.slice(0, 3);
  const de = dsnEnd(t, 4);
  const dsn = de < 0 ? '' : t.slice(4, de);
  const marker = ' ' + cs;
  let out = cs + ' ' + (dsn !== '' ? dsn + ' ' : '');
  let last = 4 + (dsn !== '' ? dsn.length + 1 : 0);
  let i = t.indexOf(marker, last);
  while (i >= 0) {
    const sep = t.charCodeAt(i + 4);
    if (sep !== 45 && sep !== 32) {
      i = t.indexOf(marker, i + 1);
      continue;
    }
    let j = i + 5;
    if (dsn !== '' && t.startsWith(dsn, j)) {
      j += dsn.length;
      if (t.charCodeAt(j) === 32) j++;
    }
    out += t.slice(last, i) + ' ';
    last = j;
    i = t.indexOf(marker, j);
  }
  return last >= t.length ? out : out + t.slice(last);
}

/** Runs of two or more spaces become one (the regex / {2,}/g). */
function squeezeSpaces(t: string): string {
  let out = '';
  let last = 0;
  let i = t.indexOf('  ');
  while (i >= 0) {
    out += t.slice(last, i + 1);
    let j = i + 2;
    while (t.charCodeAt(j) === 32) j++;
    last = j;
    i = t.indexOf('  ', j);
  }
  return out + t.slice(last);
}

/** "... queued as QID" / exim "250 OK id=1abcDE-000123-AB" / local "forwarded as QID". */
function queuedAs(text: string): string | undefined {
  let i = text.indexOf('queued as ');
  let k = 10;
  if (i < 0) {
    i = text.indexOf('forwarded as ');
    k = 13;
  }
  if (i >= 0) {
    let e = i + k;
    while (e < text.length && (isAlnum(text.charCodeAt(e)) || text.charCodeAt(e) === 45)) e++;
    if (e > i + k) return text.slice(i + k, e);
  }
  i = text.indexOf(' id=');
  if (i >= 0 && replyCode(text) === 250) {
    let e = i + 4;
    while (e < text.length && (isAlnum(text.charCodeAt(e)) || text.charCodeAt(e) === 45)) e++;
    if (e > i + 4) return text.slice(i + 4, e);
  }
  return undefined;
}

/**
 * Parse a delivery status text (the parenthesised part after status=, or the remote part of
 * other smtp lines): remote host, reply, reply_code, smtp_command, queued_as.
 */
function analyseReply(text: string, ev: MailEvent): void {
  analyseReplyIn(text, 0, text.length, ev);
}

/** s.startsWith(prefix, p) with the prefix wholly inside s[p, e). */
function startsWithIn(s: string, prefix: string, p: number, e: number): boolean {
  return e - p >= prefix.length && s.startsWith(prefix, p);
}

/** Index of `needle` wholly inside s[p, e), or -1. */
function indexOfIn(s: string, needle: string, p: number, e: number): number {
  const i = s.indexOf(needle, p);
  return i >= 0 && i + needle.length <= e ? i : -1;
}

/**
 * analyseReply(s.slice(p, e)): the pieces are found on bounds and only the reply is sliced.
 * `lifecycle`: the replying host is not read (like relay=, which names it too).
 */
function analyseReplyIn(s: string, p: number, e: number, ev: MailEvent, lifecycle = false): void {
  // "host H[IP] said: REPLY (in reply to X command)" / "host H[IP] refused to talk to me: REPLY"
  if (startsWithIn(s, 'host ', p, e)) {
    let i = indexOfIn(s, ' said: ', p, e);
    let k = 7;
    if (i < 0) {
      i = indexOfIn(s, ' refused to talk to me: ', p, e);
      k = 24;
      if (i >= 0) ev.smtp_command = 'CONNECT';
    }
    if (i >= 0) {
      if (!lifecycle && ev.relay_host === undefined && ev.relay_ip === undefined) {
        const peer = parsePeer(s, p + 5, i);
        if (peer) setRelayPeer(ev, peer);
      }
      p = i + k;
    }
  }
  if (e > p && s.charCodeAt(e - 1) === 41 /* ) */) {
    const k = inReplyToEnd(s, p, e);
    if (k >= 0) {
      ev.smtp_command = IN_REPLY_TO_COMMAND[k];
      e -= IN_REPLY_TO[k].length;
    } else {
      const i = e - 14 >= p ? s.lastIndexOf(' (in reply to ', e - 14) : -1;
      if (i >= p && e - 9 >= p && s.startsWith(' command)', e - 9)) {
        ev.smtp_command = smtpCommandOf(s.slice(i + 14, e - 9));
        e = i;
      }
    }
  }
  if (ev.smtp_command === undefined && (startsWithIn(s, 'lost connection with ', p, e) || startsWithIn(s, 'conversation with ', p, e))) {
    // deferred "(lost connection with H[IP] while sending RCPT TO)"
    const w = indexOfIn(s, ' while ', p, e);
    const cmd = w > p ? whileCommand(s.slice(w + 7, e)) : undefined;
    if (cmd !== undefined) ev.smtp_command = cmd;
  }
  const code = replyCodeIn(s, p, e);
  if (lifecycle && ev.status === 'sent' && code !== undefined && code < 400 && !mayNameNextHop(s, p, e)) {
    // Lifecycle readers drop a sent delivery's reply (parseDelivery) and keep its code and
    // next-hop id: without one, the reply is neither copied nor collapsed.
    ev.reply_code = code;
    return;
  }
  let t = s.slice(p, e);
  if (code !== undefined) {
    ev.reply_code = code;
    t = collapseReply(t);
  }
  ev.reply = t;
  // A 4xx or 5xx reply queued nothing: only other replies are searched for the next hop's id.
  if (code !== undefined && code >= 400) return;
  const q = queuedAs(t);
  if (q !== undefined) ev.queued_as = q;
}

/**
 * Whether queuedAs(collapseReply(s[p, e))) can find an id. Every id it finds follows
 * `queued as `, `forwarded as ` or ` id=`. Collapsing only deletes characters or turns runs
 * of spaces and continuation markers into one space, so it never joins two non-space
 * characters: where s[p, e) lacks `queued`, `forwarded` and `id=`, the collapsed text does too.
 */
function mayNameNextHop(s: string, p: number, e: number): boolean {
  return indexOfIn(s, 'queued', p, e) >= 0 || indexOfIn(s, 'forwarded', p, e) >= 0 || indexOfIn(s, 'id=', p, e) >= 0;
}

/**
 * The endings `(in reply to X command)` that nearly every failed delivery has, with the
 * command smtpCommandOf(X) gives: matched in place, where the general case needs a
 * lastIndexOf (a V8 runtime call) and a trimmed, upper-cased copy of X.
 */
const IN_REPLY_TO = [' (in reply to RCPT TO command)', ' (in reply to end of DATA command)', ' (in reply to MAIL FROM command)', ' (in reply to DATA command)'];
const IN_REPLY_TO_COMMAND = IN_REPLY_TO.map((x) => smtpCommandOf(x.slice(14, -9)));

/** Index in IN_REPLY_TO of the ending of s[p, e), or -1. */
function inReplyToEnd(s: string, p: number, e: number): number {
  // The character before " command)" tells the four apart.
  const c = s.charCodeAt(e - 10);
  const k = c === 79 /* O: RCPT TO */ ? 0 : c === 65 /* A: ... DATA */ ? (s.charCodeAt(e - 15) === 102 /* f: end of DATA */ ? 1 : 3) : c === 77 /* M: MAIL FROM */ ? 2 : -1;
  if (k < 0) return -1;
  const x = IN_REPLY_TO[k];
  return e - x.length >= p && s.startsWith(x, e - x.length) ? k : -1;
}

// ---------------------------------------------------------------------------------------------
// delivery agents: "QID: to=<..>, orig_to=<..>, relay=.., conn_use=N, delay=N, delays=a/b/c/d,
// [tls=..,] dsn=X.Y.Z, status=STATUS (text)"

const STATUSES: Record<string, DeliveryStatus> = {
  sent: 'sent',
  deferred: 'deferred',
  bounced: 'bounced',
  expired: 'expired',
  deliverable: 'deliverable',
  undeliverable: 'undeliverable',
};

/** The delivery status word s[p, e): the known ones compared in place, no slice. */
function statusAt(s: string, p: number, e: number): DeliveryStatus | undefined {
  switch (e - p) {
    case 4:
      if (s.startsWith('sent', p)) return 'sent';
      break;
    case 7:
      if (s.startsWith('bounced', p)) return 'bounced';
      if (s.startsWith('expired', p)) return 'expired';
      break;
    case 8:
      if (s.startsWith('deferred', p)) return 'deferred';
      break;
    case 11:
      if (s.startsWith('deliverable', p)) return 'deliverable';
      break;
    case 13:
      if (s.startsWith('undeliverable', p)) return 'undeliverable';
      break;
  }
  return STATUSES[s.slice(p, e)];
}

/** `lifecycle`: leave out relay=, delay=, delays= and conn_use= (see postfixLifecycleParserFor). */
function parseDelivery(rest: string, ev: MailEvent, lifecycle: boolean): boolean {
  // rest starts with "to=<"
  const toEnd = rest.indexOf('>', 4);
  if (toEnd < 0) return false;
  ev.recipient = rest.slice(4, toEnd);
  let p = toEnd + 1;
  const n = rest.length;
  // Keys are told apart by their first character, then matched in place, so the hot path
  // slices only values.
  while (p < n) {
    if (rest.charCodeAt(p) !== 44 || rest.charCodeAt(p + 1) !== 32) return false;
    p += 2;
    const c = rest.charCodeAt(p);
    if (c === 115 /* s */ && rest.startsWith('status=', p)) {
      p += 7;
      let e = rest.indexOf(' ', p);
      if (e < 0) e = n;
      const st = statusAt(rest, p, e);
      if (st === undefined) return false;
      ev.status = st;
      if (e < n && rest.charCodeAt(e + 1) === 40 && rest.charCodeAt(n - 1) === 41) {
        analyseReplyIn(rest, e + 2, n - 1, ev, lifecycle);
      } else if (e < n) {
        ev.reply = rest.slice(e + 1);
      }
      // The report reads replies of failures only: a sent one's copy in open state cost 1.4 %
      // of its instructions on a fleet's log (queued_as, which links the next hop, stays).
      if (lifecycle && st === 'sent') ev.reply = undefined;
      ev.event = 'delivery_attempt';
      return true;
    }
    if (c === 111 /* o */ && rest.startsWith('orig_to=<', p)) {
      const a = rest.indexOf('>', p + 9);
      if (a < 0) return false;
      ev.orig_recipient = rest.slice(p + 9, a);
      p = a + 1;
      continue;
    }
    let e = commaSpace(rest, p);
    if (e < 0) e = n;
    if (lifecycle && unreadInLifecycle(rest, p, c)) {
      // not read
    } else if (c === 114 /* r */ && rest.startsWith('relay=', p)) {
      parseRelay(rest, p + 6, e, ev);
    } else if (c === 100 /* d */ && rest.startsWith('delays=', p)) {
      const d = parseDelays(rest, p + 7, e);
      if (d !== undefined) ev.delays = d;
    } else if (c === 100 && rest.startsWith('delay=', p)) {
      ev.delay = numAt(rest, p + 6, e);
    } else if (c === 100 && rest.startsWith('dsn=', p)) {
      ev.dsn = rest.slice(p + 4, e);
    } else if (c === 99 /* c */ && rest.startsWith('conn_use=', p)) {
      ev.conn_use = numAt(rest, p + 9, e);
    } else {
      // tls=..., and whatever later Postfix versions add: tolerated, kept.
      const eq = rest.indexOf('=', p);
      if (eq < 0 || eq > e) return false;
      let v = rest.slice(eq + 1, e);
      if (v.charCodeAt(0) === 60 && v.charCodeAt(v.length - 1) === 62) v = v.slice(1, -1);
      setAttr(ev, rest.slice(p, eq), v);
    }
    p = e;
  }
  return false;
}

/**
 * s.indexOf(', ', p): a one-character search (memchr) where V8 runs a two-character needle
 * through its generic string search; in a field list nearly every comma is followed by a space.
 */
function commaSpace(s: string, p: number): number {
  let i = s.indexOf(',', p);
  while (i >= 0 && s.charCodeAt(i + 1) !== 32) i = s.indexOf(',', i + 1);
  return i;
}

/** relay=, delay=, delays= or conn_use= at p (c: its first character), which lifecycle readers skip. */
function unreadInLifecycle(s: string, p: number, c: number): boolean {
  if (c === 114) return s.startsWith('relay=', p);
  if (c === 100) return s.startsWith('delay=', p) || s.startsWith('delays=', p);
  return c === 99 && s.startsWith('conn_use=', p);
}

/** Index of the first '/' in s[p, e), or e. */
function slashIn(s: string, p: number, e: number): number {
  const i = s.indexOf('/', p);
  return i < 0 || i > e ? e : i;
}

interface RelayInfo {
  relay: string;
  peer: Peer | undefined;
}

/**
 * Parsed relay= values by their text: a day has a few hundred (MX host and address), logged on
 * every delivery. A hit hands out the same relay string. Bounded: cleared when full.
 */
const relayCache = new Map<string, RelayInfo>();
const RELAY_CACHE_MAX = 4096;

/** relay=VALUE in s[p, e): relay, and relay_host/_ip/_port (or attrs.relay_socket) when bracketed. */
function parseRelay(s: string, p: number, e: number, ev: MailEvent): void {
  const text = s.slice(p, e);
  let info = relayCache.get(text);
  if (info === undefined) {
    const relay = flat(text);
    info = { relay, peer: relay.indexOf('[') >= 0 ? parsePeer(relay, 0) : undefined };
    if (relayCache.size >= RELAY_CACHE_MAX) relayCache.clear();
    relayCache.set(relay, info);
  }
  ev.relay = info.relay;
  if (info.peer) setRelayPeer(ev, info.peer);
}

/** "a/b/c/d" in [p, e): exactly four numbers, without split() or an array. */
function parseDelays(s: string, p: number, e: number): Delays | undefined {
  const a = slashIn(s, p, e);
  const b = slashIn(s, a + 1, e);
  const c = slashIn(s, b + 1, e);
  if (c >= e || slashIn(s, c + 1, e) < e) return undefined;
  const v0 = numAt(s, p, a);
  const v1 = numAt(s, a + 1, b);
  const v2 = numAt(s, b + 1, c);
  const v3 = numAt(s, c + 1, e);
  if (v0 === undefined || v1 === undefined || v2 === undefined || v3 === undefined) return undefined;
  return { before_qmgr: v0, in_qmgr: v1, conn_setup: v2, transmission: v3 };
}
// Delays mix integers (V8 Smis) and fractions (doubles). When the first objects this literal
// made held only integers, its fields were typed Smi, and under a running pipeline the
// optimised parser then looped: deopt on a fraction ("not a Smi"), reoptimise, deopt again,
// hundreds of times, a whole core of compiler threads. Making one object with fractions
// first types the fields as doubles, which take integers without a deopt.
parseDelays('0.5/0.5/0.5/0.5', 0, 15);

// ---------------------------------------------------------------------------------------------
// smtpd/postscreen/cleanup "whatsup" lines:
//   ACTION: WHERE from CLIENT: TEXT; from=<s> to=<r> proto=P helo=<h>      (smtpd, milter)
//   ACTION: WHERE from [ip]:port: TEXT; from=<s>, to=<r>, proto=P, helo=<h> (postscreen)
//   ACTION: WHERE: TEXT; from=<s> to=<r> ...                              (smtpd proxy-*)
//   ACTION: header|body CONTENT from ORIGIN; from=<s> to=<r> proto=P helo=<h>: TEXT (cleanup)

const ACTION_EVENT: Record<string, MailEventType> = {
  reject: 'reject',
  'milter-reject': 'reject',
  'proxy-reject': 'reject',
  discard: 'discard',
  'milter-discard': 'discard',
  hold: 'hold',
  'milter-hold': 'hold',
  reject_warning: 'warning',
  warn: 'warning',
  filter: 'info',
  redirect: 'info',
  permit: 'info',
  'proxy-accept': 'info',
  bcc: 'info',
  prepend: 'info',
  replace: 'info',
  strip: 'info',
  info: 'info',
  warning: 'warning',
};

/** Length of a known action word followed by ": " at the start of s, or -1. */
function actionPrefix(s: string): number {
  const c = s.indexOf(': ');
  if (c < 3 || c > 15) return -1;
  return ACTION_EVENT[s.slice(0, c)] !== undefined ? c : -1;
}

/** Trailing `; from=<..> to=<..> proto=.. helo=<..>` context; sets fields, returns its start. */
function trailingContext(s: string, ev: MailEvent): number {
  let i = s.lastIndexOf('; from=<');
  if (i < 0) i = s.lastIndexOf('; to=<');
  if (i < 0) i = s.lastIndexOf('; proto=');
  if (i < 0) i = s.lastIndexOf('; helo=<');
  if (i < 0) return s.charCodeAt(s.length - 1) === 59 ? s.length - 1 : s.length;
  const ctx = s.slice(i + 2);
  let k: number;
  if (ctx.startsWith('from=<')) {
    const a = angle(ctx, 5);
    if (a) ev.sender = a[0];
  }
  if ((k = ctx.indexOf('to=<')) >= 0) {
    const a = angle(ctx, k + 3);
    if (a) ev.recipient = a[0];
  }
  if ((k = ctx.indexOf('proto=')) >= 0) {
    let e = k + 6;
    while (e < ctx.length && ctx.charCodeAt(e) !== 32 && ctx.charCodeAt(e) !== 44) e++;
    ev.proto = ctx.slice(k + 6, e);
  }
  if ((k = ctx.indexOf('helo=<')) >= 0) {
    const a = angle(ctx, k + 5);
    if (a) ev.helo = a[0];
  }
  return i;
}

/** "554 5.7.1 <a@b>: Recipient address rejected: x" -> reply_code, dsn, reason. */
function replyParts(text: string, ev: MailEvent): void {
  // Positions first, one slice at the end.
  let p = 0;
  const n = text.length;
  const code = replyCode(text);
  if (code !== undefined) {
    ev.reply_code = code;
    p = Math.min(4, n);
  }
  const de = dsnEnd(text, p);
  if (de >= 0) {
    ev.dsn = text.slice(p, de);
    p = de === n ? de : de + 1;
  }
  // "<address>: " or "<host[ip]>: " names what was rejected.
  if (text.charCodeAt(p) === 60) {
    const e = text.indexOf('>: ', p);
    if (e > p) p = e + 3;
  }
  ev.reason = p === 0 ? text : text.slice(p);
}

function setAction(ev: MailEvent, action: string): void {
  ev.action = action;
  const type = ACTION_EVENT[action] ?? 'info';
  ev.event = type;
  if (type === 'reject') ev.status = 'rejected';
  else if (type === 'warning') ev.severity = 'warning';
}

const CONTENT_RE = /^(header|body) (.*?) from ((?:[^ ;]*\[[^\]]*\](?::\d+)?)|[^ ;]+);(?: from=<([^>]*)>)?(?: to=<([^>]*)>)?(?: proto=(\S+))?(?: helo=<([^>]*)>)?(?:: (.*))?$/s;

/** s starts at the action word. */
function parseWhatsup(s: string, colon: number, ev: MailEvent): boolean {
  const action = s.slice(0, colon);
  const body = s.slice(colon + 2);
  // cleanup header/body checks
  if (body.startsWith('header ') || body.startsWith('body ')) {
    const m = CONTENT_RE.exec(body);
    if (!m) return false;
    setAction(ev, action);
    // warning/info/redirect/... header checks are informational: header_info; reject/discard/hold keep their type.
    if (ev.event === 'info' || ev.event === 'warning') ev.event = 'header_info';
    setAttr(ev, m[1], m[2]);
    const peer = parsePeer(m[3], 0);
    if (peer) setClient(ev, peer);
    else setAttr(ev, 'origin', m[3]);
    if (m[4] !== undefined) ev.sender = m[4];
    if (m[5] !== undefined) ev.recipient = m[5];
    if (m[6] !== undefined) ev.proto = m[6];
    if (m[7] !== undefined) ev.helo = m[7];
    if (m[8] !== undefined && m[8] !== '') {
      ev.reply = m[8];
      replyParts(m[8], ev);
    }
    return true;
  }
  // WHERE [from CLIENT]: TEXT
  let sp = body.indexOf(' ');
  const c = body.indexOf(': ');
  if (c < 0) return false;
  let textStart: number;
  if (sp > 0 && sp < c && body.startsWith(' from ', sp)) {
    const peer = parsePeer(body, sp + 6);
    if (!peer || body.charCodeAt(sp + 6 + peer.len) !== 58) return false;
    setClient(ev, peer);
    textStart = sp + 6 + peer.len + 2;
  } else {
    sp = c;
    textStart = c + 2;
  }
  const where = body.slice(0, sp);
  if (where.length === 0) return false;
  ev.smtp_command = stageCommand(where);
  const ctxStart = trailingContext(body, ev);
  const text = body.slice(textStart, Math.max(textStart, ctxStart));
  ev.reply = text;
  replyParts(text, ev);
  setAction(ev, action);
  const q = queuedAs(text);
  if (q !== undefined) ev.queued_as = q;
  return true;
}

// ---------------------------------------------------------------------------------------------
// smtpd

/**
 * Parsed command counts by their text: a few dozen distinct texts cover a whole day. Each event
 * gets its own copy (consumers may modify theirs).
 */
const commandsCache = new Map<string, Record<string, number>>();
const COMMANDS_CACHE_MAX = 4096;

/** "disconnect from H[IP] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4" */
function parseCommands(s: string, ev: MailEvent): void {
  let cmds = commandsCache.get(s);
  if (cmds === undefined) {
    cmds = commandCounts(s);
    if (commandsCache.size >= COMMANDS_CACHE_MAX) commandsCache.clear();
    commandsCache.set((' ' + s).slice(1), cmds);
  }
  ev.commands = { ...cmds };
}

function commandCounts(s: string): Record<string, number> {
  const cmds: Record<string, number> = {};
  let p = 0;
  const n = s.length;
  while (p < n) {
    let e = s.indexOf(' ', p);
    if (e < 0) e = n;
    const eq = s.indexOf('=', p);
    if (eq > p && eq < e) {
      const name = s.slice(p, eq);
      const v = s.slice(eq + 1, e);
      const sl = v.indexOf('/');
      if (sl < 0) {
        const x = num(v);
        if (x !== undefined) cmds[name] = x;
      } else {
        // ok/total: keep the total under the name and the failures under name_failed
        const ok = num(v.slice(0, sl));
        const total = num(v.slice(sl + 1));
        if (total !== undefined) {
          cmds[name] = total;
          if (ok !== undefined && total > ok) cmds[name + '_failed'] = total - ok;
        }
      }
    }
    p = e + 1;
  }
  return cmds;
}

/** "client=H[IP], sasl_method=M, sasl_username=U, sasl_sender=S, orig_queue_id=Q, orig_client=H[IP]" */
function parseClient(s: string, ev: MailEvent): boolean {
  const peer = parsePeer(s, 7);
  if (!peer) return false;
  setClient(ev, peer);
  ev.event = 'client';
  let p = 7 + peer.len;
  let method: string | undefined;
  let username: string | undefined;
  while (s.startsWith(', ', p)) {
    p += 2;
    const eq = s.indexOf('=', p);
    if (eq < 0) break;
    const key = s.slice(p, eq);
    let e = commaSpace(s, eq + 1);
    if (e < 0) e = s.length;
    const v = s.slice(eq + 1, e);
    p = e;
    if (key === 'sasl_method') method = v;
    else if (key === 'sasl_username') username = v;
    else if (key === 'orig_client') {
      const op = parsePeer(v, 0);
      if (op) {
        if (op.host !== undefined) setAttr(ev, 'orig_client_host', op.host);
        if (op.ip !== undefined) setAttr(ev, 'orig_client_ip', op.ip);
      } else setAttr(ev, 'orig_client', v);
    } else setAttr(ev, key, v);
  }
  if (method !== undefined || username !== undefined) {
    ev.auth = { mechanism: 'sasl', result: 'pass' };
    if (method !== undefined) ev.auth.method = method;
    if (username !== undefined) ev.auth.username = username;
  }
  return true;
}

/** "lost connection after DATA (0 bytes) from H[IP]" and the timeout/too many errors variants. */
function parseAfterFrom(s: string, p: number, ev: MailEvent, type: MailEventType, action?: string): boolean {
  const f = s.indexOf(' from ', p);
  if (f < 0) return false;
  let where = s.slice(p, f);
  const b = where.indexOf(' (');
  if (b > 0) {
    const m = /^\((\d+) bytes\)$/.exec(where.slice(b + 1));
    if (m) setAttr(ev, 'bytes', Number(m[1]));
    where = where.slice(0, b);
  }
  const peer = parsePeer(s, f + 6);
  if (!peer) return false;
  setClient(ev, peer);
  ev.smtp_command = stageCommand(where);
  ev.event = type;
  if (action !== undefined) ev.action = action;
  const pe = f + 6 + peer.len;
  if (s.startsWith(': ', pe)) ev.reason = s.slice(pe + 2);
  return true;
}

/** "warning: H[IP]: SASL LOGIN authentication failed: reason[, sasl_username=u]" */
function parseSaslFailure(w: string, ev: MailEvent): boolean {
  const peer = parsePeer(w, 0);
  if (!peer || !w.startsWith(': SASL ', peer.len)) return false;
  const p = peer.len + 7;
  const sp = w.indexOf(' ', p);
  if (sp < 0) return false;
  const method = w.slice(p, sp);
  let result: string;
  let reason: string | undefined;
  if (w.startsWith(' authentication failed', sp)) {
    result = 'fail';
    const r = sp + 22;
    if (w.startsWith(': ', r)) reason = w.slice(r + 2);
  } else if (w.startsWith(' authentication aborted', sp)) {
    result = 'aborted';
  } else return false;
  setClient(ev, peer);
  ev.event = 'auth';
  ev.severity = 'warning';
  ev.auth = { mechanism: 'sasl', result, method };
  if (reason !== undefined) {
    const u = reason.lastIndexOf(', sasl_username=');
    if (u >= 0) {
      ev.auth.username = reason.slice(u + 16);
      reason = reason.slice(0, u);
    }
    ev.auth.reason = reason;
    ev.reason = reason;
  }
  return true;
}

const TLS_EXTRA_RE = /(key-exchange|server-signature|server-digest|client-signature|client-digest) (\S+(?: \([^)]*\))?)/g;

/** TLS_EXTRA_RE's names as attribute keys ('-' -> '_'), without a replace() per line. */
const TLS_EXTRA_KEY: Record<string, string> = {
  'key-exchange': 'key_exchange',
  'server-signature': 'server_signature',
  'server-digest': 'server_digest',
  'client-signature': 'client_signature',
  'client-digest': 'client_digest',
};

/**
 * The attributes of a TLS line's tail, cached: tails repeat across sessions ("key-exchange
 * X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256"). Each is kept as a
 * template object that events get a copy of ({...template} is one cheap clone where three
 * computed-key stores were not). Values are flat copies.
 */
const tlsExtraCache = new Map<string, Record<string, string>>();
const TLS_EXTRA_CACHE_MAX = 2048;

/** A tail without known pairs: no attrs at all. */
const NO_EXTRAS: Record<string, string> = {};

// Consecutive TLS lines nearly always repeat the last tail: one string compare, no hashing.
let lastTlsTail = '';
let lastTlsExtras: Record<string, string> = NO_EXTRAS;

function tlsExtras(tail: string): Record<string, string> {
  if (tail === lastTlsTail) return lastTlsExtras;
  let kv = tlsExtraCache.get(tail);
  const key = flat(tail);
  if (kv === undefined) {
    const out: Record<string, string> = {};
    let any = false;
    for (const x of tail.matchAll(TLS_EXTRA_RE)) {
      out[TLS_EXTRA_KEY[x[1]]] = flat(x[2]);
      any = true;
    }
    kv = any ? out : NO_EXTRAS;
    if (tlsExtraCache.size >= TLS_EXTRA_CACHE_MAX) tlsExtraCache.clear();
    tlsExtraCache.set(key, kv);
  }
  lastTlsTail = key;
  lastTlsExtras = kv;
  return kv;
}

const TLS_RE = /^(\S+) TLS connection established (to|from) (\S*?): (\S+) with cipher (\S+) \((\d+)\/(\d+) bits\)(.*)$/;

/** "Trusted TLS connection established to H[IP]:25: TLSv1.3 with cipher X (256/256 bits) ..." */
function parseTls(s: string, ev: MailEvent): boolean {
  const m = TLS_RE.exec(s);
  if (!m) return false;
  const direction = m[2] === 'to' ? 'outbound' : 'inbound';
  const tls: TlsInfo = { direction, protocol: m[4], cipher: m[5], bits: Number(m[6]), trust: m[1] };
  const peer = parsePeer(m[3], 0);
  if (peer) {
    if (peer.host !== undefined) tls.peer_host = peer.host;
    if (peer.ip !== undefined) tls.peer_ip = peer.ip;
    if (direction === 'outbound') setRelayPeer(ev, peer);
    else setClient(ev, peer);
  }
  ev.tls = tls;
  ev.event = 'tls';
  if (m[8]) {
    const extras = tlsExtras(m[8]);
    if (extras !== NO_EXTRAS) {
      if (ev.attrs === undefined) ev.attrs = { ...extras };
      else for (const k in extras) ev.attrs[k] = extras[k];
    }
  }
  return true;
}

/** "SSL_accept error from H[IP]: reason" / "SSL_connect error to H[IP]:25: reason" */
function parseTlsError(s: string, ev: MailEvent): boolean {
  const m = /^SSL_(accept|connect) error (from|to) (\S+?): (.*)$/.exec(s);
  if (!m) return false;
  const direction = m[2] === 'to' ? 'outbound' : 'inbound';
  const tls: TlsInfo = { direction };
  const peer = parsePeer(m[3], 0);
  if (peer) {
    if (peer.host !== undefined) tls.peer_host = peer.host;
    if (peer.ip !== undefined) tls.peer_ip = peer.ip;
    if (direction === 'outbound') setRelayPeer(ev, peer);
    else setClient(ev, peer);
  }
  ev.tls = tls;
  ev.event = 'tls';
  ev.severity = 'warning';
  ev.action = 'handshake_failed';
  ev.reason = m[4];
  return true;
}

function parseSmtpd(msg: string, ev: MailEvent): boolean {
  const c = msg.charCodeAt(0);
  switch (c) {
    case 99: // c
      if (msg.startsWith('connect from ')) {
        const peer = parsePeer(msg, 13);
        if (!peer) return false;
        setClient(ev, peer);
        ev.event = 'connect';
        return true;
      }
      break;
    case 100: // d
      if (msg.startsWith('disconnect from ')) {
        const peer = parsePeer(msg, 16);
        if (!peer) return false;
        setClient(ev, peer);
        ev.event = 'disconnect';
        const pe = 16 + peer.len;
        if (msg.charCodeAt(pe) === 32) parseCommands(msg.slice(pe + 1), ev);
        return true;
      }
      if (msg.startsWith('discarding EHLO keywords: ')) {
        ev.event = 'info';
        ev.action = 'discard_ehlo_keywords';
        ev.reason = msg.slice(26);
        return true;
      }
      break;
    case 108: // l
      if (msg.startsWith('lost connection after ')) return parseAfterFrom(msg, 22, ev, 'lost_connection');
      break;
    case 116: // t
      if (msg.startsWith('timeout after ')) return parseAfterFrom(msg, 14, ev, 'timeout');
      if (msg.startsWith('too many errors after ')) return parseAfterFrom(msg, 22, ev, 'info', 'too_many_errors');
      break;
    case 105: // i
      if (msg.startsWith('improper command pipelining after ')) return parseAfterFrom(msg, 34, ev, 'info', 'improper_pipelining');
      break;
    case 83: // S
      if (msg.startsWith('SSL_accept error')) return parseTlsError(msg, ev);
      break;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// postscreen (and tlsproxy's CONNECT/DISCONNECT)

const PSC_SYNONYMS: Record<string, string> = {
  whitelisted: 'allowlisted',
  blacklisted: 'denylisted',
  whitelist_veto: 'allowlist_veto',
  blacklist_veto: 'denylist_veto',
};

function parsePostscreen(msg: string, ev: MailEvent, type: MailEventType): boolean {
  // Leading upper-case words are the verdict: "PASS NEW", "COMMAND TIME LIMIT", "DNSBL", ...
  let p = 0;
  const n = msg.length;
  let wordsEnd = 0;
  while (p < n) {
    let e = p;
    while (e < n) {
      const c = msg.charCodeAt(e);
      if ((c >= 65 && c <= 90) || c === 45) e++;
      else break;
    }
    if (e === p || (e < n && msg.charCodeAt(e) !== 32)) break;
    wordsEnd = e;
    p = e + 1;
  }
  if (wordsEnd === 0) return false;
  const verdict = msg.slice(0, wordsEnd).toLowerCase().replace(/[ -]/g, '_');
  const action = PSC_SYNONYMS[verdict] ?? verdict;
  const open = msg.indexOf('[', wordsEnd);
  if (open < 0) return false;
  const peer = parsePeer(msg, open);
  if (!peer) return false;
  setClient(ev, peer);
  ev.event = type;
  ev.action = action;
  const mid = msg.slice(wordsEnd + 1, open);
  let m: RegExpExecArray | null;
  if (action === 'dnsbl' && (m = /^rank (\d+)/.exec(mid))) setAttr(ev, 'rank', Number(m[1]));
  else if ((m = /^(\d+) after ([\d.]+) from $/.exec(mid))) {
    setAttr(ev, 'bytes', Number(m[1]));
    setAttr(ev, 'after', Number(m[2]));
  } else if ((m = /^after ([\d.]+) from $/.exec(mid))) setAttr(ev, 'after', Number(m[1]));
  let tail = msg.slice(open + peer.len);
  if (tail.startsWith(' to ')) {
    const local = parsePeer(tail, 4);
    if (local) {
      if (local.ip !== undefined) setAttr(ev, 'server_ip', local.ip);
      if (local.port !== undefined) setAttr(ev, 'server_port', local.port);
      tail = tail.slice(4 + local.len);
    }
  }
  if (tail.startsWith(' in ')) {
    setAttr(ev, 'stage', tail.slice(4));
  } else if (tail.startsWith(' after ')) {
    const c = tail.indexOf(': ');
    ev.smtp_command = stageCommand(c > 0 ? tail.slice(7, c) : tail.slice(7));
    if (c > 0) ev.reason = tail.slice(c + 2);
  } else if (tail.startsWith(': ')) {
    ev.reason = tail.slice(2);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// statistics (anvil, scache), master, postfix-script, postsuper

const ANVIL_RE = /^max (.+?) (\d+)(?:\/(\d+)s)?(?: for \(([^)]*)\))?(?: at (.+))?$/;
const KV_NUM_RE = /([a-z_]+)=(\d+)%?/g;

function parseStatistics(s: string, ev: MailEvent): boolean {
  ev.event = 'stats';
  ev.reason = s;
  if (s.startsWith('start interval ')) {
    setAttr(ev, 'stat', 'start interval');
    setAttr(ev, 'at', s.slice(15));
    return true;
  }
  if (s.indexOf('=') >= 0) {
    // scache: "domain lookup hits=5 miss=46 success=9%", "max simultaneous domains=1 addresses=1 connection=1"
    const eq = s.indexOf('=');
    const sp = s.lastIndexOf(' ', eq);
    setAttr(ev, 'stat', s.slice(0, Math.max(0, sp)));
    for (const m of s.matchAll(KV_NUM_RE)) setAttr(ev, m[1], Number(m[2]));
    return true;
  }
  const m = ANVIL_RE.exec(s);
  if (m) {
    setAttr(ev, 'stat', 'max ' + m[1]);
    setAttr(ev, 'value', Number(m[2]));
    if (m[3] !== undefined) setAttr(ev, 'interval_s', Number(m[3]));
    if (m[4] !== undefined) setAttr(ev, 'client', m[4]);
    if (m[5] !== undefined) setAttr(ev, 'at', m[5]);
  }
  return true;
}

function parseMaster(msg: string, ev: MailEvent): boolean {
  let m: RegExpExecArray | null;
  if ((m = /^(daemon started|reload) -- version ([^,]+), configuration (.+)$/.exec(msg))) {
    ev.action = m[1] === 'reload' ? 'reload' : 'start';
    setAttr(ev, 'version', m[2]);
    setAttr(ev, 'config_dir', m[3]);
  } else if ((m = /^terminating on signal (\d+)$/.exec(msg))) {
    ev.action = 'stop';
    setAttr(ev, 'signal', Number(m[1]));
  } else if (msg.startsWith('reload configuration ')) {
    ev.action = 'reload';
    setAttr(ev, 'config_dir', msg.slice(21));
  } else if (msg === 'master exit time has arrived') {
    ev.action = 'stop';
  } else return false;
  ev.event = 'daemon';
  return true;
}

function parsePostfixScript(msg: string, ev: MailEvent): boolean {
  let action: string | undefined;
  if (msg === 'starting the Postfix mail system') action = 'start';
  else if (msg === 'stopping the Postfix mail system' || msg === 'waiting for the Postfix mail system to terminate') action = 'stop';
  else if (msg === 'refreshing the Postfix mail system') action = 'reload';
  else if (msg.startsWith('the Postfix mail system is running: PID: ')) {
    action = 'status';
    setAttr(ev, 'master_pid', Number(msg.slice(41)));
  } else if (msg === 'the Postfix mail system is running') action = 'status';
  if (action === undefined) return false;
  ev.event = 'daemon';
  ev.action = action;
  ev.reason = msg;
  return true;
}

const POSTSUPER_SUMMARY_RE = /^(Placed on hold|Released from hold|Deleted|Requeued|Renamed to match inode number): (\d+) messages?$/;
const POSTSUPER_ACTION: Record<string, string> = {
  'Placed on hold': 'hold',
  'Released from hold': 'release',
  Deleted: 'delete',
  Requeued: 'requeue',
  'Renamed to match inode number': 'rename',
  'placed on hold': 'hold',
  'released from hold': 'release',
  removed: 'delete',
  requeued: 'requeue',
};

// ---------------------------------------------------------------------------------------------
// queue-id prefixed messages (any daemon)

function parseWithQueueId(daemon: string, rest: string, ev: MailEvent, lifecycle: boolean): boolean {
  const c = rest.charCodeAt(0);
  switch (c) {
    case 116: // t
      if (rest.startsWith('to=<')) return parseDelivery(rest, ev, lifecycle);
      break;
    case 102: // f
      if (rest.startsWith('from=<')) {
        const e = rest.indexOf('>', 6);
        if (e < 0) return false;
        if (!lifecycle) ev.sender = rest.slice(6, e);
        if (rest.length - e - 1 === EXPIRED_TAIL.length && rest.startsWith(EXPIRED_TAIL, e + 1)) {
          ev.event = 'expired';
          ev.status = 'expired';
          return true;
        }
        return parseEnqueue(rest, e + 1, ev);
      }
      break;
    case 114: // r
      if (rest === 'removed') {
        if (daemon === 'postsuper') {
          ev.event = 'queue_action';
          ev.action = 'delete';
        } else ev.event = 'removed';
        return true;
      }
      if (rest === 'requeued' || rest === 'released from hold') {
        ev.event = 'queue_action';
        ev.action = POSTSUPER_ACTION[rest];
        return true;
      }
      if (rest.startsWith('resent-message-id=')) {
        ev.event = 'info';
        ev.action = 'resent_message_id';
        setAttr(ev, 'resent_message_id', stripAngles(rest.slice(18)));
        return true;
      }
      break;
    case 112: // p
      if (rest === 'placed on hold') {
        ev.event = 'queue_action';
        ev.action = 'hold';
        return true;
      }
      if (rest.startsWith('postmaster non-delivery notification: ')) return bounceNotice(rest, 38, 'non-delivery', ev, 'postmaster');
      break;
    case 99: // c
      if (rest.startsWith('client=')) return parseClient(rest, ev);
      if (rest.startsWith('conversation with ')) return lostOrTimeout(rest, 18, 'timeout', ev);
      break;
    case 109: // m
      if (rest.startsWith('message-id=')) {
        ev.event = 'message_id';
        // stripAngles(rest.slice(11)) on bounds: one slice.
        let a = 11;
        let b = rest.length;
        while (a < b && isSpace(rest.charCodeAt(a))) a++;
        while (b > a && isSpace(rest.charCodeAt(b - 1))) b--;
        if (rest.charCodeAt(a) === 60 && rest.charCodeAt(b - 1) === 62 && b - a >= 2) {
          a++;
          b--;
        }
        // An empty message-id=<> names nothing: leave message_id unset rather than join on "".
        if (b > a) ev.message_id = rest.slice(a, b);
        return true;
      }
      break;
    case 117: // u
      if (rest.startsWith('uid=')) {
        const m = /^uid=(\d+) from=<([^>]*)>/.exec(rest);
        if (!m) return false;
        ev.event = 'pickup';
        setAttr(ev, 'uid', Number(m[1]));
        ev.sender = m[2];
        return true;
      }
      break;
    case 115: // s
      if (rest.startsWith('sender non-delivery notification: ')) return bounceNotice(rest, 34, 'non-delivery', ev);
      if (rest.startsWith('sender delay notification: ')) return bounceNotice(rest, 27, 'delay', ev);
      if (rest.startsWith('sender delivery status notification: ')) return bounceNotice(rest, 37, 'success', ev);
      if (rest === 'skipped, still being delivered') {
        ev.event = 'info';
        ev.action = 'skipped';
        ev.reason = rest;
        return true;
      }
      break;
    case 108: // l
      if (rest.startsWith('lost connection with ')) return lostOrTimeout(rest, 21, 'lost_connection', ev);
      break;
    case 104: // h
      if (rest.startsWith('host ')) {
        // Non-final remote reply (e.g. before trying the next MX).
        ev.event = 'info';
        ev.action = rest.indexOf(' refused to talk to me: ') > 0 ? 'refused' : 'remote_reply';
        analyseReply(rest, ev);
        return true;
      }
      break;
    case 101: // e
      if (rest.startsWith('enabling PIX workarounds: ')) {
        ev.event = 'info';
        ev.action = 'pix_workarounds';
        ev.reason = rest.slice(26);
        return true;
      }
      break;
    case 83: // S
      if (rest.startsWith('SASL authentication failed; ')) {
        // smtp client: "SASL authentication failed; server H[IP] said: 535 ..."
        ev.event = 'auth';
        ev.severity = 'warning';
        const m = /^SASL authentication failed; (?:cannot authenticate to )?server (\S+)(?: said: (.*))?$/.exec(rest);
        if (m) {
          const peer = parsePeer(m[1], 0);
          if (peer) setRelayPeer(ev, peer);
          if (m[2] !== undefined) analyseReply(m[2], ev);
        }
        ev.auth = { mechanism: 'sasl', result: 'fail', reason: ev.reply ?? rest.slice(28) };
        ev.reason = rest.slice(28);
        return true;
      }
      break;
  }
  const ap = actionPrefix(rest);
  if (ap > 0) return parseWhatsup(rest, ap, ev);
  if (isTlsLine(rest)) return parseTls(rest, ev);
  return false;
}

const EXPIRED_TAIL = ', status=expired, returned to sender';

/** qmgr ", size=N, nrcpt=N[ (text)]" from p to the end (hand-parsed: the hottest qmgr line). */
function parseEnqueue(s: string, p: number, ev: MailEvent): boolean {
  if (!s.startsWith(', size=', p)) return false;
  const sizeStart = p + 7;
  const sizeEnd = digitsEnd(s, sizeStart);
  if (sizeEnd === sizeStart || !s.startsWith(', nrcpt=', sizeEnd)) return false;
  const nStart = sizeEnd + 8;
  const nEnd = digitsEnd(s, nStart);
  if (nEnd === nStart) return false;
  const n = s.length;
  // optional " (text)" to the end; the text is one line and not empty
  let queue = false;
  if (nEnd !== n) {
    if (s.charCodeAt(nEnd) !== 32 || s.charCodeAt(nEnd + 1) !== 40 || s.charCodeAt(n - 1) !== 41) return false;
    const active = n - 1 - (nEnd + 2) === 12 && s.startsWith('queue active', nEnd + 2);
    if (!active && (n - 1 <= nEnd + 2 || hasLineBreak(s, nEnd + 2, n - 1))) return false;
    queue = !active;
  }
  ev.size = digitsValue(s, sizeStart, sizeEnd);
  ev.nrcpt = digitsValue(s, nStart, nEnd);
  if (queue) setAttr(ev, 'queue', s.slice(nEnd + 2, n - 1));
  ev.event = 'enqueue';
  return true;
}

/** smtp/lmtp "lost connection with H[IP] while X" / "conversation with H[IP] timed out while X". */
function lostOrTimeout(rest: string, p: number, type: MailEventType, ev: MailEvent): boolean {
  ev.event = type;
  const peer = parsePeer(rest, p);
  if (peer) setRelayPeer(ev, peer);
  const w = rest.indexOf(' while ');
  if (w > 0) {
    const cmd = whileCommand(rest.slice(w + 7));
    if (cmd !== undefined) ev.smtp_command = cmd;
  }
  ev.reason = rest;
  return true;
}

function stripAngles(s: string): string {
  const t = s.trim();
  return t.charCodeAt(0) === 60 && t.charCodeAt(t.length - 1) === 62 ? t.slice(1, -1) : t;
}

function bounceNotice(rest: string, p: number, type: 'non-delivery' | 'delay' | 'success', ev: MailEvent, to?: string): boolean {
  const id = rest.slice(p).trim();
  ev.event = 'bounce_notice';
  ev.notice_type = type;
  ev.notice_queue_id = id;
  if (to !== undefined) setAttr(ev, 'notice_to', to);
  return true;
}

function isTlsLine(s: string): boolean {
  const c = s.charCodeAt(0);
  // Anonymous / Untrusted / Trusted / Verified
  return (c === 65 || c === 84 || c === 85 || c === 86) && s.indexOf(' TLS connection established ') > 0;
}

// ---------------------------------------------------------------------------------------------
// severity prefixes: "warning: ", "fatal: ", "panic: ", "error: "

function severityPrefix(msg: string): number {
  switch (msg.charCodeAt(0)) {
    case 119:
      return msg.startsWith('warning: ') ? 9 : 0;
    case 102:
      return msg.startsWith('fatal: ') ? 7 : 0;
    case 112:
      return msg.startsWith('panic: ') ? 7 : 0;
    case 101:
      return msg.startsWith('error: ') ? 7 : 0;
  }
  return 0;
}

function parseSeverity(daemon: string, msg: string, skip: number, ev: MailEvent): boolean {
  const sev = msg.slice(0, skip - 2) as 'warning' | 'fatal' | 'panic' | 'error';
  let w = msg.slice(skip);
  if (sev === 'warning' && w.indexOf(': SASL ') > 0 && parseSaslFailure(w, ev)) return true;
  const qc = queueIdPrefix(w);
  if (qc > 0) {
    ev.queue_id = w.slice(0, qc);
    w = w.slice(qc + 2);
  }
  ev.event = sev;
  ev.severity = sev;
  ev.reason = w;
  // Name the client/peer of smtpd/postscreen warnings ("hostname X does not resolve to address IP",
  // "non-SMTP command from H[IP]: ..."), cheap because warnings are rare.
  if (daemon === 'smtpd' || daemon === 'postscreen' || daemon === 'anvil') {
    let m: RegExpExecArray | null;
    if ((m = /^hostname (\S+) does not resolve to address ([0-9A-Fa-f:.]*[0-9A-Fa-f])/.exec(w))) {
      ev.client_host = m[1];
      ev.client_ip = m[2];
    } else if ((m = /(?:^|from |: )([^\s[]*\[[0-9A-Fa-f:.]+\](?::\d+)?)/.exec(w))) {
      const peer = parsePeer(m[1], 0);
      if (peer) setClient(ev, peer);
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// entry points

/**
 * Parse the message of a Postfix daemon (`daemon` = program part after the last '/').
 * `lifecycle`: the lighter lines of postfixLifecycleParserFor.
 */
export function parsePostfixDaemon(daemon: string, msg: string, ev: MailEvent, lifecycle = false): boolean {
  const skip = severityPrefix(msg);
  if (skip > 0) {
    // cleanup header_checks WARN lines start with the queue id, so this only sees real warnings.
    return parseSeverity(daemon, msg, skip, ev);
  }
  const qc = queueIdPrefix(msg);
  if (qc > 0) {
    ev.queue_id = msg.slice(0, qc);
    const rest = msg.slice(qc + 2);
    const sk = severityPrefix(rest);
    if (sk > 0 && !(sk === 9 && (rest.startsWith('header ', 9) || rest.startsWith('body ', 9)))) {
      return parseSeverity(daemon, rest, sk, ev);
    }
    return parseWithQueueId(daemon, rest, ev, lifecycle);
  }
  if (msg.startsWith('NOQUEUE: ')) {
    const rest = msg.slice(9);
    if (rest.startsWith('client=')) return parseClient(rest, ev);
    const ap = actionPrefix(rest);
    return ap > 0 ? parseWhatsup(rest, ap, ev) : false;
  }
  switch (daemon) {
    case 'smtpd':
      if (parseSmtpd(msg, ev)) return true;
      break;
    case 'postscreen':
      if (msg.startsWith('cache ')) {
        // "cache btree:/var/lib/postfix/postscreen_cache full cleanup: retained=N dropped=N entries"
        const m = /^cache (\S+) full cleanup: retained=(\d+) dropped=(\d+) entries$/.exec(msg);
        if (!m) return false;
        ev.event = 'stats';
        ev.reason = msg;
        setAttr(ev, 'stat', 'cache cleanup');
        setAttr(ev, 'cache', m[1]);
        setAttr(ev, 'retained', Number(m[2]));
        setAttr(ev, 'dropped', Number(m[3]));
        return true;
      }
      return parsePostscreen(msg, ev, 'postscreen');
    case 'tlsproxy':
      if (msg.startsWith('CONNECT ') || msg.startsWith('DISCONNECT ')) return parsePostscreen(msg, ev, 'info');
      break;
    case 'dnsblog': {
      // "addr 1.2.3.4 listed by domain zen.spamhaus.org as 127.0.0.2"
      const m = /^addr (\S+) listed by domain (\S+) as (\S+)$/.exec(msg);
      if (!m) return false;
      ev.event = 'postscreen';
      ev.action = 'dnsbl_listed';
      ev.client_ip = m[1];
      setAttr(ev, 'dnsbl', m[2]);
      setAttr(ev, 'dnsbl_result', m[3]);
      return true;
    }
    case 'master':
      return parseMaster(msg, ev);
    case 'postfix-script':
    case 'postlog':
      return parsePostfixScript(msg, ev);
    case 'postsuper': {
      const m = POSTSUPER_SUMMARY_RE.exec(msg);
      if (!m) return false;
      ev.event = 'queue_action';
      ev.action = POSTSUPER_ACTION[m[1]];
      setAttr(ev, 'count', Number(m[2]));
      return true;
    }
    case 'anvil':
    case 'scache':
      if (msg.startsWith('statistics: ')) return parseStatistics(msg.slice(12), ev);
      return false;
  }
  // Any daemon (smtp, lmtp, smtpd, tlsproxy): TLS sessions and outbound connect failures.
  const c = msg.charCodeAt(0);
  if (isTlsLine(msg)) return parseTls(msg, ev);
  if (c === 83 && msg.startsWith('SSL_')) return parseTlsError(msg, ev);
  if (c === 99 && msg.startsWith('connect to ')) {
    // "connect to H[IP]:25: Connection refused" (smtp/lmtp): one failed address of a delivery attempt.
    const peer = parsePeer(msg, 11);
    ev.event = 'info';
    ev.action = 'connect_failed';
    ev.smtp_command = 'CONNECT';
    if (peer && msg.startsWith(': ', 11 + peer.len)) {
      setRelayPeer(ev, peer);
      ev.reason = msg.slice(11 + peer.len + 2);
    } else {
      const c2 = msg.lastIndexOf(': ');
      if (c2 > 11) {
        setAttr(ev, 'relay_socket', msg.slice(11, c2));
        ev.reason = msg.slice(c2 + 2);
      } else ev.reason = msg.slice(11);
    }
    return true;
  }
  if (c === 72 && msg.startsWith('Host offered STARTTLS: ')) {
    ev.event = 'info';
    ev.action = 'starttls_offered';
    ev.relay_host = stripBrackets(msg.slice(23));
    return true;
  }
  return false;
}

function stripBrackets(s: string): string {
  return s.charCodeAt(0) === 91 && s.charCodeAt(s.length - 1) === 93 ? s.slice(1, -1) : s;
}

/** MessageParser for any postfix program: the daemon is the part of ev.program after the last '/'. */
export const parsePostfix: MessageParser = (msg, ev) => {
  const p = ev.program;
  const slash = p.lastIndexOf('/');
  return parsePostfixDaemon(slash < 0 ? p : p.slice(slash + 1), msg, ev);
};

/** A MessageParser bound to one daemon name (parser.ts caches one per program). */
export function postfixParserFor(daemon: string): MessageParser {
  return (msg, ev) => parsePostfixDaemon(daemon, msg, ev);
}

/**
 * Like postfixParserFor, for readers that need message lifecycles only (`mailsight report`):
 * - smtpd's connect/disconnect lines and TLS session lines, a third of a busy server's lines,
 *   are typed by their prefix and not taken apart (no client, command counts or TLS
 *   parameters);
 * - delivery lines keep recipient, status, dsn and reply but not relay=, delay=, delays= and
 *   conn_use= (5 % of `mailsight report`'s instructions on the bench corpus), nor the host
 *   named in a failure's reply ("host H[IP] said:"), nor the reply of a `sent` one (its
 *   reply code and any `queued as` id stay);
 * - qmgr's enqueue and expiry lines carry no sender (2.2 %: the copy, its domain lookup, and
 *   the correlator's copies of both, once per queue run).
 * Everything else parses as in full.
 */
export function postfixLifecycleParserFor(daemon: string): MessageParser {
  const full: MessageParser = (msg, ev) => parsePostfixDaemon(daemon, msg, ev, true);
  const smtpd = daemon === 'smtpd';
  return (msg, ev) => {
    const c = msg.charCodeAt(0);
    if (smtpd) {
      if (c === 99 && msg.startsWith('connect from ')) {
        ev.event = 'connect';
        return true;
      }
      if (c === 100 && msg.startsWith('disconnect from ')) {
        ev.event = 'disconnect';
        return true;
      }
    }
    if (isTlsLine(msg)) {
      ev.event = 'tls';
      return true;
    }
    return full(msg, ev);
  };
}

/** Daemon names that identify a Postfix program even under a custom syslog_name. */
export const POSTFIX_DAEMONS: ReadonlySet<string> = new Set([
  'smtpd', 'smtp', 'lmtp', 'local', 'virtual', 'pipe', 'error', 'retry', 'discard', 'relay', 'qmgr', 'nqmgr',
  'cleanup', 'pickup', 'bounce', 'defer', 'trace', 'postscreen', 'dnsblog', 'tlsproxy', 'anvil', 'scache',
  'master', 'postfix-script', 'postsuper', 'postdrop', 'sendmail', 'postqueue', 'verify', 'tlsmgr',
  'showq', 'flush', 'proxymap', 'trivial-rewrite', 'oqmgr', 'spawn', 'postlogd', 'postmulti', 'postlog',
]);
