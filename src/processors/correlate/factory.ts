// `correlate`: MailEvents in; the same events out (unchanged) and/or one MessageRecord per
// message lifecycle. The engine is ./correlator.ts; this file adds the pipeline contract:
// batches, acks, self-metrics and the snapshot that carries open messages across restarts.
import { join } from 'node:path';
import { rename } from 'node:fs/promises';
import { defineProcessor, type Batch, type Host, type Processor } from '../../pipeline/component.js';
import { releaseAll, type Ack } from '../../pipeline/ack.js';
import { durationMs } from '../../config/types.js';
import type { LogItem } from '../../model/items.js';
import type { IncompleteReason } from '../../model/message_record.js';
import { CorrelateConfig } from './config.js';
import { Correlator, type CorrelatorStats } from './correlator.js';
import { readSnapshot, writeSnapshot } from './state/snapshot.js';
import { queueStates } from './queue_state.js';

const REASONS: IncompleteReason[] = ['idle_timeout', 'max_age', 'evicted', 'shutdown', 'superseded'];

/** The engine's counts the self-metrics follow. */
interface Seen {
  opened: number;
  emitted: number;
  outOfOrder: number;
  hops: number;
  incomplete: Record<IncompleteReason, number>;
}

function zeroByReason(): Record<IncompleteReason, number> {
  return { idle_timeout: 0, max_age: 0, evicted: 0, shutdown: 0, superseded: 0 };
}

function copyStats(s: CorrelatorStats, to: Seen): void {
  to.opened = s.opened;
  to.emitted = s.emitted;
  to.outOfOrder = s.out_of_order;
  to.hops = s.hops_linked;
  for (const r of REASONS) to.incomplete[r] = s.incomplete[r];
}

