// Syslog framing: turn one log line into {time, host, program, pid, msg}.
//
// Formats (auto-detected per line, cheapest test first):
//   RFC 3164        `Nov  7 06:52:11 host prog[pid]: msg` (also `<PRI>` before it, zero-padded day as
//                   Postfix's own maillog_file writes it, optional `.ffffff` after the seconds)
//   RFC 3339 stamp  `2026-11-12T05:41:23.079787+00:00 host prog[pid]: msg` (rsyslog file format)
//   RFC 5424        `<34>1 2026-11-12T05:41:23Z host app procid msgid [sd] msg` (PRI optional, BOM)
//   journald JSON   `{"MESSAGE": ..., "SYSLOG_IDENTIFIER": ..., "__REALTIME_TIMESTAMP": ...}`
//   container       `mail  | <any of the above>` / `mail_1  | ...` (docker compose prefix)
// Lines with a bare `prog: msg` tag (no pid) and without a host are accepted too.

import { Recent, flat, isDigit } from './text.js';

export interface FramedLine {
  /** Unix epoch milliseconds; the fractional part carries microseconds. */
  time: number;
  host: string;
  program: string;
  pid: number | undefined;
  msg: string;
}

export interface FramerOptions {
  /** Zone of RFC 3164 timestamps (they carry none): "UTC" (default), "local", or "+02:00". */
  timezone?: string;
  /** Reference clock for the RFC 3164 year; defaults to Date.now. */
  now?: () => number;
}

/** 'local' or a fixed offset east of UTC in minutes. */
export type TzSpec = 'local' | number;

export function parseTimezone(tz: string | undefined): TzSpec {
  if (tz === undefined || tz === '') return 0;
  const t = tz.trim();
  const u = t.toUpperCase();
  if (u === 'UTC' || u === 'Z' || u === 'GMT') return 0;
  if (t.toLowerCase() === 'local') return 'local';
  const m = /^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(t);
  if (!m) throw new Error(`invalid timezone "${tz}": use "local", "UTC" or an offset like "+02:00"`);
  const mins = Number(m[2]) * 60 + (m[3] ? Number(m[3]) : 0);
  if (mins > 18 * 60) throw new Error(`invalid timezone "${tz}": offset out of range`);
  return m[1] === '-' ? -mins : mins;
}

// Month lookup keyed by the three character codes, so no substring is allocated.
// Exported with the digit helpers for the syslog receiver, which checks headers the same way.
export const MONTHS = new Map<number, number>();
['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].forEach((m, i) => {
  MONTHS.set((m.charCodeAt(0) << 16) | (m.charCodeAt(1) << 8) | m.charCodeAt(2), i);
});

const DAY_MS = 86_400_000;
/** Distinct program names remembered for sharing (a syslog stream has a handful). */
const MAX_PROGRAMS = 16;
/** Hosts remembered the same way (the hosts of a fleet whose logs are merged). */
const MAX_HOSTS = 16;

function d2(s: string, i: number): number {
  return (s.charCodeAt(i) - 48) * 10 + (s.charCodeAt(i + 1) - 48);
}

/** Parse digits [i, i+n) or return -1. */
export function digits(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = s.charCodeAt(i + k);
    if (!isDigit(c)) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}

/** Index after the digits read by the last fraction() (a module variable: no array per line). */
let fractionEnd = 0;

/** `.ffffff` at i (s[i] is '.'): its value in milliseconds; the index after it in fractionEnd. */
function fraction(s: string, i: number): number {
  let j = i + 1;
  let v = 0;
  let scale = 1;
  while (j < s.length && isDigit(s.charCodeAt(j))) {
    if (scale < 1e9) {
      v = v * 10 + (s.charCodeAt(j) - 48);
      scale *= 10;
    }
    j++;
  }
  fractionEnd = j;
  return (v / scale) * 1000;
}

/**
 * Index just after the RFC 5424 STRUCTURED-DATA that starts at p: "-" or one or more
 * [id k="v" ...] (p itself when there is neither). Inside a quoted value only `"` ends it (`\"`,
 * `\]`, `\\` are escapes); an unescaped `]` there is invalid RFC 5424 but some senders write
 * one, and it must not end the element and spill the rest into the message. A quote never
 * closed ends the element at its first `]` after all. Shared with the syslog receiver.
 */
