// The shape of benchmarks/results/*.json, and the answer comparison (peers vs ground truth
// vs mailsight). Pure: no I/O here, so the test can exercise it.
import type { Summary } from './stats.js';
import type { PeerAnswers } from './peers.js';

export interface Machine {
  cpu: string;
  cores: number;
  memory_gib: number;
  node: string;
  os: string;
  /** Versions of the peers that ran (tool -> version string). */
  tools: Record<string, string>;
}

/** The stable keys of `report --json` (and of the generator's ground truth). */
export interface ReportLike {
  messages: number;
  recipients: number;
  totals: { sent: number; deferred_attempts: number; bounced: number; expired: number; rejected: number };
  by_domain: Record<string, { sent: number; deferred_attempts: number; bounced: number; expired: number }>;
  latency_seconds: { p50: number | null; p95: number | null; p99: number | null };
  unparsed_lines: number;
}

/** One tool reading the whole corpus, repeated. */
export interface ThroughputRow {
  id: string;
  label: string;
  lines: number;
  wall_s: Summary;
  cpu_s: Summary;
  rss_mib: Summary;
  /** lines / median wall time. */
  lines_per_s: number;
  /** median CPU time / median wall time. */
  cores: number;
  note?: string;
  /**
   * A peer's runs interleaved with `mailsight report` runs on the same corpus (report, peer,
   * report, peer, ...): the ratio of their lines/s pair by pair, so that the host's drift
   * between the report case and the peers case does not enter the comparison.
   */
  paired?: { ratios: number[]; median: number; mailsight_wall_s: Summary };
}

/** `mailsight report` against pflogsumm on one more generated log shape (cases/shapes.ts). */
export interface ShapeRow {
  id: string;
  label: string;
  /** The generator options that make this shape. */
  generator_args: string[];
  lines: number;
  mailsight_wall_s: Summary;
  pflogsumm_wall_s: Summary;
  /** mailsight's lines/s over pflogsumm's, pair by pair (runs interleaved), and their median. */
  ratios: number[];
  median: number;
  /** Stable report keys that differ from the generator's ground truth (0: the answers are right). */
  truth_diffs: number;
  truth_example?: string;
}

export interface SkipRow {
  id: string;
  label: string;
  status: 'skipped' | 'failed' | 'not measured';
  reason: string;
}

export interface SyslogRow {
  mode: 'fixed' | 'max';
  target_rate: number | null;
  lines: number;
  wall_s: number;
  lines_per_s: number;
  cores: number;
  rss_mib: number;
  /** CPU of the load generator process / wall time. */
  sender_cores: number;
  drops: number | null;
  refused: number | null;
  latency_ms: { p50: number | null; p99: number | null; n: number };
}

export interface MemoryRow {
  open: number;
  /** Messages the engine reports open after feeding (must equal `open`). */
  open_after: number;
  heap_bytes_per_msg: number;
  rss_bytes_per_msg: number;
  /** The engine's own estimate (max_bytes accounting). */
  approx_bytes_per_msg: number;
  feed_s: number;
}

export interface AnswerRow {
  key: string;
  truth: number | null;
  values: Record<string, number | null>;
}

export interface TargetRow {
  name: string;
  target: string;
  measured: string;
  met: boolean | null;
}

/**
 * The corpus of the run: the generator's (with its ground truth's message and recipient
 * counts) or a user's file given with --corpus (its base name only: no path of this machine
 * goes into the results; no ground truth, so no counts).
 */
export type CorpusInfo = ({ source: 'generator'; seed: string } | { source: 'file'; file: string }) & {
  lines: number;
  bytes: number;
  messages: number | null;
  recipients: number | null;
};

/** How many recipient domains one tool's per-domain numbers agree with the reference on. */
export interface DomainAgreement {
  peer: string;
  key: string;
  domains: number;
  equal: number;
  max_abs_diff: number;
}

/** A DomainAgreement and what it was compared with: the ground truth, or mailsight's report without one. */
export type PerDomainRow = DomainAgreement & { reference: 'ground truth' | 'mailsight' };

export interface Results {
  version: 1;
  started_at: string;
  finished_at: string;
  machine: Machine;
  options: { lines: number; seed: string; repeats: number; warmup: number; cases: string[]; quick: boolean };
  corpus: CorpusInfo | null;
  throughput: ThroughputRow[];
  ratios: { name: string; value: number | null }[];
  shapes: ShapeRow[];
  syslog: SyslogRow[];
  memory: MemoryRow[];
  answers: AnswerRow[];
  per_domain: PerDomainRow[];
  cannot_report: Record<string, string[]>;
  answer_notes: Record<string, string[]>;
  targets: TargetRow[];
  skipped: SkipRow[];
}

const KEYS = ['messages', 'sent', 'deferred_attempts', 'bounced', 'expired', 'rejected', 'unparsed_lines'] as const;

function reportValue(r: ReportLike, key: (typeof KEYS)[number]): number {
  if (key === 'messages') return r.messages;
  if (key === 'unparsed_lines') return r.unparsed_lines;
  return r.totals[key];
}

/** Rows key × (truth, mailsight, each peer). */
export function compareAnswers(truth: ReportLike | null, mailsight: ReportLike | null, peers: Record<string, PeerAnswers>): AnswerRow[] {
  return KEYS.map((key) => {
    const values: Record<string, number | null> = { mailsight: mailsight ? reportValue(mailsight, key) : null };
    for (const [name, a] of Object.entries(peers)) values[name] = a[key];
    return { key, truth: truth ? reportValue(truth, key) : null, values };
  });
}

/** How many recipient domains a peer's per-domain numbers agree with the reference on. */
export function compareDomains(reference: ReportLike, peer: string, key: 'sent' | 'deferred_attempts', got: Record<string, number>): DomainAgreement {
  const domains = new Set([...Object.keys(reference.by_domain), ...Object.keys(got)]);
  let equal = 0;
  let maxDiff = 0;
  for (const d of domains) {
    const want = reference.by_domain[d]?.[key] ?? 0;
    const have = got[d] ?? 0;
    if (want === have) equal++;
    maxDiff = Math.max(maxDiff, Math.abs(want - have));
  }
  return { peer, key, domains: domains.size, equal, max_abs_diff: maxDiff };
}

/**
 * Per-domain `sent` and `deferred_attempts` of mailsight and of each peer that has them, against
 * the ground truth; without one (a user's corpus), the peers against mailsight's report.
 */
export function compareAllDomains(truth: ReportLike | null, mailsight: ReportLike | null, peers: Record<string, PeerAnswers>): PerDomainRow[] {
  const reference = truth ?? mailsight;
  if (reference === null) return [];
  const by = truth ? 'ground truth' : 'mailsight';
  const rows: PerDomainRow[] = [];
  const add = (peer: string, key: 'sent' | 'deferred_attempts', got: Record<string, number> | null) => {
    if (got) rows.push({ ...compareDomains(reference, peer, key, got), reference: by });
  };
  if (truth && mailsight) {
    for (const key of ['sent', 'deferred_attempts'] as const) add('mailsight', key, Object.fromEntries(Object.entries(mailsight.by_domain).map(([d, v]) => [d, v[key]])));
  }
  for (const [name, a] of Object.entries(peers)) {
    add(name, 'sent', a.by_domain_sent);
    add(name, 'deferred_attempts', a.by_domain_deferred);
  }
  return rows;
}
