// LineParser: one raw log line in, one MailEvent out (never dropped: unknown lines become
// `unparsed`, counted per program).
//
// Flow: Exim main-log lines (no syslog header) go whole to parseEximLine; everything else is framed
// by header.ts, dispatched on the program name to a MessageParser, then enriched here:
//   sender_domain / recipient_domain  lowercased domain of the address
//   status_class                      from reply_code, else from the dsn class digit
//   bounce_class                      classify(dsn, reply ?? reason) for deferred/bounced/expired/
//                                     undeliverable attempts, expiries and rejects
//   provider                          providerOf(recipient_domain)
// Program dispatch: anything starting with "postfix" (postfix/smtp, postfix-out/smtp,
// postfix/submission/smtpd) is Postfix, the daemon being the part after the last '/'. A custom
// syslog_name ("mx-out/smtp") is recognised by a known daemon name after a '/'.
import { newMailEvent, type MailEvent, type Mta } from '../../model/mail_event.js';
import type { MessageParser } from './types.js';
import { Framer, type FramedLine } from './header.js';
import { ByteFramer } from './header_bytes.js';
import { postfixLifecycleParserFor, postfixParserFor, POSTFIX_DAEMONS } from './postfix.js';
import { parseEximLine, parseEximMessage } from './exim.js';
import { parseOpenDkim, parseOpenDmarc, parsePolicydSpf, parseDovecot } from './auth.js';
import { classify } from './classify.js';
import { providerOf } from './providers.js';
import { flat } from './text.js';

export type MtaOption = 'auto' | 'postfix' | 'exim' | 'opendkim' | 'opendmarc' | 'policyd-spf' | 'dovecot';

export interface LineParserOptions {
  mta?: MtaOption;
  /** Zone of timestamps that carry none (RFC 3164): "UTC" (default), "local", "+02:00". */
  timezone?: string;
  /** Keep the original line in `raw` on every event (always kept on `unparsed`). */
  keepRaw?: boolean;
  /** Clock for year inference and for lines without a timestamp. */
  now?: () => number;
  /** Host name for lines that carry none (Exim's own main log). */
  host?: string;
  /**
   * 'full' (default): every field the parsers know. 'lifecycle' (for `mailsight report`, which
   * reads message lifecycles, rejects and deferrals only): Postfix connect, disconnect and TLS
   * session lines keep only their event type, delivery lines have no relay, delay, delays or
   * conn_use, nor the host a failure's reply names, and qmgr lines no sender; a third less
   * work on a busy server.
   */
  detail?: 'full' | 'lifecycle';
}

interface Route {
  mta: Mta;
  parser: MessageParser | undefined;
}

const FIXED_PARSERS: Record<Exclude<MtaOption, 'auto' | 'postfix'>, MessageParser> = {
  exim: parseEximMessage,
  opendkim: parseOpenDkim,
  opendmarc: parseOpenDmarc,
  'policyd-spf': parsePolicydSpf,
  dovecot: parseDovecot,
};

function daemonOf(program: string): string {
  const s = program.lastIndexOf('/');
  return s < 0 ? program : program.slice(s + 1);
}

/** Route for a program name under mta=auto. */
function autoRoute(program: string, postfixFor: (daemon: string) => MessageParser): Route {
  if (program.startsWith('postfix')) return { mta: 'postfix', parser: postfixFor(daemonOf(program)) };
  if (program.startsWith('exim')) return { mta: 'exim', parser: parseEximMessage };
  if (program.startsWith('opendkim')) return { mta: 'opendkim', parser: parseOpenDkim };
  if (program.startsWith('opendmarc')) return { mta: 'opendmarc', parser: parseOpenDmarc };
  if (program.startsWith('policyd-spf') || program === 'policyd-spf-python') return { mta: 'policyd-spf', parser: parsePolicydSpf };
  if (program.startsWith('dovecot')) return { mta: 'dovecot', parser: parseDovecot };
  const slash = program.lastIndexOf('/');
  if (slash > 0 && POSTFIX_DAEMONS.has(program.slice(slash + 1))) {
    return { mta: 'postfix', parser: postfixFor(program.slice(slash + 1)) };
  }
  return { mta: 'unknown', parser: undefined };
}

