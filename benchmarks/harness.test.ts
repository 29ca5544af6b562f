// The harness's pure parts on canned outputs captured from the real tools (testdata/README.md):
// statistics, the results table, and the peer-output parsers; the corpus split of the two-core
// ceiling row and the report on every log shape, on generated corpora. No process is started here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, percentile, ratio, summarize } from './lib/stats.js';
import { histogramGaps, parsePrometheusText, sumOf } from './lib/prom.js';
import {
  adaptHistogramSyntax,
  mtailHeaderOf,
  cannotReport,
  censusOf,
  exporterAnswers,
  mailsightSide,
  mtailAnswers,
  mtailCounters,
  mtailNotes,
  parsePflogsumm,
  pflogsummAnswers,
} from './lib/peers.js';
import { compareAllDomains, compareAnswers, compareDomains, type ReportLike, type Results, type SyslogRow } from './lib/results.js';
import { launcher } from './cases/context.js';
import { fmtSummary, renderMarkdown } from './lib/table.js';
import { probeCount } from './loadgen.js';
import { countLines } from './lib/corpus.js';
import { derive, otelcolDir, parseArgs } from './run.js';
import { endsWithNewline, OTELCOL_POSTFIX_REGEX, otelcolAccepted, otelcolConfig, otelcolNames } from './cases/peers.js';
import { reportDiff, splitLikeShards } from './cases/report.js';
import { generatorArgs, SHAPES } from './cases/shapes.js';
import { buildReport } from '../src/cli/report.js';
import { generateString } from './generator/generate.js';
import { routingKey } from '../src/report/route.js';
import { tempDir } from '../test/helpers/tmp.js';

// Compiled to dist/benchmarks/: the canned files stay in the source tree.
const testdata = (f: string) => readFileSync(new URL(`../../benchmarks/testdata/${f}`, import.meta.url), 'utf8');

test('median, spread, nearest-rank percentile and ratio', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
  const s = summarize([10, 12, 11]);
  assert.deepEqual(s, { n: 3, median: 11, min: 10, max: 12, spread: 2 / 11 });
  assert.equal(summarize([5]).spread, 0);
  assert.equal(percentile([5, 1, 4, 2, 3], 50), 3);
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99), 10);
  assert.equal(percentile([], 50), null);
  assert.equal(ratio(30, 10), 3);
  assert.equal(ratio(30, 0), null);
  assert.equal(ratio(null, 10), null);
  assert.equal(fmtSummary(summarize([1.234, 1.5, 1.1])), '1.23 (1.10–1.50)');
});

test('pflogsumm 1.1.5: grand totals and the per-domain delivery table', () => {
  const p = parsePflogsumm(testdata('pflogsumm-1.1.5.txt'));
  assert.equal(p.received, 11110);
  assert.equal(p.delivered, 14274);
  assert.equal(p.deferred, 726);
  assert.equal(p.deferrals, 1311);
  assert.equal(p.bounced, 319);
  assert.equal(p.rejected, 275);
  assert.equal(p.held, 0);
  assert.equal(Object.keys(p.by_domain).length, 28);
  assert.deepEqual(p.by_domain['gmail.com'], { sent: 5341, bytes: 84118 * 1024, defers: 400, avg_delay_s: 13.8, max_delay_s: 27.4 * 60 });
  assert.equal(p.by_domain['down.test'].bytes, 140251);
  const a = pflogsummAnswers(p);
  assert.equal(a.deferred_attempts, 1311);
  assert.equal(a.by_domain_deferred?.['gmail.com'], 400);
  assert.equal(a.expired, null);
});

test('prometheus text format and the exporter/mtail answers', () => {
  const samples = parsePrometheusText('# HELP x y\nx_total{a="1",b="q\\"z"} 3\nx_total{a="2"} 4 1700000000\ny 1e3\nz +Inf\n');
  assert.deepEqual(samples[0], { name: 'x_total', labels: { a: '1', b: 'q"z' }, value: 3 });
  assert.equal(sumOf(samples, 'x_total'), 7);
  assert.equal(sumOf(samples, 'x_total', { a: '2' }), 4);
  assert.equal(sumOf(samples, 'y'), 1000);
  assert.equal(sumOf(samples, 'missing'), null);

  const ex = exporterAnswers(parsePrometheusText(testdata('postfix-exporter-0.3.0.prom')).filter((s) => s.labels.service !== 'benchsentinel'));
  assert.equal(ex.rejected, 275);
  assert.equal(ex.deferred_attempts, 1237);
  assert.equal(ex.unparsed_lines, 79);
  assert.equal(ex.sent, null);
  const mt = mtailAnswers(parsePrometheusText(testdata('mtail-rc50-postfix.prom')));
  assert.equal(mt.rejected, 275);
  assert.equal(mt.messages, 10924);
  assert.equal(mt.deferred_attempts, null);
  assert.ok(cannotReport(mt).includes('deferrals'));
  assert.ok(cannotReport(mt).includes('unparsed (non-Postfix) lines'));
  assert.ok(!cannotReport(mt).includes('messages') && !cannotReport(mt).includes('rejects'));
  assert.ok(!cannotReport(pflogsummAnswers(parsePflogsumm(testdata('pflogsumm-1.1.5.txt')))).includes('bounced'));
  assert.ok(!cannotReport(ex).includes('unparsed (non-Postfix) lines'));
});

