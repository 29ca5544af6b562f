import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { optionsTable, readmeTables, replaceOptionsBlock, OPTIONS_BEGIN, OPTIONS_END } from './options_doc.js';
import { Duration, Strict, StringEnum } from './types.js';
import { factories } from '../components.js';
import { repoRoot } from '../../test/helpers/paths.js';

test('optionsTable: one row per option, nested objects as dotted paths, defaults, required, enum and bounds', () => {
  const schema = Strict({
    path: Type.String({ description: 'File to write.' }),
    mode: StringEnum(['fast', 'safe'] as const, { default: 'fast', description: 'How to write.' }),
    level: StringEnum(['low', 'high'] as const, { default: 'low', description: 'low or high.' }),
    tls: Strict(
      {
        cert_file: Type.String({ description: 'PEM | certificate.' }),
        retries: Type.Integer({ minimum: 0, maximum: 5, default: 3, description: 'Attempts.' }),
        name: Type.Optional(Type.String({ default: '', description: 'Server name.' })),
      },
      { default: {}, description: 'TLS.' },
    ),
    interval: Duration({ default: '10s', description: 'Every so often.' }),
    tags: Type.Optional(Type.Array(Type.String(), { description: 'Tags.' })),
  });
  assert.equal(
    optionsTable(schema),
    [
      '| option | default | description |',
      '|---|---|---|',
      '| `path` | required | File to write. |',
      '| `mode` | `fast` | How to write. One of `fast`, `safe`. |',
      '| `level` | `low` | low or high. |',
      '| `tls` | `{}` | TLS. |',
      '| `tls.cert_file` | required | PEM \\| certificate. |',
      '| `tls.retries` | `3` | Attempts. From 0 to 5. |',
      '| `tls.name` | `""` | Server name. |',
      '| `interval` | `10s` | Every so often. |',
      '| `tags` | — | Tags. |',
    ].join('\n'),
  );
});

test('replaceOptionsBlock keeps the text around the markers', () => {
  const readme = `## Configuration\n\n${OPTIONS_BEGIN}\nold\n${OPTIONS_END}\n\nprose\n`;
  assert.equal(replaceOptionsBlock(readme, 'new'), `## Configuration\n\n${OPTIONS_BEGIN}\nnew\n${OPTIONS_END}\n\nprose\n`);
  assert.equal(replaceOptionsBlock('no block', 'new'), undefined);
});

test('every component README holds the options table of its current schema', () => {
  const tables = readmeTables(factories);
  assert.equal(tables.length, factories.length + 1); // + the exporter helper
  for (const { readme, table } of tables) {
    const text = readFileSync(join(repoRoot, readme), 'utf8');
    const expected = replaceOptionsBlock(text, table);
    assert.ok(expected !== undefined, `${readme} has no generated options block: add the markers, then run npm run docs`);
    assert.ok(text === expected, `${readme}: the options table differs from the schema in config.ts; run npm run docs`);
  }
});
