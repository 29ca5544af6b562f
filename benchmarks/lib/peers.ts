// Reading the peers' answers back, and mapping them onto the keys of `report --json` where
// they mean the same thing (or nearly: each mapping says where it differs).
import { histogramGaps, sumOf, type HistogramGap, type Sample } from './prom.js';

export interface PflogsummDomain {
  sent: number;
  bytes: number;
  defers: number;
  avg_delay_s: number;
  max_delay_s: number;
}

export interface Pflogsumm {
  received: number | null;
  delivered: number | null;
  forwarded: number | null;
  deferred: number | null;
  deferrals: number | null;
  bounced: number | null;
  rejected: number | null;
  held: number | null;
  discarded: number | null;
  /** "Host/Domain Summary: Message Delivery", keyed by recipient domain. */
  by_domain: Record<string, PflogsummDomain>;
}

/** pflogsumm prints counts above 512k as `NNNk`/`NNNm` (its adj_int_units), so they are rounded. */
function units(n: string, u: string | undefined): number {
  const v = Number(n);
  return u === 'k' ? v * 1024 : u === 'm' ? v * 1024 * 1024 : v;
}

function seconds(n: string, u: string): number {
  const v = Number(n);
  return u === 'm' ? v * 60 : u === 'h' ? v * 3600 : u === 'd' ? v * 86400 : v;
}

export function parsePflogsumm(text: string): Pflogsumm {
  const out: Pflogsumm = {
    received: null,
    delivered: null,
    forwarded: null,
    deferred: null,
    deferrals: null,
    bounced: null,
    rejected: null,
    held: null,
    discarded: null,
    by_domain: {},
  };
  const lines = text.split('\n');
  let section = '';
  for (const line of lines) {
    // A section title starts at column 0 and is underlined with dashes (not a title itself).
    if (/^\S/.test(line) && !/^-+\s*$/.test(line)) {
      section = line.trim();
      continue;
    }
    if (section === 'messages') {
      const m = /^\s*(\d+)([km]?)\s+(received|delivered|forwarded|deferred|bounced|rejected|held|discarded)\b(.*)$/.exec(line);
      if (m) {
        const key = m[3] as keyof Omit<Pflogsumm, 'by_domain' | 'deferrals'>;
        out[key] = units(m[1], m[2]);
        if (key === 'deferred') {
          const d = /\((\d+)([km]?)\s+deferrals\)/.exec(m[4]);
          if (d) out.deferrals = units(d[1], d[2]);
        }
      }
    } else if (section.startsWith('Host/Domain Summary: Message Delivery')) {
      const m = /^\s*(\d+)([km]?)\s+(\d+)([km]?)\s+(\d+)([km]?)\s+([\d.]+) ([smhd])\s+([\d.]+) ([smhd])\s+(\S+)\s*$/.exec(line);
      if (m) {
        out.by_domain[m[11].toLowerCase()] = {
          sent: units(m[1], m[2]),
          bytes: units(m[3], m[4]),
          defers: units(m[5], m[6]),
          avg_delay_s: seconds(m[7], m[8]),
          max_delay_s: seconds(m[9], m[10]),
        };
      }
    }
  }
  return out;
}

/**
 * A peer's answers in report terms; null = the peer has no such number. `notes` says where a
 * number is the peer's own definition rather than the report's.
 */
export interface PeerAnswers {
  messages: number | null;
  sent: number | null;
  deferred_attempts: number | null;
  bounced: number | null;
  expired: number | null;
  rejected: number | null;
  unparsed_lines: number | null;
  latency: boolean;
  bounce_classes: boolean;
  by_domain_sent: Record<string, number> | null;
  by_domain_deferred: Record<string, number> | null;
  by_domain_bounced: Record<string, number> | null;
  notes: string[];
}

