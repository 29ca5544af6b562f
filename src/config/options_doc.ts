// A component's options as documentation, read from the schema that validates them: the list
// `mailsight components` prints and the markdown table in each component README. Describing
// an option anywhere else would let the two drift apart.
import type { TSchema } from '@sinclair/typebox';
import type { AnyFactory } from '../pipeline/component.js';
import { componentEntrySchema } from './schema.js';
import { ExporterHelperSchema } from '../exporters/helper/config.js';

export interface OptionDoc {
  /** Dotted path: `tls.cert_file`. */
  name: string;
  type: string;
  default?: unknown;
  required: boolean;
  description?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
}

export type JsonSchema = TSchema & {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
};

function typeName(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (s.anyOf) return s.anyOf.map(typeName).join(' | ');
  if (s.type === 'array' && s.items) return `${typeName(s.items)}[]`;
  if (s.pattern === '^(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)$') return 'duration';
  return Array.isArray(s.type) ? s.type.join(' | ') : (s.type ?? 'any');
}

/** Every option of an object schema, depth first; nested objects also list their own options. */
export function describeOptions(schema: JsonSchema, prefix = ''): OptionDoc[] {
  const out: OptionDoc[] = [];
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    const full = prefix + name;
    out.push({
      name: full,
      type: typeName(prop),
      default: prop.default,
      required: (schema.required ?? []).includes(name),
      description: prop.description,
      enum: prop.enum,
      minimum: prop.minimum,
      maximum: prop.maximum,
    });
    if (prop.type === 'object' && prop.properties) out.push(...describeOptions(prop, full + '.'));
  }
  return out;
}

export const OPTIONS_BEGIN = '<!-- options: generated from config.ts by npm run docs; edit the schema, not this table -->';
export const OPTIONS_END = '<!-- end options -->';

/** The markdown table of a schema's options (no markers, no trailing newline). */
export function optionsTable(schema: TSchema): string {
  const rows = describeOptions(schema as JsonSchema).map(
    (o) => `| \`${o.name}\` | ${cell(defaultText(o))} | ${cell(descriptionText(o))} |`,
  );
  return ['| option | default | description |', '|---|---|---|', ...rows].join('\n');
}

function defaultText(o: OptionDoc): string {
  if (o.default === undefined) return o.required ? 'required' : '—';
  const v = typeof o.default === 'string' && o.default !== '' ? o.default : JSON.stringify(o.default);
  return '`' + v + '`';
}

// Enum values and bounds are appended only when the description does not name them already,
// so a description that explains each value is not followed by a bare list of the same.
function descriptionText(o: OptionDoc): string {
  const parts = [o.description ?? ''];
  const says = (v: unknown) => new RegExp(`(^|[^\\w.-])${escapeRe(String(v))}($|[^\\w-])`).test(o.description ?? '');
  if (o.enum && !o.enum.every(says)) parts.push(`One of ${o.enum.map((v) => '`' + String(v) + '`').join(', ')}.`);
  if (o.minimum !== undefined && o.maximum !== undefined) {
    if (!says(o.minimum) || !says(o.maximum)) parts.push(`From ${o.minimum} to ${o.maximum}.`);
  } else if (o.minimum !== undefined && !says(o.minimum)) parts.push(`At least ${o.minimum}.`);
  else if (o.maximum !== undefined && !says(o.maximum)) parts.push(`At most ${o.maximum}.`);
  return parts.filter((p) => p !== '').join(' ');
}

/**
 * Table cells are one line; a `|` would end the cell, also inside backticks. Outside code
 * spans `<` is escaped, or a placeholder like `<data_dir>` would be taken for an HTML tag.
 */
function cell(s: string): string {
  const spans = s.replace(/\s*\n\s*/g, ' ').split('`');
  return spans
    .map((t, i) => (i % 2 === 0 ? t.replace(/</g, '\\<') : t))
    .join('`')
    .replace(/\|/g, '\\|');
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The README text with its generated block replaced by `table`. Undefined when the README has
 * no block (the caller decides whether that is an error).
 */
export function replaceOptionsBlock(readme: string, table: string): string | undefined {
  const begin = readme.indexOf(OPTIONS_BEGIN);
  const end = readme.indexOf(OPTIONS_END, begin);
  if (begin < 0 || end < 0) return undefined;
  return readme.slice(0, begin) + OPTIONS_BEGIN + '\n' + table + '\n' + readme.slice(end);
}

/** A README (path from the repository root, `/`-separated) and the options table it holds. */
export interface ReadmeTable {
  readme: string;
  table: string;
}

/**
 * The option tables of every component README: `src/<kind>s/<type>/README.md` with the entry
 * schema (own options plus `queue`), and the exporter helper's README with its shared blocks.
 */
export function readmeTables(factories: readonly AnyFactory[]): ReadmeTable[] {
  const out = factories.map((f) => ({ readme: `src/${f.kind}s/${f.type}/README.md`, table: optionsTable(componentEntrySchema(f)) }));
  out.push({ readme: 'src/exporters/helper/README.md', table: optionsTable(ExporterHelperSchema) });
  return out;
}