/** Exim main log: "YYYY-MM-DD HH:MM:SS ..." (a space, not 'T', after the date). */
function looksLikeEximMainLog(line: string): boolean {
  return (
    line.length > 20 &&
    line.charCodeAt(4) === 45 &&
    line.charCodeAt(7) === 45 &&
    line.charCodeAt(10) === 32 &&
    line.charCodeAt(13) === 58 &&
    line.charCodeAt(0) >= 48 &&
    line.charCodeAt(0) <= 57
  );
}

interface DomainInfo {
  /** Lowercased. */
  domain: string;
  provider: string | undefined;
}

/**
 * Domains as logged -> lowercased domain and provider: the same few thousand domains come
 * back on every enqueue and delivery line, so one lookup replaces toLowerCase() and the
 * provider lookup, and the domain string is shared. Bounded: cleared when full.
 */
const domainCache = new Map<string, DomainInfo>();
const DOMAIN_CACHE_MAX = 20_000;

/** The domain after the last '@' of addr, or undefined. */
function domainOf(addr: string): DomainInfo | undefined {
  // indexOf twice rather than lastIndexOf, which V8 runs as a slower runtime call.
  let at = addr.indexOf('@');
  if (at < 0) return undefined;
  for (let next = addr.indexOf('@', at + 1); next >= 0; next = addr.indexOf('@', at + 1)) at = next;
  if (at === addr.length - 1) return undefined;
  const raw = addr.slice(at + 1);
  let info = domainCache.get(raw);
  if (info === undefined) {
    const domain = flat(raw.toLowerCase());
    info = { domain, provider: providerOf(domain) };
    if (domainCache.size >= DOMAIN_CACHE_MAX) domainCache.clear();
    domainCache.set(flat(raw), info);
  }
  return info;
}

export class LineParser {
  private readonly framer: Framer;
  private readonly byteFramer: ByteFramer;
  private readonly mta: MtaOption;
  private readonly keepRaw: boolean;
  private readonly now: () => number;
  private readonly host: string;
  private readonly postfixFor: (daemon: string) => MessageParser;
  private readonly routes = new Map<string, Route>();
  // Consecutive lines often come from the same program: a string compare beats hashing a slice.
  private lastProgram = '';
  private lastRoute: Route | undefined = undefined;
  private readonly unparsed = new Map<string, number>();

  constructor(opts: LineParserOptions = {}) {
    this.mta = opts.mta ?? 'auto';
    this.keepRaw = opts.keepRaw ?? false;
    this.now = opts.now ?? Date.now;
    this.host = opts.host ?? '';
    this.postfixFor = opts.detail === 'lifecycle' ? postfixLifecycleParserFor : postfixParserFor;
    this.framer = new Framer({ timezone: opts.timezone, now: this.now });
    this.byteFramer = new ByteFramer(this.framer);
  }

  parse(input: string): MailEvent {
    let line = input;
    const last = line.charCodeAt(line.length - 1);
    if (last === 10 || last === 13) line = line.replace(/[\r\n]+$/, '');

    if ((this.mta === 'exim' || this.mta === 'auto') && looksLikeEximMainLog(line)) {
      const ev = this.base(0, this.host, 'exim', 'exim', undefined);
      if (parseEximLine(line, ev)) {
        this.finish(ev);
        if (this.keepRaw) ev.raw = line;
        return ev;
      }
      if (ev.time === 0) ev.time = this.now();
      return this.fail(ev, line);
    }

    const f = this.framer.frameShared(line);
    if (f === undefined) {
      return this.fail(this.base(this.now(), '', 'unknown', '', undefined), line);
    }
    return this.parseFramed(f, line, line, 0, line.length);
  }

  /**
   * parse(text.slice(s, e)) for a line of a block whose bytes are `bytes` (undefined unless the
   * block is ASCII): the common syslog header is read on the bytes (ByteFramer), and the line
   * itself is only sliced when an event keeps it.
   */
  parseAt(text: string, bytes: Uint8Array | undefined, s: number, e: number): MailEvent {
    const f = bytes === undefined ? undefined : this.byteFramer.frame(bytes, text, s, e);
    if (f === undefined) return this.parse(text.slice(s, e));
    return this.parseFramed(f, undefined, text, s, e);
  }

