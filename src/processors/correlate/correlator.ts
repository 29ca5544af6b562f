// The correlation engine: MailEvents in, MessageRecords out. Independent of the pipeline so
// that `mailsight report` drives it directly. Everything is driven by event time (a clock per
// host = the largest event time seen from it), never by the wall clock, so replaying a day of
// logs in seconds yields the records living through it would.
//
// State per open message is one Slot (bookkeeping) holding one MessageRecord (what is
// emitted). Lookups are Map hits on the queue id in a per-host Map (no key string is built
// per event). Timeouts are kept in small per-host FIFO queues (idle candidates and hop
// lingerers, linked through the slots) swept at batch boundaries; `max_age` is a rate-limited
// full scan; eviction takes the front of the main Set, which is kept in approximate
// least-recently-used order. See README.md for the rules and their reasons.
import type { BounceClass, MailEvent, MailEventType } from '../../model/mail_event.js';
import type {
  DeliveryAttemptRecord,
  IncompleteReason,
  MessageRecord,
  RecipientFinal,
  RecipientRecord,
} from '../../model/message_record.js';
import { newMessageRecord, newRecipientRecord } from '../../model/message_record.js';
import { flat } from '../mta_parse/text.js';

export interface CorrelatorOptions {
  /** Emit a message this long after its last event once it looks finished (ms). */
  idleTimeoutMs: number;
  /** Emit any open message this long after its first event (ms). */
  maxAgeMs: number;
  /** Open messages kept; beyond it the least recently used are emitted as incomplete. */
  maxMessages: number;
  /** Approximate bytes of open state kept (0 = no limit); same eviction. */
  maxBytes: number;
  /** How long a possible `queued as` hop waits for its other side (ms); 0 disables waiting. */
  hopWindowMs: number;
  /** Which received messages may be the next hop of a not-yet-seen `queued as` line. */
  hopClients: 'loopback' | 'any';
  /** Attempts kept per recipient (the latest ones). */
  maxAttempts: number;
  /**
   * Record `links.same_message_id` on multi-host input: an index of every open message's
   * Message-ID. `mailsight report` reads no such links and turns it off (on a 4-host log the
   * index cost ~7 % of the report's time and 10 % of its scavenging; benchmarks/README.md).
   */
  sameMessageLinks: boolean;
  /**
   * A finished message stays open until its host's clock is this far past its end, so that
   * lines logged in the same second but delivered out of order still join it (ms).
   */
  reorderWindowMs: number;
}

export const DEFAULT_CORRELATOR_OPTIONS: CorrelatorOptions = {
  idleTimeoutMs: 10 * 60_000,
  maxAgeMs: 5 * 86_400_000,
  maxMessages: 1_000_000,
  maxBytes: 1024 * 1024 * 1024,
  hopWindowMs: 60_000,
  hopClients: 'loopback',
  maxAttempts: 10,
  reorderWindowMs: 2000,
  sameMessageLinks: true,
};

export interface CorrelatorStats {
  events: number;
  /** Events that carry a queue id but no lifecycle meaning (header_info, tls, ...). */
  ignored: number;
  opened: number;
  emitted: number;
  final: number;
  incomplete: Record<IncompleteReason, number>;
  /** NOQUEUE rejects emitted as records of their own. */
  noqueue: number;
  /** Events older than the last event already absorbed into their message. */
  out_of_order: number;
  hops_linked: number;
  /** Attempts ignored because an identical one was already recorded (replays). */
  duplicates: number;
}

// Lifecycle event codes (a switch on small ints instead of strings on the hot path).
const enum Ev {
  Client = 1,
  Pickup,
  MessageId,
  Enqueue,
  Attempt,
  Notice,
  Expired,
  Removed,
  Reject,
  Discard,
  Hold,
  QueueAction,
  Arrival,
  Completed,
  Frozen,
  Unfrozen,
}

/** The lifecycle code of an event type (a switch: cheaper than a keyed lookup per event). */
function lifecycleOf(type: MailEventType): Ev | undefined {
  switch (type) {
    case 'delivery_attempt':
      return Ev.Attempt;
    case 'client':
      return Ev.Client;
    case 'message_id':
      return Ev.MessageId;
    case 'enqueue':
      return Ev.Enqueue;
    case 'removed':
      return Ev.Removed;
    case 'pickup':
      return Ev.Pickup;
    case 'bounce_notice':
      return Ev.Notice;
    case 'expired':
      return Ev.Expired;
    case 'reject':
      return Ev.Reject;
    case 'discard':
      return Ev.Discard;
    case 'hold':
      return Ev.Hold;
    case 'queue_action':
      return Ev.QueueAction;
    case 'arrival':
      return Ev.Arrival;
    case 'completed':
      return Ev.Completed;
    case 'frozen':
      return Ev.Frozen;
    case 'unfrozen':
      return Ev.Unfrozen;
    default:
      return undefined;
  }
}

const Q_NONE = 0;
const Q_IDLE = 1;
const Q_LINGER = 2;

/** Move a record to the back of the LRU order at most once per this much event time. */
const LRU_GRANULARITY_MS = 60_000;
/** Rough byte costs for `max_bytes` (V8 objects, Map entries, retained strings). */
const BYTES_BASE = 520;
const BYTES_RECIPIENT = 160;
const BYTES_ATTEMPT = 150;
const MAX_TLS_PROCS = 4096;
const MAX_SAME_MSGID = 4;

/**
 * A FIFO of slots linked through their own prev/next fields (a slot is in at most one, as its
 * `queue` says): moving a slot to the back on every event costs no hashing, unlike a Set.
 */
class SlotQueue {
  head: Slot | undefined = undefined;
  tail: Slot | undefined = undefined;

  push(s: Slot): void {
    s.prev = this.tail;
    s.next = undefined;
    if (this.tail !== undefined) this.tail.next = s;
    else this.head = s;
    this.tail = s;
  }

