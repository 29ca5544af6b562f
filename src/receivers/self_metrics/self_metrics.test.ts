import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Histogram, Registry } from 'prom-client';
import { parseConfig } from '../../config/loader.js';
import { Registry as Components } from '../../pipeline/registry.js';
import { Service } from '../../pipeline/service.js';
import { factories } from '../../components.js';
import { collected, fakeFactories, push, reset, silentLogger } from '../../../test/helpers/fakes.js';
import type { HistogramValue, MetricItem } from '../../model/metrics.js';
import { toMetricItems } from './convert.js';
import { tempDir } from '../../../test/helpers/tmp.js';

test("mailsight's own counters flow through a metrics pipeline, with the final figures at shutdown", async () => {
  reset();
  const registry = new Components([...factories, ...fakeFactories]);
  const config = parseConfig(
    `
receivers: { mem: {}, self_metrics: { interval: 1h, include_process: false } }
exporters: { collect/logs: {}, collect/self: {} }
service:
  data_dir: ${tempDir('mailsight-self-')}
  pipelines:
    logs: { receivers: [mem], exporters: [collect/logs] }
    metrics: { receivers: [self_metrics], exporters: [collect/self] }
`,
    registry,
    's.yaml',
    {},
  );
  const s = new Service({ config, registry, logger: silentLogger, listen: null });
  await s.start();
  await (await push('mem', ['a', 'b', 'c'])).delivered;
  await s.shutdown();
  const items = collected.get('collect/self') as MetricItem[];
  const received = items.filter((m) => m.name === 'mailsight_items_received_total').at(-1);
  assert.ok(received, items.map((m) => m.name).join(','));
  assert.equal(received.type, 'sum');
  assert.equal(received.monotonic, true);
  const p = received.points.find((x) => x.attributes.kind === 'exporter' && x.attributes.component === 'collect/logs');
  assert.equal(p?.value, 3);
  assert.ok(!items.some((m) => m.name.startsWith('mailsight_process_')));
});

test('histograms become per-bucket counts', async () => {
  const r = new Registry();
  const h = new Histogram({ name: 'h_seconds', help: 'h', buckets: [1, 2], labelNames: ['x'], registers: [r] });
  h.observe({ x: 'a' }, 0.5);
  h.observe({ x: 'a' }, 1.5);
  h.observe({ x: 'a' }, 9);
  const [m] = toMetricItems(await r.getMetricsAsJSON(), 2, 1, true);
  assert.equal(m.type, 'histogram');
  assert.deepEqual(m.points[0].attributes, { x: 'a' });
  const v = m.points[0].value as HistogramValue;
  assert.deepEqual([v.bounds, v.counts, v.sum, v.count], [[1, 2], [1, 1, 1], 11, 3]);
});
