// The common syslog header read on bytes: `Mmm dd hh:mm:ss host prog[pid]: msg` (or an RFC 3339
// stamp, `2026-11-12T05:41:23.079787+00:00`, in its place) whose stamp is the previous line's to
// the second and whose host is a recent one: 98-99 % of the lines of a busy server's log, or of
// a fleet's merged one.
//
// `mailsight report` reads files in blocks of bytes; in a block that is all ASCII (nearly all of
// a mail log) a character's index in the decoded text is its byte's index in the block. There
// the header is compared in place, with no slice of the line, the stamp, the host or the
// program, and no string compare; only the message is sliced. (Callgrind, 1M lines: 2.25k
// instructions a line for the header against 2.69k.) Remembered program names are compared four
// bytes at a time, where a scan for '[' and a byte-by-byte compare cost ~1.2 % of the report's
// instructions more. Every other line (a new second, a new
// host, no pid, a CR, ...) gets undefined and goes the string path (Framer), whose state this
// one follows: it only accepts what Framer reads the same way, so the results are equal by
// construction (header_bytes.test.ts compares the two on whole corpora and mutations).
import type { FramedLine, Framer } from './header.js';

/** Programs remembered as bytes (Postfix logs some ten daemons). */
const MAX_PROGRAMS = 32;
/** Hosts remembered as bytes (a fleet's merged log interleaves them), as Framer's MAX_HOSTS. */
const MAX_HOSTS = 16;
/** Offsets of the words compared: the RFC 3164 stamp and its space; the RFC 3339 stamp (the last two overlap). */
const STAMP_WORDS_AT = [0, 4, 8, 12];
const ISO_WORDS_AT = [0, 4, 8, 12, 15];
/** Longest host name kept as bytes; longer ones take the string path. */
const MAX_HOST = 128;

export class ByteFramer {
  /** framer.stampKey as bytes, and the key they were made from. */
  private stamp = '';
  private stampOk = false;
  /** The stamp and the space after it as four little-endian words (bytes 0-3, 4-7, 8-11, 12-15). */
  private readonly stampWords = new Uint32Array(4);
  /** framer.isoStampKey and framer.isoZone as bytes. */
  private iso = '';
  private isoOk = false;
  /** The RFC 3339 stamp as words at bytes 0, 4, 8, 12 and 15 (the last two overlap). */
  private readonly isoWords = new Uint32Array(5);
  private zone = '';
  private zoneOk = false;
  private readonly zoneBytes = new Uint8Array(6);
  /** framer.recentHost when last seen, and the hosts it has been, as bytes. */
  private host = '';
  private readonly hosts: string[] = [];
  private readonly hostBytes: Uint8Array[] = [];
  private nextHost = 0;
  /** Index in hosts of the last line's host. */
  private lastHost = 0;
  private readonly programs: string[] = [];
  private readonly programBytes: Uint8Array[] = [];
  /** Each program's name as little-endian words at 0, 4, 8, ... and, last, at its length - 4. */
  private readonly programWords: Uint32Array[] = [];
  /** Index of the last program matched: tried first. */
  private lastProgram = 0;
  /**
   * A view of the block for reading four bytes at a time: a DataView load costs about what one
   * typed-array element load does on V8 (a 16-byte compare: 47 instructions against 289).
   */
  private view: DataView | undefined = undefined;
  private viewOf: Uint8Array | undefined = undefined;
  /** Time of the stamp the last isoEnd() read. */
  private isoTime = 0;
  /** The result, reused from line to line like Framer.frameShared()'s. */
  private readonly cur: FramedLine = { time: 0, host: '', program: '', pid: undefined, msg: '' };

  constructor(private readonly framer: Framer) {}

