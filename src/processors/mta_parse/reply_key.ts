// The key under which a remote reply is classified and normalised, once per distinct reason
// rather than once per distinct text. Replies carry per-message tokens: Gmail ends every reply
// with its own trace id ("... 92b2...si8292818f34.58 - gsmtp"), Microsoft with the answering
// server, a time and an id, and many name the recipient ("550 5.1.1 <anna1981@example.net>:
// User unknown"). Keyed by the raw text, nearly every such reply missed the caches of
// classify() and normaliseReply(), and a miss costs ~10 µs: on a failure-heavy log, 30,674
// distinct texts came down to a few hundred keys.
//
// replyKey() makes replacements that normaliseReply() makes anyway, only where they are
// certain to come out the same, so normalising the key gives what normalising the text gives
// (reply_key.test.ts checks it on millions of random replies); classify() decides on the key,
// so no rule can match inside an id or an address by accident. Also here: findReplyCode(),
// which the key's guard, classify() and normaliseReply() share.
import { isAlnum, isDigit, isSpace as isWhitespace } from './text.js';

/** [A-Za-z0-9_] */
function isWordChar(c: number): boolean {
  return isAlnum(c) || c === 95;
}

/**
 * Position of the reply's basic code: the first 3-digit token starting with 2, 4 or 5, at the
 * start or after a space, ':' or ';', followed by a space, '-' or the end. Skips Postfix's
 * "host x[ip] said: " preamble and Exim's "SMTP error from remote mail server after ...: ".
 */
export function findReplyCode(s: string): number {
  const len = s.length;
  for (let i = 0; i + 2 < len; i++) {
    const c = s.charCodeAt(i);
    if (c !== 50 && c !== 52 && c !== 53) continue;
    if (i > 0) {
      const p = s.charCodeAt(i - 1);
      if (p !== 32 && p !== 58 && p !== 59) continue;
    }
    if (!isDigit(s.charCodeAt(i + 1)) || !isDigit(s.charCodeAt(i + 2))) continue;
    if (i + 3 < len) {
      const n = s.charCodeAt(i + 3);
      if (n !== 32 && n !== 45) continue;
    }
    return i;
  }
  return -1;
}

/**
 * s.replace(/\S+ - gsmtp\b/g, '<id> - gsmtp') from each " - gsmtp" (the regex backtracks over
 * every word): the match is the run of non-whitespace right before it, not reaching into the
 * previous match, and "gsmtp" must end a word.
 */
export function replaceGsmtpId(s: string): string {
  let out = '';
  let last = 0;
  let g = s.indexOf(' - gsmtp');
  while (g >= 0) {
    const end = g + 8;
    if (g > last && !isWhitespace(s.charCodeAt(g - 1)) && !(end < s.length && isWordChar(s.charCodeAt(end)))) {
      let k = g - 1;
      while (k > last && !isWhitespace(s.charCodeAt(k - 1))) k--;
      out += s.slice(last, k) + '<id> - gsmtp';
      last = end;
      g = s.indexOf(' - gsmtp', end);
      continue;
    }
    g = s.indexOf(' - gsmtp', g + 1);
  }
  return out === '' ? s : out + s.slice(last);
}

/** [A-Za-z0-9._%+=/!#$&'*?^`{|}~-]: RE_ADDR's local-part characters, by char code. */
const LOCAL_PART = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+=/!#$&'*?^`{|}~-") LOCAL_PART[c.charCodeAt(0)] = 1;

function isLocalPart(c: number): boolean {
  return c < 128 && LOCAL_PART[c] === 1;
}

/** [A-Za-z0-9-] */
function isDomainChar(c: number): boolean {
  return isAlnum(c) || c === 45;
}

/**
 * s.replace(RE_ADDR, '<addr>'), worked out from each '@' instead of trying the regex at every
 * position (which runs over every word to its end looking for an '@': a third of the time of
 * normaliseReply on reject-heavy logs). A match is the run of local-part characters right
 * before the '@' (not reaching into the previous match, with a '<' just before it), then
 * `[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*` and an optional '>'. Exported for its differential test.
 */