  remove(s: Slot): void {
    const prev = s.prev;
    const next = s.next;
    if (prev !== undefined) prev.next = next;
    else this.head = next;
    if (next !== undefined) next.prev = prev;
    else this.tail = prev;
    s.prev = undefined;
    s.next = undefined;
  }
}

/**
 * The open slots, least recently used first, linked through their own older/newer fields: an
 * LRU move or an emit costs no hashing and no hash-table tombstones (a Set of slots did). Same
 * order as the Set it replaced: push appends, and a move is remove + push. Not a SlotQueue:
 * a slot sits in a timer queue and in this list at once, so each needs its own link fields
 * (named fields, not keys chosen at run time, keep these hot accesses monomorphic).
 */
class LruList {
  head: Slot | undefined = undefined;
  tail: Slot | undefined = undefined;
  size = 0;

  push(s: Slot): void {
    s.older = this.tail;
    s.newer = undefined;
    if (this.tail !== undefined) this.tail.newer = s;
    else this.head = s;
    this.tail = s;
    this.size++;
  }

  remove(s: Slot): void {
    const older = s.older;
    const newer = s.newer;
    if (older !== undefined) older.newer = newer;
    else this.head = newer;
    if (newer !== undefined) newer.older = older;
    else this.tail = older;
    s.older = undefined;
    s.newer = undefined;
    this.size--;
  }

  /** Oldest first. The slot yielded may be removed before the next one is asked for. */
  *values(): Generator<Slot> {
    for (let s = this.head; s !== undefined; ) {
      const newer = s.newer;
      yield s;
      s = newer;
    }
  }
}

class HostState {
  clock = -Infinity;
  /** Open messages of this host by queue id. */
  readonly slots = new Map<string, Slot>();
  /** Last outbound TLS protocol per delivering process id. */
  readonly tls = new Map<number, string>();
  /** Idle-timeout candidates, roughly in deadline order. */
  readonly idle = new SlotQueue();
  /** Finished records waiting for a `queued as` hop, roughly in deadline order. */
  readonly linger = new SlotQueue();
  constructor(readonly name: string) {}
}

// Slot.flags: one bit per flag.
const F_ENDED = 1;
const F_FORCED = 2;
const F_LIVE = 4;

/**
 * Bookkeeping of one open message. A class so that every instance shares one compact shape.
 *
 * It also holds the record's hottest fields (last_time, events), written back by
 * syncRecord() before the record is seen: these are read and written on every event.
 */
class Slot {
  queue = Q_NONE;
  deadline = Infinity;
  lru: number;
  bytes = BYTES_BASE;
  /** Recipients without a final status. */
  nonFinal = 0;
  /** The three flags below, in one field (a million open slots: 16 bytes each count). */
  private flags = 0;
  /** May be the next hop of a `queued as` line not seen yet: linger until then. */
  succUntil = 0;
  /** Has deliveries naming `queued as` ids not seen yet: linger until then. */
  predUntil = 0;
  pend: string[] | undefined = undefined;
  /** Neighbours in the host's idle or linger queue. */
  prev: Slot | undefined = undefined;
  next: Slot | undefined = undefined;
  /** Neighbours in the LRU order of open slots. */
  older: Slot | undefined = undefined;
  newer: Slot | undefined = undefined;
  /** rec.last_time and rec.events while open. */
  last: number;
  events: number;
  constructor(
    readonly hs: HostState,
    readonly rec: MessageRecord,
  ) {
    this.lru = rec.start_time;
    this.last = rec.last_time;
    this.events = rec.events;
  }

  /** removed / Completed / deleted / whole-message reject seen. */
  get ended(): boolean {
    return (this.flags & F_ENDED) !== 0;
  }
  set ended(on: boolean) {
    this.flags = on ? this.flags | F_ENDED : this.flags & ~F_ENDED;
  }
  /** Ends without needing every recipient final (deleted, rejected, discarded). */
  get forced(): boolean {
    return (this.flags & F_FORCED) !== 0;
  }
  set forced(on: boolean) {
    this.flags = on ? this.flags | F_FORCED : this.flags & ~F_FORCED;
  }
  /** In the open set (and its host's map): a flag instead of a Map lookup per check. */
  get live(): boolean {
    return (this.flags & F_LIVE) !== 0;
  }
  set live(on: boolean) {
    this.flags = on ? this.flags | F_LIVE : this.flags & ~F_LIVE;
  }
}

/** State of one slot in a snapshot line. */
export interface SlotSnapshot {
  r: MessageRecord;
  e?: 1;
  f?: 1;
  su?: number;
  pu?: number;
  p?: string[];
}

export interface SnapshotHeader {
  v: 1;
  clock: number;
  hosts: Record<string, number>;
  open: number;
}

function isLoopback(ip: string | undefined): boolean {
  if (ip === undefined) return false;
  return ip.startsWith('127.') || ip === '::1' || ip.startsWith('::ffff:127.');
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Shared copies of short values that repeat across messages (domains, IPs, DSNs), bounded:
 * when full it starts over, which only costs some sharing. Long or unique values are copied
 * with flat() instead: hashing them costs more than sharing saves.
 */
class Interner {
  private m = new Map<string, string>();
  constructor(private readonly max: number) {}
  get(s: string): string {
    const hit = this.m.get(s);
    if (hit !== undefined) return hit;
    if (this.m.size >= this.max) this.m = new Map();
    const o = flat(s);
    this.m.set(o, o);
    return o;
  }
}

function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1);
}

