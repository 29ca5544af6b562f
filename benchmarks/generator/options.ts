// Generator options, their defaults and the CLI flag that sets each.
import type { HeaderFormat } from './timefmt.js';

export interface GenOptions {
  /** Approximate number of lines to write (the run stops at the first event boundary past it). */
  lines: number;
  seed: string;
  mta: 'postfix' | 'exim';
  /** Fleet size: hosts mx1..mxN, each with its own arrivals, pids and queue ids. */
  hosts: number;
  /** Simulation start, ms since the epoch. */
  start: number;
  format: HeaderFormat;
  /** New messages per second per host (Poisson arrivals). */
  rate: number;
  /** Probability that a line is followed by a line from a program mailsight does not parse. */
  noiseRate: number;
  /** Probability that a new smtpd message reuses the queue id of a recently removed one. */
  reuseRate: number;
  /** Share of messages passed through a content filter (127.0.0.1:10024, re-injected on :10025). */
  filterRate: number;
  /** Share of messages relayed to another host of the fleet before going out (needs hosts >= 2). */
  relayRate: number;
  /** Share of smtpd sessions with a rejected RCPT (NOQUEUE reject). */
  rejectRate: number;
  /** Base probability that a recipient meets temporary failures (scaled per destination). */
  deferRate: number;
  /** Of deferred recipients, the share that never gets through (expires). */
  expireShare: number;
  /** Base probability of a permanent failure (scaled per destination). */
  bounceRate: number;
  /** Share of messages with more than one recipient. */
  multiRcptRate: number;
  /** Postfix minimal_backoff_time / maximal_backoff_time / queue_run_delay, seconds. */
  minBackoff: number;
  maxBackoff: number;
  queueRunDelay: number;
  /** Postfix maximal_queue_lifetime (and bounce_queue_lifetime), seconds. */
  maxQueueLifetime: number;
}

export const DEFAULTS: GenOptions = {
  lines: 100_000,
  seed: '1',
  mta: 'postfix',
  hosts: 1,
  start: Date.UTC(2026, 10, 12, 5, 40, 0),
  format: 'rfc3164',
  rate: 5,
  noiseRate: 0.001,
  reuseRate: 0.01,
  filterRate: 0.15,
  relayRate: 0.05,
  rejectRate: 0.03,
  deferRate: 0.05,
  expireShare: 0.15,
  bounceRate: 0.02,
  multiRcptRate: 0.12,
  minBackoff: 300,
  maxBackoff: 4000,
  queueRunDelay: 300,
  // Postfix's default is 5d; 4h makes expiries appear in runs of about a million lines.
  maxQueueLifetime: 4 * 3600,
};

/** "300", "300s", "5m", "4h", "5d" -> seconds. */
export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([smhdw]?)$/.exec(s.trim());
  if (m === null) throw new Error(`bad duration: ${s}`);
  const n = Number(m[1]);
  const mult = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2] as '' | 's' | 'm' | 'h' | 'd' | 'w'];
  return n * mult;
}