export function replaceAddresses(s: string): string {
  let out = '';
  let last = 0;
  const n = s.length;
  for (let at = s.indexOf('@'); at >= 0; at = s.indexOf('@', at + 1)) {
    if (at < last) continue;
    let start = at;
    while (start > last && isLocalPart(s.charCodeAt(start - 1))) start--;
    if (start === at) continue;
    let end = at + 1;
    if (end >= n || !isDomainChar(s.charCodeAt(end))) continue;
    while (end < n && isDomainChar(s.charCodeAt(end))) end++;
    while (end + 1 < n && s.charCodeAt(end) === 46 && isDomainChar(s.charCodeAt(end + 1))) {
      end += 2;
      while (end < n && isDomainChar(s.charCodeAt(end))) end++;
    }
    if (end < n && s.charCodeAt(end) === 62 /* > */) end++;
    if (start > last && s.charCodeAt(start - 1) === 60 /* < */) start--;
    out += s.slice(last, start) + '<addr>';
    last = end;
  }
  return last === 0 ? s : out + s.slice(last);
}

/** The last replyKey() call: the parser classifies a reply and the report normalises the same string. */
let lastReply = '';
let lastKey = '';

/**
 * The reply with its addresses, `- gsmtp` trace ids, Microsoft MxIds and server trailers
 * replaced, as normaliseReply() replaces them (the text itself when it has none). What
 * normaliseReply() rewrites before them is left as it is: a reply that unfold() would change
 * (a continuation prefix "550 5.1.1 " can be the run taken for an id, and an id can be the
 * reply code unfold() goes by), one that still has its "host H[IP] said:" preamble, an address
 * in a word with a URL (a URL may hold an '@'), and ids unless every "gsmtp" ends the text or
 * is followed by whitespace or ')' (an address or a host[IP] could otherwise swallow it).
 */
export function replyKey(reply: string): string {
  if (reply === lastReply) return lastKey;
  let key = reply;
  if (!reply.startsWith('host ')) {
    key = replaceParts(reply);
    // Checked only when something was replaced: most replies need no key of their own.
    if (key !== reply && !(unfolded(reply) && unfolded(key))) key = reply;
  }
  lastReply = reply;
  lastKey = key;
  return key;
}

function replaceParts(reply: string): string {
  let s = reply;
  if (s.indexOf('@') >= 0 && !addressNextToUrl(s)) s = replaceAddresses(s);
  if (s.indexOf(' - gsmtp') >= 0 && gsmtpIdsStandAlone(s)) s = replaceGsmtpId(s);
  if (s.indexOf('[MxId=') >= 0) s = replaceMxIds(s);
  return replaceServerTrailer(s);
}

/**
 * Whether unfold() leaves s as it is: no literal "\\n" and no second copy of its reply code at
 * the start of a word (what unfold() removes are such continuation prefixes, "550-5.1.1 ").
 */
function unfolded(s: string): boolean {
  if (s.indexOf('\\n') >= 0) return false;
  const codeAt = findReplyCode(s);
  if (codeAt < 0) return true;
  const code = s.slice(codeAt, codeAt + 3);
  for (let i = s.indexOf(code, codeAt + 1); i >= 0; i = s.indexOf(code, i + 1)) {
    const c = s.charCodeAt(i - 1);
    if (c === 32 || c === 9) return false;
  }
  return true;
}

/** Whether some '@' shares its word (a run without whitespace) with a "://". */
function addressNextToUrl(s: string): boolean {
  if (s.indexOf('://') < 0) return false;
  for (let at = s.indexOf('@'); at >= 0; at = s.indexOf('@', at + 1)) {
    let a = at;
    while (a > 0 && !isWhitespace(s.charCodeAt(a - 1))) a--;
    let b = at + 1;
    while (b < s.length && !isWhitespace(s.charCodeAt(b))) b++;
    const u = s.indexOf('://', a);
    if (u >= 0 && u < b) return true;
  }
  return false;
}

/** Whether every " - gsmtp" in s ends it or is followed by whitespace or ')'. */
function gsmtpIdsStandAlone(s: string): boolean {
  for (let g = s.indexOf(' - gsmtp'); g >= 0; g = s.indexOf(' - gsmtp', g + 8)) {
    const e = g + 8;
    if (e < s.length && s.charCodeAt(e) !== 41 && !isWhitespace(s.charCodeAt(e))) return false;
  }
  return true;
}

