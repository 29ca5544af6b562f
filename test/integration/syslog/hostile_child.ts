// Runs one syslog receiver (TCP) in its own process for hostile_frames.test.ts, so that its RSS
// is its own. Prints {"port": N} once listening; answers "stats" messages on the IPC channel
// with its RSS, lines delivered and self-metrics; exits on "stop".
import { pino } from 'pino';
import { Ajv } from 'ajv';
import { releaseAll } from '../../../src/pipeline/ack.js';
import type { Batch, Consumer } from '../../../src/pipeline/component.js';
import type { LogItem } from '../../../src/model/items.js';
import { SelfTelemetry } from '../../../src/telemetry/component_telemetry.js';
import { SyslogConfig } from '../../../src/receivers/syslog/config.js';
import { SyslogReceiver } from '../../../src/receivers/syslog/syslog.js';

const config: Record<string, unknown> = JSON.parse(process.argv[2] ?? '{}');
const validate = new Ajv({ useDefaults: true, strict: false }).compile(SyslogConfig);
if (!validate(config)) throw new Error(JSON.stringify(validate.errors));

let delivered = 0;
let lastBody = '';
let peakRss = 0;
const next: Consumer<LogItem> = {
  async consume(b: Batch<LogItem>) {
    delivered += b.items.length;
    const l = b.items[b.items.length - 1];
    if (l && l.kind === 'line') lastBody = l.body;
    releaseAll(b.acks);
  },
};
const tel = new SelfTelemetry({ processMetrics: false });
const r = new SyslogReceiver({
  id: 'syslog',
  config: config as SyslogConfig,
  signal: 'logs',
  logger: pino({ level: 'silent' }),
  telemetry: tel.forComponent('receiver', 'syslog'),
  next,
});
await r.start({ dataDir: '.', reportFatal: (e) => { throw e; } });
setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50).unref();
process.stdout.write(JSON.stringify({ port: r.address().port }) + '\n');

const names = [
  'mailsight_items_received_total',
  'mailsight_syslog_truncated_total',
  'mailsight_syslog_framing_errors_total',
  'mailsight_syslog_connections',
  'mailsight_syslog_connections_rejected_total',
  'mailsight_syslog_connections_total',
  'mailsight_syslog_header_fixes_total',
  'mailsight_syslog_idle_closed_total',
];
process.on('message', (m: unknown) => {
  void (async () => {
    if (m === 'stop') {
      await r.shutdown();
      process.exit(0);
    }
    if (m === 'gc') (globalThis as { gc?: () => void }).gc?.();
    const counters: Record<string, number> = {};
    for (const n of names) counters[n] = await tel.value(n, {});
    const rss = process.memoryUsage.rss();
    peakRss = Math.max(peakRss, rss);
    process.send?.({ rss, peakRss, delivered, lastBody, counters });
  })();
});
