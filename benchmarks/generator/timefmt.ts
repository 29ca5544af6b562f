// Timestamp rendering for the line headers, cached per second (most lines of a busy log share
// their second with the previous line). Times are integer microseconds since the epoch, UTC.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

function pad6(n: number): string {
  const s = String(n);
  return '000000'.slice(s.length) + s;
}

export type HeaderFormat = 'rfc3164' | 'rfc3339';

/** Resolution of a printed timestamp, in microseconds: what a parser can recover. */
export function resolutionUs(fmt: HeaderFormat | 'exim'): number {
  return fmt === 'rfc3339' ? 1 : 1_000_000;
}

export class TimeFormatter {
  private sec = -1;
  private cached = '';

  constructor(private readonly fmt: HeaderFormat | 'exim') {}

  /** The timestamp text for time `us` (no trailing space). */
  format(us: number): string {
    const sec = Math.floor(us / 1_000_000);
    if (sec !== this.sec) {
      this.sec = sec;
      const d = new Date(sec * 1000);
      const Y = d.getUTCFullYear();
      const M = d.getUTCMonth();
      const D = d.getUTCDate();
      const hms = pad2(d.getUTCHours()) + ':' + pad2(d.getUTCMinutes()) + ':' + pad2(d.getUTCSeconds());
      if (this.fmt === 'rfc3164') {
        // syslog pads single-digit days with a space: "Nov  7 06:52:11"
        this.cached = MONTHS[M] + (D < 10 ? '  ' : ' ') + D + ' ' + hms;
      } else {
        this.cached = Y + '-' + pad2(M + 1) + '-' + pad2(D) + (this.fmt === 'exim' ? ' ' : 'T') + hms;
      }
    }
    if (this.fmt === 'rfc3339') return this.cached + '.' + pad6(us - sec * 1_000_000) + '+00:00';
    return this.cached;
  }
}

/** "20261127220640" as Postfix puts into its own Message-IDs. */
export function compactStamp(us: number): string {
  const d = new Date(Math.floor(us / 1000));
  return (
    d.getUTCFullYear() +
    pad2(d.getUTCMonth() + 1) +
    pad2(d.getUTCDate()) +
    pad2(d.getUTCHours()) +
    pad2(d.getUTCMinutes()) +
    pad2(d.getUTCSeconds())
  );
}

/**
 * Postfix's delay formatting (log_adhoc.c): >= 10 s whole seconds, >= 1 s one decimal,
 * below that two decimals, truncated, trailing zeros dropped ("0.1", "0", "3.4", "905").
 */
export function pfDelay(seconds: number): string {
  if (seconds >= 10) return String(Math.floor(seconds));
  if (seconds >= 1) {
    const t = Math.floor(seconds * 10);
    return t % 10 === 0 ? String(t / 10) : (t / 10).toFixed(1);
  }
  const h = Math.floor(seconds * 100);
  if (h === 0) return '0';
  return h % 10 === 0 ? '0.' + h / 10 : '0.' + pad2(h);
}
