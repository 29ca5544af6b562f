// Lenient syslog header handling at the receiver. The line is handed on as text for the
// mta_parse framer (src/processors/mta_parse/header.ts), which understands well-formed
// RFC 3164 (`<PRI>Mmm dd hh:mm:ss host tag: msg`), RFC 3339-stamped 3164 and RFC 5424. What the
// receiver adds is what only a receiver can know or should repair, as relays do (RFC 3164
// §4.3.2-3, rsyslog, syslog-ng):
//   - BOM at the start, trailing NUL / CR / LF: removed (transport residue);
//   - missing or invalid timestamp: the receive time (RFC 3339, UTC) is put in its place;
//   - missing hostname: the peer's address is put in its place;
//   - odd but readable timestamps (`Nov 7 …` with one space, `Nov  7 2025 06:52:11`,
//     `2025-11-07 06:52:11` with a space): rewritten to a form the framer reads;
//   - a line with neither PRI nor a readable timestamp is not a syslog header we understand:
//     it is handed on unchanged (raw kept) and counted.
// Well-formed lines take a fast path that allocates nothing beyond the decoded string.
import { MONTHS, digits, structuredDataEnd } from '../../processors/mta_parse/header.js';
import { isDigit } from '../../processors/mta_parse/text.js';

export type SyslogFormat = 'auto' | 'rfc3164' | 'rfc5424';

/** What was repaired in a header, or 'not_understood' (handed on unchanged). */
export type HeaderFix =
  | 'timestamp_missing'
  | 'timestamp_invalid'
  | 'timestamp_rewritten'
  | 'hostname_missing'
  | 'not_understood';

export const FACILITIES: readonly string[] = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp',
  'ntp', 'security', 'console', 'solaris-cron', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5',
  'local6', 'local7',
];
export const SEVERITIES: readonly string[] = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];

/**
 * Decode one frame: UTF-8 (invalid sequences become U+FFFD), without a leading BOM and
 * without trailing NUL, CR and LF. `ascii`: the caller knows the bytes are all below 0x80,
 * where Latin-1 decoding gives the same string and is cheaper.
 */
export function decodeFrame(buf: Buffer, start: number, end: number, ascii = false): string {
  if (end - start >= 3 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) start += 3;
  while (end > start) {
    const c = buf[end - 1];
    if (c !== 0 && c !== 10 && c !== 13) break;
    end--;
  }
  return buf.toString(ascii ? 'latin1' : 'utf8', start, end);
}

/** Whether a token is a syslog tag rather than a hostname (`prog[pid]:`, `prog:`). */
function looksLikeTag(s: string, start: number, end: number): boolean {
  if (end <= start) return false;
  if (s.charCodeAt(end - 1) === 58 /* : */) return true;
  const b = s.indexOf('[', start);
  return b >= 0 && b < end;
}

function tokenEnd(s: string, i: number): number {
  const e = s.indexOf(' ', i);
  return e < 0 ? s.length : e;
}

/**
 * Normalises headers; the results of the last call are in `pri` and `fix`. One instance per
 * receiver: it caches the receive-time stamp.
 */
export class HeaderNormaliser {
  /** PRI of the last message (0..191), or -1 when it had none. */
  pri = -1;
  /** What the last call repaired, if anything. */
  fix: HeaderFix | undefined;
  private lastNow = -1;
  private lastIso = '';

  constructor(private readonly format: SyslogFormat = 'auto') {}

  normalise(s: string, peer: string, now: number): string {
    this.pri = -1;
    this.fix = undefined;
    let p = 0;
    if (s.charCodeAt(0) === 60 /* < */) {
      let v = 0;
      let i = 1;
      while (i < 5 && isDigit(s.charCodeAt(i))) v = v * 10 + (s.charCodeAt(i++) - 48);
      if (i > 1 && i < 5 && s.charCodeAt(i) === 62 /* > */ && v <= 191) {
        this.pri = v;
        p = i + 1;
      }
    }
    if (this.format !== 'rfc3164' && s.charCodeAt(p) === 49 /* 1 */ && s.charCodeAt(p + 1) === 32) {
      return this.rfc5424(s, p + 2, peer, now);
    }
    if (this.format === 'rfc5424') {
      this.fix = 'not_understood';
      return s;
    }
    return this.rfc3164(s, p, peer, now, 0);
  }

  private iso(now: number): string {
    if (now !== this.lastNow) {
      this.lastNow = now;
      this.lastIso = new Date(now).toISOString();
    }
    return this.lastIso;
  }

