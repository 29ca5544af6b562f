import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endianness } from 'node:os';
import { parseProcNetUdp, procLocalAddress } from './udp_stats.js';

const SAMPLE = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  123: 0100007F:158A 00000000:0000 07 00000000:00000A00 00:00000000 00000000     0        0 93001 2 0000000000000000 17
  124: 00000000:0202 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 93002 2 0000000000000000 0
`;

test('/proc/net/udp local address of 127.0.0.1:5514 and ::1', () => {
  if (endianness() === 'LE') {
    assert.equal(procLocalAddress('127.0.0.1', 5514), '0100007F:158A');
    assert.equal(procLocalAddress('0.0.0.0', 514), '00000000:0202');
    assert.equal(procLocalAddress('::1', 5514), '00000000000000000000000001000000:158A');
  } else {
    assert.equal(procLocalAddress('127.0.0.1', 5514), '7F000001:158A');
  }
});

test('drops and receive queue of the matching row', () => {
  assert.deepEqual(parseProcNetUdp(SAMPLE, '0100007F:158A'), { rxQueue: 0xa00, drops: 17 });
  assert.deepEqual(parseProcNetUdp(SAMPLE, '00000000:0202'), { rxQueue: 0, drops: 0 });
  assert.equal(parseProcNetUdp(SAMPLE, '0100007F:0001'), undefined);
  assert.equal(parseProcNetUdp('garbage', '0100007F:158A'), undefined);
});
