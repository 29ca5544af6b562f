// Streaming driver: pulls chunks from the simulation and writes them with back-pressure, so a
// run of any size needs memory only for the open messages.
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { Simulation, type GenResult } from './sim.js';
import { DEFAULTS, type GenOptions } from './options.js';

export { DEFAULTS, type GenOptions } from './options.js';
export type { ReportJson, TruthStats } from './truth.js';

/** Generate into a writable stream; resolves with the ground truth once everything is written. */
export async function generateTo(out: Writable, opts: Partial<GenOptions> = {}): Promise<GenResult> {
  const sim = new Simulation({ ...DEFAULTS, ...opts });
  for (;;) {
    const s = sim.chunk(1 << 17);
    if (s === '') break;
    if (!out.write(s)) await once(out, 'drain');
  }
  return sim.result();
}

/** Generate a log file and (optionally) its truth file. */
export async function generateFiles(logPath: string, truthPath: string | undefined, opts: Partial<GenOptions> = {}): Promise<GenResult> {
  const out = createWriteStream(logPath);
  const res = await generateTo(out, opts);
  out.end();
  await once(out, 'finish');
  if (truthPath !== undefined) await writeFile(truthPath, JSON.stringify(res.report, null, 2) + '\n');
  return res;
}

/** Generate in memory (tests, small samples). */
export function generateString(opts: Partial<GenOptions> = {}): { log: string } & GenResult {
  const sim = new Simulation({ ...DEFAULTS, ...opts });
  const parts: string[] = [];
  for (;;) {
    const s = sim.chunk(1 << 17);
    if (s === '') break;
    parts.push(s);
  }
  return { log: parts.join(''), ...sim.result() };
}
