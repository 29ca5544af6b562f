// String helpers of the parsers' hot paths.

/**
 * A flat copy of s: a slice of 13+ characters would keep its whole line alive (V8 keeps a
 * slice's parent). join() of two parts builds one flat string; `(' ' + s).slice(1)` kept a
 * 32-byte slice header in front of its copy. The parsers' caches and the correlation engine's
 * open state store their strings this way.
 */
export function flat(s: string): string {
  return s.length < 13 ? s : [s.slice(0, 1), s.slice(1)].join('');
}

/**
 * Sharing of short values that repeat from line to line (program names): a hit hands out the
 * same string object as before, so later compares of it hit identity and its hash is computed
 * once for Map lookups.
 */
export class Recent {
  private readonly list: string[] = [];
  private next = 0;

  constructor(private readonly max: number) {}

  /** s[p, e) as a string: a recent one when the text matches, else a new flat copy (remembered). */
  get(s: string, p: number, e: number): string {
    // slice + === is cheaper in V8 than startsWith with a variable needle.
    const text = s.slice(p, e);
    const list = this.list;
    for (let k = 0; k < list.length; k++) if (list[k] === text) return list[k];
    const v = flat(text);
    if (list.length < this.max) list.push(v);
    else {
      list[this.next] = v;
      this.next = (this.next + 1) % this.max;
    }
    return v;
  }
}

/** [0-9] */
export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** [A-Za-z] */
export function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** [A-Za-z0-9] */
export function isAlnum(c: number): boolean {
  return isDigit(c) || isAlpha(c);
}

/** JavaScript's whitespace (what \s and trim() match). */
export function isSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 160) return false;
  return c === 160 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}
