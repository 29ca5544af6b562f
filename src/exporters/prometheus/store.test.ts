import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetricItem } from '../../model/metrics.js';
import { labelString, metricName, sanitizeLabelName, sanitizeMetricName, unitSuffix } from './naming.js';
import { MetricStore } from './store.js';

const T = 1_704_873_600_000;

test('metric names: OTel dotted names, unit suffixes, _total for monotonic sums', () => {
  assert.equal(metricName('mail.deliveries', '{delivery}', 'counter'), 'mail_deliveries_total');
  assert.equal(metricName('mail.messages.received', '{message}', 'counter'), 'mail_messages_received_total');
  assert.equal(metricName('mail.delivery.latency', 's', 'histogram'), 'mail_delivery_latency_seconds');
  assert.equal(metricName('mail.queue.age', 's', 'gauge'), 'mail_queue_age_seconds');
  assert.equal(metricName('mail.sasl.send_rate', '{message}/s', 'gauge'), 'mail_sasl_send_rate_per_second');
  assert.equal(metricName('mail.size', 'By', 'counter'), 'mail_size_bytes_total');
  assert.equal(metricName('cpu.utilization', '1', 'gauge'), 'cpu_utilization_ratio');
  assert.equal(metricName('cpu.events', '1', 'counter'), 'cpu_events_total');
  assert.equal(metricName('net.io', 'By/s', 'gauge'), 'net_io_bytes_per_second');
  assert.equal(metricName('http.duration_seconds', 's', 'histogram'), 'http_duration_seconds', 'unit already in the name');
  assert.equal(metricName('requests_total', '', 'counter'), 'requests_total', '_total not doubled');
  assert.equal(metricName('x', 'packets', 'counter'), 'x_packets_total', 'non-UCUM unit appended as is');
  assert.equal(metricName('mail.deliveries', '{delivery}', 'counter', 'mailsight'), 'mailsight_mail_deliveries_total');
  assert.equal(unitSuffix('{a}/{b}', 'gauge'), '');
  assert.equal(sanitizeMetricName('(lambda).function..executions(#)'), '_lambda_function_executions_');
  assert.equal(sanitizeMetricName('9lives'), '_9lives');
});

test('label names: dots to underscores, runs collapsed, leading digit prefixed, collisions joined with ;', () => {
  assert.equal(sanitizeLabelName('mail.recipient.domain'), 'mail_recipient_domain');
  assert.equal(sanitizeLabelName('tls.protocol.version'), 'tls_protocol_version');
  assert.equal(sanitizeLabelName('__meta..x'), '_meta_x');
  assert.equal(sanitizeLabelName('1st'), 'key_1st');
  assert.equal(labelString({ 'a.b': '1', a_b: '2', z: 'q"\\\n' }), 'a_b="1;2",z="q\\"\\\\\\n"');
  assert.equal(labelString({ le: 'x', a: 'y' }, 'le'), 'a="y",exported_le="x"');
});

const counter = (points: MetricItem['points'], extra: Partial<MetricItem> = {}): MetricItem => ({
  kind: 'metric',
  name: 'mail.deliveries',
  description: 'Delivery attempts by outcome.',
  unit: '{delivery}',
  type: 'sum',
  monotonic: true,
  temporality: 'cumulative',
  points,
  ...extra,
});

test('exact text format 0.0.4 for a small input: HELP/TYPE, escaping, histogram buckets, sorted families', () => {
  const s = new MetricStore({ constLabels: { env: 'prod' } });
  s.add(
    counter([
      { attributes: { 'smtp.status': 'sent', 'mail.recipient.domain': 'gmail.com' }, startTime: T, time: T + 10_000, value: 3 },
      { attributes: { 'smtp.status': 'bounced', 'mail.recipient.domain': 'we"ird\\dom\nain' }, startTime: T, time: T + 10_000, value: 1 },
    ]),
  );
  s.add({
    kind: 'metric',
    name: 'mail.delivery.latency',
    description: 'Enqueue to final.\nIn seconds \\ per recipient.',
    unit: 's',
    type: 'histogram',
    temporality: 'cumulative',
    points: [
      { attributes: { 'mail.provider': 'gmail' }, startTime: T, time: T + 10_000, value: { bounds: [1, 10, 60], counts: [1, 2, 0, 1], sum: 95.5, count: 4, min: 0.5, max: 80 } },
    ],
  });
  s.add({
    kind: 'metric',
    name: 'mail.sasl.send_rate',
    description: '',
    unit: '{message}/s',
    type: 'gauge',
    temporality: 'cumulative',
    points: [{ attributes: {}, startTime: T, time: T + 10_000, value: 0.25 }],
  });
  const expected = [
    '# HELP mail_deliveries_total Delivery attempts by outcome.',
    '# TYPE mail_deliveries_total counter',
    'mail_deliveries_total{env="prod",mail_recipient_domain="gmail.com",smtp_status="sent"} 3',
    'mail_deliveries_total{env="prod",mail_recipient_domain="we\\"ird\\\\dom\\nain",smtp_status="bounced"} 1',
    '# HELP mail_delivery_latency_seconds Enqueue to final.\\nIn seconds \\\\ per recipient.',
    '# TYPE mail_delivery_latency_seconds histogram',
    'mail_delivery_latency_seconds_bucket{env="prod",mail_provider="gmail",le="1"} 1',
    'mail_delivery_latency_seconds_bucket{env="prod",mail_provider="gmail",le="10"} 3',
    'mail_delivery_latency_seconds_bucket{env="prod",mail_provider="gmail",le="60"} 3',
    'mail_delivery_latency_seconds_bucket{env="prod",mail_provider="gmail",le="+Inf"} 4',
    'mail_delivery_latency_seconds_sum{env="prod",mail_provider="gmail"} 95.5',
    'mail_delivery_latency_seconds_count{env="prod",mail_provider="gmail"} 4',
    '# TYPE mail_sasl_send_rate_per_second gauge',
    'mail_sasl_send_rate_per_second{env="prod"} 0.25',
    '',
  ].join('\n');
  assert.equal(s.render(), expected);
});

