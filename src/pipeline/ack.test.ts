import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ack } from './ack.js';

test('settles when the creator sealed and every retained share was released', async () => {
  const a = new Ack();
  a.retain(2);
  a.seal();
  a.release();
  let done = false;
  void a.settled.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(done, false);
  a.release();
  await a.settled;
});

test('a failure anywhere rejects the ack once all shares are in', async () => {
  const a = new Ack();
  a.retain(1);
  a.fail(new Error('refused'));
  a.seal();
  await assert.rejects(a.settled, /refused/);
});
