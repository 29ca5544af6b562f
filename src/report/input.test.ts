import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileBlocks, LineSource } from './input.js';
import { tempDir } from '../../test/helpers/tmp.js';

const dir = tempDir('mailsight-input-');
test.after(() => rmSync(dir, { recursive: true, force: true }));

// Lines of every length around the 64 KiB block size, non-ASCII text, CRLF, empty lines and
// a last line without a newline.
function sample(): string[] {
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const n = (i * 7919) % 400;
    let l = `line ${i} ` + 'x'.repeat(n);
    if (i % 97 === 0) l += ' Grüße ✓';
    if (i % 13 === 0) l += '\r';
    lines.push(l);
    if (i % 50 === 0) lines.push('');
  }
  lines.push('y'.repeat(200_000)); // longer than the buffer: it grows
  lines.push('last line without newline');
  return lines;
}

async function readAll(src: LineSource): Promise<string[]> {
  const out: string[] = [];
  for (let l = await src.next(); l !== undefined; l = await src.next()) out.push(l);
  return out;
}

test('LineSource yields the non-empty lines without CR, for plain, gzip and odd sizes', async () => {
  const lines = sample();
  const text = lines.join('\n');
  const want = lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)).filter((l) => l !== '');
  const plain = join(dir, 'a.log');
  writeFileSync(plain, text);
  writeFileSync(plain + '.gz', gzipSync(text));
  assert.deepEqual(await readAll(new LineSource(plain)), want);
  assert.deepEqual(await readAll(new LineSource(plain + '.gz')), want);
});

test('fileBlocks over byte ranges covers every line, none cut, only a few twice', () => {
  const lines = sample();
  const text = lines.join('\n') + '\n';
  const file = join(dir, 'b.log');
  writeFileSync(file, text);
  const size = Buffer.byteLength(text);
  for (const parts of [1, 2, 3, 7]) {
    const seen = new Map<string, number>();
    for (let i = 0; i < parts; i++) {
      const start = Math.floor((i * size) / parts);
      const end = Math.floor(((i + 1) * size) / parts);
      for (const block of fileBlocks(file, start, end)) {
        const s = block.toString('utf8');
        assert.ok(s.endsWith('\n'), 'blocks end at a newline');
        for (const l of s.slice(0, -1).split('\n')) seen.set(l, (seen.get(l) ?? 0) + 1);
      }
    }
    for (const l of lines) assert.ok((seen.get(l) ?? 0) >= 1, `line missing with ${parts} parts: ${l.slice(0, 40)}`);
    // A range may read on to the end of its last block (64 KiB): that much is seen twice.
    let twiceBytes = 0;
    for (const [l, n] of seen) if (n > 1 && l !== '') twiceBytes += Buffer.byteLength(l) + 1;
    assert.ok(twiceBytes <= (parts - 1) * 65536, `${twiceBytes} bytes seen twice with ${parts} parts`);
    assert.equal(seen.size, new Set(lines).size, 'no partial lines');
  }
});
