// Tests of the log generator: determinism, the truth's internal consistency, independent
// recounts of the simple totals from the log text, line shapes against real Postfix/Exim
// shapes, and bounded memory on a large run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { generateString, generateTo, type GenOptions, type ReportJson } from './generate.js';
import { pfDelay } from './timefmt.js';
import { nearestRank } from './truth.js';
import { Rng } from './prng.js';
import { REPLIES } from './catalog.js';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

// Retries, expiries and notices within a short run: compress Postfix's clock.
const FAST: Partial<GenOptions> = { minBackoff: 20, maxBackoff: 90, queueRunDelay: 10, maxQueueLifetime: 240, rate: 4 };

function consistent(r: ReportJson, stillQueued: number): void {
  const sum = { sent: 0, deferred_attempts: 0, bounced: 0, expired: 0 };
  for (const [d, c] of Object.entries(r.by_domain)) {
    assert.equal(d, d.toLowerCase(), 'domains are lowercased');
    assert.ok(c.sent + c.deferred_attempts + c.bounced + c.expired > 0, `${d} has a non-zero count`);
    sum.sent += c.sent;
    sum.deferred_attempts += c.deferred_attempts;
    sum.bounced += c.bounced;
    sum.expired += c.expired;
  }
  assert.deepEqual(sum, { sent: r.totals.sent, deferred_attempts: r.totals.deferred_attempts, bounced: r.totals.bounced, expired: r.totals.expired });
  assert.equal(r.recipients, r.totals.sent + r.totals.bounced + r.totals.expired + stillQueued);
  const classes = Object.values(r.bounce_classes).reduce((a, b) => a + b, 0);
  assert.equal(classes, r.totals.bounced + r.totals.expired, 'one class per bounced/expired recipient');
  const { p50, p95, p99 } = r.latency_seconds;
  assert.ok(p50 !== null && p95 !== null && p99 !== null);
  assert.ok(p50 <= p95 && p95 <= p99);
  assert.ok(r.messages > 0 && r.recipients >= r.messages * 0.9);
  assert.deepEqual(Object.keys(r).sort(), ['bounce_classes', 'by_domain', 'latency_seconds', 'messages', 'recipients', 'totals', 'unparsed_lines']);
}

test('same seed gives the same bytes and truth; another seed differs', () => {
  const a = generateString({ lines: 20_000, seed: 'det', ...FAST });
  const b = generateString({ lines: 20_000, seed: 'det', ...FAST });
  const c = generateString({ lines: 20_000, seed: 'det2', ...FAST });
  assert.equal(sha(a.log), sha(b.log));
  assert.deepEqual(a.report, b.report);
  assert.notEqual(sha(a.log), sha(c.log));
  const e1 = generateString({ lines: 5_000, seed: 'det', mta: 'exim', hosts: 2 });
  const e2 = generateString({ lines: 5_000, seed: 'det', mta: 'exim', hosts: 2 });
  assert.equal(sha(e1.log), sha(e2.log));
});

test('line count is close to the target and ends with a newline', () => {
  const g = generateString({ lines: 10_000, seed: 'n' });
  const n = g.log.split('\n').length - 1;
  assert.equal(n, g.stats.lines);
  assert.ok(n >= 10_000 && n < 10_050, `got ${n}`);
  assert.ok(g.log.endsWith('\n'));
});

