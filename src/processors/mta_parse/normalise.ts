// normaliseReply: a remote reply made comparable for the "top reasons" tables (mailsight
// report, the queue receiver). It runs once per distinct deferral/bounce/reject text (a
// bounded cache holds the rest). Mostly precompiled regexes, each pass skipped when a literal or
// a run of characters it needs is absent; the passes that rescanned every word of a reply
// (host[ip], the "- gsmtp" id, addresses) are worked out from their literal anchors instead,
// with the same result.
import { isContinuation, skipContinuation } from './classify.js';
import { flat, isAlnum, isDigit, isSpace as isWhitespace } from './text.js';
import { findReplyCode, replaceAddresses, replaceGsmtpId, replyKey } from './reply_key.js';

const RE_PREAMBLE = /^host [^\s[]+\[[^\]]*\] said:\s*/;
const RE_URL = /\b(?:https?|ftp):\/\/([^/\s?#<>()[\]"']+)[^\s<>()[\]"']*/gi;
const RE_ISO_TIME = /\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?/g;
const RE_RFC5322_TIME =
  /\b(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),\s+)?\d{1,2}\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+\d{4}\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s+[+-]\d{4})?(?:\s+\([A-Za-z]+\))?/g;
const RE_CLOCK = /\b\d{1,2}:\d{2}:\d{2}(?:\.\d+)?\b/g;
const RE_IPV4 = /\b\d{1,3}(?:\.\d{1,3}){3}\b/g;
const RE_IPV6 = /(?<![\w:.])(?:IPv6:)?(?:[0-9a-f]{1,4}:|:){2,7}(?:[0-9a-f]{1,4}|:)(?![\w:])/gi;
// Two of RE_IPV6's colons with at most four hex digits between them: without this it cannot
// match, and the lookbehind makes trying it costly.
const RE_IPV6_HINT = /:[0-9a-f]{0,4}:/i;
const RE_NUMBERED_HOST = /\b(?=[A-Za-z-]*\d)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/g;
const RE_EXIM_ID = /\b[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}\b/g;
const RE_QUEUED_AS = /\b(queued as|id=|queue id:?)\s*[A-Za-z0-9.@_-]+/gi;
const RE_HEX = /\b[0-9A-Fa-f]{8,}\b/g;
const RE_TOKEN = /(?<![\w<:])(?=[A-Za-z0-9+/_=-]*\d)(?=[A-Za-z0-9+/_=-]*[A-Za-z])[A-Za-z0-9+/_-]{12,}={0,2}(?![\w>])/g;
const RE_LONG_NUMBER = /\b\d{6,}\b/g;
const RE_ID_RUN = /<id>(?:[-.:_]?<id>)+/g;
// What RE_QUEUED_AS needs besides an '=' (for "id="): "queue", in any case.
const RE_QUEUE_HINT = /queue/i;
// /\s+/g -> ' ' changes nothing where a run is one plain space: only other runs are matched.
const RE_SPACE = /\s\s+|[^\S ]/g;
const MAX_NORMALISED = 200;

/** [A-Za-z0-9.-] */
function isHostChar(c: number): boolean {
  return isAlnum(c) || c === 46 || c === 45;
}

/** [0-9A-Fa-f.:] */
function isIpChar(c: number): boolean {
  return (c >= 48 && c <= 58) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) || c === 46;
}

/** Index after the `]` of `[(?:IPv6:)?[0-9A-Fa-f.:]+]` at b (s[b] is '['), or -1. */
function bracketIpEnd(s: string, b: number): number {
  let p = b + 1;
  if (s.startsWith('IPv6:', p)) p += 5;
  const start = p;
  while (p < s.length && isIpChar(s.charCodeAt(p))) p++;
  return p > start && s.charCodeAt(p) === 93 ? p + 1 : -1;
}

/**
 * s.replace(/[A-Za-z0-9][A-Za-z0-9.-]*\[(?:IPv6:)?[0-9A-Fa-f.:]+\]/g, '<host>'), worked out from
 * each '[' instead of trying the regex at every position (which rescans every word). A match
 * ends at an address in brackets and starts at the first letter or digit of the [A-Za-z0-9.-]
 * run before the '[', not before the end of the previous match.
 */
