import { Type, type Static } from '@sinclair/typebox';
import { Duration, Strict, StringEnum } from '../../config/types.js';

export const CorrelateConfig = Strict({
  idle_timeout: Duration({
    default: '10m',
    description:
      'Emit a message this long (event time) after its last event once it looks finished: removed/Completed seen, every recipient final, or never reached the queue manager. Deferred and held messages are exempt (they wait for max_age).',
  }),
  max_age: Duration({ default: '5d', description: 'Emit any message open this long (event time) as incomplete (max_age).' }),
  max_messages: Type.Integer({
    minimum: 1,
    default: 1_000_000,
    description: 'Open messages kept; beyond it the least recently used are emitted as incomplete (evicted).',
  }),
  max_bytes: Type.Integer({
    minimum: 0,
    default: 1024 * 1024 * 1024,
    description: 'Approximate bytes of open state kept (0: no limit); beyond it, least recently used eviction.',
  }),
  hop_window: Duration({
    default: '1m',
    description:
      'How long the two sides of a `queued as` hand-off (content filter, relay of the fleet) wait for each other before a record is emitted. 0s: link only what is already known.',
  }),
  hop_clients: StringEnum(['loopback', 'any'] as const, {
    default: 'loopback',
    description:
      'Received messages that may still be claimed as a next hop, and so wait up to hop_window: loopback clients only (content filters), or any (a fleet relaying to itself; costs memory).',
  }),
  reorder_window: Duration({
    default: '2s',
    description:
      'A finished message is emitted once its host has logged this far past its end (event time), so that lines of the same second delivered out of order still join it.',
  }),
  max_attempts: Type.Integer({ minimum: 1, default: 10, description: 'Delivery attempts kept per recipient (the latest; all deferrals are counted).' }),
  same_message_links: Type.Boolean({
    default: true,
    description:
      'On input from several hosts, record `links.same_message_id`: the messages open on other hosts with the same Message-ID (informational, up to 4). It keeps an index of every open message\'s Message-ID; off, a cross-host `queued as` link still requires matching Message-IDs.',
  }),
  emit: StringEnum(['both', 'records', 'events'] as const, {
    default: 'both',
    description: 'What goes downstream: the MailEvents (unchanged), the MessageRecords, or both.',
  }),
  queue_state_interval: Duration({
    default: '30s',
    description:
      'How often (wall clock) to emit the queue as the open messages show it (mail.queue.* gauges via mail_metrics, with mail.queue.source=correlation) for hosts without a postfix_queue receiver; 0s disables.',
  }),
  max_queue_domains: Type.Integer({ minimum: 0, default: 100, description: 'Recipient domains named in the queue state; the rest are `other`.' }),
  snapshot: Strict(
    {
      enabled: Type.Boolean({ default: true, description: 'Keep open messages across restarts in a snapshot file.' }),
      path: Type.Optional(Type.String({ description: 'Snapshot file; default: <data_dir>/correlate-<id>.snapshot.jsonl.' })),
      interval: Duration({ default: '30s', description: 'Write the snapshot this often (wall clock) and on shutdown.' }),
      hold_acks: Type.Boolean({
        default: false,
        description:
          'Keep the acks of consumed batches until a snapshot containing their effect is written (at-least-once for the state across a crash, at the cost of acks waiting up to one interval).',
      }),
    },
    { default: {}, description: 'Snapshot of the open messages, so that one open across a restart is still one record (without it, shutdown emits them incomplete).' },
  ),
});

export type CorrelateConfig = Static<typeof CorrelateConfig>;
