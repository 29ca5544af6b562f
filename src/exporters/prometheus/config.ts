// Config of the prometheus exporter (option names follow the OTel Collector's prometheus exporter).
import { Type, type Static } from '@sinclair/typebox';
import { ListenAddress, Strict } from '../../config/types.js';

export const PrometheusExporterConfig = Strict(
  {
    listen: ListenAddress({
      default: '127.0.0.1:9464',
      description: 'host:port of the scrape endpoint. Port 0 picks a free port (logged at start; PrometheusExporter.port in code).',
    }),
    path: Type.String({ pattern: '^/', default: '/metrics', description: 'HTTP path Prometheus scrapes; other paths answer 404, methods other than GET and HEAD 405.' }),
    namespace: Type.String({
      pattern: '^([a-zA-Z_][a-zA-Z0-9_]*)?$',
      default: '',
      description: 'Prefix of every metric name (`<namespace>_mail_deliveries_total`); empty for none.',
    }),
    const_labels: Type.Record(Type.String(), Type.String(), {
      default: {},
      description: 'Labels added to every series, e.g. { env: prod }. A metric or resource attribute of the same name wins.',
    }),
    resource_to_telemetry_conversion: Strict(
      {
        enabled: Type.Boolean({
          default: false,
          description: 'Copy the resource attributes of each metric (service.name, ...) onto its series as labels.',
        }),
      },
      { default: {}, description: 'Resource attributes as labels (off: they are dropped).' },
    ),
  },
  {
    default: {},
    description: 'Serves the latest cumulative value of every metric series for Prometheus to scrape (text format 0.0.4).',
  },
);

export type PrometheusExporterConfig = Static<typeof PrometheusExporterConfig>;
