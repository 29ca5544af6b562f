// The CLI contract of DESIGN §7, exercised through the real executable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusDir, repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

const bin = join(repoRoot, 'bin', 'mailsight.js');
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: repoRoot, timeout: 30_000 });
const cfg = (name: string) => join('test', 'configs', name);

test('validate exits 0 on every file in pipelines/', () => {
  const files = readdirSync(join(repoRoot, 'pipelines')).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length > 0);
  for (const f of files) {
    const r = run('validate', '-c', join('pipelines', f));
    assert.equal(r.status, 0, `${f}: ${r.stderr}`);
  }
});

const bad: [string, RegExp][] = [
  ['unknown-key.yaml', /unknown-key\.yaml:6:5: exporters\.debug\.colour: unknown key "colour"/],
  ['undefined-component.yaml', /undefined-component\.yaml:9:20: service\.pipelines\.logs\.processors\[0\]: processor "mta_parse\/missing" is not defined/],
  ['type-error.yaml', /type-error\.yaml:3:14: receivers\.filelog\.include: must be array/],
  ['cycle.yaml', /cycle\.yaml:10:5: service\.pipelines\.logs\/(one|two): pipelines form a cycle through connectors/],
];
for (const [file, want] of bad) {
  test(`validate exits 3 with path:line and reason on ${file}`, () => {
    const r = run('validate', '-c', cfg(file));
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, want);
  });
}

test('components lists each component with options and defaults from the schemas', () => {
  const r = run('components', '--json');
  assert.equal(r.status, 0, r.stderr);
  const list = JSON.parse(r.stdout) as { kind: string; type: string; options: { name: string; default?: unknown }[] }[];
  const filelog = list.find((c) => c.kind === 'receiver' && c.type === 'filelog');
  assert.ok(filelog, 'filelog listed');
  assert.equal(filelog.options.find((o) => o.name === 'start_at')?.default, 'end');
  const debug = list.find((c) => c.type === 'debug')!;
  assert.ok(debug.options.some((o) => o.name === 'queue.when_full' && o.default === 'block'));
  const text = run('components');
  assert.match(text.stdout, /receiver filelog/);
});

test('usage errors exit 2 and name the problem; --help exits 0 and documents exit codes', () => {
  const r = run('frobnicate');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command "frobnicate"/);
  const h = run('--help');
  assert.equal(h.status, 0);
  assert.match(h.stdout, /Exit codes:[\s\S]*3\s+invalid configuration/);
});

test('schema prints the JSON Schema that is committed in schemas/', () => {
  const r = run('schema');
  assert.equal(r.status, 0);
  const schema = JSON.parse(r.stdout) as { properties: Record<string, unknown> };
  assert.deepEqual(Object.keys(schema.properties), ['receivers', 'processors', 'connectors', 'exporters', 'service', 'alerts', 'remediation', 'tests']);
});

test('test runs tests: blocks: 0 when all pass, 4 with the failing field named', () => {
  const ok = run('test', '-c', join('pipelines', 'default.yaml'));
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^ok {3}a delivery becomes/m);
  const bad = run('test', '-c', cfg('failing-tests.yaml'));
  assert.equal(bad.status, 4, bad.stdout + bad.stderr);
  assert.match(bad.stdout, /FAIL wrong expectation\n\s+records\[0\]: queue_id: expected "NOTTHISONE", got "4053316030D"/);
});

test('parse writes one MailEvent JSON line per input line', () => {
  const r = spawnSync(process.execPath, [bin, 'parse', '--timezone', 'UTC', '-'], {
    encoding: 'utf8',
    input: 'Nov 27 22:06:43 mx1 postfix/qmgr[4590]: 4053316030D: removed\nnot a mail line at all\n',
  });
  assert.equal(r.status, 0, r.stderr);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(events.length, 2);
  assert.equal(events[0].event, 'removed');
  assert.equal(events[0].queue_id, '4053316030D');
  // RFC 3164 has no year: this year, unless that would put the line more than a day ahead.
  const thisYear = Date.UTC(new Date().getUTCFullYear(), 10, 27, 22, 6, 43);
  const expected = thisYear > Date.now() + 86_400_000 ? Date.UTC(new Date().getUTCFullYear() - 1, 10, 27, 22, 6, 43) : thisYear;
  assert.equal(events[0].time, expected);
  assert.equal(events[1].event, 'unparsed');
  assert.equal(events[1].raw, 'not a mail line at all');
});