/** Microsoft's "[MxId=201427A26043E8F7]" (8 or more hex digits) -> "[MxId=<id>]", as RE_HEX does. */
function replaceMxIds(s: string): string {
  let out = '';
  let last = 0;
  for (let m = s.indexOf('[MxId='); m >= 0; m = s.indexOf('[MxId=', m + 6)) {
    let e = m + 6;
    while (e < s.length && isHex(s.charCodeAt(e))) e++;
    if (e - (m + 6) < 8 || s.charCodeAt(e) !== 93 /* ] */) continue;
    out += s.slice(last, m + 6) + '<id>';
    last = e;
  }
  return last === 0 ? s : out + s.slice(last);
}

/**
 * A last word naming the answering server, as normaliseReply() leaves it: Microsoft's
 * "[CR6PEPF5016BEF0.eurprd04.prod.outlook.com 2026-11-12T05:40:03.605Z 7077AA064BE7C649]" is
 * "[<host> <time> <id>]", Yahoo's "... - mta9873.mail.gq1.yahoo.com" ends in "- <host>". Only
 * exact shapes are replaced, whose every part normaliseReply() replaces whole and alone.
 */
function replaceServerTrailer(s: string): string {
  const n = s.length;
  if (s.charCodeAt(n - 1) === 93 /* ] */) {
    const b = s.lastIndexOf('[');
    if (b < 0) return s;
    const h = numberedHostEnd(s, b + 1);
    if (h < 0 || s.charCodeAt(h) !== 32) return s;
    const t = isoTimeEnd(s, h + 1);
    if (t < 0 || s.charCodeAt(t) !== 32) return s;
    let x = t + 1;
    while (x < n && isHex(s.charCodeAt(x))) x++;
    return x === n - 1 && x - (t + 1) >= 8 ? s.slice(0, b) + '[<host> <time> <id>]' : s;
  }
  const d = s.lastIndexOf(' - ');
  // Not "- gsmtp-x1.example": that "gsmtp" marks the id before it.
  if (d <= 0 || s.startsWith(' - gsmtp', d)) return s;
  return numberedHostEnd(s, d + 3) === n ? s.slice(0, d) + ' - <host>' : s;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/**
 * End of a host name at p that RE_NUMBERED_HOST would replace whole and that no earlier pass of
 * normaliseReply() touches, followed by ' ', ']' or the end; else -1. Labels of [A-Za-z0-9-]:
 * the first starts with a letter or digit and holds a digit, none is all digits or has two
 * hyphens (an Exim id's shape), the last is two or more letters.
 */
function numberedHostEnd(s: string, p: number): number {
  if (!isAlnum(s.charCodeAt(p))) return -1; // the regex starts at a word boundary
  let i = p;
  let labels = 0;
  let lastAlpha = false;
  for (;;) {
    const start = i;
    let digits = 0;
    let hyphens = 0;
    let letters = 0;
    for (let c = s.charCodeAt(i); isDomainChar(c); c = s.charCodeAt(++i)) {
      if (isDigit(c)) digits++;
      else if (c === 45) hyphens++;
      else letters++;
    }
    const len = i - start;
    if (len === 0 || digits === len || hyphens > 1) return -1;
    if (labels === 0 && digits === 0) return -1;
    labels++;
    lastAlpha = letters === len && len >= 2;
    if (s.charCodeAt(i) !== 46 /* . */) break;
    i++;
  }
  if (labels < 2 || !lastAlpha) return -1;
  const c = s.charCodeAt(i);
  return i === s.length || c === 32 || c === 93 ? i : -1;
}

/** End of "YYYY-MM-DDTHH:MM:SS[.fff]Z" at p (what RE_ISO_TIME replaces whole), else -1. */
function isoTimeEnd(s: string, p: number): number {
  const shape = 'dddd-dd-ddTdd:dd:dd';
  for (let k = 0; k < shape.length; k++) {
    const c = s.charCodeAt(p + k);
    if (shape.charCodeAt(k) === 100 /* d */ ? !isDigit(c) : c !== shape.charCodeAt(k)) return -1;
  }
  let i = p + shape.length;
  if (s.charCodeAt(i) === 46) {
    i++;
    const f = i;
    while (isDigit(s.charCodeAt(i))) i++;
    if (i === f) return -1;
  }
  return s.charCodeAt(i) === 90 /* Z */ ? i + 1 : -1;
}

