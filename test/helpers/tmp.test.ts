import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

test('tempDir directories are gone once the process that made them exits, even on failure', () => {
  const helper = fileURLToPath(new URL('./tmp.js', import.meta.url));
  for (const code of [0, 1]) {
    const r = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `import { tempDir } from ${JSON.stringify(helper)}; const a = tempDir('mailsight-tmptest-'); const b = tempDir('mailsight-tmptest-'); (await import('node:fs')).writeFileSync(a + '/f', 'x'); console.log(a); console.log(b); process.exitCode = ${code};`],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, code, r.stderr);
    const dirs = r.stdout.trim().split('\n');
    assert.equal(dirs.length, 2);
    for (const d of dirs) assert.equal(existsSync(d), false, `${d} left behind`);
  }
});
