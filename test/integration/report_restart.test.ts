// A replay with a restart in the middle gives the same report as one without: the
// correlation state is written to a snapshot file (as the correlate processor does on
// SIGTERM), a fresh engine restores it and goes on with the rest of the log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LineParser } from '../../src/processors/mta_parse/parser.js';
import { Correlator } from '../../src/processors/correlate/correlator.js';
import { readSnapshot, writeSnapshot } from '../../src/processors/correlate/state/snapshot.js';
import { ReportAggregator } from '../../src/report/aggregate.js';
import { buildReport } from '../../src/cli/report.js';
import { repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('mailsight-restart-');
const log = join(dir, 'gen.log');

test('restart in the middle of a replay: same report', async () => {
  const g = spawnSync(process.execPath, [join(repoRoot, 'dist', 'benchmarks', 'generator', 'cli.js'), '--lines', '200000', '--seed', 'restart', '--hosts', '2', '--out', log], {
    encoding: 'utf8',
  });
  assert.equal(g.status, 0, g.stderr);
  const whole = await buildReport([log]);

  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const parser = new LineParser({ timezone: 'UTC' });
  const agg = new ReportAggregator();
  let engine = new Correlator();
  const cut = Math.floor(lines.length * 0.47);
  for (let i = 0; i < lines.length; i++) {
    if (i === cut) {
      // Stop: snapshot the open state to disk. Start: a new engine restores it.
      engine.sweep();
      for (const rec of engine.take()) agg.addRecord(rec);
      const snap = join(dir, 'correlate.snapshot');
      await writeSnapshot(snap, engine.snapshotLines());
      engine = new Correlator();
      engine.restore((await readSnapshot(snap)) ?? []);
    }
    const ev = parser.parse(lines[i]);
    agg.addEvent(ev);
    engine.add(ev);
    if (i % 1024 === 0) {
      engine.sweep();
      for (const rec of engine.take()) agg.addRecord(rec);
    }
  }
  engine.sweep();
  engine.finish();
  for (const rec of engine.take()) agg.addRecord(rec);
  for (const rec of engine.openRecords()) agg.addRecord(rec, true);
  const restarted = agg.result();
  assert.ok(whole.messages > 10_000, `a real workload (${whole.messages} messages)`);
  assert.deepEqual(restarted, whole);
});
