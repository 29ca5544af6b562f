// OpenTelemetry → Prometheus names, per the OTel spec "Prometheus and OpenMetrics
// Compatibility" (OTLP metric points to Prometheus) and the Collector's translator:
// invalid characters become `_` (runs collapsed), the UCUM unit becomes a word suffix
// (`s` → `_seconds`, `{message}` → none, `X/Y` → `X_per_Y`, `1` → `_ratio` for gauges),
// monotonic sums end in `_total`; attribute keys become label names the same way.

/** UCUM units to Prometheus unit words (the Collector's table, most used entries). */
const UNIT_WORDS: Readonly<Record<string, string>> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tebibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  bit: 'bits',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '%': 'percent',
};

/** The `Y` of `X/Y`: singular time words. */
const PER_UNIT_WORDS: Readonly<Record<string, string>> = {
  s: 'second',
  m: 'minute',
  min: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year',
};

export type PromType = 'counter' | 'gauge' | 'histogram';

/** Unit word(s) for a UCUM unit, '' when it has none (`{message}`, `1` on non-gauges). */
export function unitSuffix(unit: string, type: PromType): string {
  const u = unit.replace(/\{[^}]*\}/g, '').trim(); // annotations are counts of things: no unit
  if (u === '') return '';
  if (u === '1') return type === 'gauge' ? 'ratio' : '';
  const slash = u.indexOf('/');
  const main = slash < 0 ? u : u.slice(0, slash);
  const per = slash < 0 ? '' : u.slice(slash + 1);
  const parts: string[] = [];
  if (main !== '' && main !== '1') parts.push(UNIT_WORDS[main] ?? alnum(main));
  if (per !== '') parts.push('per_' + (PER_UNIT_WORDS[per] ?? alnum(per)));
  return parts.filter((p) => p !== '' && p !== 'per_').join('_');
}

/** Full Prometheus metric name (text format 0.0.4: counters carry `_total` in the family name). */
export function metricName(name: string, unit: string, type: PromType, namespace = ''): string {
  let n = sanitizeMetricName(namespace !== '' ? `${namespace}_${name}` : name);
  const suffix = unitSuffix(unit, type);
  if (suffix !== '') {
    const tokens = n.split('_');
    const already = suffix.includes('_') ? n.endsWith('_' + suffix) || n === suffix : tokens.includes(suffix);
    if (!already) n += '_' + suffix;
  }
  if (type === 'counter' && !n.endsWith('_total')) n += '_total';
  return collapse(n);
}

/** [a-zA-Z_:][a-zA-Z0-9_:]*: invalid characters → `_`, runs of `_` → one, leading digit → `_`. */
export function sanitizeMetricName(name: string): string {
  let n = collapse(name.replace(/[^a-zA-Z0-9_:]/g, '_'));
  if (n === '') n = '_';
  if (/^[0-9]/.test(n)) n = '_' + n;
  return n;
}

/** [a-zA-Z_][a-zA-Z0-9_]*: invalid characters → `_`, runs of `_` → one (so never the reserved `__`), leading digit → `key_`. */
export function sanitizeLabelName(key: string): string {
  let n = collapse(key.replace(/[^a-zA-Z0-9_]/g, '_'));
  if (n === '') n = 'key';
  if (/^[0-9]/.test(n)) n = 'key_' + n;
  return n;
}

export function escapeLabelValue(v: string): string {
  return /[\\"\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
}

export function escapeHelp(v: string): string {
  return /[\\\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n') : v;
}

/** Sample values and `le` bounds as Prometheus parses them. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/**
 * `name="value",...` sorted by label name. Attributes whose keys sanitise to the same label
 * have their values joined with `;` in the order of the original keys (spec rule).
 */
export function labelString(attrs: Record<string, string>, reserved?: string): string {
  const byLabel = new Map<string, [string, string][]>();
  for (const key of Object.keys(attrs).sort()) {
    let label = sanitizeLabelName(key);
    if (label === reserved) label = 'exported_' + label; // e.g. an attribute `le` on a histogram
    let l = byLabel.get(label);
    if (!l) byLabel.set(label, (l = []));
    l.push([key, attrs[key]]);
  }
  const out: string[] = [];
  for (const label of [...byLabel.keys()].sort()) {
    const value = byLabel.get(label)!.map((kv) => kv[1]).join(';');
    out.push(`${label}="${escapeLabelValue(value)}"`);
  }
  return out.join(',');
}

function collapse(s: string): string {
  return s.replace(/_{2,}/g, '_');
}

function alnum(s: string): string {
  return s.replace(/[^a-zA-Z0-9]/g, '');
}