test('series never vanish, latest cumulative value wins, late snapshots are ignored', () => {
  const s = new MetricStore();
  const a = { 'smtp.status': 'sent' };
  const b = { 'smtp.status': 'deferred' };
  s.add(counter([{ attributes: a, startTime: T, time: T + 10, value: 1 }, { attributes: b, startTime: T, time: T + 10, value: 7 }]));
  s.add(counter([{ attributes: a, startTime: T, time: T + 20, value: 5 }])); // b idle: not in this snapshot
  s.add(counter([{ attributes: { 'smtp.status': 'sent' }, startTime: T, time: T + 15, value: 4 }])); // older, arrived late
  assert.equal(
    s.render(),
    '# HELP mail_deliveries_total Delivery attempts by outcome.\n# TYPE mail_deliveries_total counter\n' +
      'mail_deliveries_total{smtp_status="sent"} 5\nmail_deliveries_total{smtp_status="deferred"} 7\n',
  );
  assert.equal(s.seriesCount, 2);
});

test('delta sums and histograms are accumulated into cumulative series; type conflicts are dropped', () => {
  const s = new MetricStore();
  const d = (v: number, t: number) => counter([{ attributes: {}, startTime: t - 10, time: t, value: v }], { temporality: 'delta', name: 'x.events', unit: '' });
  s.add(d(2, T + 10));
  s.add(d(3, T + 20));
  const hd = (counts: number[], t: number): MetricItem => ({
    kind: 'metric', name: 'x.dur', description: '', unit: 'ms', type: 'histogram', temporality: 'delta',
    points: [{ attributes: {}, startTime: t - 10, time: t, value: { bounds: [5], counts, sum: counts[0] + counts[1] * 10, count: counts[0] + counts[1] } }],
  });
  s.add(hd([1, 0], T + 10));
  s.add(hd([2, 1], T + 20));
  const r = s.add({ kind: 'metric', name: 'x.events', description: '', unit: '', type: 'gauge', temporality: 'cumulative', points: [] });
  assert.equal(r.dropped.length, 0, 'different Prometheus name (no _total): no conflict');
  const conflict = s.add({ kind: 'metric', name: 'x.events_total', description: '', unit: '', type: 'gauge', temporality: 'cumulative', points: [{ attributes: {}, startTime: T, time: T, value: 1 }] });
  assert.equal(conflict.dropped.length, 1);
  assert.equal(
    s.render(),
    [
      '# TYPE x_dur_milliseconds histogram',
      'x_dur_milliseconds_bucket{le="5"} 3',
      'x_dur_milliseconds_bucket{le="+Inf"} 4',
      'x_dur_milliseconds_sum 13',
      'x_dur_milliseconds_count 4',
      '# HELP x_events_total Delivery attempts by outcome.',
      '# TYPE x_events_total counter',
      'x_events_total 5',
      '',
    ].join('\n'),
  );
});

test('resource_to_telemetry_conversion copies resource attributes; a point attribute wins over them and const labels', () => {
  const s = new MetricStore({ resourceToLabels: true, constLabels: { env: 'prod', 'smtp.status': 'const' } });
  s.add(counter([{ attributes: { 'smtp.status': 'sent' }, startTime: T, time: T, value: 1 }], { resource: { 'service.name': 'mailsight', 'host.name': 'mx1' } }));
  assert.match(s.render(), /^mail_deliveries_total\{env="prod",host_name="mx1",service_name="mailsight",smtp_status="sent"\} 1$/m);
  const off = new MetricStore();
  off.add(counter([{ attributes: {}, startTime: T, time: T, value: 1 }], { resource: { 'service.name': 'mailsight' } }));
  assert.match(off.render(), /^mail_deliveries_total 1$/m);
});

test('special values', () => {
  const s = new MetricStore();
  s.add({ kind: 'metric', name: 'g', description: '', unit: '', type: 'gauge', temporality: 'cumulative', points: [
    { attributes: { k: 'nan' }, startTime: T, time: T, value: NaN },
    { attributes: { k: 'inf' }, startTime: T, time: T, value: Infinity },
    { attributes: { k: 'ninf' }, startTime: T, time: T, value: -Infinity },
    { attributes: { k: 'big' }, startTime: T, time: T, value: 1e21 },
  ] });
  assert.equal(s.render(), '# TYPE g gauge\ng{k="nan"} NaN\ng{k="inf"} +Inf\ng{k="ninf"} -Inf\ng{k="big"} 1e+21\n');
});
