// The sharded report must equal the one-thread report, on every kind of input we have: the
// generator's corpora (content-filter hops, relays between fleet hosts, queue-id reuse, Exim,
// RFC 3339 headers), the lab captures of real MTAs, and the shared corpus; and routing keys must
// agree with the parser's queue ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { generateString, type GenOptions } from '../../benchmarks/generator/generate.js';
import { corpusDir, fixturesDir } from '../../test/helpers/paths.js';
import { buildReport, buildReportAuto } from '../cli/report.js';
import { LineParser } from '../processors/mta_parse/parser.js';
import { isLifecycleEvent } from '../processors/correlate/correlator.js';
import { buildReportSharded } from './sharded.js';
import { routingKey } from './route.js';
import { LinkGroups, scanLinks } from './links.js';
import { tempDir } from '../../test/helpers/tmp.js';

const FAST: Partial<GenOptions> = { minBackoff: 20, maxBackoff: 90, queueRunDelay: 10, maxQueueLifetime: 240, rate: 4 };

const CORPORA: Record<string, Partial<GenOptions>> = {
  'postfix, hops and reuse': { ...FAST, lines: 20_000, seed: 'shard-1', filterRate: 0.3, reuseRate: 0.05 },
  'postfix fleet of 3, relays': { ...FAST, lines: 20_000, seed: 'shard-2', hosts: 3, relayRate: 0.3, filterRate: 0.2 },
  'postfix rfc3339': { ...FAST, lines: 10_000, seed: 'shard-3', format: 'rfc3339' },
  'exim fleet': { ...FAST, lines: 15_000, seed: 'shard-4', mta: 'exim', hosts: 2, relayRate: 0.3 },
};

const dir = tempDir('mailsight-shard-');
test.after(() => rmSync(dir, { recursive: true, force: true }));

function corpus(name: string): string {
  const file = join(dir, name.replace(/\W+/g, '-') + '.log');
  writeFileSync(file, generateString(CORPORA[name]).log);
  return file;
}

const realLogs = [
  ...readdirSync(fixturesDir)
    .filter((f) => f.endsWith('.log'))
    .map((f) => join(fixturesDir, f)),
  join(corpusDir, 'postfix-lab-01.log'),
];

async function assertSame(file: string, shards: number): Promise<void> {
  const one = await buildReport([file], { timezone: 'UTC' });
  const many = await buildReportSharded(file, { timezone: 'UTC', shards });
  assert.ok('report' in many, `misrouted: ${JSON.stringify(many)}`);
  assert.deepEqual(many.report, one);
}

for (const name of Object.keys(CORPORA)) {
  test(`sharded report equals the one-thread report: generated ${name}`, async () => {
    const file = corpus(name);
    const one = await buildReport([file], { timezone: 'UTC' });
    assert.ok(one.messages > 100, 'the corpus has messages');
    for (const shards of [2, 3]) {
      const many = await buildReportSharded(file, { timezone: 'UTC', shards });
      assert.ok('report' in many, `misrouted with ${shards} shards: ${JSON.stringify(many)}`);
      assert.deepEqual(many.report, one, `${shards} shards`);
    }
  });
}

test('sharded report equals the one-thread report: lab captures and the shared corpus', async () => {
  for (const f of realLogs) await assertSame(f, 2);
});

test('sharded report reads gzip (one worker scans the links) with the same result', async () => {
  const file = corpus('postfix, hops and reuse');
  const gz = file + '.gz';
  writeFileSync(gz, gzipSync(readFileSync(file)));
  await assertSame(gz, 2);
  assert.deepEqual(await buildReport([gz], { timezone: 'UTC' }), await buildReport([file], { timezone: 'UTC' }));
});

test('the generated hops really cross queue ids (the links are found)', () => {
  const log = generateString(CORPORA['postfix, hops and reuse']).log;
  const g = new LinkGroups();
  let n = 0;
  scanLinks(Buffer.from(log), (a, b) => {
    n++;
    g.add(a, b);
  });
  assert.ok(n > 50, `links found: ${n}`);
  assert.ok(g.size > 50);
});

