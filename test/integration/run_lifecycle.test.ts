// `mailsight run` as a process: SIGTERM while lines are in flight exports every line read,
// exits 0, and a restart continues exactly after the last exported line (no duplicate, no
// gap), also when the file was rotated while mailsight was stopped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('mailsight-run-');
const input = join(dir, 'mail.log');
const output = join(dir, 'out.jsonl');
const line = (n: number) => `${String(n).padStart(9, '0')} Nov 27 22:06:40 mx1 postfix/qmgr[4590]: 4053316030D: removed\n`;
const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => line(from + i)).join('');

const configFile = join(dir, 'pipeline.yaml');
writeFileSync(
  configFile,
  `receivers:
  filelog: { include: ["${input}"], start_at: beginning, storage: "${join(dir, 'ckpt')}", max_batch: 500 }
exporters:
  file:
    path: "${output}"
    flush_interval: 20ms
    queue: { size: 2000, batch_size: 500, batch_timeout: 20ms }
service:
  pipelines:
    logs: { receivers: [filelog], exporters: [file] }
  telemetry: { listen: null }
  data_dir: "${join(dir, 'data')}"
`,
);

/** Line numbers in the output so far: whole lines only (the exporter may be mid-write). */
function exported(): number[] {
  if (!existsSync(output)) return [];
  const text = readFileSync(output, 'utf8');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter(Boolean)
    .map((l) => Number((JSON.parse(l) as { body: string }).body.slice(0, 9)));
}

async function runUntil(ready: () => boolean): Promise<{ code: number | null; filelogReceived: number }> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'mailsight.js'), 'run', '-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = once(child, 'exit') as Promise<[number | null]>;
  try {
    const deadline = Date.now() + 60_000;
    while (!ready() && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGTERM');
  } catch (err) {
    // Never leave the child running: its stderr pipe would keep this test process alive.
    child.kill('SIGKILL');
    throw err;
  }
  const [code] = await exit;
  const stopped = stderr
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { msg: string; counts?: Record<string, { received: number }> })
    .find((l) => l.msg === 'stopped');
  assert.ok(stopped?.counts, `no final counts in log:\n${stderr}`);
  return { code, filelogReceived: stopped.counts['receiver/filelog'].received };
}

test('SIGTERM mid-file drains, exits 0; restarts continue exactly, across a rotation', async () => {
  writeFileSync(input, lines(0, 200_000));

  // 1. Stop while lines are in flight: everything read is exported.
  const first = await runUntil(() => existsSync(output) && statSync(output).size > 0);
  assert.equal(first.code, 0);
  const got1 = exported();
  assert.ok(got1.length > 0 && got1.length < 200_000, `stopped mid-file (exported ${got1.length})`);
  assert.equal(got1.length, first.filelogReceived, 'every line read before the signal was exported');
  assert.deepEqual(got1, Array.from({ length: got1.length }, (_, i) => i));

  // 2. Restart: continues right after the last exported line.
  const second = await runUntil(() => exported().length >= got1.length + 1000);
  assert.equal(second.code, 0);
  const got2 = exported();
  assert.deepEqual(got2, Array.from({ length: got2.length }, (_, i) => i), 'no duplicate, no gap');
  assert.ok(got2.length < 200_000, 'still mid-file before the rotation');

  // 3. Rotate while stopped (mail.log -> mail.log.1, new mail.log), then finish both files.
  renameSync(input, input + '.1');
  writeFileSync(input, lines(200_000, 201_000));
  const third = await runUntil(() => exported().length >= 201_000);
  assert.equal(third.code, 0);
  const got3 = exported();
  assert.equal(got3.length, 201_000);
  assert.deepEqual(got3, Array.from({ length: 201_000 }, (_, i) => i), 'old file drained first, then the new one, each line once');
});
