import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from './loader.js';
import { substituteEnv } from './env.js';
import { Registry } from '../pipeline/registry.js';
import { fakeFactories } from '../../test/helpers/fakes.js';

const registry = new Registry(fakeFactories);

function issues(yaml: string, env: Record<string, string> = {}) {
  try {
    parseConfig(yaml, registry, 'p.yaml', env);
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  return [];
}

const valid = `
receivers:
  mem: {}
  mem/b: { label: x }
processors:
  tag:
exporters:
  collect: { delay_ms: 1 }
service:
  pipelines:
    logs: { receivers: [mem, mem/b], processors: [tag], exporters: [collect] }
`;

test('a valid file gets every default filled in', () => {
  const c = parseConfig(valid, registry, 'p.yaml', {});
  assert.deepEqual(c.processors.tag, { tag: '+', delay_ms: 0, queue: { size: 10000, batch_size: 1024, batch_timeout: '50ms', when_full: 'block' } });
  assert.equal(c.service.telemetry.listen, '127.0.0.1:8080');
  assert.equal(c.service.memory_limiter.limit_mib, 0);
  assert.deepEqual(c.service.pipelines.logs.processors, ['tag']);
});

test('unknown key: names the key path, line and column', () => {
  const i = issues(valid.replace('collect: { delay_ms: 1 }', 'collect:\n    delay_ms: 1\n    colour: red'));
  assert.equal(i.length, 1);
  assert.equal(i[0].path, 'exporters.collect.colour');
  assert.equal(i[0].line, 10);
  assert.equal(i[0].column, 5);
  assert.match(i[0].message, /unknown key "colour"/);
});

test('unknown component type is reported as such', () => {
  const i = issues(valid.replace('  mem/b: { label: x }', '  sysl0g: {}'));
  assert.equal(i[0].path, 'receivers.sysl0g');
  assert.equal(i[0].line, 4);
  assert.match(i[0].message, /unknown receiver type "sysl0g"/);
});

test('type error: names the path and line', () => {
  const i = issues(valid.replace('delay_ms: 1', 'delay_ms: soon'));
  assert.equal(i[0].path, 'exporters.collect.delay_ms');
  assert.equal(i[0].line, 8);
  assert.match(i[0].message, /must be integer/);
});

test('enum and duration errors say what is allowed', () => {
  const y = valid.replace('processors:\n  tag:', 'processors:\n  tag:\n    queue: { when_full: spill, batch_timeout: soon }');
  const i = issues(y);
  const byPath = Object.fromEntries(i.map((x) => [x.path, x.message]));
  assert.match(byPath['processors.tag.queue.when_full'], /"block", "drop_newest"/);
  assert.match(byPath['processors.tag.queue.batch_timeout'], /duration/);
});

test('a pipeline naming an undefined component points at the reference', () => {
  const i = issues(valid.replace('exporters: [collect]', 'exporters: [collect, collect/missing]'));
  assert.equal(i[0].path, 'service.pipelines.logs.exporters[1]');
  assert.equal(i[0].line, 11);
  assert.match(i[0].message, /exporter "collect\/missing" is not defined/);
});

test('a connector used on one side only is an error', () => {
  const y = valid.replace('exporters:\n', 'connectors:\n  count: {}\nexporters:\n').replace('exporters: [collect]', 'exporters: [collect, count]');
  const i = issues(y);
  assert.equal(i.length, 1);
  assert.equal(i[0].path, 'connectors.count');
  assert.match(i[0].message, /no pipeline uses it as a receiver/);
});

test('a cycle through connectors is an error', () => {
  const y = `
receivers: { mem: {} }
connectors: { count: {}, count/back: {} }
exporters: { collect: {} }
service:
  pipelines:
    logs: { receivers: [mem, count/back], exporters: [count] }
    metrics: { receivers: [count], exporters: [collect, count/back] }
`;
  // count/back is declared logs<-metrics by using it as a metrics exporter and logs receiver;
  // its signal check fails too, so look for the cycle message among the problems.
  const i = issues(y);
  assert.ok(i.some((x) => /cycle through connectors: (logs -> metrics -> logs|metrics -> logs -> metrics)/.test(x.message)), JSON.stringify(i));
});

test('a connector in the right direction is accepted', () => {
  const y = `
receivers: { mem: {} }
connectors: { count: {} }
exporters: { collect: {}, collect/m: {} }
service:
  pipelines:
    logs: { receivers: [mem], exporters: [collect, count] }
    metrics: { receivers: [count], exporters: [collect/m] }
`;
  assert.deepEqual(issues(y), []);
});

test('env substitution: value, default, escape, and a missing variable with its line', () => {
  const r = substituteEnv('a: ${env:A}\nb: [${env:B:-x:1}]\nc: $${env:A}\nd: ${env:NOPE}\n', { A: 'one' });
  assert.equal(r.text, 'a: one\nb: [x:1]\nc: ${env:A}\nd: \n');
  assert.equal(r.issues.length, 1);
  assert.equal(r.issues[0].line, 4);
  assert.match(r.issues[0].message, /NOPE/);
});

test('env substitution feeds validation (a bad value from env is still located)', () => {
  const i = issues(valid.replace('delay_ms: 1', 'delay_ms: ${env:DELAY:-5}'), { DELAY: 'slow' });
  assert.equal(i[0].path, 'exporters.collect.delay_ms');
});

test('YAML syntax errors carry a line', () => {
  const i = issues('receivers:\n  mem: {\nservice: ]\n');
  assert.ok(i[0].line && i[0].line >= 2, JSON.stringify(i));
  assert.match(i[0].message, /^YAML/);
});
