// Locations tests need, independent of where the compiled test file sits.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'mailsight') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('mailsight repository root not found above ' + import.meta.url);
    dir = up;
  }
}

/** The repository root (where package.json is). */
export const repoRoot = findRepoRoot();
/** The shared corpus of real MTA logs, beside the repository (as in CI). */
export const corpusDir = resolve(repoRoot, '..', 'shared', 'corpus');
/** Project fixtures produced from real daemons by lab/ scripts. */
export const fixturesDir = join(repoRoot, 'test', 'fixtures');