export class Correlator {
  readonly opts: CorrelatorOptions;
  readonly stats: CorrelatorStats = {
    events: 0,
    ignored: 0,
    opened: 0,
    emitted: 0,
    final: 0,
    incomplete: { idle_timeout: 0, max_age: 0, evicted: 0, shutdown: 0, superseded: 0 },
    noqueue: 0,
    out_of_order: 0,
    hops_linked: 0,
    duplicates: 0,
  };
  /** Open messages in approximate least-recently-used order (front = oldest). */
  private readonly open = new LruList();
  private readonly hosts = new Map<string, HostState>();
  private lastHost: HostState | undefined = undefined;
  /**
   * Open messages by Message-ID (joins across hosts, sameMessageLinks). It only matters with
   * several hosts, so it is built when the second host appears: a single server does not pay
   * for it. (A `queued as` hop to another host looks in the other hosts' own maps instead:
   * a global index by queue id cost a set and a delete per message for a lookup per hop.)
   */
  private readonly byMsgId = new Map<string, Slot>();
  private multiHost = false;
  /** `queued as` ids not seen yet -> the message whose delivery named them. */
  private readonly pendingHops = new Map<string, Slot>();
  /**
   * Entries of every host's `tls` map together: bounded as one table, keyed per host by the
   * pid number so that no `host + pid` string is built per line.
   */
  private tlsEntries = 0;
  private readonly intern = new Interner(50_000);
  private out: MessageRecord[] = [];
  private clock = -Infinity;
  private lastAgeScan = -Infinity;
  private bytes = 0;

  constructor(opts: Partial<CorrelatorOptions> = {}) {
    this.opts = { ...DEFAULT_CORRELATOR_OPTIONS, ...opts };
  }

  get openCount(): number {
    return this.open.size;
  }

  get approxBytes(): number {
    return this.bytes;
  }

  /** Records emitted since the last call. */
  take(): MessageRecord[] {
    const o = this.out;
    if (o.length === 0) return o;
    this.out = [];
    return o;
  }

  /** Absorb one event. Records it completes are queued for take(). */
  add(ev: MailEvent): void {
    this.stats.events++;
    const t = ev.time;
    const hs = this.host(ev.host);
    if (t > hs.clock) hs.clock = t;
    if (t > this.clock) this.clock = t;
    const qid = ev.queue_id;
    if (qid === undefined || qid === 'NOQUEUE') {
      if (ev.event === 'reject') this.noqueue(ev, hs);
      else if (ev.event === 'tls') this.noteTls(ev, hs);
      return;
    }
    const code = lifecycleOf(ev.event);
    if (code === undefined) {
      this.stats.ignored++;
      return;
    }
    let slot = hs.slots.get(qid);
    if (slot !== undefined) {
      if (t >= slot.deadline) {
        // Its deadline passed in event time: settle it first, so that the outcome does not
        // depend on when sweeps happen to run.
        this.expire(slot);
        slot = undefined;
      } else if (this.startsNewLifecycle(slot, code, t)) {
        if (this.isComplete(slot)) this.emit(slot, 'final');
        else this.emit(slot, 'incomplete', 'superseded');
        slot = undefined;
      }
    }
    if (slot === undefined) slot = this.create(ev, hs, qid);
    const rec = slot.rec;
    if (t < slot.last) this.stats.out_of_order++;
    this.apply(slot, code, ev);
    slot.events++;
    if (t > slot.last) slot.last = t;
    if (t < rec.start_time) rec.start_time = t;
    if (!slot.live) syncRecord(slot);
    if (t - slot.lru > LRU_GRANULARITY_MS && slot.live) {
      this.open.remove(slot);
      this.open.push(slot);
      slot.lru = t;
    }
    if (slot.live) this.schedule(slot);
  }

  /**
   * Timeouts and bounds, by event time. Call at batch boundaries (not per event): between two
   * sweeps the per-event deadline check in add() keeps results independent of batching.
   */
  sweep(): void {
    for (const hs of this.hosts.values()) {
      // expire() takes the slot out of its queue, so the head moves on.
      for (let s = hs.linger.head; s !== undefined && s.deadline <= hs.clock; s = hs.linger.head) this.expire(s);
      for (let s = hs.idle.head; s !== undefined && s.deadline <= hs.clock; s = hs.idle.head) this.expire(s);
    }
    const scanEvery = Math.min(this.opts.maxAgeMs / 50, 3_600_000);
    if (this.clock - this.lastAgeScan >= scanEvery) {
      this.lastAgeScan = this.clock;
      const limit = this.clock - this.opts.maxAgeMs;
      for (let s = this.open.head; s !== undefined; ) {
        const newer = s.newer; // emit() unlinks s
        if (s.rec.start_time <= limit) this.emit(s, 'incomplete', 'max_age');
        s = newer;
      }
    }
    const { maxMessages, maxBytes } = this.opts;
    while (this.open.size > maxMessages || (maxBytes > 0 && this.bytes > maxBytes && this.open.size > 0)) {
      this.emit(this.open.head as Slot, 'incomplete', 'evicted');
    }
  }

  /**
   * End of input (the report): emit what has ended or only waits for a hop, and leave only
   * messages still in the queue open.
   */
  finish(): void {
    for (const s of [...this.open.values()]) {
      if (s.queue === Q_LINGER || (s.ended && this.isComplete(s))) this.emit(s, 'final');
      else if (s.ended) this.emit(s, s.nonFinal === 0 ? 'final' : 'incomplete', s.nonFinal === 0 ? undefined : 'idle_timeout');
    }
  }

  /** Emit every open message as incomplete (shutdown without a snapshot). */
  closeAll(reason: IncompleteReason): void {
    for (const s of [...this.open.values()]) this.emit(s, 'incomplete', reason);
  }

  /** The open messages, with latencies of already-final recipients filled in. */
  *openRecords(): Generator<MessageRecord> {
    for (const s of this.open.values()) {
      syncRecord(s);
      fillLatencies(s.rec);
      yield s.rec;
    }
  }

