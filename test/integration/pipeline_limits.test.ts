// Issue checks for the runtime: 1,000,000 lines through filelog into a slow exporter, with
// `block` (everything arrives, bounded memory) and `drop_newest` (received = exported +
// dropped). Each run is a separate process so its RSS is its own.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { tempDir } from '../helpers/tmp.js';

const LINES = 1_000_000;
const dir = tempDir('mailsight-limits-');
const file = join(dir, 'big.log');
const child = join(import.meta.dirname, 'slow_pipeline_child.js');

before(async () => {
  const out = createWriteStream(file);
  let chunk = '';
  for (let i = 0; i < LINES; i++) {
    chunk += `line ${String(i).padStart(10, '0')} Nov 27 22:06:40 mx1 postfix/qmgr[4590]: 4053316030D: from=<app2@billing.lab.test>, size=403, nrcpt=1 (queue active)\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
});

function runChild(whenFull: string) {
  const r = spawnSync(process.execPath, [child, file, whenFull, join(dir, whenFull)], {
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...process.env, LINES: String(LINES) },
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { read: number; exported: number; dropped: number; outOfOrder: number; peakRss: number };
}

test('block: every one of 1,000,000 lines reaches a slow exporter, in order, under 300 MB RSS', () => {
  const r = runChild('block');
  assert.equal(r.read, LINES);
  assert.equal(r.exported, LINES);
  assert.equal(r.dropped, 0);
  assert.equal(r.outOfOrder, 0);
  assert.ok(r.peakRss < 300 * 1024 * 1024, `peak RSS ${(r.peakRss / 1048576).toFixed(0)} MB`);
});

test('drop_newest: received = exported + dropped, and something was dropped', () => {
  const r = runChild('drop_newest');
  assert.equal(r.read, LINES);
  assert.ok(r.dropped > 0, 'a slow exporter behind a small queue must drop');
  assert.equal(r.exported + r.dropped, r.read);
  assert.equal(r.outOfOrder, 0);
});
