// In-memory components for tests of the runtime itself (queues, graph, acks, config). They are
// real components (same contract, same registry), not mocks of anything external.
import { Type } from '@sinclair/typebox';
import pino from 'pino';
import { releaseAll } from '../../src/pipeline/ack.js';
import {
  defineConnector,
  defineExporter,
  defineProcessor,
  defineReceiver,
  type AnyFactory,
  type Batch,
  type Consumer,
  type Host,
} from '../../src/pipeline/component.js';
import { emit } from '../../src/pipeline/emit.js';
import { Strict, StringEnum } from '../../src/config/types.js';

export const silentLogger = pino({ level: 'silent' });

export const testHost = (dataDir: string): Host => ({ dataDir, reportFatal: (err) => { throw err; } });

/** What each fake records, by component id. */
export const events: string[] = [];
export const handles = new Map<string, { next: Consumer<unknown> }>();
export const collected = new Map<string, unknown[]>();

export const memReceiver = defineReceiver({
  type: 'mem',
  kind: 'receiver',
  stability: 'development',
  description: 'test receiver: tests push items through its handle',
  signals: ['logs', 'metrics'],
  configSchema: Strict({ label: Type.String({ default: '' }) }),
  create: ({ id, next }) => ({
    start: async () => {
      events.push(`start ${id}`);
      handles.set(id, { next });
    },
    shutdown: async () => {
      events.push(`stop ${id}`);
    },
  }),
});

/** Emit through a fake receiver's handle. */
export function push(id: string, items: unknown[]) {
  const h = handles.get(id);
  if (!h) throw new Error(`receiver ${id} not started`);
  return emit(h.next, items);
}

export const tagProcessor = defineProcessor({
  type: 'tag',
  kind: 'processor',
  stability: 'development',
  description: 'test processor: appends its tag to string items',
  signals: ['logs', 'metrics'],
  configSchema: Strict({ tag: Type.String({ default: '+' }), delay_ms: Type.Integer({ default: 0 }) }),
  create: ({ id, config, next }) => ({
    start: async () => void events.push(`start ${id}`),
    shutdown: async () => void events.push(`stop ${id}`),
    consume: async (b: Batch<unknown>) => {
      if (config.delay_ms) await new Promise((r) => setTimeout(r, config.delay_ms));
      await next.consume({ items: b.items.map((x) => `${String(x)}${config.tag}`), acks: b.acks });
    },
  }),
});

export const collectExporter = defineExporter({
  type: 'collect',
  kind: 'exporter',
  stability: 'development',
  description: 'test exporter: records items, optionally slowly or failing',
  signals: ['logs', 'metrics'],
  configSchema: Strict({
    delay_ms: Type.Integer({ default: 0 }),
    mode: StringEnum(['ok', 'fail'] as const, { default: 'ok' }),
  }),
  create: ({ id, config, telemetry }) => {
    collected.set(id, []);
    return {
      start: async () => void events.push(`start ${id}`),
      shutdown: async () => void events.push(`stop ${id}`),
      consume: async (b: Batch<unknown>) => {
        if (config.delay_ms) await new Promise((r) => setTimeout(r, config.delay_ms));
        if (config.mode === 'fail') {
          for (const a of b.acks) a.fail(new Error('backend said no'));
          return;
        }
        collected.get(id)!.push(...b.items);
        telemetry.emitted(b.items.length);
        releaseAll(b.acks);
      },
    };
  },
});

export const countConnector = defineConnector({
  type: 'count',
  kind: 'connector',
  stability: 'development',
  description: 'test connector: emits the number of items of each batch it gets',
  signals: ['logs', 'metrics'],
  from: ['logs'],
  to: ['metrics'],
  configSchema: Strict({}),
  create: ({ id, next }) => ({
    start: async () => void events.push(`start ${id}`),
    shutdown: async () => void events.push(`stop ${id}`),
    consume: async (b: Batch<unknown>) => {
      await next.consume({ items: [b.items.length], acks: b.acks });
    },
  }),
});

export const fakeFactories: AnyFactory[] = [memReceiver, tagProcessor, collectExporter, countConnector];

export function reset() {
  events.length = 0;
  handles.clear();
  collected.clear();
}
