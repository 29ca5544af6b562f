// Events into one correlation engine and one aggregator, as `mailsight report` does it: the
// one-thread report and each shard of the sharded report (shard_worker.ts) share this.
import type { MailEvent } from '../model/mail_event.js';
import { Correlator, type CorrelatorOptions } from '../processors/correlate/correlator.js';
import { ReportAggregator } from './aggregate.js';

/** Sweep the engine's timeouts every this many events (the report's "batch"). */
export const SWEEP_EVERY = 1024;

export class ReportFeed {
  readonly engine: Correlator;
  readonly agg = new ReportAggregator();
  private n = 0;

  constructor(opts: Partial<CorrelatorOptions> = {}) {
    // The report reads no links.same_message_id: no Message-ID index on multi-host input.
    this.engine = new Correlator({ sameMessageLinks: false, ...opts });
  }

  add(ev: MailEvent): void {
    this.agg.addEvent(ev);
    this.engine.add(ev);
    if (++this.n === SWEEP_EVERY) {
      this.n = 0;
      this.engine.sweep();
      const recs = this.engine.take();
      for (let i = 0; i < recs.length; i++) this.agg.addRecord(recs[i]);
    }
  }

  /** End of input: settle what has ended; what is still open counts as still queued. */
  end(): ReportAggregator {
    const { engine, agg } = this;
    engine.sweep();
    engine.finish();
    for (const rec of engine.take()) agg.addRecord(rec);
    for (const rec of engine.openRecords()) agg.addRecord(rec, true);
    return agg;
  }
}
