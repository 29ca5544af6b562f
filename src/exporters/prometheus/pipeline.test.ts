// End to end through the real runtime and registry: log lines -> filelog -> mta_parse
// (-> correlate) -> mail_metrics -> prometheus, scraped over HTTP. When `promtool` (Debian
// package `prometheus`) is installed, the scraped text is also checked by it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../config/loader.js';
import { registry } from '../../components.js';
import { Service } from '../../pipeline/service.js';
import { silentLogger } from '../../../test/helpers/fakes.js';
import type { PrometheusExporter } from './prometheus.js';
import { tempDir } from '../../../test/helpers/tmp.js';

const LOG = `Jan 10 08:00:00 mx1 postfix/smtpd[100]: connect from client.example.net[198.51.100.7]
Jan 10 08:00:01 mx1 postfix/smtpd[100]: 4A1B2C3D4E: client=client.example.net[198.51.100.7], sasl_method=PLAIN, sasl_username=alice
Jan 10 08:00:01 mx1 postfix/cleanup[101]: 4A1B2C3D4E: message-id=<m1@example.net>
Jan 10 08:00:01 mx1 postfix/qmgr[102]: 4A1B2C3D4E: from=<alice@example.net>, size=1234, nrcpt=2 (queue active)
Jan 10 08:00:02 mx1 postfix/smtp[103]: Trusted TLS connection established to gmail-smtp-in.l.google.com[142.250.1.26]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)
Jan 10 08:00:03 mx1 postfix/smtp[103]: 4A1B2C3D4E: to=<bob@gmail.com>, relay=gmail-smtp-in.l.google.com[142.250.1.26]:25, delay=2.1, delays=0.1/0.01/0.5/1.5, dsn=2.0.0, status=sent (250 2.0.0 OK  1704873603 x1si123 - gsmtp)
Jan 10 08:00:04 mx1 postfix/smtp[104]: 4A1B2C3D4E: to=<nobody@example.org>, relay=mx.example.org[203.0.113.5]:25, delay=3, delays=0.1/0.01/1/1.9, dsn=5.1.1, status=bounced (host mx.example.org[203.0.113.5] said: 550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))
Jan 10 08:00:04 mx1 postfix/qmgr[102]: 4A1B2C3D4E: removed
Jan 10 08:00:05 mx1 postfix/smtpd[100]: NOQUEUE: reject: RCPT from unknown[192.0.2.99]: 554 5.7.1 Service unavailable; Client host [192.0.2.99] blocked using zen.spamhaus.org; from=<spam@bad.example> to=<x@ourdomain.example> proto=ESMTP helo=<bad>
Jan 10 08:00:06 mx1 postfix/smtpd[100]: warning: unknown[192.0.2.50]: SASL LOGIN authentication failed: UGFzc3dvcmQ6
Jan 10 08:00:30 mx1 postfix/anvil[105]: statistics: max connection rate 1/60s for (smtp:198.51.100.7) at Jan 10 08:00:00
`;

interface Run {
  scrape(): Promise<string>;
  /** Scrape until `pred` holds (snapshots arrive every interval). */
  until(pred: (text: string) => boolean): Promise<string>;
  stop(): Promise<void>;
}