export function pflogsummAnswers(p: Pflogsumm): PeerAnswers {
  const sent: Record<string, number> = {};
  const deferred: Record<string, number> = {};
  for (const [d, v] of Object.entries(p.by_domain)) {
    sent[d] = v.sent;
    deferred[d] = v.defers;
  }
  return {
    messages: p.received,
    sent: p.delivered,
    deferred_attempts: p.deferrals,
    bounced: p.bounced,
    expired: null,
    rejected: p.rejected,
    unparsed_lines: null,
    latency: false,
    bounce_classes: false,
    by_domain_sent: sent,
    by_domain_deferred: deferred,
    by_domain_bounced: null,
    notes: [
      'messages = "received": one per cleanup-accepted message, so a content-filter re-injection counts twice',
      'sent = "delivered": status=sent lines, so a hop through the content filter counts as a delivery too',
      'per-domain "defers" are deferral lines (every retry), like deferred_attempts',
    ],
  };
}

/** prometheus-postfix-exporter 0.3.0 (kumina) counters after it has read the whole file. */
export function exporterAnswers(s: readonly Sample[]): PeerAnswers {
  const smtpDeferred = sumOf(s, 'postfix_smtp_status_deferred');
  const rejected = add(sumOf(s, 'postfix_smtpd_messages_rejected_total'), sumOf(s, 'postfix_cleanup_messages_rejected_total'));
  return {
    messages: sumOf(s, 'postfix_smtpd_messages_processed_total'),
    sent: null,
    deferred_attempts: smtpDeferred,
    bounced: null,
    expired: null,
    rejected,
    unparsed_lines: sumOf(s, 'postfix_unsupported_log_entries_total', { service: '' }),
    latency: false,
    bounce_classes: false,
    by_domain_sent: null,
    by_domain_deferred: null,
    by_domain_bounced: null,
    notes: [
      'messages = smtpd client= lines (postfix_smtpd_messages_processed_total): no pickup submissions or bounce notifications, content-filter re-injections count again',
      'deferred_attempts = postfix_smtp_status_deferred: smtp(8) only; deferrals logged by error(8) (suspended destinations) are "unsupported"',
      'no sent/bounced counters: delivery lines only feed the delays histogram (all statuses together)',
      'unparsed_lines = postfix_unsupported_log_entries_total{service=""} (non-Postfix lines)',
    ],
  };
}

/**
 * mtail 3.0.0-rc50 (Debian 12) reads a histogram's buckets after `buckets`; the upstream
 * program says `with` (newer syntax). Only `histogram` declarations are rewritten.
 */
export function adaptHistogramSyntax(program: string): string {
  return program.replace(/^(\s*histogram\b.*?) with /gm, '$1 buckets ');
}

/** postfix.mtail's counters, read back from `--one_shot_format prometheus`. */
export interface MtailCounters {
  /** postfix_cleanup_messages_processed_total: cleanup `message-id=<` lines (one per queue file). */
  cleanup_processed: number | null;
  /** postfix_cleanup_messages_rejected_total: cleanup `: reject: ` lines. */
  cleanup_rejected: number | null;
  /** The qmgr insert histograms' _count: qmgr `from=…, size=…, nrcpt=…` lines. */
  qmgr_inserted: number | null;
  /** …and their nrcpt summed. */
  qmgr_inserted_recipients: number | null;
  /** postfix_qmgr_messages_removed_total: qmgr `: removed` lines. */
  qmgr_removed: number | null;
  smtpd_connects: number | null;
  smtpd_disconnects: number | null;
  /** postfix_smtpd_messages_processed_total over every sasl_username: smtpd `client=` lines. */
  smtpd_client: number | null;
  /** postfix_smtpd_messages_rejected_total by `code`: `NOQUEUE: reject: RCPT from … CODE` lines. */
  smtpd_rejects_by_code: Record<string, number>;
  smtpd_tls: number | null;
  smtp_tls: number | null;
  smtpd_lost_connections: number | null;
  sasl_failures: number | null;
  fcrdns_errors: number | null;
  /** The smtp delay histogram's _count for one stage: smtp(8) lines with `relay=…, delays=`. */
  smtp_delay_lines: number | null;
  /** Histogram series with observations in no bucket (le="+Inf" below _count). */
  histogram_gaps: HistogramGap[];
}

