// Measures resident memory on an interval; the entrance of every pipeline asks `exceeded`
// (a field read, not a syscall, on the hot path).
export class MemoryGuard {
  exceeded = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly limitMib: number,
    readonly checkIntervalMs: number,
    readonly whenExceeded: 'refuse' | 'drop',
    private readonly measure: () => number = () => process.memoryUsage.rss(),
  ) {}

  start(): void {
    if (this.limitMib <= 0 || this.timer) return;
    this.check();
    this.timer = setInterval(() => this.check(), this.checkIntervalMs);
    this.timer.unref();
  }

  check(): void {
    this.exceeded = this.limitMib > 0 && this.measure() > this.limitMib * 1024 * 1024;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.exceeded = false;
  }
}
