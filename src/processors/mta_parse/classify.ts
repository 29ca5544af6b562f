// Bounce and deferral classification (DESIGN §5). The rules are data (bounce_rules.ts); this
// file compiles them once at load into:
//   - one Aho-Corasick automaton over every literal of every text rule, as a dense transition
//     table on a compacted alphabet, so a reply is scanned once whatever the number of rules;
//   - numeric-keyed maps for enhanced and basic status codes.
// classify() allocates nothing in the common case: no lowercasing copy, no regex, no arrays.
import type { BounceClass } from '../../model/mail_event.js';
import {
  CLASS_DEFAULT_RULES,
  CODE_RULES,
  REPLY_CODE_RULES,
  TEXT_RULES,
  type CodeRule,
} from './bounce_rules.js';
import { flat, isDigit } from './text.js';
import { findReplyCode, replyKey } from './reply_key.js';
import { automatonKey, readAutomaton, writeAutomaton, type Automaton } from './automaton_file.js';

// ---------------------------------------------------------------------------------------------
// Enhanced status codes as numeric keys: ((cls * 1001) + subject) * 1001 + detail, where
// cls 0 = any class and subject/detail 1000 = any/unknown. Parsed codes and rule patterns share
// the key space, so matching is a handful of Map lookups.

const ANY = 1000;

function key(cls: number, subject: number, detail: number): number {
  return (cls * 1001 + subject) * 1001 + detail;
}
function keyCls(k: number): number {
  return Math.floor(k / (1001 * 1001));
}
function keySubject(k: number): number {
  return Math.floor(k / 1001) % 1001;
}
function keyDetail(k: number): number {
  return k % 1001;
}

/** Highest subject defined by RFC 3463 / IANA; larger ones are treated as malformed. */
const MAX_SUBJECT = 7;

/**
 * Lenient enhanced-code parser: "5.1.1", "4.7.0." (trailing junk), "5.1" (no detail),
 * "5.12.345" (unknown subject: class kept, rest dropped). Returns a key or -1 without a class.
 */
function parseEnhanced(s: string, from: number): number {
  const c0 = s.charCodeAt(from);
  if (c0 !== 50 && c0 !== 52 && c0 !== 53) return -1; // '2' | '4' | '5'
  const cls = c0 - 48;
  if (s.charCodeAt(from + 1) !== 46) return isDigit(s.charCodeAt(from + 1)) ? -1 : key(cls, ANY, ANY);
  let i = from + 2;
  let subject = 0;
  let n = 0;
  while (n < 4 && isDigit(s.charCodeAt(i))) {
    subject = subject * 10 + s.charCodeAt(i) - 48;
    i++;
    n++;
  }
  if (n === 0 || n > 3 || subject > MAX_SUBJECT) return key(cls, ANY, ANY);
  if (s.charCodeAt(i) !== 46) return key(cls, subject, ANY);
  i++;
  let detail = 0;
  n = 0;
  while (n < 4 && isDigit(s.charCodeAt(i))) {
    detail = detail * 10 + s.charCodeAt(i) - 48;
    i++;
    n++;
  }
  if (n === 0 || n > 3) return key(cls, subject, ANY);
  return key(cls, subject, detail);
}

function readCode3(s: string, i: number): number {
  return (s.charCodeAt(i) - 48) * 100 + (s.charCodeAt(i + 1) - 48) * 10 + (s.charCodeAt(i + 2) - 48);
}

/** Parses one code pattern of a rule ("X.7.23-27", "4.*.*") into its keys. */
function patternKeys(spec: string, ruleId: string): number[] {
  const m = /^([245X])\.(\d{1,3}|\*)\.(\d{1,3}|\*|\d{1,3}-\d{1,3})$/.exec(spec);
  if (!m) throw new Error(`bounce rule ${ruleId}: bad code pattern "${spec}"`);
  const cls = m[1] === 'X' ? 0 : Number(m[1]);
  const subject = m[2] === '*' ? ANY : Number(m[2]);
  if (subject === ANY && m[3] !== '*') throw new Error(`bounce rule ${ruleId}: "${spec}" has a detail without a subject`);
  if (m[3] === '*') return [key(cls, subject, ANY)];
  const range = m[3].split('-').map(Number);
  const lo = range[0];
  const hi = range.length > 1 ? range[1] : lo;
  if (hi < lo) throw new Error(`bounce rule ${ruleId}: empty range in "${spec}"`);
  const keys: number[] = [];
  for (let d = lo; d <= hi; d++) keys.push(key(cls, subject, d));
  return keys;
}