export function mtailCounters(s: readonly Sample[]): MtailCounters {
  const byCode: Record<string, number> = {};
  for (const x of s) if (x.name === 'postfix_smtpd_messages_rejected_total') byCode[x.labels.code ?? ''] = (byCode[x.labels.code ?? ''] ?? 0) + x.value;
  return {
    cleanup_processed: sumOf(s, 'postfix_cleanup_messages_processed_total'),
    cleanup_rejected: sumOf(s, 'postfix_cleanup_messages_rejected_total'),
    qmgr_inserted: sumOf(s, 'postfix_qmgr_messages_inserted_recipients_count'),
    qmgr_inserted_recipients: sumOf(s, 'postfix_qmgr_messages_inserted_recipients_sum'),
    qmgr_removed: sumOf(s, 'postfix_qmgr_messages_removed_total'),
    smtpd_connects: sumOf(s, 'postfix_smtpd_connects_total'),
    smtpd_disconnects: sumOf(s, 'postfix_smtpd_disconnects_total'),
    smtpd_client: sumOf(s, 'postfix_smtpd_messages_processed_total'),
    smtpd_rejects_by_code: byCode,
    smtpd_tls: sumOf(s, 'postfix_smtpd_tls_connections_total'),
    smtp_tls: sumOf(s, 'postfix_smtp_tls_connections_total'),
    smtpd_lost_connections: sumOf(s, 'postfix_smtpd_connections_lost_total'),
    sasl_failures: sumOf(s, 'postfix_smtpd_sasl_authentication_failures_total'),
    fcrdns_errors: sumOf(s, 'postfix_smtpd_forward_confirmed_reverse_dns_errors_total'),
    smtp_delay_lines: sumOf(s, 'postfix_smtp_delivery_delay_seconds_count', { stage: 'before_queue_manager' }),
    histogram_gaps: histogramGaps(s),
  };
}

/**
 * Counts of the line kinds that explain where postfix.mtail's counters and the report's keys
 * part ways, taken from the corpus itself (one pass, untimed). Not a second parser of the
 * report: only the line shapes the explanations name.
 */
export interface PostfixCensus {
  lines: number;
  /** Lines of a `postfix…/…` program (any instance, any service name). */
  postfix: number;
  /** Of them, lines postfix.mtail's header regex does not match: none of its counters see them. */
  mtail_skipped: number;
  smtpd_connect: number;
  smtpd_disconnect: number;
  /** smtpd `QUEUEID: client=` lines. */
  smtpd_client: number;
  /** Of them, from 127.0.0.1 or ::1: an after-queue content filter re-injecting a message. */
  smtpd_client_loopback: number;
  /** pickup `QUEUEID: uid=` lines: local submissions (sendmail), no smtpd. */
  pickup: number;
  /** bounce(8) `sender … notification: QUEUEID` lines: a notification is a new message, no smtpd. */
  notifications: number;
  /** cleanup `QUEUEID: message-id=` lines. */
  cleanup_message_id: number;
  /** client=/pickup entries with no cleanup message-id line after them (the log ends first, or the transaction was aborted). */
  no_cleanup: number;
  /** smtpd `NOQUEUE: reject: ` lines, and those at the RCPT stage. */
  noqueue_rejects: number;
  noqueue_rejects_rcpt: number;
  /** `TLS connection established from` (smtpd) / `to` (smtp) lines. */
  smtpd_tls: number;
  smtp_tls: number;
}

