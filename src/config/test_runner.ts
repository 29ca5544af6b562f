// Config unit tests (`tests:` blocks, Vector-style): feed input lines into one pipeline in
// place of its receivers, capture what reaches its exporters, compare with expectations.
import { isDeepStrictEqual } from 'node:util';
import { Type } from '@sinclair/typebox';
import { pino } from 'pino';
import { releaseAll } from '../pipeline/ack.js';
import type { Batch, Exporter, ExporterFactory, Receiver, ReceiverFactory } from '../pipeline/component.js';
import { emit } from '../pipeline/emit.js';
import { Registry } from '../pipeline/registry.js';
import { Service } from '../pipeline/service.js';
import type { RawLine } from '../model/items.js';
import type { MailsightConfig, TestCase } from './loader.js';

const INPUT = '__test_input';
const CAPTURE = '__test_capture';

export interface TestResult {
  name: string;
  passed: boolean;
  failures: string[];
  outputs: unknown[];
}

export async function runConfigTests(config: MailsightConfig, registry: Registry, only?: string): Promise<TestResult[]> {
  const results: TestResult[] = [];
  for (const tc of config.tests) {
    if (only && tc.name !== only) continue;
    results.push(await runOne(config, registry, tc));
  }
  return results;
}

async function runOne(config: MailsightConfig, registry: Registry, tc: TestCase): Promise<TestResult> {
  const pipeline = config.service.pipelines[tc.pipeline];
  if (!pipeline) return { name: tc.name, passed: false, failures: [`pipeline "${tc.pipeline}" is not defined`], outputs: [] };
  const outputs: unknown[] = [];
  const lines: RawLine[] = tc.input.map((body) => ({ kind: 'line', body, observed: Date.now(), source: { 'mailsight.test': tc.name } }));

  const inputFactory: ReceiverFactory = {
    type: INPUT, kind: 'receiver', stability: 'stable', description: 'test input', signals: ['logs', 'metrics', 'traces'], configSchema: Type.Object({}),
    create: ({ next }): Receiver => {
      let finish!: () => void;
      const done = new Promise<void>((r) => (finish = r));
      return {
        done,
        start: async () => {
          const { delivered } = await emit(next, lines);
          void delivered.then(finish, finish);
        },
        shutdown: async () => undefined,
      };
    },
  };
  const captureFactory: ExporterFactory = {
    type: CAPTURE, kind: 'exporter', stability: 'stable', description: 'test capture', signals: ['logs', 'metrics', 'traces'], configSchema: Type.Object({}),
    create: (): Exporter => ({
      start: async () => undefined,
      shutdown: async () => undefined,
      consume: async (b: Batch<unknown>) => {
        outputs.push(...b.items);
        releaseAll(b.acks);
      },
    }),
  };
  const testRegistry = new Registry([...registry.all(), inputFactory, captureFactory]);
  const queue = { size: 100_000, batch_size: 1024, batch_timeout: '10ms', when_full: 'block' };
  const testConfig: MailsightConfig = {
    ...config,
    receivers: { [INPUT]: {} },
    exporters: { [CAPTURE]: { queue } },
    connectors: {},
    service: {
      ...config.service,
      pipelines: { [tc.pipeline]: { receivers: [INPUT], processors: pipeline.processors, exporters: [CAPTURE] } },
    },
  };
  const service = new Service({ config: testConfig, registry: testRegistry, logger: pino({ level: 'silent' }), listen: null });
  const failures: string[] = [];
  try {
    await service.start();
    await service.graph.finiteInputDone();
  } catch (err) {
    failures.push(`pipeline failed: ${(err as Error).message}`);
  } finally {
    await service.shutdown();
  }
  failures.push(...compare(tc.expect, outputs));
  return { name: tc.name, passed: failures.length === 0, failures, outputs };
}

function compare(expect: TestCase['expect'], outputs: unknown[]): string[] {
  const failures: string[] = [];
  if (expect.count !== undefined && outputs.length !== expect.count) {
    failures.push(`expected ${expect.count} output items, got ${outputs.length}`);
  }
  if (expect.records) {
    if (expect.records.length !== outputs.length && expect.count === undefined) {
      failures.push(`expected ${expect.records.length} output items, got ${outputs.length}`);
    }
    expect.records.forEach((want, i) => {
      const got = outputs[i];
      const why = mismatch(want, got, '');
      if (why) failures.push(`records[${i}]: ${why}`);
    });
  }
  for (const [i, want] of (expect.contains ?? []).entries()) {
    if (!outputs.some((o) => mismatch(want, o, '') === undefined)) {
      // Say why the nearest candidate (same kind, when the expectation names one) differs.
      const kind = (want as { kind?: unknown }).kind;
      const near = outputs.find((o) => kind === undefined || (o as { kind?: unknown }).kind === kind);
      const why = near === undefined ? 'no output item of that kind' : `closest differs at ${mismatch(want, near, '')}`;
      failures.push(`contains[${i}]: no output item matches; ${why}`);
    }
  }
  return failures;
}

/** Subset match: every field of `want` must be equal in `got`. Returns why not, or undefined. */
export function mismatch(want: unknown, got: unknown, path: string): string | undefined {
  if (want !== null && typeof want === 'object' && !Array.isArray(want)) {
    if (got === null || typeof got !== 'object' || Array.isArray(got)) return `${path || 'item'}: expected an object, got ${JSON.stringify(got)}`;
    for (const [k, v] of Object.entries(want)) {
      const why = mismatch(v, (got as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
      if (why) return why;
    }
    return undefined;
  }
  if (Array.isArray(want)) {
    if (!Array.isArray(got) || got.length !== want.length) return `${path}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`;
    for (let i = 0; i < want.length; i++) {
      const why = mismatch(want[i], got[i], `${path}[${i}]`);
      if (why) return why;
    }
    return undefined;
  }
  return isDeepStrictEqual(want, got) ? undefined : `${path}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`;
}