/** Keys a parsed code can match, most specific first. */
function lookupKeys(k: number): number[] {
  const c = keyCls(k);
  const s = keySubject(k);
  const d = keyDetail(k);
  const out: number[] = [];
  if (s !== ANY) {
    if (d !== ANY) out.push(key(c, s, d), key(0, s, d));
    out.push(key(c, s, ANY), key(0, s, ANY));
  }
  out.push(key(c, ANY, ANY), key(0, ANY, ANY));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Rule index space: text rules, then code rules, reply-code rules, class defaults and a final
// fallback. explain() reports the id; classify() only needs the class.

interface CompiledRule {
  id: string;
  cls: BounceClass;
}

const ALL: CompiledRule[] = [];
const FALLBACK = 'fallback.other';

function addRule(id: string, cls: BounceClass): number {
  if (ALL.some((r) => r.id === id)) throw new Error(`bounce rule id ${id} is not unique`);
  ALL.push({ id, cls });
  return ALL.length - 1;
}

function compileCodeTable(rules: readonly CodeRule[]): Map<number, number> {
  const map = new Map<number, number>();
  for (const r of rules) {
    const idx = addRule(r.id, r.class);
    for (const spec of r.codes) {
      for (const k of patternKeys(spec, r.id)) {
        const prev = map.get(k);
        if (prev !== undefined) throw new Error(`bounce rules ${ALL[prev].id} and ${r.id} both claim ${spec}`);
        map.set(k, idx);
      }
    }
  }
  return map;
}

// ---- text rules: Aho-Corasick over lowercased ASCII --------------------------------------------

interface TextRuleC {
  all: Int32Array; // pattern ids that must all be present
  cls: number; // 0 = any
  codes: Set<number> | undefined;
  re: RegExp | undefined;
  weak: boolean;
}

const TEXT: TextRuleC[] = [];
const patternIds = new Map<string, number>();
const patternRules: number[][] = []; // pattern id -> text rules having it in `any`

function patternId(p: string, ruleId: string): number {
  const lower = p.toLowerCase();
  if (lower.length === 0) throw new Error(`bounce rule ${ruleId}: empty substring`);
  if (lower.includes('<') || lower.includes('>')) {
    throw new Error(`bounce rule ${ruleId}: "${p}": the scanner skips <...> (addresses), so literals cannot contain < or >`);
  }
  for (let i = 0; i < lower.length; i++) {
    if (lower.charCodeAt(i) > 127) throw new Error(`bounce rule ${ruleId}: "${p}" is not ASCII`);
  }
  let id = patternIds.get(lower);
  if (id === undefined) {
    id = patternIds.size;
    patternIds.set(lower, id);
    patternRules.push([]);
  }
  return id;
}

for (const r of TEXT_RULES) {
  if (r.any.length === 0) throw new Error(`bounce rule ${r.id}: text rules need at least one "any" substring`);
  const idx = addRule(r.id, r.class);
  for (const p of r.any) {
    const list = patternRules[patternId(p, r.id)];
    if (!list.includes(idx)) list.push(idx);
  }
  let codes: Set<number> | undefined;
  if (r.codes) {
    codes = new Set<number>();
    for (const spec of r.codes) for (const k of patternKeys(spec, r.id)) codes.add(k);
  }
  TEXT.push({
    all: Int32Array.from((r.all ?? []).map((p) => patternId(p, r.id))),
    cls: r.cls ?? 0,
    codes,
    re: r.re,
    weak: r.weak === true,
  });
}

const CODE_MAP = compileCodeTable(CODE_RULES);
const REPLY_MAP = new Map<number, number>();
for (const r of REPLY_CODE_RULES) {
  const idx = addRule(r.id, r.class);
  for (const code of r.reply) {
    if (REPLY_MAP.has(code)) throw new Error(`bounce rule ${r.id}: reply code ${code} claimed twice`);
    REPLY_MAP.set(code, idx);
  }
}
const CLASS_MAP = compileCodeTable(CLASS_DEFAULT_RULES);
const FALLBACK_IDX = addRule(FALLBACK, 'other');

// Alphabet: symbol 0 = any character no literal uses; whitespace runs are fed as one space.
const SYM = new Uint8Array(128);
let nSym = 1;
const SPACE_SYM = (SYM[32] = nSym++);
for (const p of patternIds.keys()) {
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (SYM[c] === 0) SYM[c] = nSym++;
  }
}
for (let c = 65; c <= 90; c++) SYM[c] = SYM[c + 32]; // ASCII case folding
SYM[9] = SYM[10] = SYM[13] = SPACE_SYM;

