// Series tables: one per metric. Callers fill the table's scratch `values` array and call
// `series(now)`. Series are found through a trie with one level per attribute (a Map per
// level, keyed by the value), so an update of an existing series builds no key string and
// allocates nothing; the attribute object is built only when a series is created.
// Series are never removed: an idle series keeps being reported with its last value (a
// disappearing and reappearing counter looks like a reset).
import type { HistogramValue, MetricDataPoint } from '../../model/metrics.js';

/** Attribute value of the collapsed series once a metric reached its series limit. */
export const OVERFLOW_VALUE = 'other';
/** The OTel SDK's last-resort overflow series (used only beyond twice the limit). */
export const OVERFLOW_ATTRIBUTE = 'otel.metric.overflow';

export interface SeriesBase {
  readonly attributes: Record<string, string>;
  readonly startTime: number;
}

export interface CounterSeries extends SeriesBase {
  value: number;
}

export interface HistogramSeries extends SeriesBase {
  counts: number[];
  sum: number;
  count: number;
  min: number;
  max: number;
}

export interface RateSeries extends SeriesBase {
  /** Events since the last snapshot. */
  pending: number;
  /** Rate computed at the last snapshot. */
  value: number;
}

export interface TableOptions {
  /** Attribute names, in the order of `values`. */
  names: readonly string[];
  /** Indexes into `names` of the unbounded attributes that collapse to `other`. */
  collapse?: readonly number[];
  limit: number;
  /** Called once per update that could not get its own series. */
  onOverflow?: () => void;
}

/** One level of the trie: the next level by attribute value; the last level holds the series. */
interface Level<S> {
  next: Map<string, Level<S>> | undefined;
  series: S | undefined;
}

const newLevel = <S>(): Level<S> => ({ next: undefined, series: undefined });

export class SeriesTable<S extends SeriesBase> {
  /** Scratch input: the attribute values of the next update (undefined/'' = attribute absent). */
  readonly values: (string | undefined)[];
  private readonly root: Level<S> = newLevel<S>();
  /** Every series but the overflow one, in the order they were created (the export order). */
  private readonly list: S[] = [];
  private readonly names: readonly string[];
  private readonly collapse: readonly number[];
  private readonly limit: number;
  private readonly onOverflow: () => void;
  private overflow: S | undefined;
  /** The previous lookup: its keys, the levels it went through, how many of them are valid. */
  private readonly lastKeys: string[];
  private readonly lastPath: Level<S>[];
  private depth = 0;

  constructor(
    opts: TableOptions,
    private readonly make: (attributes: Record<string, string>, startTime: number) => S,
  ) {
    this.names = opts.names;
    this.collapse = opts.collapse ?? [];
    this.limit = opts.limit;
    this.onOverflow = opts.onOverflow ?? (() => undefined);
    this.values = new Array<string | undefined>(opts.names.length).fill(undefined);
    this.lastKeys = new Array<string>(opts.names.length).fill('');
    this.lastPath = new Array<Level<S>>(opts.names.length + 1).fill(this.root);
  }

  get size(): number {
    return this.list.length + (this.overflow ? 1 : 0);
  }

  /** The series of the current `values`, created under the cardinality limit. Clears `values`. */
  series(now: number): S {
    const v = this.values;
    let s = this.find();
    if (s === undefined) {
      if (this.list.length < this.limit) s = this.create(now);
      else {
        this.onOverflow();
        // Collapse the unbounded attributes: existing series keep their own values, new
        // ones share `other`. The collapsed space is the product of the bounded attributes,
        // so it is allowed past the limit, up to twice the limit as a last guard.
        for (const i of this.collapse) if (v[i] !== undefined && v[i] !== '') v[i] = OVERFLOW_VALUE;
        s = this.find();
        if (s === undefined) {
          if (this.collapse.length > 0 && this.list.length < 2 * this.limit) s = this.create(now);
          else s = this.overflow ??= this.make({ [OVERFLOW_ATTRIBUTE]: 'true' }, now);
        }
      }
    }
    for (let i = 0; i < v.length; i++) v[i] = undefined;
    return s;
  }

  *all(): IterableIterator<S> {
    yield* this.list;
    if (this.overflow) yield this.overflow;
  }

  /**
   * The existing series of `values`, if any: no key string, and Map lookups only below the
   * attributes it shares with the previous lookup (consecutive updates mostly differ only in
   * their last, high-cardinality attributes).
   */
  private find(): S | undefined {
    const v = this.values;
    const keys = this.lastKeys;
    const path = this.lastPath;
    let i = 0;
    while (i < this.depth && (v[i] ?? '') === keys[i]) i++;
    let level = path[i];
    for (; i < v.length; i++) {
      const k = v[i] ?? '';
      const next = level.next?.get(k);
      if (next === undefined) {
        this.depth = i;
        return undefined;
      }
      keys[i] = k;
      path[i + 1] = level = next;
    }
    this.depth = v.length;
    return level.series;
  }

  private create(now: number): S {
    const attributes: Record<string, string> = {};
    const v = this.values;
    let level = this.root;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      // Unknown values are left out (OTel: do not invent attribute values).
      if (x !== undefined && x !== '') attributes[this.names[i]] = x;
      const next: Map<string, Level<S>> = (level.next ??= new Map());
      const k = x ?? '';
      let l = next.get(k);
      if (l === undefined) next.set(k, (l = newLevel<S>()));
      level = l;
    }
    const s = this.make(attributes, now);
    level.series = s;
    this.list.push(s);
    return s;
  }
}

export const newCounter = (attributes: Record<string, string>, startTime: number): CounterSeries => ({ attributes, startTime, value: 0 });
export const newRate = (attributes: Record<string, string>, startTime: number): RateSeries => ({ attributes, startTime, pending: 0, value: 0 });
export const newHistogram =
  (buckets: number) =>
  (attributes: Record<string, string>, startTime: number): HistogramSeries => ({
    attributes,
    startTime,
    counts: new Array<number>(buckets + 1).fill(0),
    sum: 0,
    count: 0,
    min: Infinity,
    max: -Infinity,
  });

/** Index of the bucket of `x`: the first bound >= x (Prometheus `le`), or bounds.length (+Inf). */
export function bucketIndex(bounds: readonly number[], x: number): number {
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (bounds[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function observe(h: HistogramSeries, bounds: readonly number[], x: number): void {
  h.counts[bucketIndex(bounds, x)]++;
  h.sum += x;
  h.count++;
  if (x < h.min) h.min = x;
  if (x > h.max) h.max = x;
}

export function counterPoints<S extends SeriesBase & { value: number }>(t: SeriesTable<S>, now: number): MetricDataPoint[] {
  const out: MetricDataPoint[] = [];
  for (const s of t.all()) out.push({ attributes: s.attributes, startTime: s.startTime, time: now, value: s.value });
  return out;
}

export function histogramPoints(t: SeriesTable<HistogramSeries>, bounds: number[], now: number): MetricDataPoint[] {
  const out: MetricDataPoint[] = [];
  const b = bounds.slice(); // one copy per snapshot, shared by its points (read-only downstream)
  for (const s of t.all()) {
    // Copies: the series keeps counting after the snapshot left.
    const value: HistogramValue = { bounds: b, counts: s.counts.slice(), sum: s.sum, count: s.count };
    if (s.count > 0) {
      value.min = s.min;
      value.max = s.max;
    }
    out.push({ attributes: s.attributes, startTime: s.startTime, time: now, value });
  }
  return out;
}