  // ---------------------------------------------------------------------------------------
  // snapshot / restore

  snapshotHeader(): SnapshotHeader {
    const hosts: Record<string, number> = {};
    for (const [name, hs] of this.hosts) hosts[name] = hs.clock;
    return { v: 1, clock: this.clock, hosts, open: this.open.size };
  }

  /** One JSON line per open message, in LRU order. Synchronous: a consistent cut. */
  snapshotLines(): string[] {
    const lines: string[] = [JSON.stringify(this.snapshotHeader())];
    for (const s of this.open.values()) {
      syncRecord(s);
      const o: SlotSnapshot = { r: s.rec };
      if (s.ended) o.e = 1;
      if (s.forced) o.f = 1;
      if (s.succUntil) o.su = s.succUntil;
      if (s.predUntil) o.pu = s.predUntil;
      if (s.pend) o.p = s.pend;
      lines.push(JSON.stringify(o));
    }
    return lines;
  }

  /** Restore from snapshotLines() output (first line the header). Adds to current state. */
  restore(lines: Iterable<string>): number {
    let n = 0;
    let header = true;
    for (const line of lines) {
      if (!line) continue;
      if (header) {
        const h = JSON.parse(line) as SnapshotHeader;
        if (h.v !== 1) throw new Error(`unsupported correlate snapshot version ${String(h.v)}`);
        // Clocks of an empty state are -Infinity, which JSON writes as null.
        if (typeof h.clock === 'number' && h.clock > this.clock) this.clock = h.clock;
        for (const [name, c] of Object.entries(h.hosts)) {
          const hs = this.host(name);
          if (typeof c === 'number' && c > hs.clock) hs.clock = c;
        }
        header = false;
        continue;
      }
      this.restoreSlot(JSON.parse(line) as SlotSnapshot);
      n++;
    }
    // Rebuild the timer queues in deadline order (the snapshot is in LRU order).
    const slots = [...this.open.values()].filter((s) => s.queue !== Q_NONE);
    slots.sort((a, b) => a.deadline - b.deadline);
    for (const s of slots) {
      const queue = s.queue === Q_IDLE ? s.hs.idle : s.hs.linger;
      queue.remove(s);
      queue.push(s);
    }
    return n;
  }

  private restoreSlot(o: SlotSnapshot): void {
    // Back into the shapes the engine makes (JSON left the undefined fields out).
    const r0 = o.r;
    const rec = Object.assign(newMessageRecord(r0.host, r0.queue_id, r0.mta, r0.start_time), r0);
    rec.recipients = r0.recipients.map((r) => Object.assign(newRecipientRecord(r.address, r.domain, undefined, undefined), r));
    const hs = this.host(rec.host);
    const prev = hs.slots.get(rec.queue_id);
    if (prev) this.emit(prev, 'incomplete', 'superseded');
    const slot = new Slot(hs, rec);
    slot.lru = rec.last_time;
    slot.ended = o.e === 1;
    slot.forced = o.f === 1;
    slot.succUntil = o.su ?? 0;
    slot.predUntil = o.pu ?? 0;
    slot.pend = o.p;
    for (const r of rec.recipients) {
      if (r.final_status === undefined) slot.nonFinal++;
      slot.bytes += BYTES_RECIPIENT + r.address.length + (r.attempts?.length ?? 0) * BYTES_ATTEMPT;
    }
    this.insert(slot);
    this.bytes += slot.bytes;
    if (this.multiHost && rec.message_id !== undefined && this.opts.sameMessageLinks) this.byMsgId.set(rec.message_id, slot);
    if (slot.pend) for (const q of slot.pend) this.pendingHops.set(q, slot);
    this.schedule(slot, true);
  }

  // ---------------------------------------------------------------------------------------
  // internals

  private host(name: string): HostState {
    // Nearly every event comes from the same host as the one before: compare, do not hash.
    const last = this.lastHost;
    if (last !== undefined && last.name === name) return last;
    let hs = this.hosts.get(name);
    if (hs === undefined) {
      this.hosts.set(name, (hs = new HostState(name)));
      if (this.hosts.size === 2) {
        this.multiHost = true;
        if (this.opts.sameMessageLinks) {
          for (const s of this.open.values()) if (s.rec.message_id !== undefined) this.byMsgId.set(s.rec.message_id, s);
        }
      }
    }
    this.lastHost = hs;
    return hs;
  }

  private startsNewLifecycle(slot: Slot, code: Ev, t: number): boolean {
    const rec = slot.rec;
    if (code === Ev.Client || code === Ev.Pickup || code === Ev.Arrival) {
      // After `removed`: a reused queue id (a notice's or hop's id too, which had no client=).
      if (slot.ended) return t >= (rec.end_time ?? slot.last);
      // A second client=/pickup/<= while open: the old lifecycle's end was never logged.
      // Without an earlier one it is this message's own first line arriving late.
      return rec.origin !== undefined && t > slot.last;
    }
    // MTA-made notices start with cleanup/qmgr lines; with second-resolution timestamps only a
    // strictly later line can tell a reuse from a line of the old lifecycle.
    return slot.ended && (code === Ev.MessageId || code === Ev.Enqueue) && t > (rec.end_time ?? slot.last);
  }

  private create(ev: MailEvent, hs: HostState, qid: string): Slot {
    const rec = newMessageRecord(hs.name, flat(qid), ev.mta, ev.time);
    const slot = new Slot(hs, rec);
    this.insert(slot);
    this.bytes += slot.bytes;
    this.stats.opened++;
    // A delivery elsewhere already named this id: this message is its next hop.
    const pred = this.pendingHops.get(qid);
    if (pred !== undefined && pred !== slot) this.resolvePending(pred, slot, qid);
    return slot;
  }

  private insert(slot: Slot): void {
    this.open.push(slot);
    slot.hs.slots.set(slot.rec.queue_id, slot);
    slot.live = true;
  }