const NSYM = nSym;
/** DELTA entries: the next state, with this bit set when that state has outputs. */
const HAS_OUTPUT = 0x8000;
const STATE_MASK = 0x7fff;
/** The phrase set and alphabet the automaton is built from (what a saved copy must match). */
export const AUTOMATON_KEY = automatonKey([...patternIds.keys(), String(NSYM), SYM.join(',')]);
/** Written by `npm run build` (automaton_write.ts) beside this module. */
export const AUTOMATON_FILE = new URL('./classify_automaton.bin', import.meta.url);
const { delta: DELTA, outStart: OUT_START, outPat: OUT_PAT } = readAutomaton(AUTOMATON_FILE, AUTOMATON_KEY) ?? buildAutomaton();

/** Save the automaton for later processes (npm run build). */
export function saveAutomaton(file: URL | string = AUTOMATON_FILE): void {
  writeAutomaton(file, AUTOMATON_KEY, buildAutomaton());
}

/**
 * The Aho-Corasick automaton of every text-rule phrase, as a dense transition table. 16-bit
 * entries with the output flag inside: the table (~5k states × ~50 symbols) is half the size
 * of 32-bit entries, so more of it stays in cache, and a step needs one load, not two.
 */
export function buildAutomaton(): Automaton {
  // The trie, in one flat table (row = state, 0 = no child: the root is nobody's child); the
  // BFS below then turns it into the transition table in place. Maps per state took ~25 ms
  // of every start.
  let maxStates = 1;
  for (const p of patternIds.keys()) maxStates += p.length;
  const delta = new Int32Array(maxStates * NSYM);
  const own: number[][] = [[]];
  let n = 1;
  for (const [p, id] of patternIds) {
    let s = 0;
    for (let i = 0; i < p.length; i++) {
      const at = s * NSYM + SYM[p.charCodeAt(i)];
      let next = delta[at];
      if (next === 0) {
        next = n++;
        own.push([]);
        delta[at] = next;
      }
      s = next;
    }
    own[s].push(id);
  }
  const fail = new Int32Array(n);
  const outputs: number[][] = own.map((o) => o.slice());
  // BFS: a row is finished before any deeper row reads it, so the table gets the automaton
  // with failure links already followed. The root's empty entries (0) already lead to itself.
  const queue: number[] = [];
  for (let sym = 0; sym < NSYM; sym++) {
    const c = delta[sym];
    if (c !== 0) {
      fail[c] = 0;
      queue.push(c);
    }
  }
  for (let qi = 0; qi < queue.length; qi++) {
    const s = queue[qi];
    for (const id of outputs[fail[s]]) if (!outputs[s].includes(id)) outputs[s].push(id);
    const row = s * NSYM;
    const failRow = fail[s] * NSYM;
    for (let sym = 0; sym < NSYM; sym++) {
      const c = delta[row + sym];
      if (c !== 0) {
        fail[c] = delta[failRow + sym];
        queue.push(c);
      } else {
        delta[row + sym] = delta[failRow + sym];
      }
    }
  }
  const outStart = new Int32Array(n + 1);
  let total = 0;
  for (let s = 0; s < n; s++) {
    outStart[s] = total;
    total += outputs[s].length;
  }
  outStart[n] = total;
  const outPat = new Int32Array(total);
  for (let s = 0; s < n; s++) outPat.set(outputs[s], outStart[s]);
  if (n > STATE_MASK + 1) throw new Error(`bounce rules: ${n} automaton states, more than ${STATE_MASK + 1}`);
  const packed = new Uint16Array(n * NSYM);
  for (let i = 0; i < packed.length; i++) {
    const t = delta[i];
    packed[i] = outStart[t] !== outStart[t + 1] ? t | HAS_OUTPUT : t;
  }
  return { delta: packed, outStart, outPat };
}

// Per-call scratch, reused: stamps instead of clearing (single-threaded, no re-entrancy).
const patStamp = new Uint32Array(patternIds.size);
const ruleStamp = new Uint32Array(TEXT.length);
const candidates: number[] = [];
let call = 0;

/** Longest <...> segment skipped as an address or message-id. */
const MAX_BRACKET = 320;

/**
 * Feeds `s` from `start` through the automaton and collects candidate text rules. Skips <...>
 * (addresses would make "spamfree.org" look like spam), folds whitespace runs and Exim's
 * literal "\n", and drops the continuation prefixes of collapsed multi-line replies
 * ("... unusual rate of 421-4.7.28 unsolicited mail ...") so phrases survive line wrapping.
 */
