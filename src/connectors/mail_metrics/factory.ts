// `mail_metrics`: exporter of a logs pipeline, receiver of a metrics pipeline (OTel's
// connector model, like the count and spanmetrics connectors).
import { defineConnector, type Consumer } from '../../pipeline/component.js';
import type { MetricItem } from '../../model/metrics.js';
import { MailMetricsConfig } from './config.js';
import { MailMetricsConnector } from './mail_metrics.js';

export const mailMetricsFactory = defineConnector({
  type: 'mail_metrics',
  kind: 'connector',
  stability: 'alpha',
  description:
    'Derive the mail metrics of DESIGN §4 (deliveries, latency, delays, rejects, auth, TLS, SASL) from MailEvents and MessageRecords; cumulative snapshots every interval.',
  signals: ['logs', 'metrics'],
  from: ['logs'],
  to: ['metrics'],
  configSchema: MailMetricsConfig,
  // The graph hands every connector an untyped fan-out; this one only ever emits MetricItems.
  create: (settings) => new MailMetricsConnector({ ...settings, next: settings.next as Consumer<MetricItem> }),
});