  /**
   * Frame text[s, e), whose bytes are b[s, e) (an ASCII block), or undefined when the line is
   * not the common case: then frame the string instead.
   */
  frame(b: Uint8Array, text: string, s: number, e: number): FramedLine | undefined {
    const fr = this.framer;
    if (fr.recentHost !== this.host) this.syncHost(fr.recentHost);
    // A stamp, a space, a host, a space, and at least `p[1]: ` after them.
    if (this.hosts.length === 0 || e - s < 24 || b[e - 1] === 13) return undefined;
    if (b !== this.viewOf) {
      this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      this.viewOf = b;
    }
    const v = this.view as DataView;
    let p: number;
    let time: number;
    if (b[s] <= 57) {
      p = this.isoEnd(b, v, s, e);
      if (p < 0) return undefined;
      p++; // the space after the stamp
      time = this.isoTime;
    } else {
      if (fr.stampKey !== this.stamp) this.syncStamp(fr.stampKey);
      if (!this.stampOk) return undefined;
      const k = this.stampWords;
      // Seconds first: that is where consecutive stamps differ. The last word holds the space.
      if (v.getUint32(s + 12, true) !== k[3] || v.getUint32(s + 8, true) !== k[2] || v.getUint32(s + 4, true) !== k[1] || v.getUint32(s, true) !== k[0]) return undefined;
      p = s + 16;
      time = fr.stampBase;
    }
    const hi = this.hostAt(b, p, e);
    if (hi < 0) return undefined;
    const host = this.hosts[hi];
    p += host.length + 1;
    // The tag: `prog[pid]:` (`prog: msg` takes the string path: measured, handling it here
    // too made the common case ~0.8 % slower). A remembered program followed by '[' is what
    // the scan below would find (names hold no '[' and no space), in a few word compares.
    let open: number;
    let program: string;
    const pi = this.programAt(v, b, p, e);
    if (pi >= 0) {
      program = this.programs[pi];
      open = p + this.programBytes[pi].length;
    } else {
      open = p;
      while (open < e && b[open] !== 91) {
        if (b[open] === 32) return undefined;
        open++;
      }
      if (open === p || open >= e) return undefined;
      program = this.program(b, text, p, open);
    }
    let close = open + 1;
    let pid = 0;
    while (close < e && b[close] >= 48 && b[close] <= 57) pid = pid * 10 + (b[close++] - 48);
    if (close === open + 1 || close - open - 1 > 9 || close >= e || b[close] !== 93) return undefined;
    let m = close + 1;
    if (m < e && b[m] === 58) m++;
    if (m < e && b[m] === 32) m++;
    const f = this.cur;
    f.time = time;
    f.host = host;
    f.program = program;
    f.pid = pid;
    f.msg = text.slice(m, e);
    return f;
  }

  /**
   * The cached RFC 3339 stamp at s, with any `.fraction` and the cached zone: the index after
   * it, its time in isoTime; -1 when it is not that stamp. Framer.iso() computes the same.
   */
  private isoEnd(b: Uint8Array, v: DataView, s: number, e: number): number {
    const fr = this.framer;
    if (fr.isoStampKey !== this.iso) {
      this.iso = fr.isoStampKey;
      this.isoOk = this.iso.length === 19 && words(this.iso, ISO_WORDS_AT, this.isoWords);
    }
    if (fr.isoZone !== this.zone) {
      this.zone = fr.isoZone;
      this.zoneOk = this.zone.length <= 6 && ascii(this.zone, this.zoneBytes);
    }
    if (!this.isoOk || !this.zoneOk) return -1;
    const k = this.isoWords;
    if (v.getUint32(s + 15, true) !== k[4] || v.getUint32(s + 12, true) !== k[3] || v.getUint32(s + 8, true) !== k[2] || v.getUint32(s + 4, true) !== k[1] || v.getUint32(s, true) !== k[0]) return -1;
    let q = s + 19;
    let frac = 0;
    if (b[q] === 46 /* . */) {
      // As header.ts fraction(): digits up to nanoseconds count, later ones are skipped.
      let v = 0;
      let scale = 1;
      q++;
      while (q < e && b[q] >= 48 && b[q] <= 57) {
        if (scale < 1e9) {
          v = v * 10 + (b[q] - 48);
          scale *= 10;
        }
        q++;
      }
      frac = (v / scale) * 1000;
    }
    const zl = this.zone.length;
    const z = this.zoneBytes;
    for (let i = 0; i < zl; i++) if (b[q + i] !== z[i]) return -1;
    q += zl;
    // The zone must end here as Framer reads it: not `+00:00` read as `+00:0` + `0`, nor `Z` + more.
    const c = b[q];
    if (q >= e || c !== 32) return -1;
    this.isoTime = fr.isoBase + frac;
    return q;
  }

  private syncStamp(key: string): void {
    this.stamp = key;
    this.stampOk = key.length === 15 && words(key, STAMP_WORDS_AT, this.stampWords);
  }