  /** p: after the PRI (0 if none). */
  private rfc3164(s: string, p: number, peer: string, now: number, rewrites: number): string {
    const c0 = s.charCodeAt(p);
    let q: number; // just after the timestamp
    const mon = MONTHS.get((c0 << 16) | (s.charCodeAt(p + 1) << 8) | s.charCodeAt(p + 2));
    if (mon !== undefined && s.charCodeAt(p + 3) === 32) {
      const r = this.bsdStamp(s, p, mon);
      if (r === 'rewritten' && rewrites < 2) {
        this.fix = 'timestamp_rewritten'; // unless a later pass finds more to repair
        return this.rfc3164(this.rewritten, p, peer, now, rewrites + 1);
      }
      if (typeof r !== 'number') return this.insertStamp(s, p, p + Math.min(15, s.length - p), peer, now, 'timestamp_invalid');
      q = r;
    } else if (isDigit(c0) && s.charCodeAt(p + 4) === 45 /* - */ && s.charCodeAt(p + 7) === 45) {
      const e = tokenEnd(s, p);
      const sep = s.charCodeAt(p + 10);
      if (sep === 32 && rewrites < 2 && isDigit(s.charCodeAt(p + 11)) && s.charCodeAt(p + 13) === 58) {
        // `2025-11-07 06:52:11`: the framer wants the T.
        this.fix = 'timestamp_rewritten';
        return this.rfc3164(s.slice(0, p + 10) + 'T' + s.slice(p + 11), p, peer, now, rewrites + 1);
      }
      if (sep !== 84 /* T */ || !validIso(s, p, e)) return this.insertStamp(s, p, e, peer, now, 'timestamp_invalid');
      q = e;
    } else {
      // No timestamp at all. Without a PRI either, this is not a header we understand.
      if (this.pri < 0) {
        this.fix = 'not_understood';
        return s;
      }
      return this.insertStamp(s, p, p, peer, now, 'timestamp_missing');
    }
    // Hostname: the token after the stamp, unless that token is already the tag.
    const h = q + 1;
    const he = tokenEnd(s, h);
    if (q >= s.length || looksLikeTag(s, h, he)) {
      this.fix = 'hostname_missing';
      return s.slice(0, q) + ' ' + peer + (q < s.length ? s.slice(q) : '');
    }
    return s;
  }

  /** Scratch output of bsdStamp when it rewrites. */
  private rewritten = '';