test('postfix truth is internally consistent and matches recounts from the log text', () => {
  const g = generateString({ lines: 60_000, seed: 'truth', hosts: 2, noiseRate: 0.01, reuseRate: 0.05, ...FAST });
  const r = g.report;
  consistent(r, g.stats.still_queued);
  assert.ok(r.totals.expired > 0 && r.totals.bounced > 0 && r.totals.deferred_attempts > 0 && r.totals.rejected > 0);
  assert.ok(g.stats.hops > 0 && g.stats.queue_id_reuses > 0);
  const lines = g.log.split('\n');
  lines.pop();
  let deferred = 0;
  let bounced = 0;
  let sentLines = 0;
  let hopLines = 0;
  let rejects = 0;
  let noise = 0;
  for (const l of lines) {
    if (!/ postfix\//.test(l)) noise++;
    if (l.includes('status=deferred')) deferred++;
    if (l.includes('status=bounced')) bounced++;
    if (l.includes('NOQUEUE: reject:')) rejects++;
    if (l.includes('status=sent')) {
      sentLines++;
      if (/relay=(127\.0\.0\.1\[127\.0\.0\.1\]:10024|mx\d+\.example\.net\[10\.0\.0\.\d+\]:25)/.test(l)) hopLines++;
    }
  }
  assert.equal(r.unparsed_lines, noise);
  assert.equal(r.totals.deferred_attempts, deferred);
  assert.equal(r.totals.bounced, bounced, 'each bounced recipient has exactly one bounce line');
  assert.equal(r.totals.rejected, rejects);
  // Every hop target appears in the log before the hop line, so hop lines are never final.
  assert.equal(r.totals.sent, sentLines - hopLines);
});

test('exim truth is internally consistent', () => {
  for (const hosts of [1, 3]) {
    const g = generateString({ lines: 40_000, seed: 'ex', mta: 'exim', hosts, ...FAST });
    consistent(g.report, g.stats.still_queued);
    const lines = g.log.split('\n');
    lines.pop();
    const count = (re: RegExp): number => lines.filter((l) => re.test(l)).length;
    assert.equal(g.report.totals.deferred_attempts, count(/ == /));
    assert.equal(g.report.totals.bounced, count(/ \*\* /));
    assert.equal(g.report.totals.expired, 0, 'Exim has no expiry: a retry timeout is a ** bounce');
    assert.ok(count(/retry timeout exceeded/) > 0);
    assert.equal(g.report.totals.rejected, count(/ rejected RCPT /));
  }
});

// Shapes of real Postfix 3.7 lines (as in the lab corpus and Postfix's own log formats).
const QID = '[0-9A-F]{10,12}';
const ADDR = '[^<>\\s]*';
const PF_SHAPES: RegExp[] = [
  /^smtpd\[\d+\]: connect from [\w.-]+\[[\d.]+\]$/,
  /^smtpd\[\d+\]: disconnect from [\w.-]+\[[\d.]+\]( (ehlo|starttls|auth|mail|rcpt|data|quit)=\d+(\/\d+)?)+ commands=\d+(\/\d+)?$/,
  new RegExp(`^smtpd\\[\\d+\\]: ${QID}: client=[\\w.-]+\\[[\\d.]+\\](, sasl_method=PLAIN, sasl_username=\\w+)?$`),
  /^smtpd\[\d+\]: Anonymous TLS connection established from [\w.-]+\[[\d.]+\]: TLSv1\.3 with cipher \S+ \(256\/256 bits\) key-exchange X25519 server-signature RSA-PSS \(2048 bits\) server-digest SHA256$/,
  new RegExp(`^smtpd\\[\\d+\\]: NOQUEUE: reject: RCPT from [\\w.-]+\\[[\\d.]+\\]: (554|550) 5\\.7\\.1 <${ADDR}>: [^;]+; from=<${ADDR}> to=<${ADDR}> proto=ESMTP helo=<[\\w.-]+>$`),
  /^smtpd\[\d+\]: warning: hostname [\w.-]+ does not resolve to address [\d.]+: Name or service not known$/,
  new RegExp(`^cleanup\\[\\d+\\]: ${QID}: message-id=<[^<>\\s]+@[\\w.-]+>$`),
  new RegExp(`^pickup\\[\\d+\\]: ${QID}: uid=\\d+ from=<${ADDR}>$`),
  new RegExp(`^qmgr\\[\\d+\\]: ${QID}: from=<${ADDR}>, size=\\d+, nrcpt=\\d+ \\(queue active\\)$`),
  new RegExp(`^qmgr\\[\\d+\\]: ${QID}: from=<${ADDR}>, status=expired, returned to sender$`),
  new RegExp(`^qmgr\\[\\d+\\]: ${QID}: removed$`),
  new RegExp(`^bounce\\[\\d+\\]: ${QID}: sender non-delivery notification: ${QID}$`),
  new RegExp(
    `^(smtp|error)\\[\\d+\\]: ${QID}: to=<${ADDR}>, relay=(none|[\\w.-]+\\[[\\d.]+\\]:\\d+), (conn_use=\\d+, )?delay=\\d+(\\.\\d+)?, delays=\\d+(\\.\\d+)?(\\/\\d+(\\.\\d+)?){3}, dsn=[245]\\.\\d{1,3}\\.\\d{1,3}, status=(sent|deferred|bounced) \\(.+\\)$`,
  ),
  /^smtp\[\d+\]: (Trusted|Untrusted|Verified) TLS connection established to [\w.-]+\[[\d.]+\]:25: TLSv1\.3 with cipher \S+ \(256\/256 bits\) key-exchange X25519 server-signature (ECDSA \(P-256\)|RSA-PSS \(2048 bits\)) server-digest SHA256$/,
  /^smtp\[\d+\]: connect to [\w.-]+\[[\d.]+\]:25: Connection timed out$/,
  /^anvil\[\d+\]: statistics: max (connection rate \d+\/60s for \(smtp:[\d.]+\)|connection count \d+ for \(smtp:[\d.]+\)|cache size \d+) at [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d$/,
];
const DELIVERY_DETAIL = [
  /^\((250 .+)\)$/,
  /^\(host [\w.-]+\[[\d.]+\] said: [245]\d\d[ -].+ \(in reply to (MAIL FROM|RCPT TO|DATA|end of DATA) command\)\)$/,
  /^\((delivery temporarily suspended: )?(connect to [\w.-]+\[[\d.]+\]:\d+: Connection (refused|timed out)|lost connection with [\w.-]+\[[\d.]+\] while receiving the initial server greeting|Host or domain name not found\. Name service error for name=[\w.-]+ type=(MX|A|AAAA): Host not found(, try again)?|TLS is required, but was not offered by host [\w.-]+\[[\d.]+\]|Cannot start TLS: handshake failure)\)$/,
];

function checkHeaderAndShapes(log: string, header: RegExp, hosts: number): void {
  let last = '';
  const seen = new Set<number>();
  for (const line of log.split('\n')) {
    if (line === '') continue;
    const m = header.exec(line);
    assert.ok(m, `header: ${line}`);
    const stamp = m[1];
    const rest = line.slice(m[0].length);
    if (stamp < last && header.source.startsWith('^(\\d')) assert.fail(`time went back: ${line}`);
    last = stamp;
    if (!rest.startsWith('postfix/')) continue; // noise from other programs
    const body = rest.slice('postfix/'.length);
    const i = PF_SHAPES.findIndex((re) => re.test(body));
    assert.ok(i >= 0, `no Postfix shape matches: ${line}`);
    seen.add(i);
    if (/^(smtp|error)\[\d+\]: [0-9A-F]+: to=/.test(body)) {
      const detail = body.slice(body.indexOf(', status=') + ', status='.length).replace(/^\w+ /, '');
      assert.ok(DELIVERY_DETAIL.some((re) => re.test(detail)), `delivery detail: ${line}`);
    }
  }
  // Every shape except the rare ones shows up in a run of this size.
  for (const must of [0, 1, 2, 3, 4, 6, 8, 9, 10, 11, 12, 13]) assert.ok(seen.has(must), `shape ${PF_SHAPES[must]} never produced`);
  void hosts;
}

test('postfix lines have the shapes of real Postfix lines (rfc3164 and rfc3339 headers)', () => {
  const a = generateString({ lines: 40_000, seed: 'shape', ...FAST });
  // "Nov  7 06:52:11 mx1 postfix/smtp[123]: ..." (two spaces before a one-digit day)
  checkHeaderAndShapes(a.log, /^([A-Z][a-z]{2} (?: \d|\d\d) \d\d:\d\d:\d\d) mx1 /, 1);
  const b = generateString({ lines: 40_000, seed: 'shape', format: 'rfc3339', hosts: 3, start: Date.UTC(2026, 10, 7, 6, 52, 11), ...FAST });
  checkHeaderAndShapes(b.log, /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00) mx[123] /, 3);
  const single = generateString({ lines: 200, seed: 'day', start: Date.UTC(2026, 10, 7, 6, 52, 11) });
  assert.match(single.log, /^Nov {2}7 06:52:1\d mx1 postfix\//);
});

test('postfix lifecycles: order within a queue id, reuse after removed, hops to messages in the log', () => {
  const g = generateString({ lines: 60_000, seed: 'life', reuseRate: 0.1, hosts: 2, ...FAST });
  const state = new Map<string, 'open' | 'removed'>();
  const firstSeen = new Map<string, number>();
  let reused = 0;
  let hops = 0;
  const lines = g.log.split('\n');
  lines.forEach((l, n) => {
    const m = /^\S+ +\S+ \S+ (mx\d) postfix\/(\w+)\[\d+\]: ([0-9A-F]{10,12}): (.*)$/.exec(l);
    if (!m) return;
    const [, host, daemon, qid, msg] = m;
    const key = host + ' ' + qid;
    const starts = (daemon === 'smtpd' && msg.startsWith('client=')) || daemon === 'pickup' || (daemon === 'cleanup' && !state.has(key));
    if (state.get(key) === 'removed') {
      assert.ok(starts, `line for a removed queue id that does not start a message: ${l}`);
      reused++;
    }
    if (starts && state.get(key) !== 'removed') assert.ok(!state.has(key) || daemon === 'cleanup', `second start while open: ${l}`);
    if (starts) {
      state.set(key, 'open');
      firstSeen.set(qid, n);
    } else assert.equal(state.get(key), 'open', `line before the message started: ${l}`);
    if (msg === 'removed') state.set(key, 'removed');
    const hop = / relay=(127\.0\.0\.1\[127\.0\.0\.1\]:10024|mx\d\.example\.net\[[\d.]+\]:25).*queued as ([0-9A-F]+)\)$/.exec(msg);
    if (hop) {
      hops++;
      const at = firstSeen.get(hop[2]);
      assert.ok(at !== undefined && at < n, `hop target ${hop[2]} not in the log before the hop line`);
    }
  });
  assert.ok(reused > 0, 'queue ids were reused');
  assert.ok(hops > 0, 'content filter / relay hops happened');
});

test('retries follow the Postfix backoff and are preceded by a qmgr from= line', () => {
  const g = generateString({ lines: 60_000, seed: 'backoff', rate: 2, reuseRate: 0 });
  const byQid = new Map<string, string[]>();
  for (const l of g.log.split('\n')) {
    const m = / postfix\/(qmgr|smtp|error)\[\d+\]: ([0-9A-F]{10,12}): /.exec(l);
    if (!m) continue;
    const a = byQid.get(m[2]);
    if (a) a.push(l);
    else byQid.set(m[2], [l]);
  }
  let checked = 0;
  for (const ls of byQid.values()) {
    const froms = ls.map((l, i) => (l.includes('(queue active)') ? i : -1)).filter((i) => i >= 0);
    if (froms.length < 3) continue;
    const t = froms.map((i) => Date.parse('2026 ' + ls[i].slice(0, 15) + 'Z') / 1000);
    // second attempt >= minimal_backoff_time after the first; gaps never above maximal + queue_run_delay
    assert.ok(t[1] - t[0] >= 300 - 1, `first retry too early: ${ls[froms[1]]}`);
    for (let i = 1; i < t.length; i++) assert.ok(t[i] - t[i - 1] <= 4000 + 300 + 1, `gap too long before ${ls[froms[i]]}`);
    checked++;
  }
  assert.ok(checked > 5, `only ${checked} messages with two retries`);
});

test('exim lines have Exim main-log shapes', () => {
  const g = generateString({ lines: 30_000, seed: 'eshape', mta: 'exim', ...FAST });
  const ID = '[0-9A-Za-z]{6}-[0-9A-Za-z]{6}-[0-9A-Za-z]{2}';
  const shapes = [
    new RegExp(`^${ID} <= \\S+@\\S+ H=(\\S+ )?(\\([\\w.-]+\\) )?\\[[\\d.]+\\] P=esmtps?( X=TLS1\\.3:\\S+ CV=no)?( A=plain:\\w+)? S=\\d+ id=\\S+$`),
    new RegExp(`^${ID} <= <> R=${ID} U=Debian-exim P=local S=\\d+ T="Mail delivery failed: returning message to sender"$`),
    new RegExp(`^${ID} [=-]> \\S+@\\S+ R=\\w+ T=\\w+ H=\\S+ \\[[\\d.]+\\]( X=TLS1\\.3:\\S+ CV=yes)? C="[^"]*" QT=\\d+s DT=\\d+s$`),
    new RegExp(`^${ID} == \\S+@\\S+ R=dnslookup( T=remote_smtp)? defer \\(-?\\d+\\)( H=\\S+ \\[[\\d.]+\\])?: .+$`),
    new RegExp(`^${ID} \\*\\* \\S+@\\S+( R=dnslookup( T=remote_smtp)?( H=\\S+ \\[[\\d.]+\\])?)?: .+$`),
    new RegExp(`^${ID} Completed$`),
    /^H=(\S+ )?\([\w.-]+\) \[[\d.]+\] F=<\S*> rejected RCPT <\S+>: .+$/,
  ];
  let last = '';
  for (const line of g.log.split('\n')) {
    if (line === '' || / (CRON|systemd|sshd|kernel|systemd-logind)[:[]/.test(line)) continue;
    const m = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (.*)$/.exec(line);
    assert.ok(m, `exim header: ${line}`);
    assert.ok(m[1] >= last, `time went back: ${line}`);
    last = m[1];
    assert.ok(shapes.some((re) => re.test(m[2])), `no Exim shape matches: ${line}`);
  }
});

test('helpers: Postfix delay formatting, nearest-rank percentiles, PRNG', () => {
  // Values as Postfix prints them in the lab corpus.
  assert.equal(pfDelay(0.146), '0.14');
  assert.equal(pfDelay(0.1), '0.1');
  assert.equal(pfDelay(0.004), '0');
  assert.equal(pfDelay(3.46), '3.4');
  assert.equal(pfDelay(905.7), '905');
  assert.equal(pfDelay(19.2), '19');
  const a = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(nearestRank(a, 50), 5);
  assert.equal(nearestRank(a, 95), 10);
  assert.equal(nearestRank(new Float64Array(0), 50), null);
  const r1 = new Rng(42);
  const r2 = new Rng(42);
  for (let i = 0; i < 100; i++) assert.equal(r1.u32(), r2.u32());
  for (const def of Object.values(REPLIES)) assert.match(def.dsn, /^[45]\.\d\.\d{1,3}$/);
});

test('a large run streams in bounded memory', async () => {
  // In-process: memory after 240k lines must not exceed memory after 60k by much (only open
  // messages and one float per sent recipient are kept).
  let sink = 0;
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      sink += chunk.length;
      cb();
    },
  });
  const gc = (globalThis as { gc?: () => void }).gc;
  const measure = async (lines: number): Promise<number> => {
    await generateTo(out, { lines, seed: 'mem' });
    gc?.();
    return process.memoryUsage().heapUsed;
  };
  const small = await measure(60_000);
  const big = await measure(240_000);
  assert.ok(sink > 0);
  assert.ok(big - small < 48 * 1024 * 1024, `heap grew by ${Math.round((big - small) / 1048576)} MiB`);
  // And the CLI itself, as a separate process: RSS stays small on 200k lines.
  const here = dirname(fileURLToPath(import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'mailsight-gen-'));
  try {
    const p = spawnSync(process.execPath, [join(here, 'cli.js'), '--lines', '200000', '--seed', 'mem', '--out', join(dir, 'g.log'), '--truth', join(dir, 't.json')], { encoding: 'utf8' });
    assert.equal(p.status, 0, p.stderr);
    const rss = Number(/rss (\d+) MiB/.exec(p.stderr)?.[1]);
    assert.ok(rss > 0 && rss < 256, `rss ${rss} MiB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
