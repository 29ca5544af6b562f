// docker-compose.yml cannot be run here (no Docker engine); this checks what can be checked
// without one: every service is buildable or pulled, references resolve, mounted files exist,
// and the pipeline mailsight runs in it is valid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfigFile } from '../../src/config/loader.js';
import { registry } from '../../src/components.js';
import { repoRoot } from '../helpers/paths.js';

interface Service {
  build?: string;
  image?: string;
  command?: string[];
  depends_on?: string[];
  volumes?: string[];
  ports?: string[];
}

test('docker-compose.yml is consistent and its mailsight pipeline validates', () => {
  const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
  const names = Object.keys(compose.services);
  assert.deepEqual(names.sort(), ['grafana', 'mailsight', 'otel-collector', 'prometheus']);
  for (const [name, s] of Object.entries(compose.services)) {
    assert.ok(s.build || s.image, `${name}: build or image`);
    if (s.image && !s.build) assert.match(s.image, /:[\w.-]+$/, `${name}: pinned image tag`);
    for (const d of s.depends_on ?? []) assert.ok(names.includes(d), `${name} depends on unknown ${d}`);
    for (const v of s.volumes ?? []) {
      const [src] = v.split(':');
      if (src.startsWith('./')) assert.ok(existsSync(join(repoRoot, src)), `${name}: ${src} exists`);
      else assert.ok(compose.volumes && src in compose.volumes, `${name}: named volume ${src} declared`);
    }
    for (const p of s.ports ?? []) assert.match(p, /^\d+:\d+$/);
  }
  assert.ok(existsSync(join(repoRoot, compose.services.mailsight.build ?? '', 'Dockerfile')));
  const cmd = compose.services.mailsight.command ?? [];
  const file = cmd[cmd.indexOf('-c') + 1];
  const env = (compose.services.mailsight as { environment?: Record<string, string> }).environment ?? {};
  for (const [k, v] of Object.entries(env)) process.env[k] = v;
  const config = loadConfigFile(join(repoRoot, file), registry);
  assert.ok(config.exporters.otlphttp && config.exporters.prometheus);
});
