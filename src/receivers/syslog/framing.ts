// Transport framing of syslog over a byte stream (TCP, TLS), RFC 6587:
//   octet counting       `MSG-LEN SP SYSLOG-MSG` (what RFC 5425 mandates for TLS)
//   non-transparent      `SYSLOG-MSG LF` (the traditional framing; a CR before the LF is removed)
// The framing is detected from the first byte of a connection (a digit: octet counting) and kept
// for it; an octet-counted connection whose frame does not start with a valid length falls back
// to newline framing for the rest of the connection (counted as a framing error), so one broken
// sender cannot make us skip megabytes of its data.
//
// Frames are handed over as byte ranges (no copy when a frame lies within one chunk). Frames
// longer than `maxBytes` are cut to `maxBytes` and the rest is skipped without being buffered:
// memory per connection is bounded by `maxBytes` whatever the sender does.
import { isDigit } from '../../processors/mta_parse/text.js';

export type FramingMode = 'unknown' | 'octet' | 'newline';

export interface FrameSink {
  /** One complete frame: bytes [start, end) of buf, valid only during the call. */
  frame(buf: Buffer, start: number, end: number): void;
  /** A frame longer than the limit was cut (its first maxBytes bytes were passed to frame()). */
  truncated(): void;
  /** A byte sequence that is not a valid octet-counting header where one was expected. */
  framingError(): void;
  /** The framing of the connection was detected from its first byte. */
  detected?(mode: 'octet' | 'newline'): void;
}

const LF = 10;
const CR = 13;
const SP = 32;
const NUL = 0;
const MAX_LEN_DIGITS = 10;

export class StreamFramer {
  private mode: FramingMode = 'unknown';
  /** Pieces of the frame being assembled across chunks. */
  private parts: Buffer[] = [];
  private partLen = 0;
  /** Skipping the rest of an over-long newline frame up to its LF. */
  private skipToLf = false;
  /** Octet counting: the length digits read so far (-1: not inside a length). */
  private lenValue = -1;
  private lenDigits = 0;
  /** Octet counting: bytes of the current message still to read, and to skip after the cut. */
  private need = 0;
  private skip = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly sink: FrameSink,
  ) {}

  get framing(): FramingMode {
    return this.mode;
  }

  /** Bytes held for an incomplete frame (the per-connection memory this framer costs). */
  get buffered(): number {
    return this.partLen;
  }

  push(chunk: Buffer): void {
    let pos = 0;
    const n = chunk.length;
    while (pos < n) {
      if (this.mode === 'unknown') {
        const c = chunk[pos];
        // Leading blank lines say nothing about the framing.
        if (c === LF || c === CR || c === NUL) {
          pos++;
          continue;
        }
        this.mode = isDigit(c) ? 'octet' : 'newline';
        this.sink.detected?.(this.mode);
      }
      pos = this.mode === 'octet' ? this.octet(chunk, pos) : this.newline(chunk, pos);
    }
  }

  /** End of stream: an unterminated newline frame is still a message; a cut octet frame is not. */
  end(): void {
    if (this.mode === 'newline' && !this.skipToLf && this.partLen > 0) this.emitParts();
    else if (this.mode === 'octet' && (this.need > 0 || this.lenValue >= 0)) this.sink.framingError();
    this.parts = [];
    this.partLen = 0;
    this.need = 0;
    this.lenValue = -1;
  }

  private newline(chunk: Buffer, pos: number): number {
    const lf = chunk.indexOf(LF, pos);
    const end = lf < 0 ? chunk.length : lf;
    const next = lf < 0 ? chunk.length : lf + 1;
    if (this.skipToLf) {
      if (lf >= 0) this.skipToLf = false;
      return next;
    }
    const room = this.maxBytes - this.partLen;
    if (end - pos > room) {
      // Over the limit: hand on the first maxBytes, skip the rest of the line.
      this.append(chunk, pos, pos + room);
      this.emitParts();
      this.sink.truncated();
      this.skipToLf = lf < 0;
      return next;
    }
    if (lf < 0) {
      this.append(chunk, pos, end);
      return next;
    }
    if (this.partLen === 0) this.sink.frame(chunk, pos, end);
    else {
      this.append(chunk, pos, end);
      this.emitParts();
    }
    return next;
  }

  private octet(chunk: Buffer, pos: number): number {
    const n = chunk.length;
    if (this.need > 0) {
      const k = Math.min(this.need, n - pos);
      if (this.partLen === 0 && k === this.need) {
        this.need = 0;
        this.sink.frame(chunk, pos, pos + k);
        return pos + k;
      }
      this.append(chunk, pos, pos + k);
      this.need -= k;
      if (this.need === 0) this.emitParts();
      return pos + k;
    }
    // The rest of an over-long frame, after its first maxBytes were handed on.
    if (this.skip > 0) {
      const k = Math.min(this.skip, n - pos);
      this.skip -= k;
      return pos + k;
    }
    // At a frame header: MSG-LEN SP.
    if (this.lenValue < 0) {
      const c = chunk[pos];
      // Tolerate a separator some senders put between octet-counted frames.
      if (c === LF || c === CR || c === NUL || c === SP) return pos + 1;
      if (!isDigit(c) || c === 48 /* a length never starts with 0 */) return this.fallBack(chunk, pos);
      this.lenValue = 0;
      this.lenDigits = 0;
    }
    while (pos < n) {
      const c = chunk[pos];
      if (isDigit(c)) {
        if (this.lenDigits === MAX_LEN_DIGITS) return this.fallBack(chunk, pos);
        this.lenDigits++;
        this.lenValue = this.lenValue * 10 + (c - 48);
        pos++;
        continue;
      }
      if (c !== SP) return this.fallBack(chunk, pos);
      const len = this.lenValue;
      this.lenValue = -1;
      if (len > this.maxBytes) {
        this.need = this.maxBytes;
        this.skip = len - this.maxBytes;
        this.sink.truncated();
      } else this.need = len;
      return pos + 1;
    }
    return pos;
  }

  /** Not a valid octet-counting header: newline framing from here on, keeping the digits read. */
  private fallBack(chunk: Buffer, pos: number): number {
    this.sink.framingError();
    this.mode = 'newline';
    if (this.lenValue >= 0 && this.lenDigits > 0) {
      const digits = Buffer.from(String(this.lenValue), 'latin1');
      this.append(digits, 0, digits.length);
    }
    this.lenValue = -1;
    return pos;
  }

  private append(buf: Buffer, start: number, end: number): void {
    if (end <= start) return;
    // Copy: a subarray would keep the whole (up to 64 KiB) chunk alive for a few bytes.
    this.parts.push(Buffer.from(buf.subarray(start, end)));
    this.partLen += end - start;
  }

  private emitParts(): void {
    const b = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.partLen);
    this.parts = [];
    this.partLen = 0;
    this.sink.frame(b, 0, b.length);
  }
}
