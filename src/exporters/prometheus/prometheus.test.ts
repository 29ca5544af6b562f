import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import { Ajv } from 'ajv';
import { Ack } from '../../pipeline/ack.js';
import type { MetricItem } from '../../model/metrics.js';
import { SelfTelemetry } from '../../telemetry/component_telemetry.js';
import { PrometheusExporterConfig } from './config.js';
import { prometheusExporterFactory } from './factory.js';
import { CONTENT_TYPE, PrometheusExporter } from './prometheus.js';

const validate = new Ajv({ useDefaults: true, strict: false }).compile(PrometheusExporterConfig);
const host = { dataDir: '.', reportFatal: (e: Error) => { throw e; } };

function exporter(partial: Record<string, unknown>) {
  const config: unknown = structuredClone(partial);
  assert.ok(validate(config), JSON.stringify(validate.errors));
  const tel = new SelfTelemetry({ processMetrics: false });
  const e = new PrometheusExporter({
    id: 'prometheus',
    config: config as PrometheusExporterConfig,
    signal: 'metrics',
    logger: pino({ level: 'silent' }),
    telemetry: tel.forComponent('exporter', 'prometheus'),
  });
  return { e, tel };
}

const item = (value: number): MetricItem => ({
  kind: 'metric',
  name: 'mail.deliveries',
  description: 'Delivery attempts by outcome.',
  unit: '{delivery}',
  type: 'sum',
  monotonic: true,
  temporality: 'cumulative',
  points: [{ attributes: { 'smtp.status': 'sent' }, startTime: 1, time: Date.now(), value }],
});

test('config defaults', () => {
  const cfg: Record<string, unknown> = {};
  assert.ok(validate(cfg));
  assert.deepEqual(cfg, { listen: '127.0.0.1:9464', path: '/metrics', namespace: '', const_labels: {}, resource_to_telemetry_conversion: { enabled: false } });
  assert.equal(validate({ listen: 'nope' }), false);
  assert.equal(validate({ namespace: '9bad' }), false);
  assert.equal(prometheusExporterFactory.kind, 'exporter');
  assert.deepEqual(prometheusExporterFactory.signals, ['metrics']);
});

test('serves the store over HTTP: content type, 404/405, gzip, HEAD; acks released once stored', async () => {
  const { e, tel } = exporter({ listen: '127.0.0.1:0', path: '/prom' });
  await e.start(host);
  assert.ok(e.port && e.port > 0);
  assert.equal(e.url, `http://127.0.0.1:${e.port}/prom`);
  const ack = new Ack();
  await e.consume({ items: [item(3), { kind: 'line', body: 'not a metric', observed: 0 }], acks: [ack.share()] });
  ack.seal();
  await ack.settled;

  const r = await fetch(e.url!);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), CONTENT_TYPE);
  assert.equal(r.headers.get('content-encoding'), 'gzip', 'fetch asks for gzip; the body is decoded transparently');
  assert.equal(await r.text(), '# HELP mail_deliveries_total Delivery attempts by outcome.\n# TYPE mail_deliveries_total counter\nmail_deliveries_total{smtp_status="sent"} 3\n');

  const raw = await new Promise<{ status: number; enc: string | undefined; body: Buffer }>((resolve, reject) => {
    const req = request(`${e.url!}?x=1`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, enc: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(raw.status, 200, 'query strings are ignored');
  assert.equal(raw.enc, 'gzip');
  assert.match(gunzipSync(raw.body).toString('utf8'), /mail_deliveries_total\{smtp_status="sent"\} 3/);

  await e.consume({ items: [item(5)], acks: [] });
  const plain = await fetch(e.url!, { headers: { 'accept-encoding': 'identity' } });
  assert.equal(plain.headers.get('content-encoding'), null);
  assert.match(await plain.text(), /mail_deliveries_total\{smtp_status="sent"\} 5\n$/);

  assert.equal((await fetch(`http://127.0.0.1:${e.port}/other`)).status, 404);
  assert.equal((await fetch(e.url!, { method: 'POST', body: 'x' })).status, 405);
  const head = await fetch(e.url!, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');
  assert.equal(await tel.value('mailsight_prometheus_scrapes_total', {}), 4);
  assert.equal(await tel.value('mailsight_items_emitted_total', {}), 2);

  const url = e.url!;
  await e.shutdown();
  assert.equal(e.port, undefined);
  await assert.rejects(fetch(url), 'closed at shutdown');
});

test('start fails clearly when the port is taken', async () => {
  const { e: a } = exporter({ listen: '127.0.0.1:0' });
  await a.start(host);
  const { e: b } = exporter({ listen: `127.0.0.1:${a.port}` });
  await assert.rejects(b.start(host), /EADDRINUSE/);
  await a.shutdown();
});
