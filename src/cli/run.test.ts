import { test } from 'node:test';
import assert from 'node:assert/strict';
import { semiSpaceFlag } from './run.js';

test('semiSpaceFlag finds --max-semi-space-size in node arguments or NODE_OPTIONS, the command line winning', () => {
  assert.equal(semiSpaceFlag([], undefined), undefined);
  assert.equal(semiSpaceFlag(['--max-old-space-size=512'], ''), undefined);
  assert.equal(semiSpaceFlag(['--max-semi-space-size=32'], undefined), '32');
  assert.equal(semiSpaceFlag(['--max_semi_space_size', '64'], undefined), '64');
  assert.equal(semiSpaceFlag([], '--enable-source-maps --max-semi-space-size=48'), '48');
  assert.equal(semiSpaceFlag(['--max-semi-space-size=32'], '--max-semi-space-size=8'), '32');
});
