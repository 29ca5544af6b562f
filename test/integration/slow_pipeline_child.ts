// Child process for pipeline_limits.test.ts: a real `filelog` receiver feeding a deliberately
// slow exporter through the real runtime, in its own process so that its RSS is measured
// alone. Prints one JSON line with counts and peak RSS, then exits.
import { Type } from '@sinclair/typebox';
import pino from 'pino';
import { parseConfig } from '../../src/config/loader.js';
import { Strict } from '../../src/config/types.js';
import { releaseAll } from '../../src/pipeline/ack.js';
import { defineExporter, type Batch } from '../../src/pipeline/component.js';
import { Registry } from '../../src/pipeline/registry.js';
import { Service } from '../../src/pipeline/service.js';
import { factories } from '../../src/components.js';
import type { RawLine } from '../../src/model/items.js';

const [file, whenFull, dataDir] = process.argv.slice(2);
const total = Number(process.env.LINES ?? '1000000');

let exported = 0;
let outOfOrder = 0;
let last = -1;
const slowExporter = defineExporter({
  type: 'slow',
  kind: 'exporter',
  stability: 'development',
  description: 'test exporter: sleeps per batch, counts lines and checks their order',
  signals: ['logs'],
  configSchema: Strict({ delay_ms: Type.Integer({ default: 1 }) }),
  create: ({ config }) => ({
    start: async () => undefined,
    shutdown: async () => undefined,
    consume: async (b: Batch<unknown>) => {
      await new Promise((r) => setTimeout(r, config.delay_ms));
      for (const item of b.items) {
        const n = Number((item as RawLine).body.slice(5, 15));
        if (n <= last) outOfOrder++;
        last = n;
      }
      exported += b.items.length;
      releaseAll(b.acks);
    },
  }),
});

const registry = new Registry([...factories, slowExporter]);
const config = parseConfig(
  `
receivers:
  filelog: { include: ["${file}"], start_at: beginning, storage: none, max_batch: 1024 }
exporters:
  slow:
    delay_ms: 1
    # drop_newest: a queue smaller than one receiver batch, so what arrives while the
    # exporter is busy cannot fit (filelog itself waits for acks, two batches at most).
    queue: { size: ${whenFull === 'block' ? 4096 : 200}, batch_size: ${whenFull === 'block' ? 1024 : 100}, batch_timeout: 50ms, when_full: ${whenFull} }
service:
  pipelines:
    logs: { receivers: [filelog], exporters: [slow] }
  data_dir: "${dataDir}"
`,
  registry,
  'child.yaml',
  {},
);
const service = new Service({ config, registry, logger: pino({ level: 'silent' }), listen: null });
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);

await service.start();
const deadline = Date.now() + 120_000;
for (;;) {
  const read = await service.telemetry.value('mailsight_items_received_total', { kind: 'receiver', component: 'filelog' });
  const dropped = await service.telemetry.value('mailsight_items_dropped_total', { kind: 'exporter', component: 'slow' });
  if (read >= total && exported + dropped >= read) break;
  if (Date.now() > deadline) break;
  await new Promise((r) => setTimeout(r, 50));
}
await service.shutdown();
clearInterval(sampler);
const read = await service.telemetry.value('mailsight_items_received_total', { kind: 'receiver', component: 'filelog' });
const dropped = await service.telemetry.value('mailsight_items_dropped_total', { kind: 'exporter', component: 'slow' });
process.stdout.write(JSON.stringify({ read, exported, dropped, outOfOrder, peakRss }) + '\n');
