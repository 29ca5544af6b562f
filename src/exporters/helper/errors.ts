// How a sender tells the helper what a failure means: permanent (never retried, items failed
// and counted) or retryable (backed off, with the backend's Retry-After when it gave one).
// Any other thrown error is treated as retryable (network errors, resets, timeouts).

export class PermanentError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'PermanentError';
  }
}

export class RetryableError extends Error {
  constructor(
    message: string,
    /** The backend asked for this wait (Retry-After), in ms. */
    readonly retryAfterMs?: number,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'RetryableError';
  }
}

/** The backend accepted the request but rejected part of it (OTLP partial success): not retried. */
export interface SendResult {
  rejected?: number;
  message?: string;
}

/**
 * Retry-After is either delta-seconds or an HTTP-date (RFC 9110 §10.2.3). Returns ms to wait
 * (0 for a date in the past), or undefined when absent or unparseable.
 */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(parseFloat(v) * 1000);
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now);
}

/**
 * The error for a non-2xx HTTP answer. 4xx other than 408 and 429 are permanent (the request
 * itself is wrong: retrying cannot help); 408, 429 and 5xx are retryable, and Retry-After is
 * honoured on 429 and 503 (the statuses RFC 9110 and OTLP give it a meaning for).
 */
export function httpStatusError(status: number, retryAfter: string | string[] | undefined, detail = ''): PermanentError | RetryableError {
  const msg = `HTTP ${status}${detail ? `: ${detail}` : ''}`;
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) return new PermanentError(msg, status);
  const wait = status === 429 || status === 503 ? parseRetryAfter(retryAfter) : undefined;
  return new RetryableError(msg, wait, status);
}
