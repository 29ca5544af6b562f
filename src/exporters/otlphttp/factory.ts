import { defineExporter } from '../../pipeline/component.js';
import { OtlpHttpExporterConfig } from './config.js';
import { OtlpHttpExporter } from './otlphttp.js';

export const otlpHttpExporterFactory = defineExporter({
  type: 'otlphttp',
  kind: 'exporter',
  stability: 'beta',
  description: 'Sends logs, metrics and traces over OTLP/HTTP (protobuf or JSON, gzip) with retries, Retry-After and a memory or disk sending queue.',
  signals: ['logs', 'metrics', 'traces'],
  configSchema: OtlpHttpExporterConfig,
  create: (settings) => new OtlpHttpExporter(settings),
});
