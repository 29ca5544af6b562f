import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../../test/helpers/tmp.js';
import { automatonKey, readAutomaton, writeAutomaton, type Automaton } from './automaton_file.js';
import { AUTOMATON_FILE, AUTOMATON_KEY, buildAutomaton } from './classify.js';

const dir = tempDir('mailsight-automaton-');
test.after(() => rmSync(dir, { recursive: true, force: true }));

function assertSame(a: Automaton | undefined, b: Automaton): void {
  assert.ok(a, 'loaded');
  assert.deepEqual(a.delta, b.delta);
  assert.deepEqual(a.outStart, b.outStart);
  assert.deepEqual(a.outPat, b.outPat);
}

test('the automaton npm run build saved is the one classify builds, under the current key', () => {
  assertSame(readAutomaton(AUTOMATON_FILE, AUTOMATON_KEY), buildAutomaton());
});

test('write then read: the same tables for the same key; another key, a damaged or missing file give none', () => {
  // Odd lengths, so that the 4-byte padding between the arrays is exercised.
  const a: Automaton = { delta: Uint16Array.from([1, 0x8002, 3]), outStart: Int32Array.from([0, 1, 1, 2]), outPat: Int32Array.from([7, -1]) };
  const file = join(dir, 'a.bin');
  writeAutomaton(file, 'k1', a);
  assertSame(readAutomaton(file, 'k1'), a);
  assert.equal(readAutomaton(file, 'k2'), undefined, 'another phrase set');
  const bytes = readFileSync(file);
  writeFileSync(file, bytes.subarray(0, bytes.length - 1));
  assert.equal(readAutomaton(file, 'k1'), undefined, 'truncated');
  writeFileSync(file, 'not an automaton\n');
  assert.equal(readAutomaton(file, 'k1'), undefined, 'not one at all');
  assert.equal(readAutomaton(join(dir, 'missing.bin'), 'k1'), undefined);
});

test('the key changes with any phrase and with how the phrases are split', () => {
  const k = automatonKey(['user unknown', 'mailbox full']);
  assert.equal(k, automatonKey(['user unknown', 'mailbox full']));
  assert.notEqual(k, automatonKey(['user unknown', 'mailbox ful']));
  assert.notEqual(automatonKey(['ab', 'c']), automatonKey(['a', 'bc']));
  assert.match(k, /^(crc|fnv)[0-9a-f]{8}\.\d+$/);
});
