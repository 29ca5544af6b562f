import { defineExporter } from '../../pipeline/component.js';
import { PrometheusExporterConfig } from './config.js';
import { PrometheusExporter } from './prometheus.js';

export const prometheusExporterFactory = defineExporter({
  type: 'prometheus',
  kind: 'exporter',
  stability: 'alpha',
  description: 'Serve the latest cumulative value of every metric series on an HTTP endpoint for Prometheus to scrape (text format 0.0.4).',
  signals: ['metrics'],
  configSchema: PrometheusExporterConfig,
  create: (settings) => new PrometheusExporter(settings),
});