export function structuredDataEnd(s: string, p: number): number {
  if (s.charCodeAt(p) === 45 /* - */) return p + 1;
  while (s.charCodeAt(p) === 91 /* [ */) {
    let i = p + 1;
    let quoted = false;
    let firstClose = -1;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 92) i += 2;
      else if (c === 34) {
        quoted = !quoted;
        i++;
      } else if (c === 93) {
        if (!quoted) break;
        if (firstClose < 0) firstClose = i;
        i++;
      } else i++;
    }
    if (i >= s.length && quoted && firstClose >= 0) i = firstClose;
    p = i + 1;
  }
  return p;
}

/** The pid between brackets [s, e): plain digits inline, anything else as Number() decides. */
function pidOf(line: string, s: number, e: number): number | undefined {
  if (e <= s) return undefined;
  if (e - s <= 9) {
    let v = 0;
    let i = s;
    for (; i < e; i++) {
      const c = line.charCodeAt(i);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
    }
    if (i === e) return v;
  }
  const pid = Number(line.slice(s, e));
  return Number.isInteger(pid) ? pid : undefined;
}

export class Framer {
  private readonly tz: TzSpec;
  private readonly now: () => number;
  // Year inference state for RFC 3164 replay (Dec -> Jan increments the year).
  private year = -1;
  private lastMonth = -1;
  // Cache of the last RFC 3164 "Mmm dd hh:mm:ss" prefix: consecutive lines share it.
  private lastKey = '';
  private lastKeyHead = '';
  private lastBase = 0;
  // Cache of the last RFC 3339 "YYYY-MM-DDTHH:MM:SS" + offset.
  private lastIsoStamp = '';
  private lastIsoHead = '';
  private lastIsoZone = '';
  private lastIsoBase = 0;
  /** Index after the timestamp read by the last iso(). */
  private isoEnd = 0;
  // Host and program names repeat on nearly every line: the previous string is reused, so
  // later compares of these names (route lookup, the correlator's host) hit identity.
  private lastHost = '';
  private readonly programs = new Recent(MAX_PROGRAMS);
  // A fleet's hosts interleave in a merged log: the recent ones are shared too.
  private readonly hosts = new Recent(MAX_HOSTS);
  // The result of frameShared(), reused from line to line.
  private readonly cur: FramedLine = { time: 0, host: '', program: '', pid: undefined, msg: '' };

  constructor(opts: FramerOptions = {}) {
    this.tz = parseTimezone(opts.timezone);
    this.now = opts.now ?? Date.now;
  }

  /** The cached RFC 3164 stamp (15 characters, '' before the first) and its epoch ms: for ByteFramer. */
  get stampKey(): string {
    return this.lastKey;
  }
  get stampBase(): number {
    return this.lastBase;
  }
  /** The cached RFC 3339 stamp (19 characters, '' before the first), its zone and epoch ms: for ByteFramer. */
  get isoStampKey(): string {
    return this.lastIsoStamp;
  }
  get isoZone(): string {
    return this.lastIsoZone;
  }
  get isoBase(): number {
    return this.lastIsoBase;
  }
  /** The previous line's host: for ByteFramer. */
  get recentHost(): string {
    return this.lastHost;
  }
  /** The shared string of a program name s[p, e): for ByteFramer. */
  programAt(s: string, p: number, e: number): string {
    return this.programs.get(s, p, e);
  }

  /** Frame one line; undefined when no known header is found. */
  frame(line: string): FramedLine | undefined {
    const f = this.frameShared(line);
    return f === undefined ? undefined : { time: f.time, host: f.host, program: f.program, pid: f.pid, msg: f.msg };
  }