function replaceHostIp(s: string): string {
  let out = '';
  let last = 0;
  let b = s.indexOf('[');
  while (b >= 0) {
    const end = bracketIpEnd(s, b);
    if (end >= 0) {
      let k = b;
      while (k > last && isHostChar(s.charCodeAt(k - 1))) k--;
      while (k < b && !isAlnum(s.charCodeAt(k))) k++;
      if (k < b) {
        out += s.slice(last, k) + '<host>';
        last = end;
        b = s.indexOf('[', end);
        continue;
      }
    }
    b = s.indexOf('[', b + 1);
  }
  return out === '' ? s : out + s.slice(last);
}

/**
 * Removes Exim's literal "\n" and the repeated "550-5.7.1 " prefixes of collapsed replies.
 * Worked out from native searches for the two things it removes (a "\n", and the reply's
 * own three digits again) instead of a loop over every character; a prefix counts only at the
 * start of a word: after a space or tab, or right after something removed. Exported for its
 * differential test.
 */
export function unfold(s: string): string {
  const codeAt = findReplyCode(s);
  const code = codeAt >= 0 ? s.slice(codeAt, codeAt + 3) : '';
  let nl = s.indexOf('\\n');
  let cand = codeAt >= 0 ? s.indexOf(code, codeAt + 1) : -1;
  if (nl < 0 && cand < 0) return s;
  let out = '';
  let last = 0;
  // Where the text resumes after a removal: a word starts there.
  let resume = 0;
  for (;;) {
    if (nl >= 0 && nl < last) nl = s.indexOf('\\n', last);
    if (cand >= 0 && cand < last) cand = s.indexOf(code, last);
    if (nl >= 0 && (cand < 0 || nl < cand)) {
      out += s.slice(last, nl) + ' ';
      last = resume = nl + 2;
      continue;
    }
    if (cand < 0) break;
    const i = cand;
    const before = i === resume ? 32 : s.charCodeAt(i - 1);
    if ((before === 32 || before === 9) && isContinuation(s, i, codeAt)) {
      out += s.slice(last, i);
      last = resume = skipContinuation(s, i);
    } else {
      cand = s.indexOf(code, i + 1);
    }
  }
  return last === 0 ? s : out + s.slice(last);
}

/**
 * Normalise a remote reply for grouping ("top deferral reasons"): strip queue ids, addresses,
 * IPs, numbers and URLs so that the same reason from different messages compares equal.
 */
export function normaliseReply(reply: string): string {
  // Cached by replyKey(): the same reason for different recipients is normalised once.
  const key = replyKey(reply);
  const hit = normCache.get(key);
  if (hit !== undefined) return hit;
  const out = normaliseUncached(key);
  if (normCache.size >= NORM_CACHE_MAX) normCache.clear();
  // A flat copy as the key: a slice would keep its whole log chunk alive.
  normCache.set(flat(key), out);
  return out;
}

const NORM_CACHE_MAX = 20_000;
const normCache = new Map<string, string>();

/**
 * Longest runs in the text of measureRuns(): [0-9A-Fa-f] (RE_HEX needs 8), [A-Za-z0-9+/_-]
 * (RE_TOKEN needs 12), digits (RE_LONG_NUMBER needs 6) and [A-Za-z0-9-] (an Exim id is 16).
 * Module variables: no allocation per call.
 */
let hexRun = 0;
let tokenRun = 0;
let digitRun = 0;
let idRun = 0;
/** Whitespace other than ' ' seen (with a double space, what RE_SPACE needs). */
let oddSpace = false;

/** Per ASCII code: 1 digit, 2 hex digit, 4 [A-Za-z0-9-], 8 [A-Za-z0-9+/_-]. */
const RUN_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[0-9]/.test(ch)) RUN_CLASS[c] |= 1;
  if (/[0-9A-Fa-f]/.test(ch)) RUN_CLASS[c] |= 2;
  if (/[A-Za-z0-9-]/.test(ch)) RUN_CLASS[c] |= 4;
  if (/[A-Za-z0-9+/_-]/.test(ch)) RUN_CLASS[c] |= 8;
}

