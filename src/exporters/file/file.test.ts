import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Ajv } from 'ajv';
import { Ack } from '../../pipeline/ack.js';
import type { Host } from '../../pipeline/component.js';
import type { RawLine } from '../../model/items.js';
import type { MailEvent } from '../../model/mail_event.js';
import { SelfTelemetry } from '../../telemetry/component_telemetry.js';
import { FileExporterConfig } from './config.js';
import { FileExporter } from './file.js';
import { fileExporterFactory } from './factory.js';

const validate = new Ajv({ useDefaults: true, strict: false }).compile(FileExporterConfig);

async function tmp(): Promise<{ dir: string; host: Host }> {
  const dir = await mkdtemp(join(tmpdir(), 'mailsight-file-'));
  return { dir, host: { dataDir: dir, reportFatal: (e) => { throw e; } } };
}

function exporter(partial: Record<string, unknown>) {
  const config: unknown = structuredClone(partial);
  assert.ok(validate(config), JSON.stringify(validate.errors));
  const tel = new SelfTelemetry({ processMetrics: false });
  const e = new FileExporter({
    id: 'file',
    config: config as FileExporterConfig,
    signal: 'logs',
    logger: pino({ level: 'silent' }),
    telemetry: tel.forComponent('exporter', 'file'),
  });
  return { e, tel };
}

