// A real Prometheus (Debian package) scrapes mailsight's prometheus exporter while the corpus
// flows through parse → correlate → mail_metrics, and PromQL answers equal `mailsight report`
// on the same log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { gate, missing } from '../syslog/prereq.js';
import { corpusDir, repoRoot } from '../../helpers/paths.js';
import { tempDir } from '../../helpers/tmp.js';

const skip = gate('prometheus PromQL test', missing(['prometheus', 'promtool']), 'test/integration/prometheus/setup.sh');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('PromQL on a real Prometheus equals the report of the same log', { skip }, async () => {
  const dir = tempDir('mailsight-prom-');
  const log = join(corpusDir, 'postfix-lab-01.log');
  const [promPort, exporterPort] = [await freePort(), await freePort()];
  const pipeline = join(dir, 'pipeline.yaml');
  writeFileSync(
    pipeline,
    `receivers:
  filelog: { include: ["${log}"], start_at: beginning, storage: none }
processors:
  mta_parse: { timezone: UTC }
  correlate: { snapshot: { enabled: false } }
connectors:
  mail_metrics: { interval: 500ms }
exporters:
  prometheus: { listen: "127.0.0.1:${exporterPort}" }
service:
  pipelines:
    logs: { receivers: [filelog], processors: [mta_parse, correlate], exporters: [mail_metrics] }
    metrics: { receivers: [mail_metrics], exporters: [prometheus] }
  telemetry: { listen: null }
  data_dir: "${join(dir, 'data')}"
`,
  );
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global: { scrape_interval: 1s }
scrape_configs:
  - job_name: mailsight
    static_configs: [{ targets: ['127.0.0.1:${exporterPort}'] }]
`,
  );
  const check = spawnSync('promtool', ['check', 'config', join(dir, 'prometheus.yml')], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout + check.stderr);

  const procs: ChildProcess[] = [];
  try {
    const ms = spawn(process.execPath, [join(repoRoot, 'bin', 'mailsight.js'), 'run', '-c', pipeline], { stdio: 'ignore' });
    procs.push(ms);
    const prom = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${promPort}`], { stdio: 'ignore' });
    procs.push(prom);

    const report = JSON.parse(spawnSync(process.execPath, [join(repoRoot, 'bin', 'mailsight.js'), 'report', '--json', '--timezone', 'UTC', log], { encoding: 'utf8' }).stdout) as {
      totals: { sent: number; deferred_attempts: number; bounced: number; rejected: number };
      by_domain: Record<string, { sent: number; deferred_attempts: number; bounced: number }>;
    };
    const query = async (q: string): Promise<number | undefined> => {
      const r = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`);
      const body = (await r.json()) as { status: string; data: { result: { value: [number, string] }[] } };
      if (body.status !== 'success' || body.data.result.length === 0) return undefined;
      return Number(body.data.result[0].value[1]);
    };
    // Wait until the whole log has been scraped: the bounce count settles at the report's.
    await waitFor('the corpus to be scraped', async () => {
      const v = await query('sum(mail_deliveries_total{smtp_status="deferred"})');
      return v === report.totals.deferred_attempts ? v : undefined;
    });
    assert.equal(await query('sum(mail_deliveries_total{smtp_status="sent"})'), report.totals.sent);
    assert.equal(await query('sum(mail_deliveries_total{smtp_status="bounced"})'), report.totals.bounced);
    assert.equal(await query('sum(mail_smtpd_rejects_total)'), report.totals.rejected);
    for (const [domain, want] of Object.entries(report.by_domain)) {
      const q = (status: string) => `sum(mail_deliveries_total{smtp_status="${status}",mail_recipient_domain="${domain}"}) or vector(0)`;
      assert.equal(await query(q('sent')), want.sent, `${domain} sent`);
      assert.equal(await query(q('deferred')), want.deferred_attempts, `${domain} deferred`);
      assert.equal(await query(q('bounced')), want.bounced, `${domain} bounced`);
    }
    // Latency histogram: as many sent observations as the report has sent recipients.
    assert.equal(await query('sum(mail_delivery_latency_seconds_count{smtp_status="sent"})'), report.totals.sent);
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => (p.exitCode === null ? once(p, 'exit') : undefined)));
  }
});
