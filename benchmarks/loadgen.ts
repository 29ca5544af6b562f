// Load generator of the `syslog` case, run as its own process so that its CPU is not
// mailsight's: sends corpus lines as RFC 3164 syslog over TCP (newline framing) at a fixed
// rate or as fast as the socket takes them (back-pressure honoured), and measures the latency
// from a line's send to its effect on /metrics with probe lines: a NOQUEUE reject with reply
// code 521 (absent from generated corpora) every probe interval, in the same stream, so a
// probe is counted only after everything sent before it.
//
// A warm-up (--warmup-lines W: the first W lines of the file, as fast as back-pressure allows,
// until their effect is visible) runs first, so that the measured lines see a warm process,
// as a long-running daemon is: the targets are about sustained rates, not the first second of
// a cold JIT. The measured phase then sends the next N lines. Markers on stdout,
// `{"event":"start"}` and `{"event":"done"}` (the last probe seen), let the caller sample the
// receiving process over exactly the measured window; the result is the last line.
//   node dist/benchmarks/loadgen.js --port P --file F --lines N --rate R|0 --metrics URL [--warmup-lines W]
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';

interface Args {
  host: string;
  port: number;
  file: string;
  lines: number;
  rate: number;
  metrics: string;
  probeEveryMs: number;
  timeoutS: number;
  warmupLines: number;
}

export interface LoadgenResult {
  /** Lines of the measured phase (after the warm-up). */
  lines: number;
  warmup_lines: number;
  send_s: number;
  /** Start of sending → the last probe seen on /metrics. */
  done_s: number;
  probes_sent: number;
  probes_seen: number;
  latencies_ms: number[];
  /** CPU seconds (user + system) of this process over the measured phase. */
  cpu_s: number;
}

/** The stdout line that marks the start and the end of the measured phase. */
export type LoadgenMarker = { event: 'start' } | { event: 'done' };

function parseArgs(argv: string[]): Args {
  const a: Args = { host: '127.0.0.1', port: 0, file: '', lines: 0, rate: 0, metrics: '', probeEveryMs: 100, timeoutS: 120, warmupLines: 0 };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i];
    const v = argv[i + 1] ?? '';
    if (k === '--host') a.host = v;
    else if (k === '--port') a.port = Number(v);
    else if (k === '--file') a.file = v;
    else if (k === '--lines') a.lines = Number(v);
    else if (k === '--rate') a.rate = Number(v);
    else if (k === '--metrics') a.metrics = v;
    else if (k === '--probe-every-ms') a.probeEveryMs = Number(v);
    else if (k === '--timeout-s') a.timeoutS = Number(v);
    else if (k === '--warmup-lines') a.warmupLines = Number(v);
    else throw new Error(`loadgen: unknown option ${k}`);
  }
  if (!a.port || !a.file || !a.metrics) throw new Error('loadgen: --port, --file and --metrics are required');
  return a;
}

/** Count of probe rejects on a /metrics page: series of the rejects counter with code 521. */
export function probeCount(text: string): number {
  let n = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.includes('smtpd_rejects') || !line.includes('"521"')) continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(v)) n += v;
  }
  return n;
}

