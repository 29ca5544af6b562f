// Messages between the sharded report (sharded.ts) and its workers (shard_worker.ts).
import type { AggregateState } from './aggregate.js';

export interface ShardSetup {
  file: string;
  timezone: string;
  shards: number;
  index: number;
  /** Bytes whose lines this worker scans for links: a [start, end) range, the whole stream, or none. */
  range: [number, number] | 'all' | 'none';
}

export type ToShard =
  | { type: 'route'; keys: string[]; shards: number[] }
  /** Whole lines routed to this worker, in input order (each ends with '\n'). */
  | { type: 'lines'; text: string }
  | { type: 'lines-end' }
  | { type: 'finish'; clock: number; hosts: Record<string, number> }
  | { type: 'abort' };

export type FromShard =
  | { type: 'links'; pairs: string[] }
  | { type: 'links-done' }
  /** One `lines` message processed (the sender's flow control). */
  | { type: 'ack' }
  | { type: 'clocks'; clock: number; hosts: Record<string, number>; misrouted: number; example: string | undefined }
  | { type: 'done'; state: AggregateState }
  | { type: 'error'; message: string };
