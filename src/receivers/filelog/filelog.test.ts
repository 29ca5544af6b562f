import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rename, rm, truncate, writeFile, copyFile, chmod } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Ajv } from 'ajv';
import { failAll, releaseAll, type Ack } from '../../pipeline/ack.js';
import { RefusedError, type Batch, type Consumer, type Host } from '../../pipeline/component.js';
import type { LogItem, RawLine } from '../../model/items.js';
import { SelfTelemetry } from '../../telemetry/component_telemetry.js';
import { FilelogConfig } from './config.js';
import { FilelogReceiver, type FilelogInternals } from './filelog.js';
import { filelogReceiverFactory } from './factory.js';
import { CHECKPOINT_FILE } from './checkpoint.js';

// ---- helpers -------------------------------------------------------------------------------

type Mode = 'release' | 'hold' | 'fail' | 'refuse';

/** Records what it receives; what happens to the acks is decided per batch by `decide`. */
class TestConsumer implements Consumer<LogItem> {
  /** Every line handed to consume(), in order (includes refused and failed ones). */
  readonly seen: string[] = [];
  /** Lines whose acks were released (delivered). */
  readonly delivered: string[] = [];
  readonly held: { bodies: string[]; acks: Ack[] }[] = [];
  batches = 0;
  constructor(public decide: (batchNo: number, bodies: string[]) => Mode = () => 'release') {}

  async consume(batch: Batch<LogItem>): Promise<void> {
    const bodies = batch.items.map((i) => (i as RawLine).body);
    const mode = this.decide(this.batches++, bodies);
    if (mode === 'refuse') {
      releaseAll(batch.acks);
      throw new RefusedError('memory limit');
    }
    this.seen.push(...bodies);
    if (mode === 'release') {
      this.delivered.push(...bodies);
      releaseAll(batch.acks);
    } else if (mode === 'fail') {
      failAll(batch.acks, new Error('export failed'));
    } else {
      this.held.push({ bodies, acks: batch.acks });
    }
  }

  releaseHeld(): void {
    for (const h of this.held.splice(0)) {
      this.delivered.push(...h.bodies);
      releaseAll(h.acks);
    }
  }
}

const FAST: Partial<FilelogInternals> = { lostGraceMs: 80, shutdownWaitMs: 300, checkpointIntervalMs: 20, backoffMinMs: 20, backoffMaxMs: 50 };

// Validated and completed by the schema itself, the way the config loader does it.
const validate = new Ajv({ useDefaults: true, strict: false }).compile(FilelogConfig);

function config(partial: Partial<FilelogConfig> & { include: string[] }): FilelogConfig {
  const cfg: unknown = { poll_interval: '20ms', ...structuredClone(partial) };
  assert.ok(validate(cfg), JSON.stringify(validate.errors));
  return cfg as FilelogConfig;
}

function receiver(cfg: FilelogConfig, next: Consumer<LogItem>, internals: Partial<FilelogInternals> = {}, tel = new SelfTelemetry({ processMetrics: false })) {
  const r = new FilelogReceiver(
    { id: 'filelog/test', config: cfg, signal: 'logs', logger: pino({ level: 'silent' }), telemetry: tel.forComponent('receiver', 'filelog'), next },
    { ...FAST, ...internals },
  );
  return { r, tel };
}