  private apply(slot: Slot, code: Ev, ev: MailEvent): void {
    const rec = slot.rec;
    const t = ev.time;
    switch (code) {
      case Ev.Client:
        rec.origin = 'smtpd';
        this.setClient(rec, ev);
        if (
          this.opts.hopWindowMs > 0 &&
          rec.links?.from_queue_id === undefined &&
          (this.opts.hopClients === 'any' || isLoopback(ev.client_ip))
        ) {
          slot.succUntil = slot.rec.start_time + this.opts.hopWindowMs;
        }
        break;
      case Ev.Pickup:
        rec.origin = 'pickup';
        if (ev.sender !== undefined && rec.sender === undefined) this.setSender(rec, ev);
        break;
      case Ev.MessageId:
        if (ev.message_id !== undefined && rec.message_id === undefined) this.setMessageId(slot, ev.message_id);
        break;
      case Ev.Enqueue:
        if (rec.enqueue_time === undefined || t < rec.enqueue_time) rec.enqueue_time = t;
        // qmgr's sender is the envelope sender as queued (pickup's may be rewritten).
        if (ev.sender !== undefined) this.setSender(rec, ev);
        if (ev.size !== undefined) rec.size = ev.size;
        if (ev.nrcpt !== undefined && (rec.nrcpt === undefined || ev.nrcpt > rec.nrcpt)) rec.nrcpt = ev.nrcpt;
        break;
      case Ev.Attempt:
        this.attempt(slot, ev);
        break;
      case Ev.Notice:
        if (ev.notice_queue_id !== undefined) rec.notice_queue_id = ev.notice_queue_id;
        break;
      case Ev.Expired:
        rec.expired_time = t;
        for (const r of rec.recipients) {
          if (r.final_status === undefined) {
            this.setFinal(slot, r, 'expired', t);
            r.bounce_class ??= 'other';
          }
        }
        break;
      case Ev.Removed:
        if (ev.program.endsWith('postsuper')) this.deleted(slot, t);
        else {
          rec.removed_time = t;
          this.end(slot, t);
        }
        break;
      case Ev.Reject:
        if (ev.smtp_command === 'RCPT' && ev.recipient !== undefined) {
          // One recipient refused in a transaction that queued others.
          const r = this.recipient(slot, ev);
          this.pushAttempt(slot, r, this.attemptOf(ev, 'rejected'));
          this.setFinal(slot, r, 'rejected', t);
          if (ev.bounce_class !== undefined) r.bounce_class = ev.bounce_class;
        } else {
          // cleanup/milter/DATA rejects drop the whole message: no `removed` follows.
          rec.rejected = true;
          if (ev.sender !== undefined && rec.sender === undefined) this.setSender(rec, ev);
          for (const r of rec.recipients) if (r.final_status === undefined) this.setFinal(slot, r, 'rejected', t);
          slot.forced = true;
          this.end(slot, t);
        }
        break;
      case Ev.Discard:
        slot.forced = true;
        this.end(slot, t);
        break;
      case Ev.Hold:
        rec.held = true;
        break;
      case Ev.QueueAction:
        switch (ev.action) {
          case 'hold':
            rec.held = true;
            break;
          case 'release':
            rec.held = false;
            break;
          case 'delete':
            this.deleted(slot, t);
            break;
          default:
            break; // requeue: nothing changes for the record
        }
        break;
      case Ev.Arrival:
        rec.origin = 'exim';
        if (rec.enqueue_time === undefined || t < rec.enqueue_time) rec.enqueue_time = t;
        this.setClient(rec, ev);
        if (ev.sender !== undefined) this.setSender(rec, ev);
        if (ev.size !== undefined) rec.size = ev.size;
        if (ev.message_id !== undefined && rec.message_id === undefined) this.setMessageId(slot, ev.message_id);
        break;
      case Ev.Completed:
        this.end(slot, t);
        break;
      case Ev.Frozen:
        rec.held = true;
        break;
      case Ev.Unfrozen:
        rec.held = false;
        break;
    }
  }

  private setClient(rec: MessageRecord, ev: MailEvent): void {
    if (ev.client_host !== undefined || ev.client_ip !== undefined) {
      const c: { host?: string; ip?: string } = {};
      // Client names repeat across messages (a server's own clients): shared copies.
      if (ev.client_host !== undefined) c.host = this.intern.get(ev.client_host);
      if (ev.client_ip !== undefined) c.ip = this.intern.get(ev.client_ip);
      rec.client = c;
    }
    const user = ev.auth?.username;
    if (user !== undefined && ev.auth?.mechanism === 'sasl') rec.sasl_username = this.intern.get(user);
  }

  private setSender(rec: MessageRecord, ev: MailEvent): void {
    if (ev.sender === undefined) return;
    // qmgr logs the sender again on every queue run: keep the copy already made.
    if (rec.sender !== ev.sender) rec.sender = flat(ev.sender);
    const d = ev.sender_domain ?? domainOf(ev.sender).toLowerCase();
    if (d) rec.sender_domain = this.intern.get(d);
  }

  private setMessageId(slot: Slot, mid: string): void {
    const rec = slot.rec;
    mid = flat(mid);
    rec.message_id = mid;
    slot.bytes += mid.length;
    this.bytes += mid.length;
    if (!this.multiHost || !this.opts.sameMessageLinks) return;
    const other = this.byMsgId.get(mid);
    if (other !== undefined && other !== slot && other.hs !== slot.hs && other.live) {
      // The same message seen on another host of the fleet: a join for traces and humans.
      addSame(rec, other.rec);
      addSame(other.rec, rec);
    }
    this.byMsgId.set(mid, slot);
  }