test('histograms whose le="+Inf" bucket is below _count', () => {
  const page = [
    'h_bucket{prog="p",stage="a",le="1"} 2',
    'h_bucket{prog="p",stage="a",le="+Inf"} 4',
    'h_sum{prog="p",stage="a"} 14.5',
    'h_count{prog="p",stage="a"} 6',
    'h_bucket{prog="p",stage="b",le="+Inf"} 3',
    'h_count{prog="p",stage="b"} 3',
    'c_count{prog="p"} 7',
  ].join('\n');
  assert.deepEqual(histogramGaps(parsePrometheusText(page)), [{ name: 'h', labels: { prog: 'p', stage: 'a' }, count: 6, inf: 4 }]);
  const gaps = histogramGaps(parsePrometheusText(testdata('mtail-rc50-postfix.prom')));
  assert.deepEqual(
    gaps.map((g) => [g.name, g.labels.stage, g.inf, g.count]),
    [
      ['postfix_smtp_delivery_delay_seconds', 'before_queue_manager', 11913, 15830],
      ['postfix_smtp_delivery_delay_seconds', 'connection_setup', 15183, 15830],
      ['postfix_smtp_delivery_delay_seconds', 'queue_manager', 15607, 15830],
      ['postfix_smtp_delivery_delay_seconds', 'transmission', 14951, 15830],
    ],
  );
});

test('mtail: the histogram syntax of the upstream program adapted for mtail 3.0.0-rc50', () => {
  const prog = [
    'histogram postfix_x_seconds by stage with 1e-3, 1e-2',
    '  histogram postfix_y with 1, 2, 4',
    'counter with_total',
    '/ with / {',
    '}',
  ].join('\n');
  assert.equal(
    adaptHistogramSyntax(prog),
    ['histogram postfix_x_seconds by stage buckets 1e-3, 1e-2', '  histogram postfix_y buckets 1, 2, 4', 'counter with_total', '/ with / {', '}'].join('\n'),
  );
  assert.equal(adaptHistogramSyntax('histogram h buckets 1, 2\n'), 'histogram h buckets 1, 2\n');
});

test("mtail: the census uses the program's own header pattern (upstream's and Debian's differ)", () => {
  // The two header blocks as the programs write them (RE2 named groups, a `+` chain, then `{`).
  const header = (service: string) =>
    [
      'const X /a/',
      '/^(?P<date>(?P<legacy_date>\\w+\\s+\\d+\\s+\\d+:\\d+:\\d+))/ +',
      `/\\s+(?:\\w+@)?(?P<hostname>[\\w\\.-]+)\\s+postfix\\/(?P<application>${service})(?:\\[(?P<pid>\\d+)\\])?:\\s+(?P<message>.*)/ {`,
      '  counter c',
      '}',
    ].join('\n');
  const upstream = mtailHeaderOf(header('[\\w\\.-]+'));
  const debian = mtailHeaderOf(header('[\\w\\.-\\/]+'));
  assert.ok(upstream && debian);
  const nested = 'Nov 12 05:40:00 mx1 postfix/submission/smtpd[2541]: connect from a[10.0.0.1]';
  const plain = 'Nov 12 05:40:00 mx1 postfix/smtpd[2541]: connect from a[10.0.0.1]';
  assert.equal(upstream.exec(plain)?.groups?.application, 'smtpd');
  assert.equal(upstream.test(nested), false);
  assert.equal(debian.exec(nested)?.groups?.application, 'submission/smtpd');
  assert.equal(censusOf(`${plain}\n${nested}\n`, upstream).mtail_skipped, 1);
  assert.equal(censusOf(`${plain}\n${nested}\n`, debian).mtail_skipped, 0);
  assert.equal(mtailHeaderOf('counter c\n/ no header / {\n}\n'), undefined);
});