  /**
   * Like frame(), but the result is one object that the next call overwrites: LineParser reads
   * it at once, and the hot path then allocates no frame per line.
   */
  frameShared(line: string): FramedLine | undefined {
    // Most lines carry the previous line's RFC 3164 stamp: one compare settles the header.
    if (this.sameStamp(line, 0)) return this.afterStamp(line, 15, this.lastBase);
    let p = 0;
    const c0 = line.charCodeAt(0);
    if (c0 === 123 /* { */) return this.journald(line);
    // docker compose: `name  | rest`: one token, spaces, a bar.
    if (c0 !== 60 /* < */ && !isDigit(c0)) {
      const sp = line.indexOf(' ');
      if (sp > 0 && sp < 80) {
        let q = sp;
        while (line.charCodeAt(q) === 32) q++;
        if (line.charCodeAt(q) === 124 /* | */ && (line.charCodeAt(q + 1) === 32 || q + 1 === line.length)) {
          return this.frameShared(line.slice(q + 2));
        }
      }
    }
    // <PRI>
    if (c0 === 60) {
      const e = line.indexOf('>');
      if (e < 2 || e > 4) return undefined;
      p = e + 1;
    }
    const c = line.charCodeAt(p);
    if (isDigit(c)) {
      // RFC 5424 "1 " version, or an RFC 3339 timestamp "YYYY-".
      if (c === 49 && line.charCodeAt(p + 1) === 32) return this.rfc5424(line, p + 2);
      if (line.charCodeAt(p + 4) === 45 /* - */ && line.charCodeAt(p + 10) === 84 /* T */) {
        const t = this.iso(line, p);
        if (Number.isNaN(t)) return undefined;
        return this.afterTimestamp(line, this.isoEnd, t);
      }
      return undefined;
    }
    return this.rfc3164(line, p);
  }

  private rfc3164(line: string, p: number): FramedLine | undefined {
    let base: number;
    // Most lines share the previous line's stamp (checked when it was cached).
    if (this.sameStamp(line, p)) {
      base = this.lastBase;
    } else {
      const key = line.slice(p, p + 15);
      const mon = MONTHS.get((line.charCodeAt(p) << 16) | (line.charCodeAt(p + 1) << 8) | line.charCodeAt(p + 2));
      if (mon === undefined || line.charCodeAt(p + 3) !== 32) return undefined;
      const dc = line.charCodeAt(p + 4);
      const day = dc === 32 ? line.charCodeAt(p + 5) - 48 : d2(line, p + 4);
      const hh = digits(line, p + 7, 2);
      const mm = digits(line, p + 10, 2);
      const ss = digits(line, p + 13, 2);
      if (
        day < 1 || day > 31 || hh < 0 || mm < 0 || ss < 0 ||
        line.charCodeAt(p + 6) !== 32 || line.charCodeAt(p + 9) !== 58 || line.charCodeAt(p + 12) !== 58
      ) return undefined;
      const year = this.yearFor(mon, day, hh, mm, ss);
      base = this.toEpoch(year, mon, day, hh, mm, ss);
      this.lastKey = flat(key);
      this.lastKeyHead = key.slice(0, 12);
      this.lastBase = base;
    }
    return this.afterStamp(line, p + 15, base);
  }

  /**
   * Does line[p, p + 15) equal the cached stamp? Compared as the seconds' three characters and
   * a 12-character slice: V8 copies slices that short and compares them inline, while two
   * longer strings of which one is a slice are compared through a runtime call.
   */
  private sameStamp(line: string, p: number): boolean {
    const k = this.lastKey;
    return (
      line.charCodeAt(p + 14) === k.charCodeAt(14) &&
      line.charCodeAt(p + 13) === k.charCodeAt(13) &&
      line.charCodeAt(p + 12) === k.charCodeAt(12) &&
      line.slice(p, p + 12) === this.lastKeyHead
    );
  }

  /** After an RFC 3164 stamp ending at q: optional `.ffffff`, a space, then host and tag. */
  private afterStamp(line: string, q: number, base: number): FramedLine | undefined {
    let time = base;
    if (line.charCodeAt(q) === 46 /* . */) {
      time += fraction(line, q);
      q = fractionEnd;
    }
    if (line.charCodeAt(q) !== 32) return undefined;
    return this.afterTimestamp(line, q + 1, time);
  }

  /** Year of an RFC 3164 stamp: current year (not > ~1 day ahead) for the first line, then stream state. */
  private yearFor(mon: number, day: number, hh: number, mm: number, ss: number): number {
    if (this.year < 0) {
      const now = this.now();
      let y = this.tz === 'local' ? new Date(now).getFullYear() : new Date(now + this.tz * 60_000).getUTCFullYear();
      if (this.toEpoch(y, mon, day, hh, mm, ss) > now + DAY_MS) y -= 1;
      this.year = y;
    } else if (mon + 6 < this.lastMonth) {
      this.year += 1; // Dec -> Jan while replaying
    } else if (mon > this.lastMonth + 6) {
      this.year -= 1; // a late line from the previous year just after the rollover
    }
    this.lastMonth = mon;
    return this.year;
  }

