import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newCounter, OVERFLOW_ATTRIBUTE, OVERFLOW_VALUE, SeriesTable, type CounterSeries } from './series.js';

/** The table's contract in its plainest form: one Map keyed by the joined values. */
class Reference {
  readonly map = new Map<string, Record<string, string>>();
  overflow = false;
  constructor(
    private readonly names: string[],
    private readonly collapse: number[],
    private readonly limit: number,
  ) {}

  key(v: (string | undefined)[]): string {
    return JSON.stringify(v.map((x) => x ?? ''));
  }

  series(values: (string | undefined)[]): Record<string, string> {
    const v = values.slice();
    let a = this.map.get(this.key(v));
    if (a !== undefined) return a;
    if (this.map.size < this.limit) return this.create(v);
    for (const i of this.collapse) if (v[i] !== undefined && v[i] !== '') v[i] = OVERFLOW_VALUE;
    a = this.map.get(this.key(v));
    if (a !== undefined) return a;
    if (this.collapse.length > 0 && this.map.size < 2 * this.limit) return this.create(v);
    this.overflow = true;
    return { [OVERFLOW_ATTRIBUTE]: 'true' };
  }

  private create(v: (string | undefined)[]): Record<string, string> {
    const a: Record<string, string> = {};
    v.forEach((x, i) => {
      if (x !== undefined && x !== '') a[this.names[i]] = x;
    });
    this.map.set(this.key(v), a);
    return a;
  }
}

/** Deterministic pseudo-random numbers (mulberry32). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

for (const [limit, collapse] of [
  [1000, [2]],
  [6, [2]],
  [6, []],
] as const) {
  test(`SeriesTable finds the same series as a joined-key map (limit ${limit}, collapse [${collapse.join(',')}])`, () => {
    const names = ['a', 'b', 'c', 'd'];
    const t = new SeriesTable<CounterSeries>({ names, collapse, limit }, newCounter);
    const ref = new Reference(names, [...collapse], limit);
    const rnd = prng(limit * 7 + collapse.length);
    // Few values per attribute (with absent ones, '' and undefined alike), runs of repeats:
    // the lookup path shared with the previous update is exercised in every shape.
    const pick = (opts: (string | undefined)[]) => opts[Math.floor(rnd() * opts.length)];
    let prev: (string | undefined)[] = [];
    for (let n = 0; n < 5000; n++) {
      const v =
        rnd() < 0.3 && prev.length
          ? prev.map((x, i) => (i >= 2 && rnd() < 0.5 ? pick(['x', 'y', 'z', undefined]) : x))
          : [pick(['sent', 'deferred', undefined]), pick(['2xx', '', undefined]), pick(['d1', 'd2', 'd3', 'd4', 'd5', '']), pick(['p', 'q', undefined])];
      prev = v;
      for (let i = 0; i < v.length; i++) t.values[i] = v[i];
      const s = t.series(1);
      s.value++;
      assert.deepEqual(s.attributes, ref.series(v), `update ${n}: ${JSON.stringify(v)}`);
      assert.deepEqual(t.values, [undefined, undefined, undefined, undefined], 'values cleared');
    }
    const all = [...t.all()];
    assert.equal(t.size, all.length);
    assert.deepEqual(
      all.filter((s) => !(OVERFLOW_ATTRIBUTE in s.attributes)).map((s) => s.attributes),
      [...ref.map.values()],
      'series in the order they were created',
    );
    assert.equal(all.some((s) => OVERFLOW_ATTRIBUTE in s.attributes), ref.overflow);
    assert.equal(all.reduce((n, s) => n + s.value, 0), 5000, 'every update landed in one series');
  });
}

test('SeriesTable: an absent attribute is the same whether undefined or empty', () => {
  const t = new SeriesTable<CounterSeries>({ names: ['a', 'b'], limit: 10 }, newCounter);
  t.values[0] = 'x';
  const s1 = t.series(1);
  t.values[0] = 'x';
  t.values[1] = '';
  const s2 = t.series(2);
  assert.equal(s1, s2);
  assert.deepEqual(s1.attributes, { a: 'x' });
  assert.equal(s1.startTime, 1);
  assert.equal(t.size, 1);
});