  private recipient(slot: Slot, ev: MailEvent): RecipientRecord {
    const address = (ev.recipient ?? '').toLowerCase();
    const list = slot.rec.recipients;
    for (let i = 0; i < list.length; i++) if (list[i].address === address) return list[i];
    const orig = ev.orig_recipient?.toLowerCase();
    const r = newRecipientRecord(
      flat(address),
      this.intern.get(ev.recipient_domain ?? domainOf(address)),
      ev.provider === undefined ? undefined : this.intern.get(ev.provider),
      orig === undefined || orig === address ? undefined : flat(orig),
    );
    slot.rec.recipients = appended(list, r);
    slot.nonFinal++;
    const b = BYTES_RECIPIENT + address.length;
    slot.bytes += b;
    this.bytes += b;
    return r;
  }

  /**
   * One object literal with every field, in the order JSON writes them (absent ones stay
   * undefined, which JSON leaves out): one allocation and one shape, where adding the fields
   * one by one grew a property array up to three times per attempt. `kept`: the attempt stays
   * in open state, so its strings must not pin the log line (see flat()).
   */
  private attemptOf(ev: MailEvent, status: DeliveryAttemptRecord['status'], kept = true): DeliveryAttemptRecord {
    const reply = ev.reply ?? ev.reason;
    const { relay, relay_ip, dsn, queued_as } = ev;
    return {
      time: ev.time,
      status,
      // Relays repeat (the parser hands out shared strings): one shared copy.
      relay: relay === undefined ? undefined : this.intern.get(relay),
      relay_ip: relay_ip === undefined ? undefined : this.intern.get(relay_ip),
      dsn: dsn === undefined ? undefined : this.intern.get(dsn),
      reply: reply === undefined || !kept ? reply : flat(reply),
      reply_code: ev.reply_code,
      delays: ev.delays,
      bounce_class: ev.bounce_class,
      queued_as: queued_as === undefined || !kept ? queued_as : flat(queued_as),
      tls: undefined, // set by attempt()
    };
  }

  /** Adds the attempt unless an identical one is already there (replayed input). */
  private pushAttempt(slot: Slot, r: RecipientRecord, a: DeliveryAttemptRecord): boolean {
    const list = r.attempts;
    if (list === undefined) r.attempts = [a];
    else {
      for (let i = 0; i < list.length; i++) {
        const b = list[i];
        if (b.time === a.time && b.status === a.status && b.dsn === a.dsn) {
          this.stats.duplicates++;
          return false;
        }
      }
      const next = appended(list, a);
      r.attempts = next;
      if (next.length > this.opts.maxAttempts) {
        next.shift();
        r.attempts_dropped = (r.attempts_dropped ?? 0) + 1;
        return true; // the dropped one frees what the new one costs
      }
    }
    const b = BYTES_ATTEMPT + (a.reply?.length ?? 0);
    slot.bytes += b;
    this.bytes += b;
    return true;
  }

  private attempt(slot: Slot, ev: MailEvent): void {
    const status = ev.status;
    if (status === undefined || ev.recipient === undefined) return;
    const r = this.recipient(slot, ev);
    const a = this.attemptOf(ev, status);
    if (this.tlsEntries > 0 && ev.pid !== undefined) {
      const tls = slot.hs.tls.get(ev.pid);
      if (tls !== undefined) a.tls = tls;
    }
    const t = ev.time;
    const prev = r.attempts;
    const newest = prev === undefined || t >= prev[prev.length - 1].time;
    if (!this.pushAttempt(slot, r, a)) return;
    if (status === 'deferred') r.deferrals = (r.deferrals ?? 0) + 1;
    if (newest && status !== 'sent' && status !== 'deliverable') r.bounce_class = ev.bounce_class ?? 'other';
    // The last attempt decides; an older line arriving late does not undo a newer outcome.
    if (r.final_time !== undefined && t < r.final_time) return;
    switch (status) {
      case 'sent':
        this.setFinal(slot, r, 'sent', t);
        // The attempt's copy: hop() may keep it (pending hops), the event's slice would pin the line.
        if (a.queued_as !== undefined) this.hop(slot, r, a.queued_as, t);
        break;
      case 'bounced':
      case 'expired':
      case 'deliverable':
      case 'undeliverable':
        this.setFinal(slot, r, status, t);
        break;
      case 'deferred': {
        // A deferral never undoes a final status (Postfix and Exim are done with a recipient
        // once it is sent or bounced). One logged in the same second as the message's expiry,
        // arriving after it, is part of that expiry.
        const exp = slot.rec.expired_time;
        if (r.final_status === undefined && exp !== undefined && t <= exp) {
          this.setFinal(slot, r, 'expired', exp);
        }
        break;
      }
      default:
        break;
    }
  }

  private setFinal(slot: Slot, r: RecipientRecord, status: RecipientFinal, t: number): void {
    if (r.final_status === undefined) slot.nonFinal--;
    r.final_status = status;
    r.final_time = t;
  }

  private end(slot: Slot, t: number): void {
    slot.ended = true;
    const rec = slot.rec;
    if (rec.end_time === undefined || t > rec.end_time) rec.end_time = t;
    // Recipients inherited from a previous hop that this message never tried (a filter that
    // rewrote or dropped them) must not hold it open.
    const list = rec.recipients;
    for (let i = list.length - 1; i >= 0; i--) {
      const r = list[i];
      if (r.attempts === undefined && r.final_status === undefined) {
        list.splice(i, 1);
        slot.nonFinal--;
      }
    }
  }

  private deleted(slot: Slot, t: number): void {
    const rec = slot.rec;
    rec.deleted = true;
    rec.removed_time = t;
    for (const r of rec.recipients) if (r.final_status === undefined) this.setFinal(slot, r, 'deleted', t);
    slot.forced = true;
    this.end(slot, t);
  }

  // -- hops -------------------------------------------------------------------------------

