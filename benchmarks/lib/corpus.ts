// Generated corpora: made once per (lines, seed, generator options) in the work directory and
// reused by later runs, each with the generator's ground truth beside it.
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';

export interface Generated {
  file: string;
  truth: string;
}

/**
 * The generator's corpus of `lines` lines with `seed` and extra generator options `args`
 * (e.g. ['--hosts', '4']), named `name` in `work`. Written under a temporary name and renamed
 * when complete, so an interrupted run never leaves a short corpus to reuse.
 */
export function generatedCorpus(
  root: string,
  work: string,
  o: { lines: number; seed: string; name: string; args?: string[] },
  log: (s: string) => void,
): Generated {
  mkdirSync(work, { recursive: true });
  const base = join(work, `${o.name}-${o.lines}-${o.seed.replace(/[^\w.-]/g, '_')}`);
  const file = `${base}.log`;
  const truth = `${base}.truth.json`;
  const what = `${o.lines} lines, seed ${o.seed}${o.args?.length ? `, ${o.args.join(' ')}` : ''}`;
  if (existsSync(file) && existsSync(truth)) {
    log(`corpus: reusing ${what}`);
    return { file, truth };
  }
  log(`corpus: generating ${what}`);
  const r = spawnSync(
    process.execPath,
    [join(root, 'dist', 'benchmarks', 'generator', 'cli.js'), '--lines', String(o.lines), '--seed', o.seed, ...(o.args ?? []), '--out', `${file}.tmp`, '--truth', truth],
    { stdio: ['ignore', 'ignore', 'inherit'], timeout: 30 * 60_000 },
  );
  if (r.status !== 0) throw new Error(`the generator failed (${what})`);
  renameSync(`${file}.tmp`, file);
  return { file, truth };
}

/**
 * The file's lines as mailsight counts them: not the empty ones (nor those of only a CR), and
 * the last one even without a newline.
 */
export async function countLines(file: string): Promise<number> {
  let n = 0;
  let len = 0; // bytes of the current line so far
  let cr = false; // its last byte is a CR
  for await (const chunk of createReadStream(file)) {
    const b = chunk as Buffer;
    let start = 0;
    for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, start)) {
      if (i > start) {
        len += i - start;
        cr = b[i - 1] === 13;
      }
      if (len > (cr ? 1 : 0)) n++;
      len = 0;
      cr = false;
      start = i + 1;
    }
    if (b.length > start) {
      len += b.length - start;
      cr = b[b.length - 1] === 13;
    }
  }
  if (len > (cr ? 1 : 0)) n++;
  return n;
}
