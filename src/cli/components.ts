// `mailsight components [--json]`: every component with its options and defaults, read from
// the same schemas that validate configs.
import type { TSchema } from '@sinclair/typebox';
import { componentEntrySchema } from '../config/schema.js';
import { registry } from '../components.js';

interface OptionDoc {
  name: string;
  type: string;
  default?: unknown;
  required: boolean;
  description?: string;
}

type JsonSchema = TSchema & {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  description?: string;
  default?: unknown;
};

function typeName(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (s.anyOf) return s.anyOf.map(typeName).join(' | ');
  if (s.type === 'array' && s.items) return `${typeName(s.items)}[]`;
  if (s.pattern === '^(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)$') return 'duration';
  return Array.isArray(s.type) ? s.type.join(' | ') : (s.type ?? 'any');
}

export function describeOptions(schema: JsonSchema, prefix = ''): OptionDoc[] {
  const out: OptionDoc[] = [];
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    const full = prefix + name;
    out.push({ name: full, type: typeName(prop), default: prop.default, required: (schema.required ?? []).includes(name), description: prop.description });
    if (prop.type === 'object' && prop.properties) out.push(...describeOptions(prop, full + '.'));
  }
  return out;
}

export function componentsCommand(json: boolean, out: (s: string) => void): number {
  const list = registry.all().map((f) => ({
    kind: f.kind,
    type: f.type,
    stability: f.stability,
    signals: f.signals,
    description: f.description,
    options: describeOptions(componentEntrySchema(f) as JsonSchema),
  }));
  if (json) {
    out(JSON.stringify(list, null, 2));
    return 0;
  }
  for (const c of list) {
    out(`${c.kind} ${c.type}  [${c.stability}; ${c.signals.join(', ')}]`);
    out(`  ${c.description}`);
    for (const o of c.options) {
      const def = o.default === undefined ? (o.required ? ' (required)' : '') : ` = ${JSON.stringify(o.default)}`;
      out(`    ${o.name}: ${o.type}${def}${o.description ? '  — ' + o.description : ''}`);
    }
    out('');
  }
  return 0;
}