function scan(s: string, start: number, codeAt: number): void {
  candidates.length = 0;
  // Locals, not module bindings, in the loop: V8 reloads (and hole-checks) module-scope
  // const bindings on every access.
  const delta = DELTA;
  const sym = SYM;
  const nsym = NSYM;
  const spaceSym = SPACE_SYM;
  const len = s.length;
  let state = delta[spaceSym] & STATE_MASK; // a virtual leading space lets " spam " match at the start
  let prevSpace = true;
  for (let i = start; i < len; i++) {
    let c = s.charCodeAt(i);
    if (c === 60) {
      // '<'
      const j = s.indexOf('>', i + 1);
      if (j > 0 && j - i <= MAX_BRACKET) {
        i = j;
        c = 32;
      }
    } else if (c === 92 && s.charCodeAt(i + 1) === 110) {
      // Exim logs multi-line replies with a literal "\n"
      i++;
      c = 32;
    } else if (prevSpace && codeAt >= 0 && i > codeAt && isContinuation(s, i, codeAt)) {
      i = skipContinuation(s, i) - 1;
      continue;
    }
    const isSpace = c === 32 || c === 9 || c === 10 || c === 13;
    if (isSpace) {
      if (prevSpace) continue;
      prevSpace = true;
    } else {
      prevSpace = false;
    }
    const d = delta[state * nsym + (c < 128 ? sym[c] : 0)];
    state = d & STATE_MASK;
    if (d > STATE_MASK) collect(state);
  }
  if (!prevSpace) {
    const d = delta[state * nsym + spaceSym]; // virtual trailing space
    state = d & STATE_MASK;
    if (d > STATE_MASK) collect(state);
  }
}

function collect(state: number): void {
  for (let o = OUT_START[state], end = OUT_START[state + 1]; o < end; o++) {
    const p = OUT_PAT[o];
    if (patStamp[p] === call) continue;
    patStamp[p] = call;
    const rules = patternRules[p];
    for (let k = 0; k < rules.length; k++) {
      const r = rules[k];
      if (ruleStamp[r] !== call) {
        ruleStamp[r] = call;
        candidates.push(r);
      }
    }
  }
}

/** " 550-5.7.1 " or " 550 5.7.1 " repeating the reply's own code inside the text. */
export function isContinuation(s: string, i: number, codeAt: number): boolean {
  if (s.charCodeAt(i) !== s.charCodeAt(codeAt)) return false;
  if (s.charCodeAt(i + 1) !== s.charCodeAt(codeAt + 1) || s.charCodeAt(i + 2) !== s.charCodeAt(codeAt + 2)) return false;
  const sep = s.charCodeAt(i + 3);
  if (sep === 45) return true; // '-': unambiguous continuation marker
  // "550 " repeated: only when an enhanced code follows, so "retry in 450 seconds" survives
  return sep === 32 && parseEnhanced(s, i + 4) >= 0 && keySubject(parseEnhanced(s, i + 4)) !== ANY;
}

/** Index just past a continuation prefix and the enhanced code that may follow it. */
export function skipContinuation(s: string, i: number): number {
  let j = i + 4;
  if (parseEnhanced(s, j) >= 0) {
    while (j < s.length && s.charCodeAt(j) !== 32) j++;
  }
  while (j < s.length && s.charCodeAt(j) === 32) j++;
  return j;
}

function codeMatches(codes: Set<number>, enh: number): boolean {
  if (enh < 0) return false;
  for (const k of lookupKeys(enh)) if (codes.has(k)) return true;
  return false;
}