  /** Remember framer.recentHost (a host token Framer accepted) as bytes. */
  private syncHost(host: string): void {
    this.host = host;
    if (host.length === 0 || host.length > MAX_HOST || this.hosts.includes(host)) return;
    const bytes = new Uint8Array(host.length);
    if (!ascii(host, bytes)) return;
    if (this.hosts.length < MAX_HOSTS) {
      this.hosts.push(host);
      this.hostBytes.push(bytes);
    } else {
      this.hosts[this.nextHost] = host;
      this.hostBytes[this.nextHost] = bytes;
      this.nextHost = (this.nextHost + 1) % MAX_HOSTS;
    }
  }

  /** Index of the remembered host that b[p, e) starts with, followed by a space; -1 if none. */
  private hostAt(b: Uint8Array, p: number, e: number): number {
    if (this.hostIs(this.lastHost, b, p, e)) return this.lastHost;
    for (let i = 0; i < this.hosts.length; i++) {
      if (i !== this.lastHost && this.hostIs(i, b, p, e)) {
        this.lastHost = i;
        return i;
      }
    }
    return -1;
  }

  private hostIs(i: number, b: Uint8Array, p: number, e: number): boolean {
    const h = this.hostBytes[i];
    if (h === undefined) return false;
    const n = h.length;
    if (p + n >= e || b[p + n] !== 32) return false;
    for (let j = 0; j < n; j++) if (b[p + j] !== h[j]) return false;
    return true;
  }

  /**
   * The program name b[p, e) that programAt() did not find: Framer's string, remembered while
   * there is room.
   */
  private program(b: Uint8Array, text: string, p: number, e: number): string {
    const list = this.programBytes;
    const name = this.framer.programAt(text, p, e);
    if (list.length < MAX_PROGRAMS) {
      const bytes = Uint8Array.from(b.subarray(p, e)); // a copy: a Buffer's slice() is a view of the reused block
      list.push(bytes);
      this.programs.push(name);
      this.programWords.push(nameWords(bytes));
    }
    return name;
  }

  /**
   * Index of the remembered program whose name starts b[p, e) and is followed by '[', or -1.
   * The byte after the name rules out most candidates; the words compare the rest.
   */
  private programAt(v: DataView, b: Uint8Array, p: number, e: number): number {
    const n = this.programBytes.length;
    for (let k = 0, i = this.lastProgram; k < n; k++, i = i + 1 === n ? 0 : i + 1) {
      const name = this.programBytes[i];
      const len = name.length;
      if (p + len >= e || b[p + len] !== 91) continue;
      const w = this.programWords[i];
      const last = w.length - 1;
      let j = 0;
      if (last < 0) {
        // Shorter than a word: byte by byte.
        while (j < len && b[p + j] === name[j]) j++;
        if (j < len) continue;
      } else {
        while (j < last && v.getUint32(p + 4 * j, true) === w[j]) j++;
        if (j < last || v.getUint32(p + len - 4, true) !== w[last]) continue;
      }
      this.lastProgram = i;
      return i;
    }
    return -1;
  }
}

/**
 * The little-endian words of s's characters at these offsets, a position past its end read as
 * a space (the one after a stamp); false if a character is not ASCII. No buffer is allocated:
 * this runs once per new second of the log.
 */
function words(s: string, at: readonly number[], out: Uint32Array): boolean {
  for (let i = 0; i < at.length; i++) {
    let w = 0;
    for (let j = 3; j >= 0; j--) {
      const k = at[i] + j;
      const c = k < s.length ? s.charCodeAt(k) : 32;
      if (c > 127) return false;
      w = (w << 8) | c;
    }
    out[i] = w >>> 0;
  }
  return true;
}

/** programWords' words of a name (none when it is shorter than a word). */
function nameWords(name: Uint8Array): Uint32Array {
  const len = name.length;
  if (len < 4) return new Uint32Array(0);
  const v = new DataView(name.buffer, name.byteOffset, len);
  const out: number[] = [];
  for (let o = 0; o + 4 < len; o += 4) out.push(v.getUint32(o, true));
  out.push(v.getUint32(len - 4, true));
  return Uint32Array.from(out);
}

/** Write s's characters into out as bytes; false if one is not ASCII. */
function ascii(s: string, out: Uint8Array): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 127) return false;
    out[i] = c;
  }
  return true;
}