async function run(processors: string, extra = ''): Promise<Run> {
  const dir = tempDir('mailsight-prom-e2e-');
  writeFileSync(join(dir, 'mail.log'), LOG);
  const config = parseConfig(
    `
receivers:
  filelog: { include: ['${join(dir, 'mail.log')}'], start_at: beginning, storage: none, poll_interval: 50ms }
processors:
  mta_parse: { timezone: UTC }
  correlate: { snapshot: { enabled: false } }
connectors:
  mail_metrics: { interval: 100ms ${extra} }
exporters:
  prometheus: { listen: '127.0.0.1:0', const_labels: { site: lab } }
service:
  data_dir: '${dir}'
  telemetry: { listen: null }
  pipelines:
    logs:    { receivers: [filelog], processors: [${processors}], exporters: [mail_metrics] }
    metrics: { receivers: [mail_metrics], exporters: [prometheus] }
`,
    registry,
    'e2e.yaml',
    {},
  );
  const service = new Service({ config, registry, logger: silentLogger, listen: null });
  await service.start();
  const prom = service.graph.nodes.find((n) => n.kind === 'exporter' && n.id === 'prometheus')!.component as PrometheusExporter;
  const url = prom.url!;
  const scrape = async () => {
    const r = await fetch(url);
    assert.equal(r.status, 200);
    return r.text();
  };
  return {
    scrape,
    async until(pred) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const t = await scrape();
        if (pred(t)) return t;
        if (Date.now() > deadline) assert.fail(`condition not met; last scrape:\n${t}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      await service.shutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function promtoolCheck(text: string): void {
  const probe = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return; // not installed here: the text assertions stand alone
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(r.status, 0, `promtool check metrics:\n${r.stdout}${r.stderr}\n--- text:\n${text}`);
}

test('events only: mta_parse -> mail_metrics -> prometheus, scraped over HTTP', async () => {
  const r = await run('mta_parse', ', received_from: events');
  try {
    const text = await r.until((t) => t.includes('mail_sasl_failures_total') && t.includes('mail_smtpd_rejects_total'));
    const lines = text.split('\n');
    const has = (l: string) => assert.ok(lines.includes(l), `missing line ${l}\n--- scrape:\n${text}`);
    has('# TYPE mail_deliveries_total counter');
    has('mail_deliveries_total{mail_provider="gmail",mail_recipient_domain="gmail.com",site="lab",smtp_dsn="2.0.0",smtp_status="sent",smtp_status_class="2xx"} 1');
    assert.match(text, /^mail_deliveries_total\{mail_bounce_class="hard\.invalid_recipient",mail_recipient_domain="example\.org",site="lab",smtp_dsn="5\.1\.1",smtp_status="bounced",smtp_status_class="5xx"\} 1$/m);
    has('# TYPE mail_delivery_delay_seconds histogram');
    has('mail_delivery_delay_seconds_bucket{mail_delay_stage="transmission",site="lab",le="1"} 0');
    has('mail_delivery_delay_seconds_bucket{mail_delay_stage="transmission",site="lab",le="2.5"} 2');
    has('mail_delivery_delay_seconds_bucket{mail_delay_stage="transmission",site="lab",le="+Inf"} 2');
    has('mail_delivery_delay_seconds_sum{mail_delay_stage="transmission",site="lab"} 3.4');
    has('mail_delivery_delay_seconds_count{mail_delay_stage="transmission",site="lab"} 2');
    assert.match(text, /^mail_smtpd_rejects_total\{mail_bounce_class="[a-z_.]+",site="lab",smtp_reply_code="554"\} 1$/m);
    has('mail_tls_sessions_total{site="lab",tls_direction="outbound",tls_protocol_version="TLSv1.3",tls_result="established"} 1');
    has('mail_auth_results_total{mail_auth_mechanism="sasl",mail_auth_result="pass",site="lab"} 1');
    has('mail_auth_results_total{mail_auth_mechanism="sasl",mail_auth_result="fail",site="lab"} 1');
    has('mail_sasl_failures_total{mail_sasl_method="LOGIN",site="lab"} 1');
    has('mail_messages_received_total{mail_host="mx1",site="lab"} 1');
    assert.match(text, /^mail_sasl_send_rate_per_second\{mail_sasl_username_hash="[0-9a-f]{16}",site="lab"\} [0-9.e+-]+$/m);
    assert.ok(!text.includes('alice'));
    promtoolCheck(text);
    // Later scrapes: the same series, none vanished, counters unchanged.
    await new Promise((res) => setTimeout(res, 250));
    const again = await r.scrape();
    const series = (t: string) => t.split('\n').filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('mail_sasl_send_rate')).sort();
    assert.deepEqual(series(again), series(text));
  } finally {
    await r.stop();
  }
});

test('with correlate: mail.messages.received and mail.delivery.latency from records, deliveries from events, nothing counted twice', async () => {
  const r = await run('mta_parse, correlate');
  try {
    const text = await r.until((t) => t.includes('mail_delivery_latency_seconds_count') && t.includes('mail_messages_received_total'));
    const lines = text.split('\n');
    const has = (l: string) => assert.ok(lines.includes(l), `missing line ${l}\n--- scrape:\n${text}`);
    has('mail_messages_received_total{mail_host="mx1",site="lab"} 1');
    has('mail_delivery_latency_seconds_bucket{mail_provider="gmail",site="lab",smtp_status="sent",le="1"} 0');
    has('mail_delivery_latency_seconds_bucket{mail_provider="gmail",site="lab",smtp_status="sent",le="2"} 1');
    has('mail_delivery_latency_seconds_sum{mail_provider="gmail",site="lab",smtp_status="sent"} 2');
    has('mail_delivery_latency_seconds_count{mail_provider="gmail",site="lab",smtp_status="sent"} 1');
    has('mail_delivery_latency_seconds_count{site="lab",smtp_status="bounced"} 1');
    assert.equal(text.match(/^mail_deliveries_total\{.*smtp_status="sent".*\} (\d+)$/m)?.[1], '1', 'one sent line, counted once');
    promtoolCheck(text);
  } finally {
    await r.stop();
  }
});