const line = (body: string): RawLine => ({ kind: 'line', body, observed: 1700000000000 });
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
const readLines = async (p: string) => (await readFile(p, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { body?: string });

async function send(e: FileExporter, items: unknown[]): Promise<Ack> {
  const ack = new Ack();
  await e.consume({ items, acks: [ack] });
  return ack;
}

test('factory and defaults', () => {
  assert.equal(fileExporterFactory.type, 'file');
  assert.equal(fileExporterFactory.kind, 'exporter');
  const cfg: Record<string, unknown> = { path: 'x.jsonl' };
  assert.ok(validate(cfg));
  assert.deepEqual(cfg, { path: 'x.jsonl', rotation: { max_megabytes: 100, max_backups: 5 }, flush_interval: '1s', fsync: false });
  assert.equal(validate({}), false, 'path is required');
  assert.equal(validate({ path: 'x', rotation: { max_files: 3 } }), false, 'unknown keys are errors');
});

test('JSON lines, MailEvent time kept as a number, appended to existing content, acks only once written', async () => {
  const { dir, host } = await tmp();
  const path = join(dir, 'sub', 'out.jsonl');
  await mkdir(join(dir, 'sub'));
  await writeFile(path, '{"kind":"line","body":"already there"}\n');
  const { e, tel } = exporter({ path, flush_interval: '40ms' });
  await e.start(host);
  const ev: MailEvent = { kind: 'mail_event', time: 1704873601250.5, host: 'mx1', mta: 'postfix', program: 'postfix/smtp', event: 'delivery_attempt', status: 'sent' };
  const a1 = await send(e, [line('one'), ev]);
  const a2 = await send(e, [line('two "quoted" ✉')]);
  assert.equal(a1.pending, 1, 'not acknowledged before the write');
  assert.equal((await stat(path)).size, 39, 'nothing written before flush_interval');
  await a1.settled;
  await a2.settled;
  const got = await readLines(path);
  assert.equal(got.length, 4);
  assert.equal(got[0].body, 'already there');
  assert.deepEqual(got[1], line('one'));
  assert.deepEqual(got[2], ev);
  assert.equal((got[2] as unknown as MailEvent).time, 1704873601250.5);
  assert.equal(got[3].body, 'two "quoted" ✉');
  assert.equal(await tel.value('mailsight_items_emitted_total', { component: 'file' }), 3);
  await e.shutdown();
  await rm(dir, { recursive: true });
});

test('shutdown flushes what is waiting and closes; later batches are failed, not lost silently', async () => {
  const { dir, host } = await tmp();
  const path = join(dir, 'missing', 'dirs', 'out.jsonl'); // created by start()
  const { e } = exporter({ path, flush_interval: '1h', fsync: true });
  await e.start(host);
  const a = await send(e, [line('x'), line('y')]);
  assert.equal(a.pending, 1);
  await e.shutdown();
  assert.equal(a.pending, 0);
  await a.settled;
  assert.deepEqual((await readLines(path)).map((l) => l.body), ['x', 'y']);
  const late = await send(e, [line('z')]);
  await assert.rejects(late.settled, /shut down/);
  await rm(dir, { recursive: true });
});

test('after inputEnded() nothing waits for flush_interval: what waits is written, and every later batch at once', async () => {
  const { dir, host } = await tmp();
  const path = join(dir, 'out.jsonl');
  const { e } = exporter({ path, flush_interval: '1h' });
  await e.start(host);
  const before = await send(e, [line('a')]);
  await delay(20);
  assert.equal(before.pending, 1, 'held for the flush interval');
  e.inputEnded();
  await before.settled;
  const after = await send(e, [line('b')]);
  await after.settled;
  assert.deepEqual((await readLines(path)).map((l) => l.body), ['a', 'b']);
  await e.shutdown();
  await rm(dir, { recursive: true });
});

test('rotation by size: path -> path.1 -> path.2, oldest deleted, nothing lost in between', async () => {
  const { dir, host } = await tmp();
  const path = join(dir, 'out.jsonl');
  // ~400 bytes per file; each batch below is ~120 bytes, flushed on its own.
  const { e, tel } = exporter({ path, flush_interval: '1h', rotation: { max_megabytes: 400 / (1024 * 1024), max_backups: 2 } });
  await e.start(host);
  const bodies: string[] = [];
  for (let i = 0; i < 20; i++) {
    const b = [`batch-${String(i).padStart(2, '0')}-a`, `batch-${String(i).padStart(2, '0')}-b`];
    bodies.push(...b);
    await send(e, b.map(line));
    await (e as unknown as { flush(): Promise<void> }).flush();
  }
  await e.shutdown();
  const names = (await readdir(dir)).sort();
  assert.deepEqual(names, ['out.jsonl', 'out.jsonl.1', 'out.jsonl.2']);
  const sizes = await Promise.all(names.map(async (n) => (await stat(join(dir, n))).size));
  assert.ok(sizes.every((s) => s <= 400), `sizes ${sizes}`);
  const kept = [...(await readLines(path + '.2')), ...(await readLines(path + '.1')), ...(await readLines(path))].map((l) => l.body!);
  // The newest lines, contiguous and in order, end with the last one written.
  assert.deepEqual(kept, bodies.slice(bodies.length - kept.length));
  assert.ok(kept.length >= 6);
  assert.ok((await tel.value('mailsight_file_rotations_total', { component: 'file' })) >= 5);
  await rm(dir, { recursive: true });
});

test('max_megabytes 0 disables rotation; max_backups 0 deletes the old file', async () => {
  const { dir, host } = await tmp();
  const p1 = join(dir, 'norotate.jsonl');
  const { e: e1 } = exporter({ path: p1, rotation: { max_megabytes: 0 } });
  await e1.start(host);
  await send(e1, Array.from({ length: 500 }, (_, i) => line(`l${i}`)));
  await e1.shutdown();
  assert.equal((await readLines(p1)).length, 500);

  const p2 = join(dir, 'nobackup.jsonl');
  const { e: e2 } = exporter({ path: p2, flush_interval: '1h', rotation: { max_megabytes: 100 / (1024 * 1024), max_backups: 0 } });
  await e2.start(host);
  for (let i = 0; i < 5; i++) {
    await send(e2, [line(`only-${i}-${'x'.repeat(40)}`)]);
    await (e2 as unknown as { flush(): Promise<void> }).flush();
  }
  await e2.shutdown();
  assert.deepEqual((await readdir(dir)).sort(), ['nobackup.jsonl', 'norotate.jsonl']);
  assert.deepEqual((await readLines(p2)).map((l) => l.body), [`only-4-${'x'.repeat(40)}`]);
  await rm(dir, { recursive: true });
});

test('many batches within one flush interval are written together and all acknowledged', async () => {
  const { dir, host } = await tmp();
  const path = join(dir, 'out.jsonl');
  const { e } = exporter({ path, flush_interval: '30ms' });
  await e.start(host);
  const acks: Ack[] = [];
  for (let i = 0; i < 100; i++) acks.push(await send(e, [line(`b${i}`)]));
  assert.ok(acks.every((a) => a.pending === 1));
  await Promise.all(acks.map((a) => a.settled));
  await delay(5);
  assert.equal((await readLines(path)).length, 100);
  await e.shutdown();
  await rm(dir, { recursive: true });
});
