// The postfix_queue receiver against a real Postfix: a throw-away instance (postfix-lab.sh)
// whose mail goes to smtp-sink destinations that defer it (450 at RCPT, 421 at DATA) or to a
// port where nothing listens. The receiver's figures are compared with `postqueue -j` run
// directly and aggregated here independently. Then Postfix is stopped: the receiver goes on
// (as root, postqueue reads the queue directly and says the mail system is down), and a reader
// that cannot read at all is reported as down without crashing anything.
//
// Needs root and Debian's postfix package — see setup.sh beside this file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { Ajv } from 'ajv';
import { releaseAll } from '../../../src/pipeline/ack.js';
import type { Batch, Consumer } from '../../../src/pipeline/component.js';
import type { MetricItem } from '../../../src/model/metrics.js';
import { SelfTelemetry } from '../../../src/telemetry/component_telemetry.js';
import { PostfixQueueConfig } from '../../../src/receivers/postfix_queue/config.js';
import { PostfixQueueReceiver } from '../../../src/receivers/postfix_queue/postfix_queue.js';
import { gate, missing } from '../syslog/prereq.js';
import { tempDir } from '../../helpers/tmp.js';

const SETUP = 'test/integration/postfix_queue/setup.sh';
const LAB = join(import.meta.dirname, '..', '..', '..', '..', 'test', 'integration', 'postfix_queue', 'postfix-lab.sh');
const skipReason = (() => {
  if (process.getuid?.() !== 0) return 'root (postfix start)';
  return missing(['postfix', 'postqueue', 'postsuper', 'sendmail', 'smtp-sink', 'script']);
})();

const validate = new Ajv({ useDefaults: true, strict: false }).compile(PostfixQueueConfig);
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir = '';
let etc = '';
let started = false;
const sinks: ChildProcess[] = [];

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((res) => s.listen(0, '127.0.0.1', res));
  const port = (s.address() as { port: number }).port;
  await new Promise((res) => s.close(res));
  return port;
}