function measureRuns(s: string): void {
  let hex = 0;
  let token = 0;
  let digit = 0;
  let id = 0;
  let maxHex = 0;
  let maxToken = 0;
  let maxDigit = 0;
  let maxId = 0;
  let odd = false;
  const cls = RUN_CLASS;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const m = c < 128 ? cls[c] : 0;
    if (m === 0) {
      if (c !== 32 && (c < 33 || c >= 160) && isWhitespace(c)) odd = true;
      // Most characters end every run: settle the four maxima only here.
      if (token > maxToken) maxToken = token;
      if (id > maxId) maxId = id;
      if (hex > maxHex) maxHex = hex;
      if (digit > maxDigit) maxDigit = digit;
      token = id = hex = digit = 0;
      continue;
    }
    token++;
    if (m & 4) id++;
    else {
      if (id > maxId) maxId = id;
      id = 0;
    }
    if (m & 2) hex++;
    else {
      if (hex > maxHex) maxHex = hex;
      hex = 0;
    }
    if (m & 1) digit++;
    else {
      if (digit > maxDigit) maxDigit = digit;
      digit = 0;
    }
  }
  tokenRun = Math.max(maxToken, token);
  idRun = Math.max(maxId, id);
  hexRun = Math.max(maxHex, hex);
  digitRun = Math.max(maxDigit, digit);
  oddSpace = odd;
}


function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** A ':' between two digits: what every time pattern (ISO, RFC 5322, clock) needs. Exported for its test. */
export function hasDigitColonDigit(s: string): boolean {
  for (let i = s.indexOf(':', 1); i >= 0; i = s.indexOf(':', i + 1)) {
    if (isDigit(s.charCodeAt(i - 1)) && isDigit(s.charCodeAt(i + 1))) return true;
  }
  return false;
}

/**
 * What RE_NUMBERED_HOST needs: a '.' and two letters after a run of [A-Za-z0-9.-] that holds
 * a digit. Worked out from the dots; the run before one is walked back only to the previous
 * dot looked at, so the text is read once however many dots it has. Exported for its test.
 */
export function mayHaveNumberedHost(s: string): boolean {
  let floor = 0;
  for (let p = s.indexOf('.'); p >= 0; p = s.indexOf('.', p + 1)) {
    if (!isLetter(s.charCodeAt(p + 1)) || !isLetter(s.charCodeAt(p + 2))) continue;
    for (let k = p - 1; k >= floor; k--) {
      const c = s.charCodeAt(k);
      if (isDigit(c)) return true;
      if (!isLetter(c) && c !== 45 && c !== 46) break;
    }
    floor = p;
  }
  return false;
}

/**
 * normaliseReply() without its cache; exported for the differential test of replyKey().
 * Each pass is skipped when a literal its regex needs is absent (a cheap indexOf instead of a
 * regex scan that cannot match), or a run it needs is too short: the output is the same.
 */
export function normaliseUncached(reply: string): string {
  let s = unfold(reply);
  if (s.startsWith('host ')) s = s.replace(RE_PREAMBLE, '');
  if (s.indexOf('://') >= 0) s = s.replace(RE_URL, '<url:$1>');
  if (s.indexOf('@') >= 0) s = replaceAddresses(s);
  if (hasDigitColonDigit(s)) {
    if (s.indexOf('-') >= 0) s = s.replace(RE_ISO_TIME, '<time>');
    s = s.replace(RE_RFC5322_TIME, '<time>');
    s = s.replace(RE_CLOCK, '<time>');
  }
  if (s.indexOf('[') >= 0) s = replaceHostIp(s);
  if (s.indexOf('.') >= 0) s = s.replace(RE_IPV4, '<ip>');
  if (RE_IPV6_HINT.test(s)) s = s.replace(RE_IPV6, '<ip>');
  if (s.indexOf(' - gsmtp') >= 0) s = replaceGsmtpId(s);
  if (s.indexOf('=') >= 0 || RE_QUEUE_HINT.test(s)) s = s.replace(RE_QUEUED_AS, '$1 <id>');
  // The passes below replace matches by <...> tokens, which only ever shorten the runs
  // measured here (a pass whose regex needs a longer run than the text has cannot match) and
  // neither add nor remove whitespace (so what measureRuns saw decides RE_SPACE's pass too).
  measureRuns(s);
  if (idRun >= 16 && s.indexOf('-') >= 0) s = s.replace(RE_EXIM_ID, '<id>');
  if (mayHaveNumberedHost(s)) s = s.replace(RE_NUMBERED_HOST, '<host>');
  if (hexRun >= 8) s = s.replace(RE_HEX, '<id>');
  if (tokenRun >= 12) s = s.replace(RE_TOKEN, '<id>');
  if (digitRun >= 6) s = s.replace(RE_LONG_NUMBER, '<n>');
  if (s.indexOf('<id>') >= 0) s = s.replace(RE_ID_RUN, '<id>');
  if (oddSpace || s.indexOf('  ') >= 0) s = s.replace(RE_SPACE, ' ');
  s = s.trim();
  return s.length > MAX_NORMALISED ? s.slice(0, MAX_NORMALISED) : s;
}
