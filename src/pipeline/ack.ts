// Acknowledgement path: a receiver learns when every exporter has accepted (or refused) what
// it emitted. One Ack covers one emitted batch; every stage that holds a share of that batch
// retains it and releases it once the share is handed on for good (exported, dropped by
// policy, or absorbed into durable state). Kafka offset commits and webhook HTTP replies wait
// on `settled`.

export class Ack {
  private holds = 1; // the creator's own hold, released by seal()
  private error: Error | undefined;
  private resolve!: () => void;
  private reject!: (err: Error) => void;
  readonly settled: Promise<void>;

  constructor() {
    this.settled = new Promise<void>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    // An unobserved failure must not crash the process; the receiver decides what to do.
    this.settled.catch(() => undefined);
  }

  retain(n = 1): void {
    if (this.holds <= 0) throw new Error('Ack retained after it settled');
    this.holds += n;
  }

  /** Release one hold; when the last hold goes, the ack settles. */
  release(): void {
    if (this.holds <= 0) return;
    if (--this.holds === 0) {
      if (this.error) this.reject(this.error);
      else this.resolve();
    }
  }

  /** Take a share for a batch about to be handed downstream (whoever gets it releases it). */
  share(): this {
    this.retain();
    return this;
  }

  /** Record a failure (a permanent export error) and release one hold. */
  fail(err: Error): void {
    this.error ??= err;
    this.release();
  }

  /** The creator is done fanning out: release its own hold. */
  seal(): void {
    this.release();
  }

  get pending(): number {
    return this.holds;
  }
}

/** Release every ack of a batch (delivered or dropped by policy). */
export function releaseAll(acks: readonly Ack[]): void {
  for (const a of acks) a.release();
}

export function failAll(acks: readonly Ack[], err: Error): void {
  for (const a of acks) a.fail(err);
}