function bestTextRule(s: string, cls: number, enh: number, weak: boolean): number {
  let best = -1;
  for (let k = 0; k < candidates.length; k++) {
    const r = candidates[k];
    if (best >= 0 && r > best) continue;
    const t = TEXT[r];
    if (t.weak !== weak) continue;
    if (t.cls !== 0 && cls !== 0 && t.cls !== cls) continue;
    let ok = true;
    for (let a = 0; a < t.all.length; a++) {
      if (patStamp[t.all[a]] !== call) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    if (t.codes && !codeMatches(t.codes, enh)) continue;
    if (t.re && !t.re.test(s)) continue;
    best = r;
  }
  return best;
}

/** Index into ALL of the deciding rule, or -1 for "not a failure". */
function decide(dsn: string | undefined, reply: string | undefined): number {
  if (!dsn && !reply) return -1;
  const dsnKey = dsn ? parseEnhanced(dsn.charCodeAt(0) === 32 ? dsn.trim() : dsn, 0) : -1;
  let codeAt = -1;
  let replyCode = -1;
  let replyEnh = -1;
  if (reply) {
    codeAt = findReplyCode(reply);
    if (codeAt >= 0) {
      replyCode = readCode3(reply, codeAt);
      if (codeAt + 4 < reply.length) replyEnh = parseEnhanced(reply, codeAt + 4);
    }
  }
  // The dsn field is authoritative (Postfix derived it); a malformed one yields to the reply's.
  let enh = dsnKey;
  if (enh < 0 || keySubject(enh) === ANY) {
    if (replyEnh >= 0 && keySubject(replyEnh) !== ANY) enh = replyEnh;
    else if (enh < 0) enh = replyEnh;
  }
  const cls = enh >= 0 ? keyCls(enh) : replyCode >= 0 ? Math.floor(replyCode / 100) : 0;
  if (cls === 2) return -1;

  let texts = 0;
  if (reply) {
    call = (call + 1) >>> 0;
    if (call === 0) {
      // wrapped after 2^32 calls: stale stamps could alias, so clear once
      patStamp.fill(0);
      ruleStamp.fill(0);
      call = 1;
    }
    scan(reply, codeAt >= 0 ? codeAt : 0, codeAt);
    texts = candidates.length;
    if (texts > 0) {
      const r = bestTextRule(reply, cls, enh, false);
      if (r >= 0) return r;
    }
  }
  if (enh >= 0 && keySubject(enh) !== ANY) {
    const c = keyCls(enh);
    const s = keySubject(enh);
    const d = keyDetail(enh);
    let r: number | undefined;
    if (d !== ANY) r = CODE_MAP.get(key(c, s, d)) ?? CODE_MAP.get(key(0, s, d));
    r ??= CODE_MAP.get(key(c, s, ANY)) ?? CODE_MAP.get(key(0, s, ANY));
    if (r !== undefined) return r;
  }
  if (texts > 0) {
    const r = bestTextRule(reply as string, cls, enh, true);
    if (r >= 0) return r;
  }
  if (replyCode >= 0) {
    const r = REPLY_MAP.get(replyCode);
    if (r !== undefined) return r;
  }
  if (cls !== 0) {
    const r = CLASS_MAP.get(key(cls, ANY, ANY));
    if (r !== undefined) return r;
  }
  return FALLBACK_IDX;
}

/**
 * Classify a failed delivery or a reject from its enhanced status code (e.g. "4.7.28",
 * possibly malformed like "5.12.345") and the remote reply or local reason text.
 * Returns undefined for successful deliveries (2.x.x with no failure text).
 */
export function classify(dsn: string | undefined, reply: string | undefined): BounceClass | undefined {
  // Memoised by (dsn, replyKey(reply)): the same reason repeats for many recipients. Two
  // levels, dsn then reply, so that no key string is built (and flattened) per call; '' stands
  // for an absent part, which decide() treats the same.
  const d = dsn ?? '';
  const t = reply === undefined ? '' : replyKey(reply);
  let byReply = classifyCache.get(d);
  let r = byReply?.get(t);
  if (r === undefined) {
    r = decide(dsn, t);
    if (classifyEntries >= CLASSIFY_CACHE_MAX) {
      classifyCache.clear();
      classifyEntries = 0;
      byReply = undefined;
    }
    // Flat copies as keys: a slice would keep its whole log chunk alive.
    if (byReply === undefined) classifyCache.set(flat(d), (byReply = new Map()));
    byReply.set(flat(t), r);
    classifyEntries++;
  }
  return r < 0 ? undefined : ALL[r].cls;
}

const CLASSIFY_CACHE_MAX = 20_000;
const classifyCache = new Map<string, Map<string, number>>();
let classifyEntries = 0;

/** Like classify, plus the id of the rule that decided (for tests, `mailsight test`, debugging). */
export function explain(
  dsn: string | undefined,
  reply: string | undefined,
): { class: BounceClass; rule: string } | undefined {
  const r = decide(dsn, reply === undefined ? undefined : replyKey(reply));
  return r < 0 ? undefined : { class: ALL[r].cls, rule: ALL[r].id };
}

/** Every rule id: text rules, code rules, reply-code rules, class defaults, the fallback. */
export const RULE_IDS: readonly string[] = ALL.map((r) => r.id);