function probeLine(stampOf: string): string {
  return `<22>${stampOf} mx1 postfix/smtpd[999]: NOQUEUE: reject: RCPT from probe.invalid[192.0.2.1]: 521 5.7.1 <probe@probe.invalid>: Recipient address rejected: benchmark probe; from=<bench@probe.invalid> to=<probe@probe.invalid> proto=ESMTP helo=<probe>\n`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const mark = (m: LoadgenMarker) => process.stdout.write(JSON.stringify(m) + '\n');

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const all = readFileSync(a.file, 'utf8').split('\n');
  if (all[all.length - 1] === '') all.pop();
  const warm = all.slice(0, Math.min(a.warmupLines, all.length));
  const rest = all.slice(warm.length);
  const lines = a.lines > 0 ? rest.slice(0, a.lines) : rest;
  if (lines.length === 0) throw new Error('loadgen: no lines left to measure after the warm-up');
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const now = () => Number(process.hrtime.bigint()) / 1e6;

  const scrape = () =>
    new Promise<number>((resolve, reject) => {
      const req = request(a.metrics, { agent, timeout: 5000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(probeCount(body)));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('scrape timeout')));
      req.on('error', reject);
      req.end();
    });

  const sock: Socket = connect({ host: a.host, port: a.port });
  sock.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  const write = (s: string) =>
    sock.write(s) ? Promise.resolve() : new Promise<void>((r) => sock.once('drain', () => r()));

  if (warm.length > 0) await warmUp(warm, write, scrape, a.timeoutS);

  const base = await scrape();
  const sentAt: number[] = [];
  const latencies: number[] = [];
  let seen = 0;
  let lastSeenAt = 0;
  let polling = true;
  let sent = false;
  let cpuEnd = 0;
  // One scrape in flight at a time, back to back with a short pause: ~10 ms resolution.
  const poller = (async () => {
    while (polling) {
      try {
        const c = (await scrape()) - base;
        const t = now();
        while (seen < c && seen < sentAt.length) {
          latencies.push(t - sentAt[seen]);
          seen++;
          lastSeenAt = t;
        }
        if (sent && seen === sentAt.length && cpuEnd === 0) {
          cpuEnd = cpuSeconds();
          mark({ event: 'done' });
        }
      } catch {
        // mailsight busy or restarting the listener: try again.
      }
      await sleep(10);
    }
  })();

  mark({ event: 'start' });
  const cpu0 = cpuSeconds();
  const t0 = now();
  let next = 0;
  let nextProbe = t0 + a.probeEveryMs;
  const chunkOf = (end: number): string => {
    let s = '';
    for (; next < end; next++) s += '<22>' + lines[next] + '\n';
    const t = now();
    if (t >= nextProbe && next > 0) {
      s += probeLine(lines[next - 1].slice(0, 15));
      sentAt.push(t);
      nextProbe = t + a.probeEveryMs;
    }
    return s;
  };
  if (a.rate > 0) {
    // Fixed rate: every 5 ms, send what the schedule says should be out by now.
    while (next < lines.length) {
      const due = Math.min(lines.length, Math.floor(((now() - t0) / 1000) * a.rate));
      if (due > next) await write(chunkOf(due));
      await sleep(5);
    }
  } else {
    while (next < lines.length) await write(chunkOf(Math.min(lines.length, next + 2000)));
  }
  // A last probe marks "everything sent has had its effect".
  sentAt.push(now());
  await write(probeLine(lines[lines.length - 1].slice(0, 15)));
  const sendEnd = now();
  sent = true;
  const deadline = sendEnd + a.timeoutS * 1000;
  while (seen < sentAt.length && now() < deadline) await sleep(20);
  polling = false;
  await poller;
  sock.end();
  agent.destroy();
  const out: LoadgenResult = {
    lines: lines.length,
    warmup_lines: warm.length,
    send_s: (sendEnd - t0) / 1000,
    done_s: ((seen === sentAt.length ? lastSeenAt : now()) - t0) / 1000,
    probes_sent: sentAt.length,
    probes_seen: seen,
    latencies_ms: latencies,
    cpu_s: (cpuEnd || cpuSeconds()) - cpu0,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

/** Send the warm-up lines as fast as they are taken, then wait until a probe after them is counted. */
async function warmUp(warm: string[], write: (s: string) => Promise<void>, scrape: () => Promise<number>, timeoutS: number): Promise<void> {
  const before = await scrape();
  for (let i = 0; i < warm.length; i += 2000) {
    let s = '';
    for (let j = i; j < Math.min(warm.length, i + 2000); j++) s += '<22>' + warm[j] + '\n';
    await write(s);
  }
  await write(probeLine(warm[warm.length - 1].slice(0, 15)));
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    const c = await scrape().catch(() => before);
    if (c > before) return;
    if (Date.now() > deadline) throw new Error(`loadgen: the warm-up probe was not counted within ${timeoutS} s`);
    await sleep(20);
  }
}

if (process.argv[1]?.endsWith('loadgen.js')) {
  main().catch((e: unknown) => {
    process.stderr.write(`loadgen: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
