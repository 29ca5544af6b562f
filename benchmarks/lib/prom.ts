// Prometheus text exposition format (0.0.4), just enough to read counters back from the
// peers (prometheus-postfix-exporter, mtail --one_shot_format prometheus) and from mailsight.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseLabels(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < s.length) {
    while (s[i] === ' ' || s[i] === ',') i++;
    const eq = s.indexOf('=', i);
    if (eq < 0) break;
    const key = s.slice(i, eq).trim();
    i = eq + 1;
    if (s[i] !== '"') break;
    i++;
    let v = '';
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\' && i + 1 < s.length) {
        const c = s[i + 1];
        v += c === 'n' ? '\n' : c;
        i += 2;
      } else v += s[i++];
    }
    i++;
    out[key] = v;
  }
  return out;
}

export function parsePrometheusText(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    let name: string;
    let labels: Record<string, string> = {};
    let rest: string;
    const brace = line.indexOf('{');
    const sp = line.indexOf(' ');
    if (brace >= 0 && (sp < 0 || brace < sp)) {
      const close = line.lastIndexOf('}');
      name = line.slice(0, brace);
      labels = parseLabels(line.slice(brace + 1, close));
      rest = line.slice(close + 1).trim();
    } else {
      name = line.slice(0, sp);
      rest = line.slice(sp + 1).trim();
    }
    // A sample may carry a timestamp after the value.
    const v = rest.split(/\s+/)[0];
    const value = v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v);
    if (name && !Number.isNaN(value)) out.push({ name, labels, value });
  }
  return out;
}

/** Sum of the samples named `name` whose labels include every pair of `match`. */
export function sumOf(samples: readonly Sample[], name: string, match: Record<string, string> = {}): number | null {
  let found = false;
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    let ok = true;
    for (const [k, v] of Object.entries(match)) if (s.labels[k] !== v) ok = false;
    if (!ok) continue;
    found = true;
    sum += s.value;
  }
  return found ? sum : null;
}

/** One histogram series whose `le="+Inf"` bucket holds fewer observations than its `_count`. */
export interface HistogramGap {
  /** Histogram name (without `_bucket`/`_count`). */
  name: string;
  /** The series' labels (without `le`). */
  labels: Record<string, string>;
  count: number;
  inf: number;
}

function seriesKey(name: string, labels: Record<string, string>): string {
  return `${name}{${Object.keys(labels)
    .filter((k) => k !== 'le')
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(',')}}`;
}

/**
 * Histogram series that are not self-consistent: in the exposition format `le="+Inf"` must
 * equal `_count`, so any gap is observations the tool counted but put in no bucket.
 */
export function histogramGaps(samples: readonly Sample[]): HistogramGap[] {
  const inf = new Map<string, number>();
  for (const s of samples) {
    if (s.name.endsWith('_bucket') && s.labels.le === '+Inf') inf.set(seriesKey(s.name.slice(0, -'_bucket'.length), s.labels), s.value);
  }
  const out: HistogramGap[] = [];
  for (const s of samples) {
    if (!s.name.endsWith('_count')) continue;
    const name = s.name.slice(0, -'_count'.length);
    const i = inf.get(seriesKey(name, s.labels));
    if (i !== undefined && i < s.value) {
      const labels = { ...s.labels };
      delete labels.le;
      out.push({ name, labels, count: s.value, inf: i });
    }
  }
  return out;
}