  /** A `sent` to `queued as X`: link to X if it is known, else wait for it for a while. */
  private hop(slot: Slot, r: RecipientRecord, x: string, t: number): void {
    if (x === slot.rec.queue_id) return;
    let target = slot.hs.slots.get(x);
    if (target === undefined && this.multiHost) target = this.elsewhere(slot, x);
    if (target !== undefined && this.canLink(slot, target, t)) {
      this.link(slot, target, r, t);
      return;
    }
    if (this.opts.hopWindowMs <= 0) return;
    if (slot.pend === undefined || !slot.pend.includes(x)) slot.pend = appended(slot.pend, x);
    this.pendingHops.set(x, slot);
    const until = t + this.opts.hopWindowMs;
    if (until > slot.predUntil) slot.predUntil = until;
  }

  /**
   * The open message `x` of another host that `slot`'s delivery may have handed over to:
   * its Message-ID must not differ, and of several (queue ids repeat across hosts) the one
   * that started last.
   */
  private elsewhere(slot: Slot, x: string): Slot | undefined {
    let found: Slot | undefined;
    for (const hs of this.hosts.values()) {
      if (hs === slot.hs) continue;
      const o = hs.slots.get(x);
      if (o !== undefined && sameMessage(o.rec, slot.rec) && (found === undefined || o.rec.start_time > found.rec.start_time)) found = o;
    }
    return found;
  }

  private canLink(pred: Slot, succ: Slot, t: number): boolean {
    if (succ === pred) return false;
    const from = succ.rec.links?.from_queue_id;
    if (from !== undefined) return from === pred.rec.queue_id;
    // A same-named message from long before is a reused id, not this hop.
    return succ.rec.start_time >= t - this.opts.hopWindowMs - this.opts.idleTimeoutMs;
  }

  private link(pred: Slot, succ: Slot, r: RecipientRecord, t: number): void {
    this.setFinal(pred, r, 'handoff', t);
    const x = succ.rec.queue_id;
    const pl = (pred.rec.links ??= {});
    if (pl.queued_as === undefined || !pl.queued_as.includes(x)) pl.queued_as = appended(pl.queued_as, x);
    this.inherit(succ, r);
    const sl = (succ.rec.links ??= {});
    if (sl.from_queue_id === undefined) {
      sl.from_queue_id = pred.rec.queue_id;
      if (succ.hs !== pred.hs) sl.from_host = pred.hs.name;
      sl.from_start_time = pred.rec.start_time;
      const start = pl.chain_start_time ?? pred.rec.start_time;
      sl.chain_start_time = Math.min(start, succ.rec.start_time);
      succ.succUntil = 0;
      this.stats.hops_linked++;
      if (succ.live) this.schedule(succ);
    }
  }

  /**
   * The next hop carries the handed-off recipient even before (or without) a line of its own
   * naming it: a chain cut off by the end of the input still counts it, still queued.
   */
  private inherit(succ: Slot, from: RecipientRecord): void {
    const list = succ.rec.recipients;
    for (let i = 0; i < list.length; i++) if (list[i].address === from.address) return;
    const r = newRecipientRecord(from.address, from.domain, from.provider, undefined);
    succ.rec.recipients = appended(list, r);
    succ.nonFinal++;
    const b = BYTES_RECIPIENT + r.address.length;
    succ.bytes += b;
    this.bytes += b;
  }

  /** X's first event arrived and `pred` had named it: link every delivery that did. */
  private resolvePending(pred: Slot, succ: Slot, x: string): void {
    this.pendingHops.delete(x);
    if (pred.pend !== undefined) {
      const i = pred.pend.indexOf(x);
      if (i >= 0) pred.pend.splice(i, 1);
      if (pred.pend.length === 0) {
        pred.pend = undefined;
        pred.predUntil = 0;
      }
    }
    for (const r of pred.rec.recipients) {
      if (r.final_status !== 'sent' || r.attempts === undefined) continue;
      const last = r.attempts[r.attempts.length - 1];
      if (last.queued_as === x) this.link(pred, succ, r, r.final_time ?? last.time);
    }
    if (pred.live) this.schedule(pred);
  }

  // -- scheduling -------------------------------------------------------------------------

  private isComplete(slot: Slot): boolean {
    if (!slot.ended) return false;
    if (slot.forced) return true;
    const rec = slot.rec;
    return slot.nonFinal === 0 && rec.recipients.length >= (rec.nrcpt ?? 1);
  }

  /** Decide, after a change, whether the message is emitted now or which timer it waits on. */
  private schedule(slot: Slot, restoring = false): void {
    const rec = slot.rec;
    if (this.isComplete(slot)) {
      const until = Math.max(slot.succUntil, slot.predUntil, (rec.end_time ?? slot.last) + this.opts.reorderWindowMs);
      if (until <= slot.hs.clock && !restoring) {
        this.emit(slot, 'final');
        return;
      }
      slot.deadline = until;
      this.setQueue(slot, Q_LINGER);
      return;
    }
    if (
      !rec.held &&
      (slot.ended ||
        (slot.nonFinal === 0 && rec.recipients.length >= (rec.nrcpt ?? 1)) ||
        (rec.enqueue_time === undefined && rec.recipients.length === 0))
    ) {
      // Looks finished (or never reached the queue manager): only a short silence is allowed.
      // Deferred and held messages are legitimately quiet for hours and wait for max_age.
      slot.deadline = slot.last + this.opts.idleTimeoutMs;
      this.setQueue(slot, Q_IDLE);
      return;
    }
    slot.deadline = slot.rec.start_time + this.opts.maxAgeMs;
    this.setQueue(slot, Q_NONE);
  }

