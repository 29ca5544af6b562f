// `npm run docs`: rewrites the generated options table of every component README from the
// schemas. A README without the markers is an error, so a new component cannot be missed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot as root } from '../cli/main.js';
import { factories } from '../components.js';
import { readmeTables, replaceOptionsBlock, OPTIONS_BEGIN, OPTIONS_END } from './options_doc.js';

let failed = false;
for (const { readme, table } of readmeTables(factories)) {
  const path = join(root, readme);
  const old = readFileSync(path, 'utf8');
  const next = replaceOptionsBlock(old, table);
  if (next === undefined) {
    console.error(`${readme}: no ${OPTIONS_BEGIN} … ${OPTIONS_END} block`);
    failed = true;
  } else if (next !== old) {
    writeFileSync(path, next);
    console.log(`${readme}: options table updated`);
  }
}
process.exitCode = failed ? 1 : 0;