test('mtail: census line kinds, one by one', () => {
  const k = censusOf(
    [
      'Nov 12 05:40:00 mx1 postfix/smtpd[1]: connect from a[10.0.0.1]',
      'Nov 12 05:40:00 mx1 postfix/smtpd[1]: Anonymous TLS connection established from a[10.0.0.1]: TLSv1.3 with cipher X (256/256 bits)',
      'Nov 12 05:40:00 mx1 postfix/smtpd[1]: AAA1: client=a[10.0.0.1], sasl_method=PLAIN, sasl_username=web',
      'Nov 12 05:40:00 mx1 postfix/cleanup[2]: AAA1: message-id=<x@y>',
      'Nov 12 05:40:00 mx1 postfix/smtpd[1]: disconnect from a[10.0.0.1] ehlo=1 commands=1',
      'Nov 12 05:40:01 mx1 postfix/smtpd[3]: BBB2: client=localhost[127.0.0.1]',
      'Nov 12 05:40:01 mx1 postfix/cleanup[2]: BBB2: message-id=<x@y>',
      'Nov 12 05:40:01 mx1 postfix/smtpd[3]: CCC3: client=localhost[::1]',
      'Nov 12 05:40:02 mx1 postfix/pickup[4]: DDD4: uid=0 from=<root@mx1>',
      'Nov 12 05:40:02 mx1 postfix/cleanup[2]: DDD4: message-id=<z@mx1>',
      'Nov 12 05:40:02 mx1 postfix/cleanup[2]: EEE5: message-id=<n@mx1>',
      'Nov 12 05:40:02 mx1 postfix/bounce[5]: AAA1: sender non-delivery notification: EEE5',
      'Nov 12 05:40:03 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from a[10.0.0.1]: 554 5.7.1 <b@c>: Relay access denied; from=<> to=<b@c>',
      'Nov 12 05:40:03 mx1 postfix/smtpd[1]: NOQUEUE: reject: MAIL from a[10.0.0.1]: 553 5.7.1 <d@e>: Sender address rejected',
      'Nov 12 05:40:04 mx1 postfix/smtp[6]: Trusted TLS connection established to mx.c[1.2.3.4]:25: TLSv1.3 with cipher X (256/256 bits)',
      // Seen by the census, not by postfix.mtail's header regex:
      'Nov 12 05:40:05 mx1 postfix/submission/smtpd[7]: FFF6: client=b[10.0.0.2], sasl_method=PLAIN, sasl_username=u',
      'Nov 12 05:40:05 mx1 postfix-out/smtp[8]: AAA1: to=<b@c>, relay=mx.c[1.2.3.4]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 ok)',
      '2026-11-12T05:40:06+00:00 mx1 postfix/qmgr[9]: AAA1: removed',
      '2026-11-12T05:40:06.000001+00:00 mx1 postfix/qmgr[9]: BBB2: removed',
      'Nov 12 05:40:07 mx1 CRON[10]: (root) CMD (true)',
      'Nov 12 05:40:08 mx1 postfix/smtpd[3]: CCC3: client=localhost[::1]',
    ].join('\n') + '\n',
  );
  assert.deepEqual(k, {
    lines: 21,
    postfix: 20,
    mtail_skipped: 3,
    smtpd_connect: 1,
    smtpd_disconnect: 1,
    smtpd_client: 5,
    smtpd_client_loopback: 3,
    pickup: 1,
    notifications: 1,
    cleanup_message_id: 4,
    // CCC3 twice without a cleanup line, FFF6 once: the log ends first.
    no_cleanup: 3,
    noqueue_rejects: 2,
    noqueue_rejects_rcpt: 1,
    smtpd_tls: 1,
    smtp_tls: 1,
  });
});