  private setQueue(slot: Slot, q: number): void {
    const hs = slot.hs;
    if (slot.queue === Q_IDLE) hs.idle.remove(slot);
    else if (slot.queue === Q_LINGER) {
      if (q === Q_LINGER) return; // keep its place: its deadline only moves with new hops
      hs.linger.remove(slot);
    }
    slot.queue = q;
    if (q === Q_IDLE) hs.idle.push(slot);
    else if (q === Q_LINGER) hs.linger.push(slot);
  }

  /** A slot whose deadline passed. */
  private expire(slot: Slot): void {
    if (slot.queue === Q_LINGER) this.emit(slot, 'final');
    else if (slot.queue === Q_IDLE) {
      const rec = slot.rec;
      if (slot.ended && slot.nonFinal === 0 && (rec.recipients.length > 0 || slot.forced)) this.emit(slot, 'final');
      else this.emit(slot, 'incomplete', 'idle_timeout');
    } else this.emit(slot, 'incomplete', 'max_age');
  }

  private emit(slot: Slot, state: 'final' | 'incomplete', reason?: IncompleteReason): void {
    const rec = slot.rec;
    const hs = slot.hs;
    if (slot.live) {
      slot.live = false;
      this.open.remove(slot);
      hs.slots.delete(rec.queue_id);
    }
    if (slot.queue === Q_IDLE) hs.idle.remove(slot);
    else if (slot.queue === Q_LINGER) hs.linger.remove(slot);
    slot.queue = Q_NONE;
    // The index stays empty on a single host.
    if (this.multiHost && rec.message_id !== undefined && this.opts.sameMessageLinks && this.byMsgId.get(rec.message_id) === slot) {
      this.byMsgId.delete(rec.message_id);
    }
    if (slot.pend !== undefined) {
      for (const x of slot.pend) if (this.pendingHops.get(x) === slot) this.pendingHops.delete(x);
      slot.pend = undefined;
    }
    this.bytes -= slot.bytes;
    syncRecord(slot);
    rec.state = state;
    if (reason !== undefined) {
      rec.incomplete_reason = reason;
      this.stats.incomplete[reason]++;
    } else this.stats.final++;
    if (rec.end_time === undefined) rec.end_time = rec.last_time;
    fillLatencies(rec);
    this.stats.emitted++;
    this.out.push(rec);
  }

  private noqueue(ev: MailEvent, hs: HostState): void {
    const t = ev.time;
    // newMessageRecord's shape, like every other record: the code reading records stays monomorphic.
    const rec = newMessageRecord(hs.name, 'NOQUEUE', ev.mta, t);
    rec.state = 'final';
    rec.end_time = t;
    rec.events = 1;
    rec.rejected = true;
    this.setClient(rec, ev);
    if (ev.sender !== undefined) this.setSender(rec, ev);
    if (ev.recipient !== undefined) {
      const address = ev.recipient.toLowerCase();
      // Emitted at once, not kept in open state: no copies.
      const r = newRecipientRecord(address, ev.recipient_domain ?? domainOf(address), ev.provider, undefined);
      r.attempts = [this.attemptOf(ev, 'rejected', false)];
      r.final_status = 'rejected';
      r.final_time = t;
      r.bounce_class = ev.bounce_class;
      rec.recipients.push(r);
    }
    this.stats.noqueue++;
    this.stats.emitted++;
    this.stats.final++;
    this.out.push(rec);
  }

  private noteTls(ev: MailEvent, hs: HostState): void {
    const tls = ev.tls;
    if (tls === undefined || tls.direction !== 'outbound' || tls.protocol === undefined || ev.pid === undefined) return;
    if (this.tlsEntries >= MAX_TLS_PROCS) {
      for (const h of this.hosts.values()) h.tls.clear();
      this.tlsEntries = 0;
    }
    const m = hs.tls;
    const before = m.size;
    m.set(ev.pid, tls.protocol);
    this.tlsEntries += m.size - before;
  }
}

/**
 * `list` with `x` appended: the array to store back. Open state holds many one-element lists
 * (most messages have one recipient, most recipients one attempt): an empty array's first
 * push() reserves 17 elements, ~130 bytes more than a literal of one, which every
 * young-generation GC that the message survives copies. (Exact sizes beyond one, by concat(),
 * cost more instructions than they saved.)
 */
function appended<T>(list: T[] | undefined, x: T): T[] {
  if (list === undefined || list.length === 0) return [x];
  list.push(x);
  return list;
}

/** Write the slot's copies of the hot fields back into its record (before it is seen). */
function syncRecord(slot: Slot): void {
  const rec = slot.rec;
  rec.last_time = slot.last;
  rec.events = slot.events;
}

function sameMessage(a: MessageRecord, b: MessageRecord): boolean {
  return a.message_id === undefined || b.message_id === undefined || a.message_id === b.message_id;
}

function addSame(rec: MessageRecord, other: MessageRecord): void {
  const links = (rec.links ??= {});
  const list = links.same_message_id;
  const id = other.host + '/' + other.queue_id;
  if (list === undefined || (list.length < MAX_SAME_MSGID && !list.includes(id))) links.same_message_id = appended(list, id);
}

/** Whether the engine acts on events of this type (the rest only move its clock). */
export function isLifecycleEvent(type: MailEventType): boolean {
  return lifecycleOf(type) !== undefined;
}

/** latency_seconds of final `sent` recipients: final delivery minus the chain's first event. */
export function fillLatencies(rec: MessageRecord): void {
  const start = rec.links?.chain_start_time ?? rec.start_time;
  for (const r of rec.recipients) {
    if (r.final_status === 'sent' && r.final_time !== undefined) r.latency_seconds = round3((r.final_time - start) / 1000);
    else if (r.latency_seconds !== undefined) r.latency_seconds = undefined;
  }
}

/** The class reported for a failed recipient. */
export function failureClass(r: RecipientRecord): BounceClass {
  return r.bounce_class ?? 'other';
}
