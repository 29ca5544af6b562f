// Load a pipeline file: env substitution, YAML parsing, schema validation with defaults, then
// the graph checks the schema cannot express. Every problem names the key path and the line
// and column in the file.
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Static } from '@sinclair/typebox';
import { LineCounter, parseDocument, isMap, isPair, isScalar, type Document, type Node } from 'yaml';
import { componentType, type ComponentKind } from '../pipeline/component.js';
import type { Registry } from '../pipeline/registry.js';
import { substituteEnv } from './env.js';
import { DURATION_RE } from './types.js';
import {
  buildConfigSchema,
  SECTION_KIND,
  type MemoryLimiterSchema,
  type Section,
  type TelemetrySchema,
  type TestCaseSchema,
} from './schema.js';

export interface PipelineConfig {
  receivers: string[];
  processors: string[];
  exporters: string[];
}

export type TestCase = Static<typeof TestCaseSchema>;

export interface MailsightConfig {
  receivers: Record<string, Record<string, unknown>>;
  processors: Record<string, Record<string, unknown>>;
  connectors: Record<string, Record<string, unknown>>;
  exporters: Record<string, Record<string, unknown>>;
  service: {
    pipelines: Record<string, PipelineConfig>;
    telemetry: Static<typeof TelemetrySchema>;
    memory_limiter: Static<typeof MemoryLimiterSchema>;
    data_dir: string;
  };
  alerts: unknown[];
  remediation: Record<string, unknown>;
  tests: TestCase[];
}

export interface ConfigIssue {
  /** Dotted key path, e.g. `receivers.filelog.start_at`; empty for file-level problems. */
  path: string;
  line?: number;
  column?: number;
  message: string;
}

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    super(issues.map((i) => formatIssue(file, i)).join('\n'));
    this.name = 'ConfigError';
  }
}

export function formatIssue(file: string, i: ConfigIssue): string {
  const where = i.line ? `${file}:${i.line}:${i.column ?? 1}` : file;
  return `${where}: ${i.path ? i.path + ': ' : ''}${i.message}`;
}

const validators = new WeakMap<Registry, ValidateFunction>();

function validatorFor(registry: Registry): ValidateFunction {
  let v = validators.get(registry);
  if (!v) {
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, allowUnionTypes: true });
    v = ajv.compile(buildConfigSchema(registry));
    validators.set(registry, v);
  }
  return v;
}

export function loadConfigFile(file: string, registry: Registry, env?: Record<string, string | undefined>): MailsightConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `cannot read: ${(err as Error).message}` }]);
  }
  return parseConfig(text, registry, file, env);
}

export function parseConfig(
  source: string,
  registry: Registry,
  file = '<config>',
  env?: Record<string, string | undefined>,
): MailsightConfig {
  const issues: ConfigIssue[] = [];
  const sub = substituteEnv(source, env);
  for (const i of sub.issues) issues.push({ path: '', line: i.line, column: i.column, message: i.message });

  const lines = new LineCounter();
  const doc = parseDocument(sub.text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  for (const e of doc.errors) {
    const pos = e.linePos?.[0];
    issues.push({ path: '', line: pos?.line, column: pos?.col, message: `YAML: ${e.message.split('\n')[0]}` });
  }
  if (issues.length) throw new ConfigError(file, issues);

  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(file, [{ path: '', line: 1, column: 1, message: 'the file must be a mapping of sections' }]);
  }
  const js = raw as Record<string, unknown>;
  // `mta_parse:` with nothing after it means "all defaults".
  for (const s of Object.keys(SECTION_KIND)) {
    const sec = js[s];
    if (sec && typeof sec === 'object' && !Array.isArray(sec)) {
      for (const [k, v] of Object.entries(sec)) if (v === null) (sec as Record<string, unknown>)[k] = {};
    }
  }

  const validate = validatorFor(registry);
  if (!validate(js)) {
    for (const e of dedupe(validate.errors ?? [])) issues.push(schemaIssue(e, doc, lines));
    throw new ConfigError(file, issues);
  }
  const config = js as unknown as MailsightConfig;
  checkGraph(config, registry, doc, lines, issues);
  if (issues.length) throw new ConfigError(file, issues);
  return config;
}

