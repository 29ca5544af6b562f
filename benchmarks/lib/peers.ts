// Reading the peers' answers back, and mapping them onto the keys of `report --json` where
// they mean the same thing (or nearly: each mapping says where it differs).
import { sumOf, type Sample } from './prom.js';

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
      'messages = smtpd client= lines (postfix_smtpd_messages_processed_total): no pickup submissions, content-filter re-injections count again',
      'deferred_attempts = postfix_smtp_status_deferred: smtp(8) only; deferrals logged by error(8) (suspended destinations) are "unsupported"',
      'no sent/bounced counters: delivery lines only feed the delays histogram (all statuses together)',
      'unparsed_lines = postfix_unsupported_log_entries_total{service=""} (non-Postfix lines)',
    ],
  };
}

/** mtail with the upstream examples/postfix.mtail program. */
export function mtailAnswers(s: readonly Sample[]): PeerAnswers {
  return {
    messages: sumOf(s, 'postfix_smtpd_messages_processed_total'),
    sent: null,
    deferred_attempts: null,
    bounced: null,
    expired: null,
    rejected: add(sumOf(s, 'postfix_smtpd_messages_rejected_total'), sumOf(s, 'postfix_cleanup_messages_rejected_total')),
    unparsed_lines: null,
    latency: false,
    bounce_classes: false,
    by_domain_sent: null,
    by_domain_deferred: null,
    by_domain_bounced: null,
    notes: [
      'messages = smtpd client= lines, as the exporter (the program is a port of its rules)',
      'the program has no delivery status counters at all: sent, deferred, bounced and expired are not reported',
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