  /**
   * `Mmm dd hh:mm:ss[.frac]` at p. Returns the index after it; 'rewritten' with the line in
   * `this.rewritten` when a readable variant was turned into the standard form; 'invalid'.
   */
  private bsdStamp(s: string, p: number, mon: number): number | 'rewritten' | 'invalid' {
    const d1 = s.charCodeAt(p + 4);
    const d2 = s.charCodeAt(p + 5);
    // `Nov 7 06:…` (one space, one digit): pad to the standard `Nov  7`.
    if (isDigit(d1) && d2 === 32 && isDigit(s.charCodeAt(p + 6))) {
      this.rewritten = s.slice(0, p + 4) + ' ' + s.slice(p + 4);
      return 'rewritten';
    }
    const day = d1 === 32 ? d2 - 48 : (d1 - 48) * 10 + (d2 - 48);
    if (!(d1 === 32 || isDigit(d1)) || !isDigit(d2) || day < 1 || day > 31 || s.charCodeAt(p + 6) !== 32) return 'invalid';
    // `Nov  7 2025 06:52:11`: a year the framer cannot read there; make it RFC 3339 without a zone
    // (the framer then applies the configured time zone, as for any RFC 3164 stamp).
    const year = digits(s, p + 7, 4);
    if (year >= 0 && s.charCodeAt(p + 11) === 32) {
      const hh = digits(s, p + 12, 2);
      const mm = digits(s, p + 15, 2);
      const ss = digits(s, p + 18, 2);
      if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60) return 'invalid';
      const pad = (n: number) => (n < 10 ? '0' + n : String(n));
      this.rewritten =
        s.slice(0, p) + `${year}-${pad(mon + 1)}-${pad(day)}T${s.slice(p + 12, p + 20)}` + s.slice(p + 20);
      return 'rewritten';
    }
    const hh = digits(s, p + 7, 2);
    const mm = digits(s, p + 10, 2);
    const ss = digits(s, p + 13, 2);
    if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60) return 'invalid';
    if (s.charCodeAt(p + 9) !== 58 || s.charCodeAt(p + 12) !== 58) return 'invalid';
    let q = p + 15;
    if (s.charCodeAt(q) === 46 /* . */) {
      q++;
      while (isDigit(s.charCodeAt(q))) q++;
    }
    if (q < s.length && s.charCodeAt(q) !== 32) return 'invalid';
    return q;
  }

  /**
   * Put the receive time in place of [from, to) (empty for a missing stamp), and the peer as the
   * hostname when the content does not start with one.
   */
  private insertStamp(s: string, p: number, to: number, peer: string, now: number, fix: HeaderFix): string {
    this.fix = fix;
    let r = to;
    while (s.charCodeAt(r) === 32) r++;
    const rest = s.slice(r);
    // Does the rest start with `host tag` (keep it) or with the tag / free text (add the peer)?
    const e1 = tokenEnd(rest, 0);
    let hasHost = false;
    if (e1 > 0 && !looksLikeTag(rest, 0, e1) && e1 < rest.length) {
      const e2 = tokenEnd(rest, e1 + 1);
      hasHost = looksLikeTag(rest, e1 + 1, e2);
    }
    return s.slice(0, p) + this.iso(now) + ' ' + (hasHost ? rest : peer + (rest ? ' ' + rest : ''));
  }

  /** t: the TIMESTAMP field (after `<PRI>1 `). */
  private rfc5424(s: string, t: number, peer: string, now: number): string {
    const te = tokenEnd(s, t);
    let out = s;
    let shift = 0;
    if (!(te === t + 1 && s.charCodeAt(t) === 45) && !validIso(s, t, te)) {
      out = s.slice(0, t) + this.iso(now) + s.slice(te);
      shift = this.lastIso.length - (te - t);
      this.fix = 'timestamp_invalid';
    }
    // HOSTNAME NILVALUE: the peer, as for RFC 3164 (one host name per sender downstream).
    const h = te + shift + 1;
    if (out.charCodeAt(h) === 45 && out.charCodeAt(h + 1) === 32) {
      out = out.slice(0, h) + peer + out.slice(h + 1);
      this.fix ??= 'hostname_missing';
    }
    // rsyslog's RFC 5424 templates put `%msg%` (which keeps the space that followed the 3164
    // tag) after the SD's separator: `- -  text`. The space is no part of the message.
    const m = msgStart(out, h);
    if (m > 0 && out.charCodeAt(m) === 32) {
      let e = m;
      while (out.charCodeAt(e) === 32) e++;
      out = out.slice(0, m) + out.slice(e);
    }
    return out;
  }
}

/** Start of MSG in an RFC 5424 line, given the start of HOSTNAME; -1 if there is none. */
function msgStart(s: string, h: number): number {
  let p = h;
  // HOSTNAME APP-NAME PROCID MSGID
  for (let k = 0; k < 4; k++) {
    const e = s.indexOf(' ', p);
    if (e < 0) return -1;
    p = e + 1;
  }
  p = structuredDataEnd(s, p);
  if (s.charCodeAt(p) !== 32) return -1;
  return p + 1;
}

/** RFC 3339 `YYYY-MM-DDTHH:MM:SS[.frac][Z|±HH:MM]` exactly over [p, e), with sane field values. */
function validIso(s: string, p: number, e: number): boolean {
  if (e - p < 19) return false;
  const y = digits(s, p, 4);
  const mo = digits(s, p + 5, 2);
  const d = digits(s, p + 8, 2);
  const hh = digits(s, p + 11, 2);
  const mm = digits(s, p + 14, 2);
  const ss = digits(s, p + 17, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60) return false;
  if (s.charCodeAt(p + 4) !== 45 || s.charCodeAt(p + 7) !== 45 || s.charCodeAt(p + 10) !== 84) return false;
  if (s.charCodeAt(p + 13) !== 58 || s.charCodeAt(p + 16) !== 58) return false;
  let q = p + 19;
  if (s.charCodeAt(q) === 46) {
    q++;
    while (q < e && isDigit(s.charCodeAt(q))) q++;
  }
  if (q === e) return true;
  const z = s.charCodeAt(q);
  if ((z === 90 || z === 122) && q + 1 === e) return true;
  if (z === 43 || z === 45) {
    const oh = digits(s, q + 1, 2);
    if (oh < 0) return false;
    if (s.charCodeAt(q + 3) === 58) return q + 6 === e && digits(s, q + 4, 2) >= 0;
    return q + 5 === e && digits(s, q + 3, 2) >= 0;
  }
  return false;
}
