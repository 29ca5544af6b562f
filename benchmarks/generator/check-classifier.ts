// Does mailsight's parser + bounce classifier give each failure line the class this generator's
// table (catalog.ts) says it should? Run after building:
//   node dist/benchmarks/generator/check-classifier.js
// It prints one row per (mta, reply) that disagrees, and exits 1 when any does. The generator's
// table is the reference: a disagreement is reported, not "fixed" here.
import { Simulation } from './sim.js';
import { DEFAULTS, type GenOptions } from './options.js';

interface ParsedEvent {
  event: string;
  bounce_class?: string;
}
interface ParserLike {
  parse(line: string): ParsedEvent;
}

async function main(): Promise<number> {
  const mod = (await import(new URL('../../src/processors/mta_parse/parser.js', import.meta.url).href)) as {
    LineParser: new (o: { timezone?: string }) => ParserLike;
  };
  const rows = new Map<string, { n: number; bad: number; got: Map<string, number>; want: string; example: string }>();
  for (const mta of ['postfix', 'exim'] as const) {
    const parser = new mod.LineParser({ timezone: 'UTC' });
    const o: GenOptions = { ...DEFAULTS, mta, lines: 200_000, seed: 'classify', deferRate: 0.4, bounceRate: 0.2, expireShare: 0.5, minBackoff: 20, maxBackoff: 60, queueRunDelay: 10, maxQueueLifetime: 300, rate: 2 };
    const sim = new Simulation(o);
    sim.failureTap = (line, cls, id) => {
      const ev = parser.parse(line.replace(/\n$/, ''));
      const got = ev.bounce_class ?? `(none; event=${ev.event})`;
      const key = `${mta}\t${id}`;
      let r = rows.get(key);
      if (r === undefined) rows.set(key, (r = { n: 0, bad: 0, got: new Map(), want: cls, example: '' }));
      r.n++;
      if (got !== cls) {
        r.bad++;
        r.got.set(got, (r.got.get(got) ?? 0) + 1);
        if (r.example === '') r.example = line.trim();
      }
    };
    while (sim.chunk() !== '') {
      /* drain */
    }
  }
  let bad = 0;
  for (const [k, r] of [...rows].sort()) {
    const status = r.bad === 0 ? 'ok ' : 'BAD';
    if (r.bad > 0) bad++;
    const got = [...r.got].map(([c, n]) => `${c} x${n}`).join(', ');
    process.stdout.write(`${status} ${k}\twant ${r.want}\t${r.n} lines${r.bad ? `\tgot ${got}\n    e.g. ${r.example}` : ''}\n`);
  }
  return bad === 0 ? 0 : 1;
}

main().then((c) => process.exit(c), (e: unknown) => {
  process.stderr.write(String(e instanceof Error ? e.stack : e) + '\n');
  process.exit(2);
});