async function tmp(): Promise<{ dir: string; host: Host }> {
  const dir = await mkdtemp(join(tmpdir(), 'mailsight-filelog-'));
  return { dir, host: { dataDir: join(dir, 'data'), reportFatal: (e) => { throw e; } } };
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
const lines = (prefix: string, from: number, to: number) => {
  const out: string[] = [];
  for (let i = from; i <= to; i++) out.push(`${prefix}${i}`);
  return out;
};
const text = (ls: string[]) => ls.map((l) => l + '\n').join('');

function assertOnce(got: string[], want: string[]): void {
  assert.equal(got.length, want.length, `expected ${want.length} lines, got ${got.length}`);
  assert.deepEqual([...got].sort(), [...want].sort());
}

// ---- tests ---------------------------------------------------------------------------------

test('factory: schema defaults and metadata', () => {
  assert.equal(filelogReceiverFactory.type, 'filelog');
  assert.equal(filelogReceiverFactory.kind, 'receiver');
  assert.deepEqual(filelogReceiverFactory.signals, ['logs']);
  const cfg: Record<string, unknown> = { include: ['/x/*.log'] };
  assert.ok(validate(cfg));
  assert.deepEqual(
    { ...cfg, include: undefined },
    {
      include: undefined, exclude: [], start_at: 'end', poll_interval: '200ms', max_line_bytes: 65536, max_batch: 1024,
      encoding: 'utf8', storage: 'auto', fingerprint_size: 1000,
    },
  );
  assert.equal(validate({ include: [] }), false, 'include needs at least one glob');
  assert.equal(validate({}), false, 'include is required');
  assert.equal(validate({ include: ['a'], bogus: 1 }), false, 'unknown keys are errors');
  assert.equal(validate({ include: ['a'], start_at: 'middle' }), false);
  assert.equal(validate({ include: ['a'], poll_interval: '5 minutes' }), false);
  assert.equal(FilelogReceiver.storageDir('auto', 'data', 'filelog/mx'), join('data', 'filelog_mx'));
  assert.equal(FilelogReceiver.storageDir('none', 'data', 'filelog'), undefined);
});

test('reads an existing file from the beginning, strips CRLF, keeps UTF-8, sets source', async () => {
  const { dir, host } = await tmp();
  const file = join(dir, 'mail.log');
  await writeFile(file, 'one\r\ntwo\nthrée ✉\n\nlast\n');
  const c = new TestConsumer();
  const { r, tel } = receiver(config({ include: [join(dir, '*.log')], start_at: 'beginning' }), c);
  await r.start(host);
  await waitFor(() => c.delivered.length === 5, '5 lines');
  await r.shutdown();
  assert.deepEqual(c.delivered, ['one', 'two', 'thrée ✉', '', 'last']);
  assert.equal(await tel.value('mailsight_items_received_total', { component: 'filelog' }), 5);
  await rm(dir, { recursive: true });
});

test('RawLine shape', async () => {
  const { dir, host } = await tmp();
  const file = join(dir, 'mail.log');
  await writeFile(file, 'hello\n');
  const items: LogItem[] = [];
  const next: Consumer<LogItem> = { async consume(b) { items.push(...b.items); releaseAll(b.acks); } };
  const { r } = receiver(config({ include: [file], start_at: 'beginning' }), next);
  const before = Date.now();
  await r.start(host);
  await waitFor(() => items.length === 1, '1 line');
  await r.shutdown();
  const line = items[0] as RawLine;
  assert.equal(line.kind, 'line');
  assert.equal(line.body, 'hello');
  assert.deepEqual(line.source, { 'log.file.path': file });
  assert.ok(line.observed >= before && line.observed <= Date.now());
  await rm(dir, { recursive: true });
});

test('start_at end skips existing content, reads appended lines and later files from their start', async () => {
  const { dir, host } = await tmp();
  const file = join(dir, 'mail.log');
  await writeFile(file, text(lines('old', 1, 50)));
  const c = new TestConsumer();
  const { r } = receiver(config({ include: [join(dir, '*.log')], start_at: 'end' }), c);
  await r.start(host);
  await delay(80);
  await appendFile(file, text(lines('new', 1, 3)));
  await writeFile(join(dir, 'later.log'), text(lines('later', 1, 2)));
  await waitFor(() => c.delivered.length === 5, '5 lines');
  await delay(60);
  await r.shutdown();
  assertOnce(c.delivered, [...lines('new', 1, 3), ...lines('later', 1, 2)]);
  await rm(dir, { recursive: true });
});

test('a partial last line waits for its newline (also across restarts)', async () => {
  const { dir, host } = await tmp();
  const file = join(dir, 'mail.log');
  await writeFile(file, 'a\nb\npart');
  const c = new TestConsumer();
  const { r } = receiver(config({ include: [file], start_at: 'beginning' }), c);
  await r.start(host);
  await waitFor(() => c.delivered.length === 2, '2 lines');
  await delay(80);
  assert.deepEqual(c.delivered, ['a', 'b']);
  await appendFile(file, 'ial');
  await delay(60);
  assert.deepEqual(c.delivered, ['a', 'b']);
  await r.shutdown();
  // The partial line is not part of the checkpoint: a new instance picks it up once complete.
  await appendFile(file, '\nc\n');
  const c2 = new TestConsumer();
  const { r: r2 } = receiver(config({ include: [file], start_at: 'beginning' }), c2);
  await r2.start(host);
  await waitFor(() => c2.delivered.length === 2, '2 more lines');
  await r2.shutdown();
  assert.deepEqual(c2.delivered, ['partial', 'c']);
  await rm(dir, { recursive: true });
});

test('long lines are split at max_line_bytes on character boundaries and counted; tiny reads keep lines whole', async () => {
  const { dir, host } = await tmp();
  const file = join(dir, 'mail.log');
  const long = 'é'.repeat(150); // 300 bytes
  const small = lines('ligne-é-', 1, 40);
  await writeFile(file, text([...small.slice(0, 20), long, ...small.slice(20)]) + 'x'.repeat(250));
  const c = new TestConsumer();
  const { r, tel } = receiver(config({ include: [file], start_at: 'beginning', max_line_bytes: 100, max_batch: 7 }), c, { chunkBytes: 16 });
  await r.start(host);
  // 40 small + 300 bytes of é -> 100,100,100 + unterminated 250 bytes of x -> 100,100 (50 wait)
  await waitFor(() => c.delivered.length === 45, '45 pieces');
  await delay(60);
  await r.shutdown();
  assert.deepEqual(c.delivered.slice(0, 20), small.slice(0, 20));
  assert.deepEqual(c.delivered.slice(20, 23), ['é'.repeat(50), 'é'.repeat(50), 'é'.repeat(50)]);
  assert.deepEqual(c.delivered.slice(23, 43), small.slice(20));
  assert.deepEqual(c.delivered.slice(43), ['x'.repeat(100), 'x'.repeat(100)]);
  assert.equal(await tel.value('mailsight_filelog_line_splits_total', { component: 'filelog' }), 4);
  await rm(dir, { recursive: true });
});

test('rename rotation while running: old file drained (also after the rename), new file read once', async () => {
  const { dir, host } = await tmp();
  const file = join(dir, 'mail.log');
  await writeFile(file, text(lines('a', 1, 5)));
  const c = new TestConsumer();
  const { r, tel } = receiver(config({ include: [file], start_at: 'beginning' }), c);
  await r.start(host);
  await waitFor(() => c.delivered.length === 5, 'first 5');
  await rename(file, file + '.1');
  await appendFile(file + '.1', text(lines('a', 6, 8))); // the MTA still writes to the old file
  await writeFile(file, text(lines('b', 1, 4)));
  await delay(30);
  await appendFile(file + '.1', text(lines('a', 9, 9)));
  await appendFile(file, text(lines('b', 5, 6)));
  await waitFor(() => c.delivered.length === 15, '15 lines');
  await delay(200); // past the lost-file grace: nothing more arrives
  await r.shutdown();
  assertOnce(c.delivered, [...lines('a', 1, 9), ...lines('b', 1, 6)]);
  assert.equal(await tel.value('mailsight_filelog_rotations_total', { component: 'filelog' }), 1);
  // The drained file is forgotten; only the live one is checkpointed.
  const cp = JSON.parse(await readFile(join(host.dataDir, 'filelog_test', CHECKPOINT_FILE), 'utf8'));
  assert.equal(cp.files.length, 1);
  assert.equal(cp.files[0].path, file);
  await rm(dir, { recursive: true });
});

test('rename rotation with a glob that also matches the rotated name: no duplicates', async () => {
  const { dir, host } = await tmp();
  const file = join(dir, 'mail.log');
  await writeFile(file, text(lines('a', 1, 5)));
  const c = new TestConsumer();
  const { r } = receiver(config({ include: [join(dir, 'mail.log*')], start_at: 'beginning' }), c);
  await r.start(host);
  await waitFor(() => c.delivered.length === 5, 'first 5');
  await rename(file, file + '.1');
  await appendFile(file + '.1', text(lines('a', 6, 7)));
  await writeFile(file, text(lines('b', 1, 3)));
  await waitFor(() => c.delivered.length === 10, '10 lines');
  await delay(100);
  await r.shutdown();
  assertOnce(c.delivered, [...lines('a', 1, 7), ...lines('b', 1, 3)]);
  await rm(dir, { recursive: true });
});

test('copytruncate: truncated file is read again from 0 (shorter and longer than before), counted', async () => {
  const { dir, host } = await tmp();
  const file = join(dir, 'mail.log');
  await writeFile(file, text(lines('first-', 1, 10)));
  const c = new TestConsumer();
  const { r, tel } = receiver(config({ include: [file], start_at: 'beginning' }), c);
  await r.start(host);
  await waitFor(() => c.delivered.length === 10, '10 lines');
  // Shorter than what was read.
  await copyFile(file, file + '.1');
  await truncate(file, 0);
  await appendFile(file, text(['second-1']));
  await waitFor(() => c.delivered.length === 11, '11 lines');
  // Longer than what was read before the poll sees it: caught by the fingerprint.
  await copyFile(file, file + '.2');
  await writeFile(file, text(lines('third-with-a-much-longer-line-', 1, 10)));
  await waitFor(() => c.delivered.length === 21, '21 lines');
  await delay(60);
  await r.shutdown();
  assertOnce(c.delivered, [...lines('first-', 1, 10), 'second-1', ...lines('third-with-a-much-longer-line-', 1, 10)]);
  assert.equal(await tel.value('mailsight_filelog_truncations_total', { component: 'filelog' }), 2);
  await rm(dir, { recursive: true });
});

test('copytruncate with the copy inside the include set: the copy continues where the original was left', async () => {
  const { dir, host } = await tmp();
  const file = join(dir, 'mail.log');
  const fp = 'x'.repeat(40); // fingerprint_size is 32 here: both files start with a full fingerprint
  await writeFile(file, text([fp, ...lines('a', 1, 5)]));
  const c = new TestConsumer();
  const { r } = receiver(config({ include: [join(dir, 'mail.log*')], start_at: 'beginning', fingerprint_size: 32 }), c);
  await r.start(host);
  await waitFor(() => c.delivered.length === 6, '6 lines');
  await appendFile(file, text(lines('a', 6, 7))); // written just before the copy, not read yet
  await copyFile(file, file + '.1');
  await writeFile(file, text(lines('b', 1, 2)));
  await waitFor(() => c.delivered.length === 10, '10 lines');
  await delay(100);
  await r.shutdown();
  assertOnce(c.delivered, [fp, ...lines('a', 1, 7), ...lines('b', 1, 2)]);
  await rm(dir, { recursive: true });
});

test('checkpoint restart continues exactly after the last delivered line', async () => {
  const { dir, host } = await tmp();
  const file = join(dir, 'mail.log');
  const all = lines('l', 1, 100);
  await writeFile(file, text(all));
  // Instance 1 delivers 3 batches of 10, then batches are held (never delivered).
  const c1 = new TestConsumer((n) => (n < 3 ? 'release' : 'hold'));
  const { r: r1 } = receiver(config({ include: [file], start_at: 'beginning', max_batch: 10 }), c1);
  await r1.start(host);
  await waitFor(() => c1.delivered.length === 30 && c1.held.length >= 1, '30 delivered');
  await r1.shutdown();
  assert.ok(c1.seen.length > 30, 'more was read than delivered');
  const cp = JSON.parse(await readFile(join(host.dataDir, 'filelog_test', CHECKPOINT_FILE), 'utf8'));
  assert.equal(cp.version, 1);
  assert.equal(cp.files[0].path, file);
  assert.equal(cp.files[0].offset, Buffer.byteLength(text(all.slice(0, 30))));
  assert.equal(typeof cp.files[0].dev, 'string');
  assert.equal(typeof cp.files[0].ino, 'string');
  assert.equal(Buffer.from(cp.files[0].fingerprint, 'base64').toString(), text(all).slice(0, 1000));

  // start_at end must not apply: a checkpoint exists.
  const c2 = new TestConsumer();
  const { r: r2 } = receiver(config({ include: [file], start_at: 'end', max_batch: 10 }), c2);
  await r2.start(host);
  await waitFor(() => c2.delivered.length === 70, '70 more');
  await delay(60);
  await r2.shutdown();
  assert.deepEqual([...c1.delivered, ...c2.delivered], all);
  await rm(dir, { recursive: true });
});

test('checkpoint restart when the file was rotated while stopped: old file drained from its offset, then the new one', async () => {
  const { dir, host } = await tmp();
  const file = join(dir, 'mail.log');
  await writeFile(file, text(lines('a', 1, 40)));
  const c1 = new TestConsumer((n) => (n < 2 ? 'release' : 'hold'));
  const { r: r1 } = receiver(config({ include: [file], start_at: 'beginning', max_batch: 10 }), c1);
  await r1.start(host);
  await waitFor(() => c1.delivered.length === 20 && c1.held.length >= 1, '20 delivered');
  await r1.shutdown();
  // While stopped: more lines, then rename rotation and a new file.
  await appendFile(file, text(lines('a', 41, 45)));
  await rename(file, file + '.1');
  await writeFile(file, text(lines('b', 1, 5)));
  const c2 = new TestConsumer();
  const { r: r2 } = receiver(config({ include: [file], start_at: 'end', max_batch: 10 }), c2);
  await r2.start(host);
  await waitFor(() => c2.delivered.length === 30, '30 more');
  await delay(200);
  await r2.shutdown();
  assert.deepEqual([...c1.delivered, ...c2.delivered], [...lines('a', 1, 45), ...lines('b', 1, 5)]);
  // Lines of the rotated file keep the path they were written under.
  const cp = JSON.parse(await readFile(join(host.dataDir, 'filelog_test', CHECKPOINT_FILE), 'utf8'));
  assert.deepEqual(cp.files.map((f: { path: string }) => f.path), [file], 'the drained file is forgotten');
  await rm(dir, { recursive: true });
});

test('failed delivery: lines are read again from the last delivered offset, exactly once delivered', async () => {
  const { dir, host } = await tmp();
  const file = join(dir, 'mail.log');
  const all = lines('l', 1, 50);
  await writeFile(file, text(all));
  const c = new TestConsumer((n) => (n === 1 ? 'fail' : 'release'));
  const { r } = receiver(config({ include: [file], start_at: 'beginning', max_batch: 10 }), c, { maxInFlight: 1 });
  await r.start(host);
  await waitFor(() => c.delivered.length === 50, '50 delivered');
  await delay(60);
  await r.shutdown();
  assert.deepEqual(c.delivered, all);
  assert.deepEqual(c.seen.slice(10, 20), c.seen.slice(20, 30), 'the failed batch came again');
  await rm(dir, { recursive: true });
});

test('refused emit (RefusedError): back off and read the same lines again', async () => {
  const { dir, host } = await tmp();
  const file = join(dir, 'mail.log');
  const all = lines('l', 1, 30);
  await writeFile(file, text(all));
  const c = new TestConsumer((n) => (n < 2 ? 'refuse' : 'release'));
  const { r } = receiver(config({ include: [file], start_at: 'beginning', max_batch: 10 }), c);
  await r.start(host);
  await waitFor(() => c.delivered.length === 30, '30 delivered');
  await delay(60);
  await r.shutdown();
  assert.equal(c.batches, 5, '2 refused + 3 delivered');
  assert.deepEqual(c.delivered, all);
  await rm(dir, { recursive: true });
});

test('back-pressure: with a consumer that does not deliver, only a bounded number of lines is read', async () => {
  const { dir, host } = await tmp();
  const file = join(dir, 'mail.log');
  const all = lines('line-', 1, 10_000);
  await writeFile(file, text(all));
  const c = new TestConsumer((n) => (n < 1000 ? 'hold' : 'release'));
  const { r, tel } = receiver(config({ include: [file], start_at: 'beginning', max_batch: 50 }), c);
  await r.start(host);
  await waitFor(() => c.seen.length >= 16 * 50, 'sixteen batches');
  await delay(100);
  const read = await tel.value('mailsight_items_received_total', { component: 'filelog' });
  // 16 batches in flight + 1 being filled (the rest of the 256 KiB chunk waits).
  assert.equal(c.seen.length, 16 * 50);
  assert.ok(read <= 17 * 50, `read ${read} lines while 0 were delivered`);
  // Delivering lets it continue; every line arrives once.
  c.decide = () => 'release';
  c.releaseHeld();
  await waitFor(() => c.delivered.length === 10_000, 'all delivered');
  await r.shutdown();
  assert.deepEqual(c.delivered, all);
  await rm(dir, { recursive: true });
});

test('back-pressure: a slow consume() is awaited before reading more', async () => {
  const { dir, host } = await tmp();
  const file = join(dir, 'mail.log');
  await writeFile(file, text(lines('l', 1, 1000)));
  let inConsume = 0;
  let maxConcurrent = 0;
  const got: string[] = [];
  const next: Consumer<LogItem> = {
    async consume(b) {
      maxConcurrent = Math.max(maxConcurrent, ++inConsume);
      await delay(2);
      got.push(...b.items.map((i) => (i as RawLine).body));
      inConsume--;
      releaseAll(b.acks);
    },
  };
  const { r } = receiver(config({ include: [file], start_at: 'beginning', max_batch: 100 }), next);
  await r.start(host);
  await waitFor(() => got.length === 1000, 'all');
  await r.shutdown();
  assert.equal(maxConcurrent, 1);
  await rm(dir, { recursive: true });
});

test('exclude, storage none, and an unreadable file is counted and skipped without crashing', async () => {
  const { dir, host } = await tmp();
  await writeFile(join(dir, 'a.log'), 'a1\n');
  await writeFile(join(dir, 'skip.log'), 's1\n');
  await writeFile(join(dir, 'locked.log'), 'x1\n');
  const c = new TestConsumer();
  const root = process.getuid?.() === 0;
  if (!root) await chmod(join(dir, 'locked.log'), 0o000);
  const { r, tel } = receiver(
    config({ include: [join(dir, '*.log')], exclude: [join(dir, 'skip.log')], start_at: 'beginning', storage: 'none' }),
    c,
  );
  await r.start(host);
  await waitFor(() => c.delivered.length >= (root ? 2 : 1), 'lines');
  await delay(80);
  await r.shutdown();
  assert.ok(!c.delivered.includes('s1'));
  assert.ok(c.delivered.includes('a1'));
  if (!root) assert.ok((await tel.value('mailsight_errors_total', { component: 'filelog' })) >= 1);
  assert.equal(existsSync(host.dataDir), false, 'storage none writes no checkpoint');
  await rm(dir, { recursive: true, force: true });
});

test('shutdown is bounded when downstream never delivers and writes the last delivered offset', async () => {
  const { dir, host } = await tmp();
  const file = join(dir, 'mail.log');
  await writeFile(file, text(lines('l', 1, 30)));
  const c = new TestConsumer((n) => (n === 0 ? 'release' : 'hold'));
  const { r } = receiver(config({ include: [file], start_at: 'beginning', max_batch: 10 }), c, { shutdownWaitMs: 100 });
  await r.start(host);
  await waitFor(() => c.seen.length === 30, '30 seen');
  const t0 = Date.now();
  await r.shutdown();
  assert.ok(Date.now() - t0 < 1000);
  const cp = JSON.parse(await readFile(join(host.dataDir, 'filelog_test', CHECKPOINT_FILE), 'utf8'));
  assert.equal(cp.files[0].offset, Buffer.byteLength(text(lines('l', 1, 10))));
  await rm(dir, { recursive: true });
});
