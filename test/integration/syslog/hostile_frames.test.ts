// Malformed and hostile input against a syslog receiver running in a child process: random
// bytes, 10 MB frames (octet-counted and unterminated), half-open connections that stop in the
// middle of a frame, thousands of idle connections beyond the connection limit. Afterwards the
// receiver still serves a well-behaved sender, everything was counted, and its memory stayed
// bounded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { join } from 'node:path';

interface Stats {
  rss: number;
  peakRss: number;
  delivered: number;
  lastBody: string;
  counters: Record<string, number>;
}

const MB = 1024 * 1024;
const MAX_CONNECTIONS = 500;
let child: ChildProcess;
let port = 0;
const open: Socket[] = [];
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

function stats(): Promise<Stats> {
  return new Promise((res) => {
    child.once('message', (m) => res(m as Stats));
    child.send('gc');
  });
}

function conn(): Promise<Socket> {
  return new Promise((res, rej) => {
    const s = connect({ host: '127.0.0.1', port }, () => res(s));
    s.once('error', rej);
  });
}

/** Write everything (respecting back-pressure), tolerating a reset by the receiver. */
async function writeAll(s: Socket, data: Buffer | string): Promise<void> {
  if (!s.write(data)) await Promise.race([once(s, 'drain'), once(s, 'close')]);
}

before(async () => {
  const config = { protocol: 'tcp', listen: '127.0.0.1:0', max_connections: MAX_CONNECTIONS, max_message_bytes: 65536, batch_timeout: '20ms' };
  child = fork(join(import.meta.dirname, 'hostile_child.js'), [JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    execArgv: ['--expose-gc'],
  });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  port = (JSON.parse(line.toString().split('\n')[0]) as { port: number }).port;
});

after(async () => {
  for (const s of open) s.destroy();
  if (child.exitCode === null) {
    child.send('stop');
    await Promise.race([once(child, 'exit'), delay(5000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('random bytes on 50 connections: the receiver survives; what was read is counted', async () => {
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      const s = await conn();
      s.on('error', () => undefined);
      for (let i = 0; i < 16; i++) await writeAll(s, randomBytes(64 * 1024));
      s.end();
      await once(s, 'close');
    }),
  );
  const st = await stats();
  assert.ok(st.counters.mailsight_items_received_total > 0, 'random bytes still contain LF: some frames were read');
  assert.ok(st.counters.mailsight_syslog_header_fixes_total > 0, 'and counted as not understood');
});

test('10 MB frames, octet-counted and unterminated: cut to max_message_bytes, counted, connection goes on', async () => {
  const before = (await stats()).counters.mailsight_syslog_truncated_total;
  const s = await conn();
  const big = 10 * MB;
  await writeAll(s, `${big} <13>`);
  for (let left = big - 4; left > 0; left -= MB) await writeAll(s, Buffer.alloc(Math.min(MB, left), 0x61));
  await writeAll(s, '22 <13>after the big one');
  const t = await conn();
  for (let i = 0; i < 10; i++) await writeAll(t, Buffer.alloc(MB, 0x62));
  await writeAll(t, '\n<13>Nov  7 06:52:11 mx1 app: after the unterminated one\n');
  s.end();
  t.end();
  await Promise.all([once(s, 'close'), once(t, 'close')]);
  await delay(200);
  const st = await stats();
  assert.equal(st.counters.mailsight_syslog_truncated_total - before, 2);
  assert.ok(st.peakRss < 200 * MB, `peak RSS ${(st.peakRss / MB).toFixed(0)} MB`);
});

test('half-open connections stopped mid-frame and 2000 idle connections: limit enforced, memory bounded, service continues', async () => {
  const base = await stats();
  // 200 senders that stop in the middle of a 60 KB frame and never finish it.
  for (let i = 0; i < 200; i++) {
    const s = await conn();
    s.on('error', () => undefined);
    open.push(s);
    s.write(`<13>Nov  7 06:52:11 mx1 app: ${'h'.repeat(60_000)}`);
  }
  // Then 2000 connections that send nothing.
  let refused = 0;
  for (let i = 0; i < 2000; i++) {
    try {
      const s = await conn();
      s.on('error', () => undefined);
      s.on('close', () => refused++);
      open.push(s);
    } catch {
      refused++;
    }
  }
  await delay(500);
  const st = await stats();
  assert.equal(st.counters.mailsight_syslog_connections, MAX_CONNECTIONS, 'open connections capped');
  const rejected = st.counters.mailsight_syslog_connections_rejected_total - base.counters.mailsight_syslog_connections_rejected_total;
  assert.equal(rejected, 2200 - MAX_CONNECTIONS);
  assert.ok(refused >= 2200 - MAX_CONNECTIONS - 5, `${refused} client sockets were closed by the receiver`);
  assert.ok(st.rss < 250 * MB, `RSS with ${MAX_CONNECTIONS} connections, 200 of them holding 60 KB partial frames: ${(st.rss / MB).toFixed(0)} MB`);

  // Free the slots: a well-behaved sender is served again.
  for (const s of open.splice(0)) s.destroy();
  await delay(300);
  const ok = await conn();
  ok.end('<22>Nov  7 06:52:11 mx1 postfix/smtp[1]: ABC: status=sent\n');
  await once(ok, 'close');
  await delay(200);
  const end = await stats();
  assert.equal(end.lastBody, '<22>Nov  7 06:52:11 mx1 postfix/smtp[1]: ABC: status=sent');
  assert.equal(end.counters.mailsight_syslog_connections, 0);
  console.log(`hostile: peak RSS ${(end.peakRss / MB).toFixed(0)} MB, rss with connections ${(st.rss / MB).toFixed(0)} MB`);
  assert.ok(end.peakRss < 250 * MB, `peak RSS ${(end.peakRss / MB).toFixed(0)} MB`);
});
