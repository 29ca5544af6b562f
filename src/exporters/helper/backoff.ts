// Exponential back-off with jitter, the algorithm of the OTel Collector's retry sender
// (cenkalti/backoff): wait_n = min(initial × multiplier^n, max) drawn within ±factor.

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  multiplier: number;
  randomizationFactor: number;
  /** 0 = never give up. */
  maxElapsedMs: number;
}

export class Backoff {
  private current: number;
  private readonly started: number;

  constructor(
    private readonly o: BackoffOptions,
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {
    this.current = o.initialMs;
    this.started = now();
  }

  /**
   * The next wait in ms, at least `floorMs` (a Retry-After), or undefined when waiting that
   * long would pass max_elapsed_time.
   */
  next(floorMs = 0): number | undefined {
    const f = this.o.randomizationFactor;
    const jittered = this.current * (1 - f + 2 * f * this.random());
    this.current = Math.min(this.current * this.o.multiplier, this.o.maxMs);
    const wait = Math.max(Math.round(jittered), floorMs);
    if (this.o.maxElapsedMs > 0 && this.now() - this.started + wait > this.o.maxElapsedMs) return undefined;
    return wait;
  }

  get elapsedMs(): number {
    return this.now() - this.started;
  }
}
