// Config of the otlphttp exporter (OTLP/HTTP, the OTel Collector's `otlphttp` names).
import { Type, type Static } from '@sinclair/typebox';
import { Strict, StringEnum } from '../../config/types.js';
import { exporterHelperProperties } from '../helper/config.js';

const Url = (description: string) => Type.String({ pattern: '^https?://', description, examples: ['http://127.0.0.1:4318'] });

export const OtlpHttpExporterConfig = Strict(
  {
    endpoint: Type.String({
      pattern: '^https?://',
      default: 'http://127.0.0.1:4318',
      description: 'Base URL of the OTLP/HTTP receiver; /v1/logs, /v1/metrics and /v1/traces are appended (after any path it has).',
      examples: ['http://127.0.0.1:4318', 'https://otlp.example.com:4318', 'https://otlp.datadoghq.com'],
    }),
    logs_endpoint: Type.Optional(Url('Full URL for logs, used as is instead of <endpoint>/v1/logs.')),
    metrics_endpoint: Type.Optional(Url('Full URL for metrics, used as is instead of <endpoint>/v1/metrics.')),
    traces_endpoint: Type.Optional(Url('Full URL for traces, used as is instead of <endpoint>/v1/traces.')),
    encoding: StringEnum(['proto', 'json'] as const, {
      default: 'proto',
      description: 'proto: application/x-protobuf (smaller, faster); json: application/json (OTLP/JSON).',
    }),
    compression: StringEnum(['gzip', 'none'] as const, { default: 'gzip', description: 'Request body compression.' }),
    headers: Type.Record(Type.String(), Type.String(), {
      default: {},
      description: 'Extra HTTP headers on every request, e.g. API keys. Use ${env:NAME} to keep secrets out of the file.',
      examples: [{ 'DD-API-KEY': '${env:DD_API_KEY}' }],
    }),
    tls: Strict(
      {
        insecure_skip_verify: Type.Boolean({ default: false, description: 'Do not verify the server certificate (tests only).' }),
        ca_file: Type.Optional(Type.String({ minLength: 1, description: 'PEM file of CA certificates to trust instead of the system ones.' })),
        cert_file: Type.Optional(Type.String({ minLength: 1, description: 'PEM client certificate (mutual TLS); needs key_file.' })),
        key_file: Type.Optional(Type.String({ minLength: 1, description: 'PEM private key of cert_file.' })),
        server_name: Type.Optional(Type.String({ minLength: 1, description: 'Name to verify the certificate against (and SNI), when not the endpoint host.' })),
      },
      { default: {}, description: 'TLS for https:// endpoints.' },
    ),
    resource: Strict(
      {
        attributes: Type.Record(Type.String(), Type.String(), {
          default: {},
          description:
            'Resource attributes of everything exported. service.name defaults to "mailsight" and host.name to this host; attributes set here win over those an item carries.',
          examples: [{ 'deployment.environment.name': 'production', 'service.namespace': 'mail' }],
        }),
      },
      { default: {}, description: 'OTLP resource.' },
    ),
    metrics: Strict(
      {
        temporality: StringEnum(['cumulative', 'delta'] as const, {
          default: 'cumulative',
          description:
            'cumulative: as produced (Prometheus-style backends); delta: sums and histograms differenced per series between snapshots (Datadog, ...). The first point of a series that existed before mailsight started only sets the baseline.',
        }),
      },
      { default: {}, description: 'Metric export.' },
    ),
    addresses: StringEnum(['hash_local_part', 'keep'] as const, {
      default: 'hash_local_part',
      description:
        'Sender and recipient addresses in logs (attributes, body, reply texts): hash_local_part exports sha256(local part), first 16 hex digits, @ domain (DESIGN §3); keep exports them as they are.',
    }),
    ...exporterHelperProperties(),
  },
  { description: 'Sends logs, metrics and traces over OTLP/HTTP (protobuf or JSON, gzip) with retries and a memory or disk queue.' },
);

export type OtlpHttpExporterConfig = Static<typeof OtlpHttpExporterConfig>;