test('mtail against mailsight on the seed-1 100k corpus: every difference named and sized', () => {
  // The corpus of the canned mtail output (testdata/README.md), and the numbers of mailsight's
  // report on it that the ground truth does not have (still_queued, rejects_by_reason).
  const { log, report } = generateString({ lines: 100_000, seed: '1' });
  const k = censusOf(log);
  assert.deepEqual(
    [k.smtpd_client, k.smtpd_client_loopback, k.pickup, k.notifications, k.cleanup_message_id, k.no_cleanup, k.mtail_skipped],
    [10924, 1425, 186, 329, 11438, 1, 0],
  );
  const samples = parsePrometheusText(testdata('mtail-rc50-postfix.prom'));
  const c = mtailCounters(samples);
  assert.equal(c.smtpd_client, 10924);
  assert.deepEqual(c.smtpd_rejects_by_code, { '550': 134, '554': 141 });
  assert.deepEqual([c.cleanup_processed, c.qmgr_removed, c.qmgr_inserted, c.smtp_delay_lines], [11438, 10996, 12205, 15830]);
  assert.deepEqual([c.smtpd_connects, c.smtpd_disconnects, c.smtpd_tls, c.smtp_tls], [k.smtpd_connect, k.smtpd_disconnect, k.smtpd_tls, k.smtp_tls]);
  const mailsight = {
    ...report,
    still_queued: { count: 443 },
    rejects_by_reason: [
      { reason: 'Relay access denied', count: 141 },
      { reason: 'Recipient address rejected: Access denied', count: 134 },
    ],
  };
  const notes = mtailNotes(c, k, mailsightSide(mailsight, 'mailsight'));
  const note = (start: string) => notes.find((n) => n.startsWith(start)) ?? '';
  assert.ok(notes.every((n) => !n.includes('not explained')), notes.join('\n'));
  assert.match(note('messages = '), /: 10,924 = 10,014 messages \(mailsight\) \+ 1,425 content-filter re-injections .* − 186 pickup submissions − 329 bounce notifications/);
  assert.match(note('rejected = '), /\(550: 134, 554: 141\) \+ cleanup rejects \(0\) = 275, equal to mailsight's 275; mailsight's report splits rejects by reason, not code \(Relay access denied: 141;/);
  assert.match(note('postfix_cleanup_messages_processed_total'), /11,438 = 10,014 messages \+ 1,425 re-injections − 1 with a client= or pickup line but no cleanup line/);
  assert.match(note('postfix_qmgr_messages_removed_total'), /10,996 = 10,014 messages \+ 1,425 re-injections − 443 still queued at the end \(mailsight's still_queued\)$/);
  assert.match(note('postfix_qmgr_messages_inserted_'), /12,205 qmgr from= lines.* not messages \(10,014\) nor recipients \(13,105\)$/);
  assert.match(note('not in mailsight'), /smtpd connects 11,065, disconnects 11,064, inbound TLS connections 6,642, outbound TLS connections 8,777, SASL failures 0, FCrDNS warnings 16; .* equal the corpus's lines$/);
  assert.match(note('postfix_smtp_delivery_delay_seconds'), /\(15,830: .*le="\+Inf" is below _count in postfix_smtp_delivery_delay_seconds \(before_queue_manager 11,913 of 15,830, /);
  assert.ok(!notes.some((n) => n.includes('header regex')));

  // A difference the line counts do not explain is said as such, not absorbed.
  const off = mtailNotes(c, k, mailsightSide({ ...mailsight, messages: 10_016 }, 'mailsight'));
  assert.match(off[0], /10,924 = 10,016 messages \(mailsight\) .*; 2 fewer than that, not explained by these line counts$/);
  // Postfix lines the program cannot see are counted and named; without mailsight's report the
  // ground truth stands in and still_queued is unknown.
  const truthSide = mailsightSide(report, 'ground truth');
  const skipped = mtailNotes(c, { ...k, mtail_skipped: 12 }, truthSide);
  assert.match(skipped[skipped.length - 1], /^12 of [\d,]+ Postfix lines do not match the program's header regex/);
  assert.match(skipped.find((n) => n.startsWith('postfix_qmgr_messages_removed_total')) ?? '', /unknown without mailsight's report/);
  assert.match(skipped[0], /10,014 messages \(ground truth\)/);

  const a = mtailAnswers(samples, { census: k, mailsight: mailsightSide(mailsight, 'mailsight') });
  assert.equal(a.messages, 10924);
  assert.equal(a.rejected, 275);
  assert.deepEqual(a.notes.slice(0, notes.length), notes);
  assert.match(a.notes[a.notes.length - 1], /no delivery status counters at all/);
});

test('the syslog probe counter is read from a /metrics page', () => {
  const page = [
    '# TYPE mail_smtpd_rejects_total counter',
    'mail_smtpd_rejects_total{smtp_reply_code="550",mail_bounce_class="hard.invalid_recipient"} 12',
    'mail_smtpd_rejects_total{smtp_reply_code="521",mail_bounce_class="policy.reputation"} 7',
  ].join('\n');
  assert.equal(probeCount(page), 7);
  assert.equal(probeCount(''), 0);
});

function report(sent: number, deferred: number): ReportLike {
  return {
    messages: 10,
    recipients: 12,
    totals: { sent, deferred_attempts: deferred, bounced: 1, expired: 0, rejected: 2 },
    by_domain: { 'a.test': { sent, deferred_attempts: deferred, bounced: 1, expired: 0 } },
    latency_seconds: { p50: 1, p95: 2, p99: 3 },
    unparsed_lines: 0,
  };
}

test('answers, ratios, targets and the markdown table', () => {
  const truth = report(11, 3);
  const pf = pflogsummAnswers(parsePflogsumm(testdata('pflogsumm-1.1.5.txt')));
  const rows = compareAnswers(truth, report(11, 3), { pflogsumm: pf });
  assert.deepEqual(rows.find((r) => r.key === 'deferred_attempts'), { key: 'deferred_attempts', truth: 3, values: { mailsight: 3, pflogsumm: 1311 } });
  assert.deepEqual(compareDomains(truth, 'x', 'sent', { 'a.test': 11, 'b.test': 2 }), { peer: 'x', key: 'sent', domains: 2, equal: 1, max_abs_diff: 2 });

  const row = (id: string, label: string, wall: number[]) => ({
    id,
    label,
    lines: 1000,
    wall_s: summarize(wall),
    cpu_s: summarize(wall),
    rss_mib: summarize([50]),
    lines_per_s: 1000 / median(wall),
    cores: 1,
  });
  const r: Results = {
    version: 1,
    started_at: '2026-01-01T00:00:00Z',
    finished_at: '2026-01-01T00:01:00Z',
    machine: { cpu: 'Test CPU', cores: 2, memory_gib: 4, node: 'v20.0.0', os: 'Linux', tools: { pflogsumm: '1.1.5' } },
    options: { lines: 1000, seed: '1', repeats: 3, warmup: 1, cases: ['report', 'peers'], quick: false },
    corpus: { source: 'generator', seed: '1', lines: 1000, bytes: 160_000, messages: 10, recipients: 12 },
    throughput: [row('mailsight-report', 'mailsight report --json', [1, 1.1, 0.9]), row('pflogsumm', 'pflogsumm', [4, 4.2, 3.9])],
    ratios: [],
    shapes: [
      {
        id: 'fleet',
        label: 'fleet: 4 hosts',
        generator_args: ['--hosts', '4'],
        lines: 1000,
        mailsight_wall_s: summarize([1, 1.2, 1.1]),
        pflogsumm_wall_s: summarize([3, 3.1, 3.2]),
        ratios: [3, 2.58, 2.91],
        median: 2.91,
        truth_diffs: 0,
      },
      {
        id: 'failures',
        label: 'failure-heavy',
        generator_args: ['--defer-rate', '0.3'],
        lines: 1000,
        mailsight_wall_s: summarize([2]),
        pflogsumm_wall_s: summarize([3]),
        ratios: [1.5],
        median: 1.5,
        truth_diffs: 2,
        truth_example: 'messages: truth 10, mailsight 9',
      },
    ],
    syslog: [],
    memory: [{ open: 100_000, open_after: 100_000, heap_bytes_per_msg: 700, rss_bytes_per_msg: 900, approx_bytes_per_msg: 520, feed_s: 1 }],
    answers: rows,
    per_domain: [],
    cannot_report: { pflogsumm: cannotReport(pf) },
    answer_notes: {},
    targets: [],
    skipped: [{ id: 'otelcol', label: 'otelcol', status: 'not measured', reason: 'no binary' }],
  };
  derive(r);
  assert.equal(r.ratios[0].name, 'mailsight report / pflogsumm');
  assert.equal(r.ratios[0].value, 4);
  assert.equal(r.targets.find((t) => t.name === 'file → report vs pflogsumm')?.met, true);
  assert.equal(r.targets.find((t) => t.name === 'memory per open message')?.met, true);
  assert.equal(r.targets.find((t) => t.name.startsWith('syslog TCP'))?.met, null);
  // Interleaved pairs, when a peer has them, decide its ratio and target (not the two
  // cases' medians, which the host's drift between the cases can skew) and are footnoted.
  const paired: Results = { ...r, throughput: r.throughput.map((t) => ({ ...t })), ratios: [], targets: [] };
  const pfRow = paired.throughput.find((t) => t.id === 'pflogsumm');
  assert.ok(pfRow);
  pfRow.paired = { ratios: [2.5, 2.9, 2.7], median: 2.7, mailsight_wall_s: summarize([1.4, 1.5, 1.6]) };
  derive(paired);
  assert.equal(paired.ratios[0].value, 2.7);
  assert.equal(paired.targets.find((t) => t.name === 'file → report vs pflogsumm')?.met, false);
  assert.match(renderMarkdown(paired), /pflogsumm: each run came right after a `mailsight report` run \(1\.50 \(1\.40–1\.60\) s\): .* 2\.50×, 2\.90×, 2\.70× \(median 2\.70×/);
  const md = renderMarkdown(r);
  assert.match(md, /## Other log shapes: mailsight report \/ pflogsumm/);
  assert.match(md, /\| fleet: 4 hosts \| 1,000 \| 1\.10 \(1\.00–1\.20\) \| 3\.10 \(3\.00–3\.20\) \| 3\.00×, 2\.58×, 2\.91× \| 2\.91× \| equal \|/);
  assert.match(md, /\| failure-heavy \| .* \| 1\.50× \| 2 key\(s\) differ, e\.g\. messages: truth 10, mailsight 9 \|/);
  assert.match(md, /Generator options: fleet `--hosts 4`; failures `--defer-rate 0\.3`\./);
  assert.match(md, /Test CPU, 2 cores, 4\.0 GiB RAM/);
  assert.match(md, /\| mailsight report --json \| 1,000 \| 1\.00 \(0\.90–1\.10\) \|/);
  assert.match(md, /\| mailsight report \/ pflogsumm \| 4\.00× \|/);
  assert.match(md, /\| deferred_attempts \| 3 \| 3 \| 1,311 \|/);
  assert.match(md, /\*\*otelcol\*\* \(not measured\): no binary/);
  r.throughput[0].note = 'first note';
  r.throughput[1].note = 'second note';
  const noted = renderMarkdown(r);
  assert.match(noted, /\| mailsight report --json ¹ \|/);
  assert.match(noted, /\| pflogsumm ² \|/);
  assert.match(noted, /^¹ mailsight report --json: first note$/m);
  assert.match(noted, /^² pflogsumm: second note$/m);

  // The syslog capacity target is judged on the fixed 100,000 lines/s run, not at max rate.
  const sys = (mode: 'fixed' | 'max', rate: number | null, lps: number, cores: number, p99: number): SyslogRow => ({
    mode,
    target_rate: rate,
    lines: 1_000_000,
    wall_s: 1_000_000 / lps,
    lines_per_s: lps,
    cores,
    rss_mib: 200,
    sender_cores: 0.1,
    drops: 0,
    refused: 0,
    latency_ms: { p50: p99 / 2, p99, n: 100 },
  });
  const capacity = () => r.targets.find((t) => t.name === 'syslog TCP → metrics at 100,000 lines/s')?.met;
  r.syslog = [sys('fixed', 100_000, 99_950, 0.7, 300), sys('max', null, 180_000, 1.3, 600)];
  derive(r);
  assert.equal(capacity(), true);
  r.syslog = [sys('fixed', 100_000, 99_950, 1.1, 300), sys('max', null, 180_000, 0.9, 600)];
  derive(r);
  assert.equal(capacity(), false, 'over one core at 100,000 lines/s');
  r.syslog = [sys('fixed', 100_000, 80_000, 0.7, 300)];
  derive(r);
  assert.equal(capacity(), false, 'the sender was slowed: not sustained');
  r.syslog = [sys('fixed', 100_000, 99_950, 0.7, 2500)];
  derive(r);
  assert.equal(capacity(), false, 'falling behind: latency grows');
});

test('the bench runs mailsight with the node flags of its #! line', () => {
  const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'mailsight.js');
  const args = launcher(bin);
  assert.equal(args[args.length - 1], bin);
  const shebang = readFileSync(bin, 'utf8').split('\n', 1)[0];
  for (const flag of args.slice(0, -1)) assert.ok(shebang.includes(` ${flag}`), flag);
  assert.ok(args.some((a) => a.startsWith('--max-semi-space-size=')), 'bin/mailsight.js sets the young generation');
});

test('options', () => {
  const o = parseArgs(['--lines', '5000', '--cases', 'report,peers', '--repeats', '2'], '/repo');
  assert.equal(o.lines, 5000);
  assert.deepEqual(o.cases, ['report', 'peers']);
  assert.equal(o.repeats, 2);
  assert.equal(o.warmup, 1);
  const q = parseArgs(['--quick'], '/repo');
  assert.equal(q.repeats, 1);
  assert.equal(q.warmup, 0);
  assert.throws(() => parseArgs(['--cases', 'nope'], '/repo'), /unknown case/);
  assert.throws(() => parseArgs(['--bogus'], '/repo'), /unknown option/);
  assert.equal(o.corpus, undefined);
});

test('--corpus: a user log file instead of the generator, its lines counted as mailsight counts them', async () => {
  const dir = tempDir('msbench-corpus-');
  const file = join(dir, 'mail.log');
  // CRLF, empty lines (and one of only a CR), a last line without a newline.
  writeFileSync(file, 'Nov 12 05:40:00 mx1 postfix/smtpd[1]: a\r\n\nNov 12 05:40:01 mx1 postfix/smtpd[1]: b\n\r\n\nNov 12 05:40:02 mx1 postfix/qmgr[2]: c');
  const o = parseArgs(['--corpus', file, '--lines', '5000', '--cases', 'report,peers'], '/repo');
  assert.equal(o.corpus, file);
  assert.equal(await countLines(file), 3);
  assert.equal(endsWithNewline(file), false);
  writeFileSync(file, 'x\n\n' + 'y'.repeat(200_000) + '\n');
  assert.equal(await countLines(file), 2);
  assert.equal(endsWithNewline(file), true);
  assert.equal(parseArgs(['--corpus', file], dir).corpus, file);

  const missing = join(dir, 'nope.log');
  assert.throws(() => parseArgs(['--corpus', missing], '/repo'), (e: Error) => e.message.includes(missing) && /no such file/.test(e.message));
  const empty = join(dir, 'empty.log');
  writeFileSync(empty, '');
  assert.throws(() => parseArgs(['--corpus', empty], '/repo'), (e: Error) => e.message.includes(empty) && /empty/.test(e.message));
  assert.throws(() => parseArgs(['--corpus', dir], '/repo'), /not a file/);
  const gz = join(dir, 'mail.log.gz');
  writeFileSync(gz, gzipSync('x\n'));
  assert.throws(() => parseArgs(['--corpus', gz], '/repo'), /gzip/);
  assert.throws(() => parseArgs(['--corpus'], '/repo'), /--corpus: expected a log file/);
});

test('no ground truth (user corpus): answers show —, per-domain against mailsight, the corpus by base name', () => {
  const mine = report(11, 3);
  mine.by_domain['b.test'] = { sent: 2, deferred_attempts: 0, bounced: 0, expired: 0 };
  const pf = pflogsummAnswers(parsePflogsumm(testdata('pflogsumm-1.1.5.txt')));
  pf.by_domain_sent = { 'a.test': 11, 'b.test': 5 };
  pf.by_domain_deferred = { 'a.test': 3 };
  const answers = { pflogsumm: pf };
  const rows = compareAnswers(null, mine, answers);
  assert.ok(rows.every((r) => r.truth === null));
  // Without a truth, mailsight is the reference (so not compared with itself).
  const domains = compareAllDomains(null, mine, answers);
  assert.deepEqual(domains, [
    { peer: 'pflogsumm', key: 'sent', domains: 2, equal: 1, max_abs_diff: 3, reference: 'mailsight' },
    { peer: 'pflogsumm', key: 'deferred_attempts', domains: 2, equal: 2, max_abs_diff: 0, reference: 'mailsight' },
  ]);
  // With one, mailsight and the peers against it; with neither, nothing to compare.
  const withTruth = compareAllDomains(report(11, 3), mine, answers);
  assert.deepEqual(withTruth.map((d) => `${d.peer} ${d.key} ${d.reference}`), [
    'mailsight sent ground truth',
    'mailsight deferred_attempts ground truth',
    'pflogsumm sent ground truth',
    'pflogsumm deferred_attempts ground truth',
  ]);
  assert.deepEqual(compareAllDomains(null, null, answers), []);

  const r: Results = {
    version: 1,
    started_at: '2026-01-01T00:00:00Z',
    finished_at: '2026-01-01T00:01:00Z',
    machine: { cpu: 'Test CPU', cores: 2, memory_gib: 4, node: 'v20.0.0', os: 'Linux', tools: {} },
    options: { lines: 20_000, seed: '1', repeats: 1, warmup: 0, cases: ['peers'], quick: true },
    corpus: { source: 'file', file: 'mail.log', lines: 19_993, bytes: 3 * 1048576, messages: null, recipients: null },
    throughput: [],
    ratios: [],
    shapes: [],
    syslog: [],
    memory: [],
    answers: rows,
    per_domain: domains,
    cannot_report: {},
    answer_notes: {},
    targets: [],
    skipped: [],
  };
  derive(r);
  const md = renderMarkdown(r);
  assert.match(md, /^- corpus: mail\.log, 19,993 lines \(3\.0 MiB\); no ground truth \(user corpus\)$/m);
  assert.match(md, /\| key \| ground truth \| mailsight \| pflogsumm \|/);
  assert.match(md, /\| deferred_attempts \| — \| 3 \| 1,311 \|/);
  assert.match(md, /\| per recipient domain \| domains \| equal to mailsight's report \| max \|diff\| \|/);
  assert.match(md, /\| pflogsumm sent \| 2 \| 1 \| 3 \|/);
  assert.match(md, /compared with mailsight's report/);
  assert.doesNotMatch(md, /generator seed|equal to truth/);
  // The generator's corpus keeps its line, and the truth is the reference.
  const gen = renderMarkdown({ ...r, corpus: { source: 'generator', seed: '7', lines: 1000, bytes: 160_000, messages: 10, recipients: 12 }, per_domain: withTruth });
  assert.match(gen, /^- corpus: 1,000 lines \(0\.2 MiB\), 10 messages, 12 recipients; generator seed 7$/m);
  assert.match(gen, /equal to truth/);
  assert.doesNotMatch(gen, /compared with mailsight's report/);
});

test('otelcol peer: filelog + Postfix regex_parser config, its regex, its record count', () => {
  // `otelcol components` of the 0.165 build (YAML) and the name an older build uses.
  const names = otelcolNames('receivers:\n    - name: file_log\n      module: x\nexporters:\n    - name: debug\n    - name: nop\n');
  assert.deepEqual(names, { receiver: 'file_log', exporter: 'nop' });
  assert.deepEqual(otelcolNames('receivers:\n  filelog\nexporters:\n  debug\n'), { receiver: 'filelog', exporter: 'debug' });
  assert.equal(otelcolNames('receivers:\n    - name: otlp\n'), null);
  const cfg = otelcolConfig({ corpus: '/c/corpus.log', metricsPort: 9999, receiver: 'file_log', exporter: 'nop' });
  assert.match(cfg, /^  file_log:\n {4}include: \["\/c\/corpus\.log"\]\n {4}start_at: beginning\n/m);
  assert.match(cfg, /- type: regex_parser\n {8}regex: '\^\(\?P<timestamp>/);
  assert.match(cfg, /on_error: send_quiet/);
  assert.match(cfg, /logs: \{ receivers: \[file_log\], exporters: \[nop\] \}/);
  assert.match(cfg, /prometheus: \{ host: 127\.0\.0\.1, port: 9999 \}/);
  // The RE2 pattern, in JavaScript's named-group syntax, on real line shapes of the corpus.
  const re = new RegExp(OTELCOL_POSTFIX_REGEX.replace(/\(\?P</g, '(?<'));
  const g = (line: string) => re.exec(line)?.groups;
  assert.deepEqual(
    { ...g('Nov 12 05:40:00 mx1 postfix/cleanup[2704]: B9244160DDA: message-id=<a@b>') },
    { timestamp: 'Nov 12 05:40:00', host: 'mx1', program: 'postfix/cleanup', pid: '2704', queue_id: 'B9244160DDA', message: 'message-id=<a@b>' },
  );
  assert.equal(g('Nov  2 05:40:00 mx1 postfix/smtpd[2541]: connect from a.example[10.0.0.1]')?.queue_id, undefined);
  assert.equal(g('Nov  2 05:40:00 mx1 postfix/smtpd[2541]: NOQUEUE: reject: RCPT from x')?.queue_id, 'NOQUEUE');
  assert.equal(g('Nov 12 05:40:00 mx1 postfix-out/smtp[9]: 4Xk2Lq1ZrWz9vKb: to=<a@b>')?.queue_id, '4Xk2Lq1ZrWz9vKb');
  assert.equal(g('Nov 12 05:40:00 mx1 CRON[301]: (root) CMD (true)'), undefined);
  const metrics = [
    '# TYPE otelcol_receiver_accepted_log_records counter',
    'otelcol_receiver_accepted_log_records{receiver="file_log",transport=""} 1500',
    'otelcol_receiver_refused_log_records{receiver="file_log",transport=""} 0',
  ].join('\n');
  assert.equal(otelcolAccepted(metrics), 1500);
  assert.equal(otelcolAccepted(''), 0);
  assert.equal(otelcolDir({ XDG_CACHE_HOME: '/x' }), '/x/mailsight/otelcol');
  assert.equal(otelcolDir({ XDG_CACHE_HOME: '/x', MAILSIGHT_CACHE_DIR: '/m' }), '/m/otelcol');
});

test('the two-core ceiling splits the corpus as --threads 2 does: every line once, a queue id and its hand-offs on one side', () => {
  const { log } = generateString({ lines: 20_000, seed: 'split' });
  const dir = tempDir('msbench-split-');
  const corpus = join(dir, 'corpus.log');
  writeFileSync(corpus, log);
  const halves = [join(dir, 'a.log'), join(dir, 'b.log')];
  const counts = splitLikeShards(corpus, halves);
  const parts = halves.map((h) => readFileSync(h, 'utf8').split('\n').filter(Boolean));
  const lines = log.split('\n').filter(Boolean);
  assert.deepEqual(counts, parts.map((p) => p.length));
  assert.ok(counts[0] > lines.length / 4 && counts[1] > lines.length / 4, `unbalanced: ${counts}`);
  assert.deepEqual([...parts[0], ...parts[1]].sort(), [...lines].sort());
  const side = new Map<string, number>();
  parts.forEach((p, k) =>
    p.forEach((l) => {
      const key = routingKey(l);
      if (key === undefined) return;
      assert.notEqual(side.get(key), 1 - k, `queue id ${key} on both sides`);
      side.set(key, k);
    }),
  );
  let hops = 0;
  for (const l of lines) {
    const m = / queued as ([0-9A-Za-z]+)\)/.exec(l);
    const key = routingKey(l);
    if (!m || key === undefined || !side.has(m[1])) continue;
    hops++;
    assert.equal(side.get(m[1]), side.get(key), `hand-off ${key} -> ${m[1]} split`);
  }
  assert.ok(hops > 100, `only ${hops} hand-offs in the corpus`);
});

test('log shapes: generator flags from their options, and on each the report equals the ground truth', async () => {
  assert.deepEqual(generatorArgs({ hosts: 4, format: 'rfc3339', multiRcptRate: 0.4 }), ['--hosts', '4', '--format', 'rfc3339', '--multi-rcpt-rate', '0.4']);
  // Every flag a shape uses is one the generator's CLI takes.
  const cli = readFileSync(new URL('../../benchmarks/generator/cli.ts', import.meta.url), 'utf8');
  const dir = tempDir('mailsight-shapes-');
  for (const shape of SHAPES) {
    for (const flag of generatorArgs(shape.options).filter((a) => a.startsWith('--'))) assert.ok(cli.includes(`\n  ${flag} `), `${shape.id}: ${flag}`);
    const { log, report } = generateString({ lines: 6000, seed: `shape-${shape.id}`, ...shape.options });
    const file = join(dir, `${shape.id}.log`);
    writeFileSync(file, log);
    const got = JSON.parse(JSON.stringify(await buildReport([file]))) as ReportLike;
    assert.deepEqual(reportDiff(report as unknown as ReportLike, got), [], shape.id);
  }
});
