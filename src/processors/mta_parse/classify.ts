// Bounce and deferral classification (DESIGN §5). PLACEHOLDER: the classification helper
// replaces the body with a data table; the exported signatures stay.
import type { BounceClass } from '../../model/mail_event.js';

/**
 * Classify a failed delivery or a reject from its enhanced status code (e.g. "4.7.28",
 * possibly malformed like "5.12.345") and the remote reply or local reason text.
 * Returns undefined for successful deliveries (2.x.x with no failure text).
 */
export function classify(dsn: string | undefined, reply: string | undefined): BounceClass | undefined {
  if (!dsn && !reply) return undefined;
  if (dsn && dsn.startsWith('2')) return undefined;
  return 'other';
}

/**
 * Normalise a remote reply for grouping ("top deferral reasons"): strip queue ids, addresses,
 * IPs, numbers and URLs so that the same reason from different messages compares equal.
 */
export function normaliseReply(reply: string): string {
  return reply;
}
