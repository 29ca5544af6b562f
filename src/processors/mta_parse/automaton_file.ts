// The classify phrase automaton saved next to the compiled module by `npm run build`, so that a
// process loads its ~0.5 MB of tables instead of building them (~20 ms of every start, which
// weighs on a short `mailsight report`). The file names the phrase set it was built from; a
// missing, stale or damaged file is ignored and the automaton is built as before.
import { readFileSync, writeFileSync } from 'node:fs';
import * as zlib from 'node:zlib';

export interface Automaton {
  /** Transition table: next state, with the has-output bit (classify.ts). */
  delta: Uint16Array;
  /** Outputs of state s: outPat[outStart[s] .. outStart[s + 1]). */
  outStart: Int32Array;
  outPat: Int32Array;
}

const MAGIC = 'mailsight classify automaton v1';

/** zlib.crc32 (Node 20.15+): native, where a hash loop over ~50k characters of phrases took ~5 ms cold. */
const crc32 = (zlib as { crc32?: (data: string) => number }).crc32;

/** A key for the phrase set and alphabet: a checksum of their text and its length. */
export function automatonKey(parts: Iterable<string>): string {
  const text = [...parts].join('\u0000'); // a separator: ["ab","c"] is not ["a","bc"]
  let h: number;
  if (crc32 !== undefined) h = crc32(text);
  else {
    h = 0x811c9dc5; // FNV-1a
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  }
  return `${crc32 !== undefined ? 'crc' : 'fnv'}${(h >>> 0).toString(16).padStart(8, '0')}.${text.length}`;
}

/** Header line (magic, key, three lengths), then the three arrays, each at a 4-byte offset. */
export function writeAutomaton(file: URL | string, key: string, a: Automaton): void {
  const head = Buffer.from(`${MAGIC} ${key} ${a.delta.length} ${a.outStart.length} ${a.outPat.length}\n`, 'latin1');
  const headLen = (head.length + 3) & ~3;
  const deltaBytes = (a.delta.byteLength + 3) & ~3;
  const out = Buffer.alloc(headLen + deltaBytes + a.outStart.byteLength + a.outPat.byteLength);
  head.copy(out, 0);
  out.fill(32, head.length, headLen); // spaces pad the header
  Buffer.from(a.delta.buffer, a.delta.byteOffset, a.delta.byteLength).copy(out, headLen);
  Buffer.from(a.outStart.buffer, a.outStart.byteOffset, a.outStart.byteLength).copy(out, headLen + deltaBytes);
  Buffer.from(a.outPat.buffer, a.outPat.byteOffset, a.outPat.byteLength).copy(out, headLen + deltaBytes + a.outStart.byteLength);
  writeFileSync(file, out);
}

/** The automaton saved for `key`, or undefined (no file, another key, a damaged file). */
export function readAutomaton(file: URL | string, key: string): Automaton | undefined {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch {
    return undefined;
  }
  const nl = buf.indexOf(10);
  if (nl < 0 || nl > 200) return undefined;
  const f = buf.toString('latin1', 0, nl).trimEnd().split(' ');
  const words = MAGIC.split(' ').length;
  if (f.length !== words + 4 || f.slice(0, words).join(' ') !== MAGIC || f[words] !== key) return undefined;
  const [nDelta, nStart, nPat] = f.slice(words + 1).map(Number);
  if (![nDelta, nStart, nPat].every((n) => Number.isInteger(n) && n >= 0)) return undefined;
  const headLen = (nl + 1 + 3) & ~3;
  const deltaBytes = (nDelta * 2 + 3) & ~3;
  if (buf.length !== headLen + deltaBytes + nStart * 4 + nPat * 4) return undefined;
  // Copies into fresh typed arrays: the file buffer may sit at any alignment in its pool.
  const copy = (at: number, bytes: number) => {
    const b = new ArrayBuffer(bytes);
    buf.copy(new Uint8Array(b), 0, at, at + bytes);
    return b;
  };
  return {
    delta: new Uint16Array(copy(headLen, nDelta * 2)),
    outStart: new Int32Array(copy(headLen + deltaBytes, nStart * 4)),
    outPat: new Int32Array(copy(headLen + deltaBytes + nStart * 4, nPat * 4)),
  };
}
