import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { StreamFramer } from './framing.js';

function collector(max: number) {
  const frames: string[] = [];
  const counts = { truncated: 0, errors: 0 };
  const f = new StreamFramer(max, {
    frame: (b, s, e) => frames.push(b.toString('latin1', s, e)),
    truncated: () => counts.truncated++,
    framingError: () => counts.errors++,
  });
  return { f, frames, counts };
}

const octet = (...msgs: string[]) => msgs.map((m) => `${Buffer.byteLength(m)} ${m}`).join('');

test('newline framing: LF ends a frame, unterminated tail waits, CR stays for the decoder', () => {
  const { f, frames } = collector(1024);
  f.push(Buffer.from('<13>a\n<13>b\r\n<13>c'));
  assert.deepEqual(frames, ['<13>a', '<13>b\r']);
  f.push(Buffer.from('d\n'));
  assert.deepEqual(frames, ['<13>a', '<13>b\r', '<13>cd']);
  assert.equal(f.framing, 'newline');
});

test('newline framing: unterminated last frame is emitted at end of stream', () => {
  const { f, frames } = collector(1024);
  f.push(Buffer.from('<13>a\n<13>tail'));
  f.end();
  assert.deepEqual(frames, ['<13>a', '<13>tail']);
});

test('octet counting is detected from the first byte; frames may contain LF', () => {
  const { f, frames, counts } = collector(1024);
  f.push(Buffer.from(octet('<13>one', '<13>two\nlines', '<13>3')));
  assert.equal(f.framing, 'octet');
  assert.deepEqual(frames, ['<13>one', '<13>two\nlines', '<13>3']);
  assert.equal(counts.errors, 0);
});

test('octet counting split at every byte position across chunks', () => {
  const msgs = ['<13>first message', '<14>2nd ✉ unicode', '<15>' + 'x'.repeat(300)];
  const wire = Buffer.from(octet(...msgs));
  for (let cut = 1; cut < wire.length; cut++) {
    const { f, frames } = collector(1024);
    f.push(wire.subarray(0, cut));
    f.push(wire.subarray(cut));
    assert.deepEqual(
      frames.map((s) => Buffer.from(s, 'latin1').toString('utf8')),
      msgs,
      `cut at ${cut}`,
    );
  }
  // And one byte at a time.
  const { f, frames } = collector(1024);
  for (let i = 0; i < wire.length; i++) f.push(wire.subarray(i, i + 1));
  assert.equal(frames.length, 3);
});

test('octet counting tolerates LF/CR/NUL/space between frames', () => {
  const { f, frames, counts } = collector(1024);
  f.push(Buffer.from(`${octet('<13>a')}\n${octet('<13>b')}\r\n\0 ${octet('<13>c')}`));
  assert.deepEqual(frames, ['<13>a', '<13>b', '<13>c']);
  assert.equal(counts.errors, 0);
});

test('oversize newline frame: first max bytes, rest skipped without buffering, counted', () => {
  const { f, frames, counts } = collector(480);
  f.push(Buffer.from('<13>' + 'a'.repeat(300)));
  f.push(Buffer.from('b'.repeat(300)));
  assert.equal(frames.length, 1);
  assert.equal(frames[0].length, 480);
  for (let i = 0; i < 100; i++) {
    f.push(Buffer.alloc(100_000, 0x63));
    assert.equal(f.buffered, 0, 'skipped bytes are not held');
  }
  f.push(Buffer.from('ccc\n<13>next\n'));
  assert.deepEqual(frames.slice(1), ['<13>next']);
  assert.equal(counts.truncated, 1);
});

test('a frame of exactly max bytes is not truncated', () => {
  const { f, frames, counts } = collector(480);
  const m = 'm'.repeat(480);
  f.push(Buffer.from(m.slice(0, 200)));
  f.push(Buffer.from(m.slice(200) + '\n'));
  assert.deepEqual(frames, [m]);
  assert.equal(counts.truncated, 0);
  const o = collector(480);
  o.f.push(Buffer.from(octet(m)));
  assert.deepEqual(o.frames, [m]);
  assert.equal(o.counts.truncated, 0);
});

test('oversize octet frame (10 MB): cut to max, the rest skipped, next frame intact', () => {
  const { f, frames, counts } = collector(1024);
  const big = 10 * 1024 * 1024;
  f.push(Buffer.from(`${big} <13>`));
  let left = big - 4;
  while (left > 0) {
    const n = Math.min(left, 65536);
    f.push(Buffer.alloc(n, 0x7a));
    left -= n;
    assert.ok(f.buffered <= 1024);
  }
  f.push(Buffer.from(octet('<13>after')));
  assert.equal(frames.length, 2);
  assert.equal(frames[0].length, 1024);
  assert.ok(frames[0].startsWith('<13>zzz'));
  assert.equal(frames[1], '<13>after');
  assert.equal(counts.truncated, 1);
});

test('invalid octet header falls back to newline framing, keeping the bytes', () => {
  const { f, frames, counts } = collector(1024);
  f.push(Buffer.from(octet('<13>ok') + '12x not a length\n<13>then newline\n'));
  assert.deepEqual(frames, ['<13>ok', '12x not a length', '<13>then newline']);
  assert.equal(counts.errors, 1);
  assert.equal(f.framing, 'newline');
});

test('a length of more than 10 digits is not a length', () => {
  const { f, frames, counts } = collector(1024);
  f.push(Buffer.from('12345678901234 x\n'));
  assert.equal(counts.errors, 1);
  assert.deepEqual(frames, ['12345678901234 x']);
});

test('octet frame cut by the end of the stream is counted, not emitted', () => {
  const { f, frames, counts } = collector(1024);
  f.push(Buffer.from('20 <13>short'));
  f.end();
  assert.deepEqual(frames, []);
  assert.equal(counts.errors, 1);
});

test('random bytes: never throws, never holds more than max bytes', () => {
  for (let round = 0; round < 200; round++) {
    const { f } = collector(512);
    for (let i = 0; i < 20; i++) {
      f.push(randomBytes(1 + Math.floor(Math.random() * 2000)));
      assert.ok(f.buffered <= 512);
    }
    f.end();
  }
});