/** RFC 3164 or RFC 3339 stamp, host, a Postfix program (`postfix[-NAME]/service[/daemon]`), pid. */
const CENSUS_HEADER = /^(?:[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2}T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})) (\S+) postfix[\w.-]*\/(?:[\w.-]+\/)*([\w.-]+)(?:\[\d+\])?: (.*)$/;
/**
 * Upstream postfix.mtail's header pattern (its first regex), in JavaScript syntax: used when the
 * program's own cannot be read (mtailHeaderOf). Debian's copy lets the service name hold '/'.
 */
const MTAIL_HEADER =
  /^(?:\w+\s+\d+\s+\d+:\d+:\d+|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}.\d+[+-]\d{2}:\d{2})\s+(?:\w+@)?[\w.-]+\s+postfix\/[\w.-]+(?:\[\d+\])?:\s+/;

/**
 * The header pattern of a postfix.mtail program: its first pattern block, a chain of regex
 * literals joined by `+` before `{`, with RE2's `(?P<name>` written as JavaScript's `(?<name>`.
 * Undefined when the program has no such block or it is not valid JavaScript.
 */
export function mtailHeaderOf(program: string): RegExp | undefined {
  const m = /^(\/\^(?:\\.|[^\n\\/])*\/(?:\s*\+\s*\/(?:\\.|[^\n\\/])*\/)*)\s*\{/m.exec(program);
  if (!m) return undefined;
  const parts = [...m[1].matchAll(/\/((?:\\.|[^\n\\/])*)\//g)].map((x) => x[1]);
  try {
    return new RegExp(parts.join('').replace(/\(\?P</g, '(?<'));
  } catch {
    return undefined;
  }
}
const QID_COLON = /^([0-9A-Za-z]+): /;

export class CensusCounter {
  private readonly c: PostfixCensus = {
    lines: 0,
    postfix: 0,
    mtail_skipped: 0,
    smtpd_connect: 0,
    smtpd_disconnect: 0,
    smtpd_client: 0,
    smtpd_client_loopback: 0,
    pickup: 0,
    notifications: 0,
    cleanup_message_id: 0,
    no_cleanup: 0,
    noqueue_rejects: 0,
    noqueue_rejects_rcpt: 0,
    smtpd_tls: 0,
    smtp_tls: 0,
  };
  /** host + queue id of client=/pickup entries still waiting for their cleanup line. */
  private readonly pending = new Set<string>();

  /** `mtailHeader`: the header pattern of the postfix.mtail run (mtailHeaderOf), for `mtail_skipped`. */
  constructor(private readonly mtailHeader: RegExp = MTAIL_HEADER) {}

  add(line: string): void {
    const c = this.c;
    c.lines++;
    const m = CENSUS_HEADER.exec(line);
    if (!m) return;
    c.postfix++;
    if (!this.mtailHeader.test(line)) c.mtail_skipped++;
    const [, host, daemon, msg] = m;
    const q = QID_COLON.exec(msg);
    const rest = q ? msg.slice(q[0].length) : msg;
    if (daemon === 'smtpd') {
      if (msg.startsWith('connect from ')) c.smtpd_connect++;
      else if (msg.startsWith('disconnect from ')) c.smtpd_disconnect++;
      else if (msg.startsWith('NOQUEUE: reject: ')) {
        c.noqueue_rejects++;
        if (msg.startsWith('NOQUEUE: reject: RCPT from ')) c.noqueue_rejects_rcpt++;
      } else if (q && q[1] !== 'NOQUEUE' && rest.startsWith('client=')) {
        c.smtpd_client++;
        const end = rest.indexOf(',');
        const client = end < 0 ? rest : rest.slice(0, end);
        if (client.endsWith('[127.0.0.1]') || client.endsWith('[::1]') || client.endsWith('[ipv6:::1]')) c.smtpd_client_loopback++;
        this.enter(host, q[1]);
      } else if (msg.includes(' TLS connection established from ')) c.smtpd_tls++;
    } else if (daemon === 'smtp') {
      if (msg.includes(' TLS connection established to ')) c.smtp_tls++;
    } else if (daemon === 'pickup') {
      if (q && rest.startsWith('uid=')) {
        c.pickup++;
        this.enter(host, q[1]);
      }
    } else if (daemon === 'bounce') {
      if (q && /^sender .*notification: [0-9A-Za-z]+$/.test(rest)) c.notifications++;
    } else if (daemon === 'cleanup') {
      if (q && rest.startsWith('message-id=')) {
        c.cleanup_message_id++;
        this.pending.delete(`${host} ${q[1]}`);
      }
    }
  }

  private enter(host: string, qid: string): void {
    const key = `${host} ${qid}`;
    if (this.pending.has(key)) this.c.no_cleanup++;
    this.pending.add(key);
  }

  result(): PostfixCensus {
    return { ...this.c, no_cleanup: this.c.no_cleanup + this.pending.size };
  }
}

export function censusOf(text: string, mtailHeader?: RegExp): PostfixCensus {
  const c = new CensusCounter(mtailHeader);
  for (const line of text.split('\n')) if (line !== '') c.add(line.endsWith('\r') ? line.slice(0, -1) : line);
  return c.result();
}

/** mailsight's side of the mtail comparison: its report (or, without one, the ground truth). */
export interface MailsightSide {
  /** Whose numbers these are: "mailsight" (its report) or "ground truth". */
  whose: string;
  messages: number;
  recipients: number;
  rejected: number;
  /** `report --json` still_queued.count (not in the ground truth). */
  still_queued: number | null;
  /** `report --json` rejects_by_reason (not in the ground truth). */
  rejects_by_reason: { reason: string; count: number }[] | null;
}

/** The report keys the comparison reads beyond ReportLike's (present in `report --json`). */
export interface ReportExtras {
  still_queued?: { count: number };
  rejects_by_reason?: { reason: string; count: number }[];
}

export function mailsightSide(
  r: { messages: number; recipients: number; totals: { rejected: number } } & ReportExtras,
  whose: string,
): MailsightSide {
  return {
    whose,
    messages: r.messages,
    recipients: r.recipients,
    rejected: r.totals.rejected,
    still_queued: r.still_queued?.count ?? null,
    rejects_by_reason: r.rejects_by_reason ?? null,
  };
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** "A = b + c − d", then what is left over when the terms do not add up to A. */
function identity(value: number, terms: [number, string][]): string {
  let sum = 0;
  const parts = terms
    .filter(([n], i) => i === 0 || n !== 0)
    .map(([n, what], i) => {
      sum += n;
      return i === 0 ? `${int(n)} ${what}` : `${n < 0 ? '−' : '+'} ${int(Math.abs(n))} ${what}`;
    });
  const rest = value - sum;
  const tail = rest === 0 ? '' : `; ${int(Math.abs(rest))} ${rest > 0 ? 'more' : 'fewer'} than that, not explained by these line counts`;
  return `${int(value)} = ${parts.join(' ')}${tail}`;
}

/**
 * Where postfix.mtail's counters meet the report, each as an identity over the report's numbers
 * and line counts of the corpus, so that every difference is named and sized.
 */
export function mtailNotes(c: MtailCounters, k: PostfixCensus, m: MailsightSide): string[] {
  const out: string[] = [];
  const hops = k.smtpd_client_loopback;
  if (c.smtpd_client !== null) {
    out.push(
      'messages = smtpd client= lines (postfix_smtpd_messages_processed_total, every sasl_username): ' +
        identity(c.smtpd_client, [
          [m.messages, `messages (${m.whose})`],
          [hops, 'content-filter re-injections (client= from loopback: a message counted again)'],
          [-k.pickup, 'pickup submissions'],
          [-k.notifications, 'bounce notifications (neither has a client= line)'],
        ]),
    );
  }
  const codes = Object.entries(c.smtpd_rejects_by_code).sort(([a], [b]) => a.localeCompare(b));
  const smtpdRejects = codes.reduce((a, [, n]) => a + n, 0);
  const total = smtpdRejects + (c.cleanup_rejected ?? 0);
  let rej =
    `rejected = NOQUEUE RCPT rejects by reply code (${codes.length ? codes.map(([code, n]) => `${code}: ${int(n)}`).join(', ') : 'none'})` +
    ` + cleanup rejects (${int(c.cleanup_rejected ?? 0)}) = ${int(total)}`;
  rej += total === m.rejected ? `, equal to ${m.whose}'s ${int(m.rejected)}` : `; ${m.whose}: ${int(m.rejected)}`;
  const otherStages = k.noqueue_rejects - k.noqueue_rejects_rcpt;
  if (otherStages > 0) rej += `; the program counts RCPT-stage NOQUEUE rejects only: ${int(otherStages)} at other stages (CONNECT, HELO, MAIL, DATA…) are missed`;
  if (m.rejects_by_reason) {
    rej += `; ${m.whose}'s report splits rejects by reason, not code (${m.rejects_by_reason.map((r) => `${r.reason}: ${int(r.count)}`).join('; ')})`;
  }
  out.push(rej);
  if (c.cleanup_processed !== null) {
    out.push(
      'postfix_cleanup_messages_processed_total (cleanup message-id= lines, one per queue file): ' +
        identity(c.cleanup_processed, [
          [m.messages, 'messages'],
          [hops, 're-injections'],
          [-k.no_cleanup, 'with a client= or pickup line but no cleanup line (the log ends, or the transaction is aborted, before it)'],
        ]),
    );
  }
  if (c.qmgr_removed !== null) {
    out.push(
      'postfix_qmgr_messages_removed_total (qmgr removed lines, one per queue file): ' +
        (m.still_queued === null
          ? `${int(c.qmgr_removed)}: messages + re-injections (${int(m.messages + hops)}) less those still queued at the end (unknown without mailsight's report)`
          : identity(c.qmgr_removed, [
              [m.messages, 'messages'],
              [hops, 're-injections'],
              [-m.still_queued, `still queued at the end (${m.whose}'s still_queued)`],
            ])),
    );
  }
  if (c.qmgr_inserted !== null) {
    out.push(
      `postfix_qmgr_messages_inserted_* histograms: ${int(c.qmgr_inserted)} qmgr from= lines, one each time a queue file enters the active queue ` +
        `(again after every deferral), nrcpt summed ${int(c.qmgr_inserted_recipients ?? 0)}: activations, not messages (${int(m.messages)}) nor recipients (${int(m.recipients)})`,
    );
  }
  const only: [string, number | null, number | null][] = [
    ['smtpd connects', c.smtpd_connects, k.smtpd_connect],
    ['disconnects', c.smtpd_disconnects, k.smtpd_disconnect],
    ['inbound TLS connections', c.smtpd_tls, k.smtpd_tls],
    ['outbound TLS connections', c.smtp_tls, k.smtp_tls],
    ['lost connections', c.smtpd_lost_connections, null],
    ['SASL failures', c.sasl_failures, null],
    ['FCrDNS warnings', c.fcrdns_errors, null],
  ];
  const shown = only.filter(([, v]) => v !== null);
  if (shown.length) {
    const off = only.filter(([, v, lines]) => v !== null && lines !== null && v !== lines);
    out.push(
      `not in mailsight's report (it has no connection or TLS numbers): ${shown.map(([what, v]) => `${what} ${int(v as number)}`).join(', ')}; ` +
        (off.length
          ? `differ from the corpus's lines: ${off.map(([what, v, lines]) => `${what} ${int(v as number)} vs ${int(lines as number)}`).join(', ')}`
          : 'connects, disconnects and TLS connections equal the corpus\'s lines'),
    );
  }
  if (c.smtp_delay_lines !== null) {
    let d =
      `postfix_smtp_delivery_delay_seconds: one observation per delays= stage of each smtp(8) status line (${int(c.smtp_delay_lines)}: content-filter hops, ` +
      'deferrals and bounces included), not enqueue → final per recipient, so no latency percentile compares';
    if (c.histogram_gaps.length) {
      const byName = new Map<string, HistogramGap[]>();
      for (const g of c.histogram_gaps) byName.set(g.name, [...(byName.get(g.name) ?? []), g]);
      const series = (g: HistogramGap) => Object.entries(g.labels).filter(([k]) => k !== 'prog').map(([, v]) => v).join(' ');
      d +=
        '; le="+Inf" is below _count in ' +
        [...byName].map(([name, gs]) => `${name} (${gs.map((g) => `${series(g) ? series(g) + ' ' : ''}${int(g.inf)} of ${int(g.count)}`).join(', ')})`).join(', ') +
        ': mtail 3.0.0-rc50 counts an observation of exactly 0 in _count and _sum but in no bucket';
    }
    out.push(d);
  }
  if (k.mtail_skipped > 0) {
    out.push(
      `${int(k.mtail_skipped)} of ${int(k.postfix)} Postfix lines do not match the program's header regex (postfix-NAME/ instances, nested service names ` +
        'such as postfix/submission/smtpd, RFC 3339 stamps without fractional seconds): none of its counters see them',
    );
  }
  return out;
}

/** mtail with its postfix.mtail program (Debian's or upstream's); `detail` names and sizes each difference. */
export function mtailAnswers(s: readonly Sample[], detail?: { census: PostfixCensus; mailsight: MailsightSide }): PeerAnswers {
  const c = mtailCounters(s);
  return {
    messages: c.smtpd_client,
    sent: null,
    deferred_attempts: null,
    bounced: null,
    expired: null,
    rejected: add(sumOf(s, 'postfix_smtpd_messages_rejected_total'), c.cleanup_rejected),
    unparsed_lines: null,
    latency: false,
    bounce_classes: false,
    by_domain_sent: null,
    by_domain_deferred: null,
    by_domain_bounced: null,
    notes: [
      ...(detail
        ? mtailNotes(c, detail.census, detail.mailsight)
        : [
            'messages = smtpd client= lines (postfix_smtpd_messages_processed_total): no pickup submissions or bounce notifications, content-filter re-injections count again',
            'rejected = NOQUEUE RCPT rejects (by reply code) + cleanup rejects',
          ]),
      'no delivery status counters at all (smtp(8) lines only feed the delay histograms): sent, deferred, bounced and expired are not reported; non-Postfix lines are not counted',
    ],
  };
}

function add(a: number | null, b: number | null): number | null {
  if (a === null && b === null) return null;
  return (a ?? 0) + (b ?? 0);
}

/** What each peer cannot report at all (from the answers above plus what none of them model). */
export function cannotReport(a: PeerAnswers): string[] {
  const out: string[] = [];
  if (a.messages === null) out.push('messages');
  if (a.rejected === null) out.push('rejects');
  if (a.unparsed_lines === null) out.push('unparsed (non-Postfix) lines');
  if (a.sent === null) out.push('sent (final deliveries)');
  if (a.bounced === null) out.push('bounced');
  if (a.expired === null) out.push('expired (returned to sender)');
  if (a.deferred_attempts === null) out.push('deferrals');
  if (a.by_domain_sent === null && a.by_domain_deferred === null) out.push('anything per recipient domain');
  else if (a.by_domain_bounced === null) out.push('bounced/expired per recipient domain');
  if (!a.latency) out.push('end-to-end latency percentiles (enqueue → final, per recipient)');
  if (!a.bounce_classes) out.push('bounce/deferral classes');
  out.push('per-message lifecycle across content-filter hops (recipients counted once per chain)');
  return out;
}
