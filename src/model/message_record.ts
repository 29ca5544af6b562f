// MessageRecord: one message's correlated lifecycle on one host (DESIGN §3), built by the
// `correlate` processor from MailEvents and counted by `mailsight report` (see
// docs/report-semantics.md). Optional fields are absent rather than null, and arrays other
// than `recipients` are created only when needed: a million of these may be open at once.
import type { BounceClass, Delays, DeliveryStatus, EveryKey, Mta } from './mail_event.js';

export type RecordState = 'open' | 'final' | 'incomplete';

/**
 * Why a record was emitted before its lifecycle was seen to end:
 * - idle_timeout: no `removed`/`Completed` (or missing delivery lines) within `idle_timeout`
 *   after the message looked finished, or it never reached the queue manager;
 * - max_age: open longer than `max_age`;
 * - evicted: pushed out by `max_messages` / `max_bytes` (least recently used first);
 * - shutdown: the processor stopped without a snapshot to carry the state over;
 * - superseded: the queue id started a new lifecycle before this one's end was logged.
 */
export type IncompleteReason = 'idle_timeout' | 'max_age' | 'evicted' | 'shutdown' | 'superseded';

/**
 * A recipient's final disposition. `handoff`: delivered to a next hop whose own record (the
 * `queued as` id) continues the chain, so this is not a final delivery. `deleted`: removed by
 * `postsuper -d` first. `deliverable`/`undeliverable`: address verification probes.
 */
export type RecipientFinal =
  | 'sent'
  | 'bounced'
  | 'expired'
  | 'rejected'
  | 'deleted'
  | 'handoff'
  | 'deliverable'
  | 'undeliverable';

export interface DeliveryAttemptRecord {
  time: number;
  status: DeliveryStatus;
  relay?: string;
  relay_ip?: string;
  dsn?: string;
  reply?: string;
  reply_code?: number;
  delays?: Delays;
  bounce_class?: BounceClass;
  /** Queue id the next hop named ("queued as X" / Exim "id=X"). */
  queued_as?: string;
  /** TLS protocol of the outbound session, when the delivering process logged one. */
  tls?: string;
}

export interface RecipientRecord {
  /** Lowercased address. */
  address: string;
  /** Lowercased domain ('' when the address has none). */
  domain: string;
  /** `orig_to=`, when different from the address (alias expansion). */
  orig_address?: string;
  provider?: string;
  /** The latest attempts (oldest dropped beyond the processor's `max_attempts`). */
  attempts?: DeliveryAttemptRecord[];
  /** Attempts dropped from the front of `attempts`. */
  attempts_dropped?: number;
  /** Deferred attempts, all of them (not bounded like `attempts`). */
  deferrals?: number;
  final_status?: RecipientFinal;
  final_time?: number;
  /** For `sent`: final delivery time minus the chain's first event, in seconds. */
  latency_seconds?: number;
  /** Class of the last failed attempt (what bounced/expired recipients are counted under). */
  bounce_class?: BounceClass;
}

export interface MessageLinks {
  /** Next hops: queue ids named by `queued as` that continued this message. */
  queued_as?: string[];
  /** Previous hop: the queue id whose delivery handed this message over. */
  from_queue_id?: string;
  /** Host of the previous hop, when it is another host. */
  from_host?: string;
  /** start_time of the previous hop: with host and queue id it names that record (its trace). */
  from_start_time?: number;
  /** First event of the chain (the first hop's start), for end-to-end latency. */
  chain_start_time?: number;
  /** Other open records (`host/queue_id`) with the same Message-ID on other hosts. */
  same_message_id?: string[];
}

export interface MessageRecord {
  kind: 'message_record';
  host: string;
  /** Queue id; `NOQUEUE` for a rejected transaction that never got one. */
  queue_id: string;
  mta: Mta;
  state: RecordState;
  incomplete_reason?: IncompleteReason;
  /** How the message entered: smtpd `client=`, `pickup`, Exim `<=`. */
  origin?: 'smtpd' | 'pickup' | 'exim';
  /** First and last event seen for this message (Unix ms). */
  start_time: number;
  last_time: number;
  /** First queue-manager sighting (qmgr `from=..., nrcpt=`, Exim `<=`). */
  enqueue_time?: number;
  /** When the lifecycle ended (removed, Completed, rejected, deleted), or was cut off. */
  end_time?: number;
  removed_time?: number;
  expired_time?: number;
  client?: { host?: string; ip?: string };
  sasl_username?: string;
  message_id?: string;
  sender?: string;
  sender_domain?: string;
  size?: number;
  /** Largest `nrcpt=` logged (Postfix logs it on every queue activation). */
  nrcpt?: number;
  stream?: string;
  tenant?: string;
  recipients: RecipientRecord[];
  /** Queue id of the bounce/delay notice this message caused. */
  notice_queue_id?: string;
  held?: boolean;
  deleted?: boolean;
  /** The whole message was rejected or discarded after it got a queue id (cleanup, milter, DATA). */
  rejected?: boolean;
  links?: MessageLinks;
  /** Events absorbed into this record. */
  events: number;
}

/**
 * A new open record with every field present, undefined until set (JSON and the exporters
 * leave those out): like newMailEvent, every record then has one hidden class and the
 * correlator reads and writes its fields monomorphically (4 % less wall time for `mailsight
 * report`). The four fields a record gets only at its end or rarely (incomplete_reason,
 * stream, tenant, notice_queue_id) are present too: added when they happened, they gave
 * records two or three shapes, and code optimised for one was thrown away and compiled again
 * (1.6 % more instructions on the bench corpus, 0.5 % on a failure-heavy one) to save 32 bytes
 * per open message.
 */
export function newMessageRecord(host: string, queue_id: string, mta: Mta, time: number): MessageRecord {
  const rec: EveryKey<MessageRecord> = {
    kind: 'message_record',
    host,
    queue_id,
    mta,
    state: 'open',
    origin: undefined,
    start_time: time,
    last_time: time,
    enqueue_time: undefined,
    end_time: undefined,
    removed_time: undefined,
    expired_time: undefined,
    client: undefined,
    sasl_username: undefined,
    message_id: undefined,
    sender: undefined,
    sender_domain: undefined,
    size: undefined,
    nrcpt: undefined,
    recipients: [],
    held: undefined,
    deleted: undefined,
    rejected: undefined,
    links: undefined,
    events: 0,
    incomplete_reason: undefined,
    stream: undefined,
    tenant: undefined,
    notice_queue_id: undefined,
  };
  return rec as MessageRecord;
}

/**
 * A new recipient with every field present, undefined until set, in the order JSON writes
 * them. Recipients used to start with five fields and grow the others (final_status,
 * deferrals, bounce_class, latency_seconds, ...) in whatever order their events came: a
 * dozen hidden classes, and the correlator's and aggregator's loops over recipients were
 * deoptimised ("wrong map") and compiled again as each new one showed up.
 */
export function newRecipientRecord(address: string, domain: string, provider: string | undefined, orig_address: string | undefined): RecipientRecord {
  const r: EveryKey<RecipientRecord> = {
    address,
    domain,
    provider,
    orig_address,
    attempts: undefined,
    attempts_dropped: undefined,
    deferrals: undefined,
    bounce_class: undefined,
    final_status: undefined,
    final_time: undefined,
    latency_seconds: undefined,
  };
  return r as RecipientRecord;
}

export function isMessageRecord(x: { kind: string }): x is MessageRecord {
  return x.kind === 'message_record';
}
