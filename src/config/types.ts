// Schema building blocks shared by component configs. Every option is described once, here
// or in the component's own schema; validation, defaults, `mailsight components` and the
// JSON Schema all come from these definitions.
import { Type, type TSchema, type SchemaOptions } from '@sinclair/typebox';

export const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration: "250ms", "30s", "10m", "2h", "5d". */
export const Duration = (opts: SchemaOptions & { default?: string } = {}) =>
  Type.String({ pattern: DURATION_RE.source, ...opts, examples: opts.examples ?? ['200ms', '30s', '10m'] });

/** Milliseconds of a validated duration string. */
export function durationMs(d: string): number {
  const m = DURATION_RE.exec(d);
  if (!m) throw new Error(`invalid duration "${d}" (use e.g. 250ms, 30s, 10m, 2h, 5d)`);
  return Math.round(parseFloat(m[1]) * UNIT_MS[m[2]]);
}

/** host:port to listen on. */
export const ListenAddress = (opts: SchemaOptions & { default?: string } = {}) =>
  Type.String({ pattern: '^(\\[[0-9a-fA-F:]+\\]|[^:\\s]+):\\d{1,5}$', ...opts, examples: ['127.0.0.1:8080'] });

export function splitHostPort(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  let host = listen.slice(0, i);
  if (host.startsWith('[')) host = host.slice(1, -1);
  return { host, port: Number(listen.slice(i + 1)) };
}

export const StringEnum = <const T extends string>(values: readonly T[], opts: SchemaOptions = {}) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...opts });

/** A strict object: unknown keys are errors. */
export const Strict = <P extends Record<string, TSchema>>(props: P, opts: SchemaOptions = {}) =>
  Type.Object(props, { additionalProperties: false, ...opts });

/** The queue in front of every processor and exporter (per-component policy when full). */
export const QueueSettings = Strict(
  {
    size: Type.Integer({ minimum: 1, default: 10_000, description: 'Capacity in items.' }),
    batch_size: Type.Integer({ minimum: 1, default: 1024, description: 'Items per batch handed to the component.' }),
    batch_timeout: Duration({ default: '50ms', description: 'Hand on a partial batch after this long (each stage adds at most this much latency).' }),
    when_full: StringEnum(['block', 'drop_newest'] as const, {
      default: 'block',
      description: 'block: back-pressure to the source; drop_newest: drop what arrives, counted in mailsight_items_dropped_total.',
    }),
  },
  { default: {}, description: 'Bounded batching queue in front of this component.' },
);