export const correlateFactory = defineProcessor({
  type: 'correlate',
  kind: 'processor',
  stability: 'alpha',
  description:
    'Correlate MailEvents per message (host + queue id) into MessageRecords: recipients, attempts, final dispositions, latency, queued-as chains; bounded, event-time windows, snapshot across restarts.',
  signals: ['logs'],
  configSchema: CorrelateConfig,
  create: ({ id, config, next, telemetry, logger }): Processor => {
    const engine = new Correlator({
      idleTimeoutMs: durationMs(config.idle_timeout),
      maxAgeMs: durationMs(config.max_age),
      maxMessages: config.max_messages,
      maxBytes: config.max_bytes,
      hopWindowMs: durationMs(config.hop_window),
      hopClients: config.hop_clients,
      maxAttempts: config.max_attempts,
      reorderWindowMs: durationMs(config.reorder_window),
      sameMessageLinks: config.same_message_links,
    });
    const emitEvents = config.emit !== 'records';
    const emitRecords = config.emit !== 'events';
    const snap = config.snapshot;

    const m = {
      opened: telemetry.counter('mailsight_correlate_messages_opened_total', 'Message lifecycles opened.'),
      emitted: telemetry.counter('mailsight_correlate_records_emitted_total', 'MessageRecords emitted (final, incomplete and NOQUEUE rejects).'),
      incomplete: telemetry.counterBy('mailsight_correlate_records_incomplete_total', 'Records emitted before their lifecycle was seen to end, by reason.', 'reason'),
      evicted: telemetry.counter('mailsight_correlate_evicted_total', 'Open messages evicted by max_messages / max_bytes.'),
      outOfOrder: telemetry.counter('mailsight_correlate_out_of_order_events_total', 'Events older than the last event already absorbed into their message.'),
      hops: telemetry.counter('mailsight_correlate_hops_linked_total', 'queued-as hand-offs linked into chains.'),
      open: telemetry.gauge('mailsight_correlate_open_messages', 'Messages currently open in the correlation state.'),
      bytes: telemetry.gauge('mailsight_correlate_state_bytes', 'Approximate bytes of open correlation state.'),
    };
    // Counters move by the engine's stat deltas once per batch, not per event. After the
    // first publication (which shows every plain counter, at 0 if need be) only the counters
    // that moved are touched: each update of a labelled counter hashes its labels.
    const seen = { opened: 0, emitted: 0, outOfOrder: 0, hops: 0, incomplete: zeroByReason() };
    copyStats(engine.stats, seen);
    let shown = false;
    const bump = (c: { inc(n?: number): void }, now: number, before: number): number => {
      if (now !== before || !shown) c.inc(now - before);
      return now;
    };
    const publish = () => {
      const s = engine.stats;
      seen.opened = bump(m.opened, s.opened, seen.opened);
      seen.emitted = bump(m.emitted, s.emitted, seen.emitted);
      seen.outOfOrder = bump(m.outOfOrder, s.out_of_order, seen.outOfOrder);
      seen.hops = bump(m.hops, s.hops_linked, seen.hops);
      const evicted = s.incomplete.evicted - seen.incomplete.evicted;
      if (evicted !== 0 || !shown) m.evicted.inc(evicted);
      for (const r of REASONS) {
        const d = s.incomplete[r] - seen.incomplete[r];
        if (d === 0) continue;
        m.incomplete.inc(r, d);
        seen.incomplete[r] = s.incomplete[r];
      }
      shown = true;
      m.open.set(engine.openCount);
      m.bytes.set(engine.approxBytes);
    };

    let path = '';
    let timer: NodeJS.Timeout | undefined;
    const queueEvery = durationMs(config.queue_state_interval);
    let queueTimer: NodeJS.Timeout | undefined;
    const emitQueueState = (): Promise<void> => {
      const items = queueStates(engine.openRecords(), engine.snapshotHeader().hosts, config.max_queue_domains);
      return items.length ? next.consume({ items, acks: [] }).catch((err: unknown) => logger.error({ err }, 'correlate: queue state not accepted')) : Promise.resolve();
    };
    let writing: Promise<void> | undefined;
    // Acks whose effect on the state is not in a snapshot yet (snapshot.hold_acks).
    let heldAcks: Ack[] = [];

    const takeSnapshot = async (): Promise<void> => {
      while (writing) await writing;
      const lines = engine.snapshotLines();
      const acks = heldAcks;
      heldAcks = [];
      writing = writeSnapshot(path, lines)
        .then(
          () => releaseAll(acks),
          (err: unknown) => {
            telemetry.error();
            logger.error({ err, path }, 'correlate: snapshot write failed; state since the last snapshot would be lost in a crash');
            heldAcks = acks.concat(heldAcks);
          },
        )
        .finally(() => {
          writing = undefined;
        });
      await writing;
    };

    return {
      async start(host: Host): Promise<void> {
        if (queueEvery > 0) {
          queueTimer = setInterval(() => void emitQueueState(), queueEvery);
          queueTimer.unref();
        }
        if (!snap.enabled) return;
        path = snap.path ?? join(host.dataDir, `correlate-${id.replace(/[^A-Za-z0-9_.-]/g, '_')}.snapshot.jsonl`);
        try {
          const lines = await readSnapshot(path);
          if (lines) {
            const n = engine.restore(lines);
            logger.info({ path, open: n }, 'correlate: restored open messages from snapshot');
          }
        } catch (err) {
          // A damaged snapshot must not stop the pipeline: keep it aside for inspection.
          telemetry.error();
          logger.error({ err, path }, 'correlate: unreadable snapshot moved aside; starting empty');
          await rename(path, `${path}.corrupt-${Date.now()}`).catch(() => undefined);
        }
        publish();
        timer = setInterval(() => void takeSnapshot(), durationMs(snap.interval));
        timer.unref();
      },

      async shutdown(): Promise<void> {
        if (queueTimer) clearInterval(queueTimer);
        queueTimer = undefined;
        if (timer) clearInterval(timer);
        timer = undefined;
        if (snap.enabled && path) {
          // Open messages continue after the restart: nothing is emitted as incomplete.
          await takeSnapshot();
          releaseAll(heldAcks);
          heldAcks = [];
          return;
        }
        // What already ended (and only waited out the reorder window) is final; the rest is cut off.
        engine.finish();
        engine.closeAll('shutdown');
        const recs = engine.take();
        publish();
        if (emitRecords && recs.length) await next.consume({ items: recs, acks: [] });
      },

      consume(batch: Batch<LogItem>): Promise<void> {
        const items = batch.items;
        let forward: LogItem[] | undefined = emitEvents ? undefined : [];
        for (let i = 0; i < items.length; i++) {
          const it = items[i];
          if (it.kind === 'mail_event') engine.add(it);
          else if (forward) forward.push(it); // other items pass through whatever `emit` says
        }
        engine.sweep();
        const recs = engine.take();
        publish();
        let out: LogItem[];
        if (!emitRecords || recs.length === 0) out = forward ?? items;
        else if (forward) out = forward.length ? forward.concat(recs) : recs;
        else out = items.concat(recs);
        if (snap.enabled && snap.hold_acks) {
          // Our share of the batch stays held until a snapshot holds its effect.
          for (const a of batch.acks) {
            a.retain();
            heldAcks.push(a);
          }
        }
        if (out.length === 0) {
          releaseAll(batch.acks);
          return Promise.resolve();
        }
        return next.consume({ items: out, acks: batch.acks });
      },
    };
  },
});