test('run with a stdin pipeline drains and exits 0 at end of input', () => {
  const input = readFileSync(join(corpusDir, 'postfix-lab-01.log'), 'utf8');
  const r = spawnSync(process.execPath, [bin, 'run', '-c', join('pipelines', 'stdin.yaml')], {
    encoding: 'utf8',
    input,
    cwd: repoRoot,
    timeout: 60_000,
    env: { ...process.env, MAILSIGHT_TIMEZONE: 'UTC', MAILSIGHT_DATA_DIR: tempDir('mailsight-stdin-') },
  });
  assert.equal(r.status, 0, r.stderr);
  const out = r.stdout.trim().split('\n');
  assert.equal(out.length, input.trim().split('\n').length, 'one debug line per input line');
  assert.match(out[0], /^2026-11-27T22:06:33\.000Z mx1 postfix\/postfix-script\[4586\] .*daemon/);
});

test('run with a one-shot input does not wait for an exporter\'s flush interval at the end', () => {
  // stdin -> file with an hour between flushes: stdin waits for its lines to be delivered
  // before the run ends, so without the end-of-input hint this run would sit for the hour.
  const dir = tempDir('mailsight-oneshot-');
  const out = join(dir, 'events.jsonl');
  const config = join(dir, 'pipeline.yaml');
  writeFileSync(
    config,
    [
      'receivers: { stdin: {} }',
      'processors: { mta_parse: { timezone: UTC } }',
      `exporters: { file: { path: ${JSON.stringify(out)}, flush_interval: 1h } }`,
      'service:',
      '  pipelines: { logs: { receivers: [stdin], processors: [mta_parse], exporters: [file] } }',
      '  telemetry: { listen: null }',
      `  data_dir: ${JSON.stringify(join(dir, 'data'))}`,
    ].join('\n') + '\n',
  );
  const input = readFileSync(join(corpusDir, 'postfix-lab-01.log'), 'utf8');
  const r = spawnSync(process.execPath, [bin, 'run', '-c', config], { encoding: 'utf8', input, cwd: repoRoot, timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr || String(r.error));
  assert.equal(readFileSync(out, 'utf8').trim().split('\n').length, input.trim().split('\n').length, 'one event per line');
});

test('bin/mailsight.js run directly gets the larger young generation; `node bin/mailsight.js` says it did not', () => {
  // The stdin pipeline on empty input: starts, logs, drains, exits.
  const runEmpty = (cmd: string, args: string[]) =>
    spawnSync(cmd, [...args, 'run', '-c', join('pipelines', 'stdin.yaml')], {
      encoding: 'utf8',
      input: '',
      cwd: repoRoot,
      timeout: 60_000,
      env: { ...process.env, MAILSIGHT_TIMEZONE: 'UTC', NODE_OPTIONS: '', MAILSIGHT_DATA_DIR: tempDir('mailsight-stdin-') },
    });
  const direct = runEmpty(bin, []);
  assert.equal(direct.status, 0, direct.stderr);
  assert.doesNotMatch(direct.stderr, /young generation at its default/);
  const viaNode = runEmpty(process.execPath, [bin]);
  assert.equal(viaNode.status, 0, viaNode.stderr);
  assert.match(viaNode.stderr, /young generation at its default/);
});

test('parse stops quietly with exit 0 when its reader goes away (| head), instead of an EPIPE trace', async () => {
  const child = spawn(process.execPath, [bin, 'parse', join(corpusDir, 'postfix-lab-01.log')], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  // Read the first chunk, then close the pipe as `head` does; the corpus's events are far more.
  await once(child.stdout, 'data');
  child.stdout.destroy();
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(stderr, '');
  assert.equal(code, 0);
});
