import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Correlator } from './correlator.js';
import { at, attempt, client, enqueue } from './testing.js';
import { queueOf, queueStates } from './queue_state.js';
import { MailMetricsConnector } from '../../connectors/mail_metrics/mail_metrics.js';
import { MailMetricsConfig } from '../../connectors/mail_metrics/config.js';
import { Ajv } from 'ajv';

/** A config completed by its schema, as the loader does. */
function withDefaults(partial: Record<string, unknown>): MailMetricsConfig {
  const cfg = { ...partial };
  assert.ok(new Ajv({ useDefaults: true, strict: false }).compile(MailMetricsConfig)(cfg));
  return cfg as MailMetricsConfig;
}

function openState() {
  const c = new Correlator();
  // A: deferred to gmail for 10 minutes; B: active (enqueued, nothing tried yet); C: incoming.
  for (const e of [
    client(0, 'A'),
    enqueue(0, 'A'),
    attempt(60, 'A', 'x@gmail.com', 'deferred', { dsn: '4.7.28', reply: '450 4.7.28 unusual rate of unsolicited mail', reply_code: 450 }),
    client(500, 'B'),
    enqueue(500, 'B', 2),
    client(590, 'C'),
    attempt(600, 'A', 'x@gmail.com', 'deferred', { dsn: '4.7.28', reply: '450 4.7.28 unusual rate of unsolicited mail', reply_code: 450 }),
  ])
    c.add(e);
  c.sweep();
  return c;
}

test('open messages become a queue summary per host, aged on the event-time clock', () => {
  const c = openState();
  const open = [...c.openRecords()];
  assert.deepEqual(open.map((r) => [r.queue_id, queueOf(r)]).sort(), [['A', 'deferred'], ['B', 'active'], ['C', 'incoming']]);
  const [state] = queueStates(open, c.snapshotHeader().hosts, 100);
  assert.equal(state.host, 'mx1');
  assert.equal(state.time, at(600));
  const q = state.summary.queues;
  assert.equal(q.get('deferred')?.messages, 1);
  assert.equal(q.get('deferred')?.age.max, 600);
  assert.equal(q.get('active')?.messages, 1);
  assert.equal(q.get('incoming')?.messages, 1);
  assert.equal(state.summary.reasons[0]?.recipients, 1);
});

test('mail_metrics turns queue states into mail.queue.* gauges marked as coming from correlation', async () => {
  const c = openState();
  const items = queueStates(c.openRecords(), c.snapshotHeader().hosts, 100);
  const out: { name: string; points: { attributes: Record<string, string>; value: unknown }[] }[] = [];
  const { SelfTelemetry } = await import('../../telemetry/component_telemetry.js');
  const pino = (await import('pino')).default;
  const conn = new MailMetricsConnector({
    id: 'mail_metrics',
    signal: 'logs',
    config: withDefaults({ interval: '1h' }),
    logger: pino({ level: 'silent' }),
    telemetry: new SelfTelemetry({ processMetrics: false }).forComponent('connector', 'mail_metrics'),
    next: { consume: async (b) => void out.push(...(b.items as typeof out)) },
  });
  await conn.consume({ items, acks: [] });
  const messages = out.find((m) => m.name === 'mail.queue.messages');
  assert.ok(messages, out.map((m) => m.name).join(','));
  const deferred = messages.points.find((p) => p.attributes.queue === 'deferred');
  assert.deepEqual(deferred?.attributes, { queue: 'deferred', 'mail.host': 'mx1', 'mail.queue.source': 'correlation' });
  assert.equal(deferred?.value, 1);
  assert.ok(!out.some((m) => m.name === 'mail.queue.up'), 'no read status: nothing was read');
  assert.ok(out.some((m) => m.name === 'mail.queue.age' && m.points.some((p) => p.attributes.stat === 'p95' && p.attributes.queue === 'deferred' && p.value === 600)));
});

test('a queue state item writes as readable JSON (file and debug exporters)', () => {
  const c = openState();
  const [state] = queueStates(c.openRecords(), c.snapshotHeader().hosts, 100);
  const json = JSON.parse(JSON.stringify(state)) as { kind: string; summary: { queues: Record<string, { messages: number }> } };
  assert.equal(json.kind, 'queue_state');
  assert.equal(json.summary.queues.deferred.messages, 1);
});