// --- locating problems -------------------------------------------------------------------

type PathSeg = string | number;

function pointerToPath(pointer: string): PathSeg[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function dotted(path: PathSeg[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join('.').replace(/\.\[/g, '[');
}

/** Line and column of the node at `path`; with `key`, of that key inside the mapping. */
function locate(doc: Document, lines: LineCounter, path: PathSeg[], key?: string): { line?: number; column?: number } {
  let node: unknown = doc.contents;
  let lastGood: unknown = node;
  for (const seg of path) {
    if (!node || !(isMap(node) || (node as { items?: unknown }).items)) break;
    const next: unknown = (node as { get(k: PathSeg, keepScalar: boolean): unknown }).get(seg, true);
    if (next === undefined || next === null) break;
    node = next;
    lastGood = node;
  }
  if (key !== undefined && isMap(lastGood)) {
    const pair = lastGood.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
    if (pair && isScalar(pair.key) && pair.key.range) return pos(lines, pair.key.range[0]);
  }
  const range = (lastGood as Node | undefined)?.range;
  return range ? pos(lines, range[0]) : {};
}

function pos(lines: LineCounter, offset: number): { line: number; column: number } {
  const p = lines.linePos(offset);
  return { line: p.line, column: p.col };
}

function dedupe(errors: ErrorObject[]): ErrorObject[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function schemaIssue(e: ErrorObject, doc: Document, lines: LineCounter): ConfigIssue {
  const path = pointerToPath(e.instancePath);
  if (e.keyword === 'additionalProperties') {
    const key = String((e.params as { additionalProperty: string }).additionalProperty);
    const full = [...path, key];
    let message = `unknown key "${key}"`;
    if (path.length === 1 && typeof path[0] === 'string' && path[0] in SECTION_KIND) {
      message = `unknown ${SECTION_KIND[path[0] as Section]} type "${componentType(key)}" (see \`mailsight components\`)`;
    } else if (path.length === 2 && path[0] === 'service' && path[1] === 'pipelines') {
      message = `invalid pipeline id "${key}": use logs, metrics or traces, optionally followed by /name`;
    }
    return { path: dotted(full), ...locate(doc, lines, path, key), message };
  }
  let message = e.message ?? 'invalid';
  if (e.keyword === 'enum') message += `: ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  if (e.keyword === 'pattern' && (e.params as { pattern: string }).pattern === DURATION_RE.source) message = 'must be a duration such as 250ms, 30s, 10m, 2h';
  if (e.keyword === 'required') {
    const missing = (e.params as { missingProperty: string }).missingProperty;
    return { path: dotted([...path, missing]), ...locate(doc, lines, path), message: `missing required key "${missing}"` };
  }
  return { path: dotted(path), ...locate(doc, lines, path), message };
}

// --- graph checks ------------------------------------------------------------------------

function checkGraph(config: MailsightConfig, registry: Registry, doc: Document, lines: LineCounter, issues: ConfigIssue[]): void {
  const pipelines = config.service.pipelines;
  const signalOf = (pid: string) => pid.split('/')[0] as 'logs' | 'metrics' | 'traces';
  const connectorsAsExporter = new Map<string, string[]>();
  const connectorsAsReceiver = new Map<string, string[]>();

  const refCheck = (pid: string, role: 'receivers' | 'processors' | 'exporters', index: number, id: string) => {
    const path: PathSeg[] = ['service', 'pipelines', pid, role, index];
    const at = () => ({ path: dotted(path), ...locate(doc, lines, path) });
    const isConnector = id in config.connectors;
    const own: Section = role;
    if (role !== 'processors' && isConnector) {
      const f = registry.get('connector', componentType(id));
      const accepts = role === 'exporters' ? (f as { from?: string[] } | undefined)?.from : (f as { to?: string[] } | undefined)?.to;
      if (accepts && !accepts.includes(signalOf(pid))) {
        issues.push({ ...at(), message: `connector "${id}" cannot be ${role === 'exporters' ? 'an exporter of' : 'a receiver of'} a ${signalOf(pid)} pipeline (it takes ${accepts.join(', ')})` });
      }
      (role === 'exporters' ? connectorsAsExporter : connectorsAsReceiver).set(id, [
        ...((role === 'exporters' ? connectorsAsExporter : connectorsAsReceiver).get(id) ?? []),
        pid,
      ]);
      return;
    }
    if (!(id in config[own])) {
      const kind: ComponentKind = SECTION_KIND[own];
      issues.push({ ...at(), message: `${kind} "${id}" is not defined under ${own}:` });
      return;
    }
    const f = registry.get(SECTION_KIND[own], componentType(id));
    if (f && !f.signals.includes(signalOf(pid))) {
      issues.push({ ...at(), message: `${f.kind} "${id}" does not support ${signalOf(pid)} pipelines (it supports ${f.signals.join(', ')})` });
    }
  };

  for (const [pid, p] of Object.entries(pipelines)) {
    p.receivers.forEach((id, i) => refCheck(pid, 'receivers', i, id));
    p.processors.forEach((id, i) => refCheck(pid, 'processors', i, id));
    p.exporters.forEach((id, i) => refCheck(pid, 'exporters', i, id));
    for (const role of ['receivers', 'processors', 'exporters'] as const) {
      const seen = new Set<string>();
      p[role].forEach((id, i) => {
        if (seen.has(id)) {
          const path: PathSeg[] = ['service', 'pipelines', pid, role, i];
          issues.push({ path: dotted(path), ...locate(doc, lines, path), message: `"${id}" is listed twice` });
        }
        seen.add(id);
      });
    }
  }

  for (const id of Object.keys(config.connectors)) {
    const asExp = connectorsAsExporter.get(id);
    const asRec = connectorsAsReceiver.get(id);
    if (!asExp && !asRec) continue; // defined but unused: allowed, like any component
    if (!asExp || !asRec) {
      const path: PathSeg[] = ['connectors', id];
      issues.push({
        path: dotted(path),
        ...locate(doc, lines, ['connectors'], id),
        message: asExp
          ? `connector "${id}" is an exporter of ${asExp.join(', ')} but no pipeline uses it as a receiver`
          : `connector "${id}" is a receiver of ${asRec!.join(', ')} but no pipeline uses it as an exporter`,
      });
    }
  }

  // A cycle through connectors: pipeline A exports to connector C, C feeds pipeline B, ... back to A.
  const edges = new Map<string, string[]>();
  for (const [id, from] of connectorsAsExporter) {
    for (const a of from) for (const b of connectorsAsReceiver.get(id) ?? []) edges.set(a, [...(edges.get(a) ?? []), b]);
  }
  const cycle = findCycle([...Object.keys(pipelines)], edges);
  if (cycle) {
    const path: PathSeg[] = ['service', 'pipelines', cycle[0]];
    issues.push({
      path: dotted(path),
      ...locate(doc, lines, ['service', 'pipelines'], cycle[0]),
      message: `pipelines form a cycle through connectors: ${cycle.join(' -> ')}`,
    });
  }
}

function findCycle(nodes: string[], edges: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    state.set(n, 1);
    stack.push(n);
    for (const m of edges.get(n) ?? []) {
      if (state.get(m) === 1) return [...stack.slice(stack.indexOf(m)), m];
      if (!state.has(m)) {
        const c = visit(m);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(n, 2);
    return undefined;
  };
  for (const n of nodes) {
    if (!state.has(n)) {
      const c = visit(n);
      if (c) return c;
    }
  }
  return undefined;
}
