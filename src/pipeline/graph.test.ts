import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseConfig } from '../config/loader.js';
import { Registry } from './registry.js';
import { Service } from './service.js';
import { RefusedError } from './component.js';
import { collected, events, fakeFactories, push, reset, silentLogger } from '../../test/helpers/fakes.js';
import { tempDir } from '../../test/helpers/tmp.js';

const registry = new Registry(fakeFactories);
const dataDir = () => tempDir('mailsight-graph-');

function service(yaml: string, listen: string | null = null) {
  const config = parseConfig(yaml + `\n  data_dir: ${dataDir()}\n`, registry, 'g.yaml', {});
  return new Service({ config, registry, logger: silentLogger, listen });
}

beforeEach(() => reset());

const fanYaml = `
receivers: { mem/a: {}, mem/b: {} }
processors: { tag: { tag: '!' } }
exporters: { collect/x: {}, collect/y: { delay_ms: 5 } }
service:
  pipelines:
    logs: { receivers: [mem/a, mem/b], processors: [tag], exporters: [collect/x, collect/y] }`;

test('fan-in and fan-out: every exporter gets every item; the ack settles after all accepted', async () => {
  const s = service(fanYaml);
  await s.start();
  const one = await push('mem/a', ['a1', 'a2']);
  const two = await push('mem/b', ['b1']);
  await Promise.all([one.delivered, two.delivered]);
  for (const id of ['collect/x', 'collect/y']) assert.deepEqual([...collected.get(id)!].sort(), ['a1!', 'a2!', 'b1!']);
  await s.shutdown();
});

test('start order: exporters first, receivers last; shutdown: receivers first, exporters last', async () => {
  const s = service(fanYaml);
  await s.start();
  await s.shutdown();
  const starts = events.filter((e) => e.startsWith('start'));
  const stops = events.filter((e) => e.startsWith('stop'));
  const idx = (list: string[], id: string) => list.findIndex((e) => e.endsWith(' ' + id));
  assert.ok(idx(starts, 'collect/x') < idx(starts, 'tag') && idx(starts, 'tag') < idx(starts, 'mem/a'), starts.join(','));
  assert.ok(idx(stops, 'mem/a') < idx(stops, 'tag') && idx(stops, 'tag') < idx(stops, 'collect/y'), stops.join(','));
});

test('shutdown drains every queue: items in flight are all exported', async () => {
  const s = service(fanYaml.replace("tag: { tag: '!' }", "tag: { tag: '!', delay_ms: 2, queue: { batch_size: 10, batch_timeout: 10s } }"));
  await s.start();
  const items = Array.from({ length: 1000 }, (_, i) => `i${i}`);
  for (let i = 0; i < items.length; i += 7) await push('mem/a', items.slice(i, i + 7));
  await s.shutdown();
  assert.equal(collected.get('collect/y')!.length, 1000);
  assert.deepEqual(collected.get('collect/x'), items.map((x) => x + '!'));
});

test('an exporter failure rejects the ack of what it refused', async () => {
  const s = service(fanYaml.replace('collect/y: { delay_ms: 5 }', "collect/y: { mode: fail }"));
  await s.start();
  const r = await push('mem/a', ['z']);
  await assert.rejects(r.delivered, /backend said no/);
  await s.shutdown();
});

test('a connector turns one pipeline into the input of another', async () => {
  const s = service(`
receivers: { mem: {} }
connectors: { count: {} }
exporters: { collect/logs: {}, collect/metrics: {} }
service:
  pipelines:
    logs: { receivers: [mem], exporters: [collect/logs, count] }
    metrics: { receivers: [count], exporters: [collect/metrics] }`);
  await s.start();
  const r = await push('mem', ['a', 'b', 'c']);
  await r.delivered;
  assert.deepEqual(collected.get('collect/logs'), ['a', 'b', 'c']);
  assert.deepEqual(collected.get('collect/metrics'), [3]);
  await s.shutdown();
});

const guardYaml = (when: string) => `
receivers: { mem: {} }
exporters: { collect: {} }
service:
  memory_limiter: { limit_mib: 1, check_interval: 1s, when_exceeded: ${when} }
  pipelines:
    logs: { receivers: [mem], exporters: [collect] }`;

test('memory guard, refuse: the receiver is told to retry and nothing reaches exporters', async () => {
  const s = service(guardYaml('refuse'));
  await s.start();
  await assert.rejects(push('mem', ['x', 'y']), RefusedError);
  assert.deepEqual(collected.get('collect'), []);
  assert.equal(await s.telemetry.value('mailsight_items_refused_total', { component: 'mem' }), 2);
  await s.shutdown();
});

test('memory guard, drop: items are dropped and counted, the ack settles', async () => {
  const s = service(guardYaml('drop'));
  await s.start();
  const r = await push('mem', ['x', 'y', 'z']);
  await r.delivered;
  assert.deepEqual(collected.get('collect'), []);
  assert.equal(await s.telemetry.value('mailsight_items_dropped_total', { component: 'mem' }), 3);
  await s.shutdown();
});

test('/healthz reports each component; /metrics has per-component counters', async () => {
  const s = service(fanYaml, '127.0.0.1:0');
  await s.start();
  await (await push('mem/a', ['q'])).delivered;
  const base = `http://127.0.0.1:${s.telemetryPort}`;
  const health = (await (await fetch(base + '/healthz')).json()) as { status: string; components: { id: string; status: string }[] };
  assert.equal(health.status, 'ok');
  assert.deepEqual(health.components.map((c) => c.id).sort(), ['collect/x', 'collect/y', 'mem/a', 'mem/b', 'tag']);
  assert.ok(health.components.every((c) => c.status === 'up'));
  const metrics = await (await fetch(base + '/metrics')).text();
  assert.match(metrics, /mailsight_items_received_total\{kind="exporter",component="collect\/x",pipeline=""\} 1/);
  assert.match(metrics, /mailsight_items_emitted_total\{kind="processor",component="tag",pipeline="logs"\} 1/);
  assert.match(metrics, /mailsight_queue_capacity_items\{kind="exporter",component="collect\/y",pipeline=""\} 10000/);
  await s.shutdown();
});