  /** The rest of parse() once the header is read; `line` is text[s, e), sliced when needed. */
  private parseFramed(f: FramedLine, line: string | undefined, text: string, s: number, e: number): MailEvent {
    const route = this.route(f.program);
    const ev = this.base(f.time, f.host, route.mta, f.program, f.pid);
    // Another program's line (cron, sshd, the kernel): no parser, and nothing to clean.
    if (route.parser === undefined) return this.unparsedEvent(ev, line ?? text.slice(s, e));
    if (route.parser(f.msg, ev)) {
      this.finish(ev);
      if (this.keepRaw) ev.raw = line ?? text.slice(s, e);
      return ev;
    }
    return this.fail(ev, line ?? text.slice(s, e));
  }

  /** Lines no rule understood so far, by program ("" when the line had no recognisable header). */
  unparsedByProgram(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of this.unparsed) out[k] = v;
    return out;
  }

  private route(program: string): Route {
    if (program === this.lastProgram && this.lastRoute !== undefined) return this.lastRoute;
    let r = this.routes.get(program);
    if (r === undefined) {
      if (this.mta === 'auto') r = autoRoute(program, this.postfixFor);
      else if (this.mta === 'postfix') r = { mta: 'postfix', parser: this.postfixFor(daemonOf(program)) };
      else r = { mta: this.mta, parser: FIXED_PARSERS[this.mta] };
      // Bounded: program names are few; a flood of distinct garbage tags must not grow memory.
      if (this.routes.size < 10_000) this.routes.set(program, r);
    }
    this.lastProgram = program;
    this.lastRoute = r;
    return r;
  }

  private base(time: number, host: string, mta: Mta, program: string, pid: number | undefined): MailEvent {
    return newMailEvent(time, host, mta, program, pid);
  }

  private fail(ev: MailEvent, line: string): MailEvent {
    // A parser may have set fields before giving up: start clean, keep only the frame.
    return this.unparsedEvent(this.base(ev.time, ev.host, ev.mta, ev.program, ev.pid), line);
  }

  /** `ev`, which has only its frame set, as an unparsed line (kept, and counted by program). */
  private unparsedEvent(ev: MailEvent, line: string): MailEvent {
    ev.raw = line;
    this.unparsed.set(ev.program, (this.unparsed.get(ev.program) ?? 0) + 1);
    return ev;
  }

  /** Fields derived from the parsed ones: domains, provider, status class, bounce class. */
  private finish(ev: MailEvent): void {
    let rcpt: DomainInfo | undefined;
    if (ev.recipient !== undefined && ev.recipient_domain === undefined) {
      rcpt = domainOf(ev.recipient);
      if (rcpt !== undefined) ev.recipient_domain = rcpt.domain;
    }
    if (ev.sender !== undefined && ev.sender_domain === undefined) {
      const d = domainOf(ev.sender);
      if (d !== undefined) ev.sender_domain = d.domain;
    }
    if (ev.status_class === undefined) {
      const c = ev.reply_code !== undefined ? Math.floor(ev.reply_code / 100) : ev.dsn !== undefined ? ev.dsn.charCodeAt(0) - 48 : 0;
      if (c === 2) ev.status_class = '2xx';
      else if (c === 4) ev.status_class = '4xx';
      else if (c === 5) ev.status_class = '5xx';
    }
    if (ev.bounce_class === undefined && this.isFailure(ev)) {
      const bc = classify(ev.dsn, ev.reply ?? ev.reason);
      if (bc !== undefined) ev.bounce_class = bc;
    }
    if (ev.recipient_domain !== undefined && ev.provider === undefined) {
      const p = rcpt !== undefined ? rcpt.provider : providerOf(ev.recipient_domain);
      if (p !== undefined) ev.provider = p;
    }
  }

  private isFailure(ev: MailEvent): boolean {
    if (ev.event === 'reject' || ev.event === 'expired') return true;
    if (ev.event !== 'delivery_attempt') return false;
    const s = ev.status;
    return s === 'deferred' || s === 'bounced' || s === 'expired' || s === 'undeliverable';
  }
}