  private toEpoch(y: number, mon: number, day: number, hh: number, mm: number, ss: number): number {
    if (this.tz === 'local') return new Date(y, mon, day, hh, mm, ss).getTime();
    return Date.UTC(y, mon, day, hh, mm, ss) - this.tz * 60_000;
  }

  /**
   * RFC 3339 timestamp at p: epoch ms, or NaN when it is not one; the index after it in isoEnd.
   * Lines of the same second share the cached base: compared in place (the seconds' characters,
   * a 12-character head that V8 compares inline, and the zone), with no key string built.
   */
  private iso(line: string, p: number): number {
    // YYYY-MM-DDTHH:MM:SS
    let q = p + 19;
    let frac = 0;
    if (line.charCodeAt(q) === 46) {
      frac = fraction(line, q);
      q = fractionEnd;
    }
    let offEnd = q;
    const oc = line.charCodeAt(q);
    if (oc === 90 || oc === 122 /* Z z */) offEnd = q + 1;
    else if (oc === 43 || oc === 45) offEnd = line.charCodeAt(q + 3) === 58 ? q + 6 : q + 5;
    this.isoEnd = offEnd;
    if (this.sameIso(line, p, q, offEnd)) return this.lastIsoBase + frac;
    const y = digits(line, p, 4);
    const mo = digits(line, p + 5, 2);
    const d = digits(line, p + 8, 2);
    const hh = digits(line, p + 11, 2);
    const mm = digits(line, p + 14, 2);
    const ss = digits(line, p + 17, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || hh < 0 || mm < 0 || ss < 0) return NaN;
    let base: number;
    if (oc === 43 || oc === 45) {
      const oh = digits(line, q + 1, 2);
      const om = digits(line, offEnd - 2, 2);
      if (oh < 0 || om < 0) return NaN;
      const off = (oh * 60 + om) * (oc === 45 ? -1 : 1);
      base = Date.UTC(y, mo - 1, d, hh, mm, ss) - off * 60_000;
    } else if (offEnd === q) {
      // No zone designator: treat like RFC 3164 (configured zone).
      base = this.toEpoch(y, mo - 1, d, hh, mm, ss);
    } else {
      base = Date.UTC(y, mo - 1, d, hh, mm, ss);
    }
    this.lastIsoStamp = flat(line.slice(p, p + 19));
    this.lastIsoHead = this.lastIsoStamp.slice(0, 12);
    this.lastIsoZone = flat(line.slice(q, offEnd));
    this.lastIsoBase = base;
    return base + frac;
  }

  /**
   * Are line[p, p + 19) and its zone line[q, offEnd) the cached stamp's? Only the digits after
   * the 12-character head are compared one by one (a miss reads no separator either), seconds
   * first; the head and the zone are short slices, which V8 copies and compares inline.
   */
  private sameIso(line: string, p: number, q: number, offEnd: number): boolean {
    const k = this.lastIsoStamp;
    return (
      line.charCodeAt(p + 18) === k.charCodeAt(18) &&
      line.charCodeAt(p + 17) === k.charCodeAt(17) &&
      line.charCodeAt(p + 15) === k.charCodeAt(15) &&
      line.charCodeAt(p + 14) === k.charCodeAt(14) &&
      line.charCodeAt(p + 12) === k.charCodeAt(12) &&
      line.slice(p, p + 12) === this.lastIsoHead &&
      (q === offEnd ? this.lastIsoZone === '' : line.slice(q, offEnd) === this.lastIsoZone)
    );
  }

  /** `host tag: msg` after a timestamp (p points at the host). */
  private afterTimestamp(line: string, p: number, time: number): FramedLine {
    while (line.charCodeAt(p) === 32) p++;
    let sp = line.indexOf(' ', p);
    if (sp < 0) sp = line.length;
    let host = line.slice(p, sp);
    if (host === this.lastHost && host.length > 0) return this.tag(line, sp + 1, time, this.lastHost);
    let tagStart = sp + 1;
    // No host: the token is already the tag (`prog[pid]:` or `prog:`).
    if (host.charCodeAt(host.length - 1) === 58 || host.indexOf('[') >= 0) {
      host = '';
      tagStart = p;
    } else if (host.length > 0) {
      host = this.hosts.get(line, p, sp);
      this.lastHost = host;
    }
    return this.tag(line, tagStart, time, host);
  }