test('routing keys agree with the parser on every line the correlation engine uses', () => {
  const inputs = [...realLogs.map((f) => readFileSync(f, 'utf8')), ...Object.values(CORPORA).map((o) => generateString({ ...o, lines: 5000 }).log)];
  let checked = 0;
  for (const text of inputs) {
    const parser = new LineParser({ timezone: 'UTC' });
    for (const line of text.split('\n')) {
      if (!line) continue;
      const ev = parser.parse(line);
      if (ev.queue_id === undefined || ev.queue_id === 'NOQUEUE' || !isLifecycleEvent(ev.event)) continue;
      assert.equal(routingKey(line), ev.queue_id, line);
      checked++;
    }
  }
  assert.ok(checked > 10_000, `lines checked: ${checked}`);
});

test('routingKey on the header forms', () => {
  const cases: [string, string | undefined][] = [
    ['Nov 12 05:56:38 mx1 postfix/smtp[2488]: AF8CC16223C: to=<a@b.c>, status=sent', 'AF8CC16223C'],
    ['Nov 12 05:56:38 mx1 postfix/qmgr[1]: 4R1Z2s0KzBz9vZ: removed', '4R1Z2s0KzBz9vZ'],
    ['Nov 12 05:56:38 mx1 postfix/cleanup[1]: BcDfGhJkLmNzPq: message-id=<x@y>', 'BcDfGhJkLmNzPq'],
    ['Nov 12 05:56:38 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[1.2.3.4]: 554 5.7.1', undefined],
    ['Nov 12 05:56:38 mx1 postfix/smtpd[1]: warning: AF8CC16223C: header Subject: x', 'AF8CC16223C'],
    ['Nov 12 05:56:38 mx1 postfix/smtpd[1]: connect from x[1.2.3.4]', undefined],
    ['<22>1 2026-11-12T05:56:38.1Z mx1 postfix/smtp 2488 - - AF8CC16223C: to=<a@b.c>', 'AF8CC16223C'],
    ['2026-11-12 05:56:38 1tXyZa-000123-AB <= a@b.c H=x [1.2.3.4] P=esmtp S=1', '1tXyZa-000123-AB'],
    ['2026-11-12 05:56:38.123 +0100 [1234] 1qfxbL-000000003jI-2PDO => a@b.c R=r T=t', '1qfxbL-000000003jI-2PDO'],
    ['Nov 12 05:56:38 mx1 exim[12]: 2026-11-12 05:56:38 1tXyZa-000123-AB Completed', '1tXyZa-000123-AB'],
    ['Nov 12 05:56:38 mx1 exim[12]: 1tXyZa-000123-AB ** a@b.c: Unrouteable address', '1tXyZa-000123-AB'],
    ['2026-11-12 05:56:38 SMTP connection from [1.2.3.4]', undefined],
  ];
  for (const [line, key] of cases) assert.equal(routingKey(line), key, line);
});

test('a line the router cannot key is caught, and the report falls back to one thread', async () => {
  // Lifecycle lines whose queue id the router does not find (an Exim id after a syslog
  // continuation marker), among enough ordinary lines to shard. Unkeyed lines go round-robin,
  // so of two in a row one lands on the other shard than the id's, whichever that is.
  const base = generateString({ ...FAST, lines: 3000, seed: 'shard-fallback', mta: 'exim' }).log.trimEnd().split('\n');
  const id = base.map((l) => routingKey(l)).find((k) => k !== undefined) as string;
  base.push(`Nov 12 23:00:00 mx1 exim[77]: [1/2] ${id} Completed`, `Nov 12 23:00:00 mx1 exim[77]: [1/2] ${id} Completed`);
  const file = join(dir, 'fallback.log');
  writeFileSync(file, base.join('\n') + '\n');
  const parsed = new LineParser({ timezone: 'UTC' }).parse(base[base.length - 1]);
  assert.equal(parsed.queue_id, id, 'the parser does key that line');
  const many = await buildReportSharded(file, { timezone: 'UTC', shards: 2 });
  assert.ok('misrouted' in many && many.misrouted >= 1, JSON.stringify(many).slice(0, 300));
  const viaAuto = await buildReportAuto([file], { timezone: 'UTC', threads: 2 });
  assert.deepEqual(viaAuto, await buildReport([file], { timezone: 'UTC' }));
});