function lab(...args: string[]): void {
  const r = spawnSync('bash', [LAB, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, `postfix-lab.sh ${args.join(' ')}: ${r.stdout}${r.stderr}`);
}

interface Listed {
  queue_name: string;
  queue_id: string;
  arrival_time: number;
  message_size: number;
  recipients: { address: string; delay_reason?: string }[];
}

/** `postqueue -j` run directly, parsed here. */
function postqueue(): Listed[] {
  const out = execFileSync('postqueue', ['-c', etc, '-j'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Listed);
}

function send(from: string, to: string[]): void {
  execFileSync('sendmail', ['-C', etc, '-f', from, ...to], { input: `From: ${from}\nSubject: queue test\n\nhello\n` });
}

before(async () => {
  if (skipReason) return;
  dir = tempDir('mailsight-postfix-');
  etc = join(dir, 'etc');
  const [deferPort, dropPort, closedPort] = [await freePort(), await freePort(), await freePort()];
  // Destinations: 450 at RCPT with a reason text; 421 and disconnect at DATA; nothing on closedPort.
  const sink = (...args: string[]) => sinks.push(spawn('smtp-sink', ['-u', 'nobody', ...args, '64'], { stdio: 'ignore' }));
  sink('-r', 'RCPT', '-b', '450 4.7.28 Our system has detected an unusual rate of unsolicited mail', `127.0.0.1:${deferPort}`);
  sink('-Q', 'DATA', `127.0.0.1:${dropPort}`);
  lab('start', dir, String(deferPort), String(dropPort), String(closedPort));
  started = true;
});

after(async () => {
  if (started) lab('stop', dir);
  for (const s of sinks) {
    if (s.exitCode === null && s.signalCode === null) {
      s.kill('SIGTERM');
      await once(s, 'exit');
    }
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

class Collect implements Consumer<MetricItem> {
  readonly snapshots: MetricItem[][] = [];
  async consume(b: Batch<MetricItem>): Promise<void> {
    this.snapshots.push(b.items);
    releaseAll(b.acks);
  }
}

function receiver(cfg: Record<string, unknown>) {
  const config: Record<string, unknown> = { command: ['postqueue', '-c', etc, '-j'], host: 'mx.queue.test', ...cfg };
  assert.ok(validate(config), JSON.stringify(validate.errors));
  const c = new Collect();
  const tel = new SelfTelemetry({ processMetrics: false });
  const r = new PostfixQueueReceiver({
    id: 'postfix_queue',
    config: config as PostfixQueueConfig,
    signal: 'metrics',
    logger: pino({ level: 'silent' }),
    telemetry: tel.forComponent('receiver', 'postfix_queue'),
    next: c,
  });
  return { r, c };
}

function point(items: MetricItem[], name: string, attrs: Record<string, string>): number | undefined {
  const m = items.find((x) => x.name === name);
  const p = m?.points.find((pt) => Object.entries(attrs).every(([k, v]) => pt.attributes[k] === v) && Object.keys(pt.attributes).length === Object.keys(attrs).length + 1);
  return p?.value as number | undefined;
}

/** Independent reference: nearest-rank quantile over ages in seconds. */
function q(ages: number[], p: number): number {
  if (!ages.length) return 0;
  const s = [...ages].sort((a, b) => a - b);
  return s[Math.max(1, Math.ceil(p * s.length)) - 1];
}

test('figures match postqueue -j: per queue, per recipient domain, ages, delay reasons', async (t) => {
  const skip = gate('postfix_queue integration', skipReason, SETUP);
  if (skip) return t.skip(skip);
  // 12 messages: deferred at RCPT (two domains on the same sink), at DATA, by a refused connection,
  // and one with recipients in three domains.
  for (let i = 0; i < 4; i++) send('app@billing.queue.test', [`u${i}@defer.test`]);
  for (let i = 0; i < 2; i++) send('app@billing.queue.test', [`r${i}@rate.test`, `r${i}b@rate.test`]);
  for (let i = 0; i < 2; i++) send('news@queue.test', [`d${i}@drop.test`]);
  for (let i = 0; i < 3; i++) send('app@billing.queue.test', [`x${i}@refused.test`]);
  send('ops@queue.test', ['m@defer.test', 'm@refused.test', 'm@drop.test']);
  const total = 12;
  // Wait until Postfix tried them all: every message deferred, every recipient with a reason.
  let listed: Listed[] = [];
  const t0 = Date.now();
  for (;;) {
    listed = postqueue();
    const done = listed.length === total && listed.every((m) => m.queue_name === 'deferred' && m.recipients.every((r) => r.delay_reason));
    if (done) break;
    if (Date.now() - t0 > 60_000) assert.fail(`queue did not settle: ${JSON.stringify(listed.map((m) => [m.queue_name, m.recipients.length]))}`);
    await delay(250);
  }
  // Two of them on hold.
  const held = listed.filter((m) => m.recipients.some((r) => r.address.endsWith('@drop.test')) && m.recipients.length === 1).map((m) => m.queue_id);
  execFileSync('postsuper', ['-c', etc, '-h', '-'], { input: held.join('\n') + '\n', stdio: ['pipe', 'ignore', 'ignore'] });

  const { r } = receiver({ max_domains: 3, top_reasons: 2 });
  const items = await r.poll();
  const ref = postqueue();
  const nowSec = Date.now() / 1000;

  assert.equal(point(items, 'mail.queue.up', {}), 1);
  assert.equal(point(items, 'mail.mta.up', {}), 1);
  for (const queue of ['active', 'deferred', 'hold', 'incoming', 'maildrop']) {
    const mine = ref.filter((m) => m.queue_name === queue);
    assert.equal(point(items, 'mail.queue.messages', { queue }), mine.length, `${queue} messages`);
    assert.equal(point(items, 'mail.queue.recipients', { queue }), mine.reduce((s, m) => s + m.recipients.length, 0), `${queue} recipients`);
    assert.equal(point(items, 'mail.queue.size', { queue }), mine.reduce((s, m) => s + m.message_size, 0), `${queue} bytes`);
    const ages = mine.map((m) => nowSec - m.arrival_time);
    for (const [stat, p] of [['p50', 0.5], ['p95', 0.95], ['p99', 0.99], ['max', 1]] as const) {
      const got = point(items, 'mail.queue.age', { queue, stat })!;
      assert.ok(Math.abs(got - q(ages, p)) <= 2, `${queue} ${stat}: ${got} vs ${q(ages, p)}`);
    }
  }
  assert.equal(point(items, 'mail.queue.messages', { queue: 'deferred' }), total - 2);
  assert.equal(point(items, 'mail.queue.messages', { queue: 'hold' }), 2);

  // Per domain, bounded to the 3 with the most messages; the rest is `other`, each message once.
  const byDomain = new Map<string, Set<string>>();
  for (const m of ref) for (const rc of m.recipients) {
    const d = rc.address.split('@')[1];
    if (!byDomain.has(d)) byDomain.set(d, new Set());
    byDomain.get(d)!.add(m.queue_id);
  }
  const ranked = [...byDomain.entries()].sort((a, b) => b[1].size - a[1].size || (a[0] < b[0] ? -1 : 1));
  const kept = new Set(ranked.slice(0, 3).map(([d]) => d));
  for (const queue of ['deferred', 'hold']) {
    const inQueue = ref.filter((m) => m.queue_name === queue);
    for (const d of kept) {
      const n = inQueue.filter((m) => m.recipients.some((rc) => rc.address.endsWith('@' + d))).length;
      assert.equal(point(items, 'mail.queue.domain.messages', { queue, 'mail.recipient.domain': d }), n === 0 ? undefined : n, `${queue}/${d}`);
    }
    const other = inQueue.filter((m) => m.recipients.some((rc) => !kept.has(rc.address.split('@')[1]))).length;
    assert.equal(point(items, 'mail.queue.domain.messages', { queue, 'mail.recipient.domain': 'other' }), other === 0 ? undefined : other, `${queue}/other`);
  }

  // Delay reasons: every queued recipient with a reason is counted once; the 450 at RCPT is
  // one reason however many domains it came from.
  const withReason = ref.flatMap((m) => m.recipients).filter((rc) => rc.delay_reason);
  const reasons = items.find((m) => m.name === 'mail.queue.delay_reasons')!;
  assert.equal(reasons.points.reduce((s, p) => s + (p.value as number), 0), withReason.length);
  const rate = withReason.filter((rc) => rc.delay_reason!.includes('450 4.7.28')).length;
  const ratePoint = reasons.points.find((p) => p.attributes.reason.includes('450 4.7.28'))!;
  assert.equal(ratePoint.value, rate);
  assert.equal(ratePoint.attributes['mail.bounce.class'], 'policy.reputation');
  const refused = reasons.points.find((p) => p.attributes.reason === 'connect to <host>: Connection refused');
  assert.ok(refused, JSON.stringify(reasons.points.map((p) => p.attributes.reason)));
  assert.equal(refused.attributes['mail.bounce.class'], 'transport.connect');
  assert.equal(refused.value, withReason.filter((rc) => rc.delay_reason!.includes('Connection refused')).length);
  await r.shutdown();
});

test('Postfix stopped: the receiver keeps reporting (maildrop included) and says the MTA is down; an unreadable queue is up=0', async (t) => {
  const skip = gate('postfix_queue integration', skipReason, SETUP);
  if (skip) return t.skip(skip);
  lab('stop', dir);
  // With Postfix down, sendmail still drops the message into the maildrop queue.
  send('late@queue.test', ['late@defer.test']);
  const { r, c } = receiver({ interval: '100ms' });
  await r.start({ dataDir: '.', reportFatal: (e) => { throw e; } });
  const t0 = Date.now();
  while (c.snapshots.length < 2 && Date.now() - t0 < 10_000) await delay(20);
  await r.shutdown();
  const items = c.snapshots[c.snapshots.length - 1];
  const ref = postqueue();
  assert.equal(point(items, 'mail.queue.up', {}), 1, 'root reads the queue directly');
  assert.equal(point(items, 'mail.mta.up', {}), 0, 'postqueue said the mail system is down');
  assert.equal(point(items, 'mail.queue.messages', { queue: 'maildrop' }), ref.filter((m) => m.queue_name === 'maildrop').length);
  assert.equal(point(items, 'mail.queue.messages', { queue: 'maildrop' }), 1);
  assert.equal(point(items, 'mail.queue.messages', { queue: 'deferred' }), ref.filter((m) => m.queue_name === 'deferred').length);

  // A reader that cannot read the queue at all (here: a configuration directory that is not
  // there, as a remote host that is down would be): up = 0, no queue figures, no crash.
  const bad = receiver({ command: ['postqueue', '-c', join(dir, 'nonexistent'), '-j'] });
  const failed = await bad.r.poll();
  assert.equal(point(failed, 'mail.queue.up', {}), 0);
  assert.equal(failed.find((m) => m.name === 'mail.queue.messages'), undefined);
  await bad.r.shutdown();
});