  private result(time: number, host: string, program: string, pid: number | undefined, msg: string): FramedLine {
    const f = this.cur;
    f.time = time;
    f.host = host;
    f.program = program;
    f.pid = pid;
    f.msg = msg;
    return f;
  }

  /**
   * The tag at p: the first of a '[' (`prog[pid]: msg`), a ':' followed by a space or the end
   * (`prog: msg`; IPv6 and times have other colons) and a space (no tag). Such a colon can only
   * sit just before the first space (or end the line), so three indexOf calls find it without
   * a loop over the characters.
   */
  private tag(line: string, p: number, time: number, host: string): FramedLine {
    const n = line.length;
    let sp = line.indexOf(' ', p);
    if (sp < 0) sp = n;
    const open = p < n ? line.indexOf('[', p) : -1;
    if (open >= 0 && open < sp) {
      const close = line.indexOf(']', open + 1);
      if (close >= 0) {
        return this.bracketTag(line, open, close, time, host, this.programs.get(line, p, open));
      }
    } else if (sp - 1 >= p && line.charCodeAt(sp - 1) === 58 /* : */) {
      return this.result(time, host, this.programs.get(line, p, sp - 1), undefined, line.slice(Math.min(n, sp + 1)));
    }
    return this.result(time, host, '', undefined, line.slice(p));
  }

  /** `prog[pid]: msg` with the brackets at open and close. */
  private bracketTag(line: string, open: number, close: number, time: number, host: string, program: string): FramedLine {
    let m = close + 1;
    if (line.charCodeAt(m) === 58) m++;
    if (line.charCodeAt(m) === 32) m++;
    return this.result(time, host, program, pidOf(line, open + 1, close), line.slice(m));
  }

  private rfc5424(line: string, p: number): FramedLine | undefined {
    // TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]
    let time: number;
    if (line.charCodeAt(p) === 45 /* - */) {
      time = this.now();
      p += 1;
    } else {
      const t = this.iso(line, p);
      if (Number.isNaN(t)) return undefined;
      time = t;
      p = this.isoEnd;
    }
    const fields: string[] = [];
    for (let k = 0; k < 4; k++) {
      if (line.charCodeAt(p) !== 32) return undefined;
      p++;
      let e = line.indexOf(' ', p);
      if (e < 0) e = line.length;
      fields.push(line.slice(p, e));
      p = e;
    }
    if (line.charCodeAt(p) === 32) p++;
    p = structuredDataEnd(line, p);
    if (line.charCodeAt(p) === 32) p++;
    if (line.charCodeAt(p) === 0xfeff) p++;
    const nil = (s: string): string => (s === '-' ? '' : s);
    const procid = fields[2];
    const pid = procid !== '-' && /^\d+$/.test(procid) ? Number(procid) : undefined;
    return this.result(time, nil(fields[0]), nil(fields[1]), pid, line.slice(p));
  }

  private journald(line: string): FramedLine | undefined {
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch {
      return undefined;
    }
    if (typeof o !== 'object' || o === null) return undefined;
    const j = o as Record<string, unknown>;
    const m = j.MESSAGE;
    let msg: string;
    if (typeof m === 'string') msg = m;
    else if (Array.isArray(m)) msg = Buffer.from(m as number[]).toString('utf8'); // non-UTF-8 or binary payloads
    else return undefined;
    const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
    // The source's own timestamp is closer to the event than the journal's receive time.
    const us = str(j._SOURCE_REALTIME_TIMESTAMP) ?? str(j.__REALTIME_TIMESTAMP);
    const time = us !== undefined && us !== '' ? Number(us) / 1000 : this.now();
    const program = str(j.SYSLOG_IDENTIFIER) ?? str(j._SYSLOG_IDENTIFIER) ?? str(j._COMM) ?? '';
    const pidStr = str(j.SYSLOG_PID) ?? str(j._SYSLOG_PID) ?? str(j._PID);
    const pid = pidStr !== undefined && /^\d+$/.test(pidStr) ? Number(pidStr) : undefined;
    return this.result(Number.isFinite(time) ? time : this.now(), str(j._HOSTNAME) ?? '', program, pid, msg);
  }
}
