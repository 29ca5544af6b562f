import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { configSchemaJson } from './schema.js';
import { registry } from '../components.js';
import { repoRoot } from '../../test/helpers/paths.js';

test('schemas/config.schema.json is current (regenerate with `npm run schema`)', () => {
  const committed = readFileSync(join(repoRoot, 'schemas', 'config.schema.json'), 'utf8');
  assert.equal(committed, configSchemaJson(registry));
});

test('the generated schema is valid JSON Schema that editors can load', () => {
  const ajv = new Ajv({ strict: false });
  const schema = JSON.parse(configSchemaJson(registry)) as Record<string, unknown>;
  delete schema.$schema;
  const validate = ajv.compile(schema);
  assert.equal(validate({ receivers: { 'no-such-type': {} } }), false);
});
