// The schema of the whole pipeline file, composed from each component's own schema. The
// same object validates configs (Ajv), fills defaults, and is written to
// schemas/config.schema.json for editors.
import { Type, type TSchema } from '@sinclair/typebox';
import type { AnyFactory, ComponentKind } from '../pipeline/component.js';
import type { Registry } from '../pipeline/registry.js';
import { Duration, ListenAddress, QueueSettings, Strict, StringEnum } from './types.js';

const SECTIONS: Record<'receivers' | 'processors' | 'connectors' | 'exporters', ComponentKind> = {
  receivers: 'receiver',
  processors: 'processor',
  connectors: 'connector',
  exporters: 'exporter',
};
export type Section = keyof typeof SECTIONS;
export const SECTION_KIND = SECTIONS;

const NAME = '(/[A-Za-z0-9_.\\-]+)?';

/** The schema a component's entry is validated against: its own options plus `queue`. */
export function componentEntrySchema(f: AnyFactory): TSchema {
  const own = f.configSchema as TSchema & { properties?: Record<string, TSchema> };
  if (f.kind === 'receiver') return own;
  // Processors, connectors and exporters sit behind a bounded batching queue.
  return { ...own, properties: { ...(own.properties ?? {}), queue: QueueSettings } };
}

function section(registry: Registry, kind: ComponentKind, description: string): TSchema {
  const patternProperties: Record<string, TSchema> = {};
  for (const f of registry.list(kind)) {
    patternProperties[`^${escapeRe(f.type)}${NAME}$`] = componentEntrySchema(f);
  }
  return Type.Unsafe({ type: 'object', description, patternProperties, additionalProperties: false, default: {} });
}

const PipelineSchema = Strict({
  receivers: Type.Array(Type.String(), { minItems: 1, description: 'Receivers (or connectors) feeding this pipeline.' }),
  processors: Type.Array(Type.String(), { default: [], description: 'Processors, in order.' }),
  exporters: Type.Array(Type.String(), { minItems: 1, description: 'Exporters (or connectors) this pipeline fans out to.' }),
});

export const TelemetrySchema = Strict(
  {
    listen: Type.Union([ListenAddress(), Type.Null()], {
      default: '127.0.0.1:8080',
      description: 'Address of /healthz, /metrics and the UI. null disables the listener.',
    }),
    logs: Strict(
      {
        level: StringEnum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const, { default: 'info' }),
      },
      { default: {} },
    ),
  },
  { default: {} },
);

export const MemoryLimiterSchema = Strict(
  {
    limit_mib: Type.Integer({ minimum: 0, default: 0, description: 'Resident memory limit in MiB; 0 disables the guard.' }),
    check_interval: Duration({ default: '1s', description: 'How often resident memory is measured.' }),
    when_exceeded: StringEnum(['refuse', 'drop'] as const, {
      default: 'refuse',
      description: 'refuse: receivers are told to retry later (files wait, HTTP answers 503); drop: items are dropped and counted.',
    }),
  },
  { default: {}, description: 'Guard at the entrance of every pipeline.' },
);

export const ServiceSchema = Strict({
  pipelines: Type.Unsafe({
    type: 'object',
    description: 'Pipelines by id: logs, metrics or traces, optionally /name.',
    patternProperties: { [`^(logs|metrics|traces)${NAME}$`]: PipelineSchema },
    additionalProperties: false,
    minProperties: 1,
  }),
  telemetry: TelemetrySchema,
  memory_limiter: MemoryLimiterSchema,
  data_dir: Type.String({ default: './data', description: 'Directory for checkpoints, disk queues and state snapshots.' }),
});

export const TestCaseSchema = Strict({
  name: Type.String({ minLength: 1 }),
  pipeline: Type.String({ description: 'Pipeline id whose receivers are replaced by `input`.' }),
  input: Type.Array(Type.String(), { description: 'Raw lines fed into the pipeline.' }),
  expect: Strict({
    count: Type.Optional(Type.Integer({ minimum: 0, description: 'Exact number of output items.' })),
    records: Type.Optional(
      Type.Array(Type.Record(Type.String(), Type.Unknown()), {
        description: 'Output items in order; each listed field must equal (subset match).',
      }),
    ),
    contains: Type.Optional(
      Type.Array(Type.Record(Type.String(), Type.Unknown()), { description: 'Each must match some output item (subset match).' }),
    ),
  }),
});

export function buildConfigSchema(registry: Registry): TSchema {
  return Strict(
    {
      receivers: section(registry, 'receiver', 'Receivers by id (`type` or `type/name`).'),
      processors: section(registry, 'processor', 'Processors by id.'),
      connectors: section(registry, 'connector', 'Connectors by id: exporters of one pipeline, receivers of another.'),
      exporters: section(registry, 'exporter', 'Exporters by id.'),
      service: ServiceSchema,
      alerts: Type.Array(Type.Unknown(), { default: [], description: 'Alert rules (reserved).' }),
      remediation: Type.Record(Type.String(), Type.Unknown(), { default: {}, description: 'Remediation (reserved).' }),
      tests: Type.Array(TestCaseSchema, { default: [], description: 'Config unit tests run by `mailsight test`.' }),
    },
    { $id: 'https://mailsight.dev/schemas/config.schema.json', title: 'mailsight pipeline configuration' },
  );
}

/** JSON Schema text as committed in schemas/config.schema.json. */
export function configSchemaJson(registry: Registry): string {
  const schema = { $schema: 'http://json-schema.org/draft-07/schema#', ...buildConfigSchema(registry) };
  return JSON.stringify(schema, null, 2) + '\n';
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
