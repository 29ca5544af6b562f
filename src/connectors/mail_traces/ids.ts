// Deterministic trace and span ids: the same message always gets the same trace, whether it
// is traced live, replayed, or after a restart, and a `queued as` hop can link to the trace
// of the hop before it without any shared state.
import { createHash } from 'node:crypto';

function hex(input: string, chars: number): string {
  return createHash('sha256').update(input).digest('hex').slice(0, chars);
}

/** 32-hex trace id of the message `host`/`queueId` that started at `startTime`. */
export function traceIdOf(host: string, queueId: string, startTime: number): string {
  return hex(`${host}\0${queueId}\0${startTime}`, 32);
}

/** 16-hex span id of a span named `part` within a trace. */
export function spanIdOf(traceId: string, part: string): string {
  const id = hex(`${traceId}\0${part}`, 16);
  // An all-zero span id is invalid in OTLP; vanishingly unlikely, but never emit one.
  return id === '0000000000000000' ? '0000000000000001' : id;
}
