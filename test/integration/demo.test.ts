// The README's main command runs the embedded demo (`mailsight run` without -c, what
// `npm start` runs): the sample log flows through parse and correlate, mail metrics appear on
// the Prometheus endpoint, health is ok, traces are written, and SIGINT exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

test('embedded demo: metrics, health, traces, clean exit', async () => {
  const data = tempDir('mailsight-demo-');
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'mailsight.js'), 'run'], {
    cwd: data,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MAILSIGHT_TELEMETRY_LISTEN: '127.0.0.1:18080', MAILSIGHT_PROMETHEUS_LISTEN: '127.0.0.1:19464', MAILSIGHT_DATA_DIR: data },
  });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    let metrics = '';
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      metrics = await fetch('http://127.0.0.1:19464/metrics').then((r) => r.text(), () => '');
      if (/mail_deliveries_total\{[^}]*smtp_status="bounced"/.test(metrics)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    // The sample's incident, as the operator sees it on the endpoint.
    assert.match(metrics, /mail_deliveries_total\{mail_bounce_class="policy.reputation",mail_recipient_domain="defer.test",smtp_dsn="4.7.28",smtp_status="deferred",smtp_status_class="4xx"\} 120/);
    assert.match(metrics, /mail_deliveries_total\{mail_bounce_class="hard.invalid_recipient",mail_recipient_domain="hard.test",smtp_dsn="5.1.1",smtp_status="bounced",smtp_status_class="5xx"\} 12/);
    assert.match(metrics, /mail_delivery_latency_seconds_bucket\{/);
    const health = (await (await fetch('http://127.0.0.1:18080/healthz')).json()) as { status: string };
    assert.equal(health.status, 'ok');
    assert.match(await (await fetch('http://127.0.0.1:18080/')).text(), /<h1>mailsight<\/h1>/);
    assert.match(await (await fetch('http://127.0.0.1:18080/metrics')).text(), /mailsight_items_received_total\{kind="receiver",component="filelog\/sample",pipeline=""\} 1469/);
  } finally {
    child.kill('SIGINT');
  }
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0, stderr);
  assert.ok(stdout.split('\n').length > 1469, 'a readable line per event and record');
  const traces = join(data, 'demo-traces.jsonl');
  assert.ok(existsSync(traces));
  const spans = readFileSync(traces, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; traceId: string });
  assert.ok(spans.length > 100 && spans.every((s) => s.kind === 'span' && /^[0-9a-f]{32}$/.test(s.traceId)));
});
