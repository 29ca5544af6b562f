// serializeLogsProtobuf must give the bytes @opentelemetry/otlp-transformer gives: on the log
// records the exporter makes from real logs, and on records with every kind of value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { corpusDir, fixturesDir } from '../../../test/helpers/paths.js';
import type { LogItem } from '../../model/items.js';
import { Correlator } from '../../processors/correlate/correlator.js';
import { LineParser } from '../../processors/mta_parse/parser.js';
import { AddressPolicy, Resources, SCOPE } from './common.js';
import { LogMapper } from './logs.js';
import { serializeLogsProtobuf } from './logs_protobuf.js';

function assertSameBytes(records: ReadableLogRecord[], what: string): void {
  const theirs = ProtobufLogsSerializer.serializeRequest(records);
  assert.ok(theirs, 'the transformer encodes them');
  const ours = serializeLogsProtobuf(records);
  assert.equal(Buffer.compare(Buffer.from(ours), Buffer.from(theirs)), 0, `${what}: ${ours.length} bytes against ${theirs.length}`);
}

test('the exporter\'s records of real logs (lines, events, message records): byte for byte', () => {
  const files = [join(corpusDir, 'postfix-lab-01.log'), join(fixturesDir, 'exim-mainlog.log'), join(fixturesDir, 'dovecot.log')];
  let total = 0;
  for (const f of files) {
    const parser = new LineParser({ timezone: 'UTC' });
    const engine = new Correlator();
    const items: LogItem[] = [];
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      if (!line) continue;
      items.push({ kind: 'line', body: line, observed: 1_764_000_000_123.5, source: { 'log.file.name': 'mail.log' } });
      const ev = parser.parse(line);
      items.push(ev);
      engine.add(ev);
      items.push(...engine.take());
    }
    engine.sweep();
    items.push(...engine.take());
    for (const policy of ['hash_local_part', 'keep'] as const) {
      const mapper = new LogMapper(new Resources({ 'service.name': 'mailsight', 'host.name': 'mx1' }, {}), new AddressPolicy(policy), () => 1_764_000_001_000);
      const records = mapper.map(items);
      total += records.length;
      // One big request (lengths of several bytes) and many small ones.
      assertSameBytes(records, `${f} (${policy})`);
      for (let i = 0; i < records.length; i += 7) assertSameBytes(records.slice(i, i + 7), `${f} [${i}..]`);
    }
  }
  assert.ok(total > 3000, `records compared: ${total}`);
});

test('every kind of value, two resources and two scopes, span context, long and non-ASCII strings', () => {
  const r1 = resourceFromAttributes({ 'service.name': 'a', 'host.name': 'h1', n: 3, ok: true });
  const r2 = resourceFromAttributes({ 'service.name': 'b' });
  const s2 = { name: 'other', version: '1.2.3', schemaUrl: 'https://opentelemetry.io/schemas/1.24.0' };
  const base = (over: Partial<ReadableLogRecord>): ReadableLogRecord => ({
    hrTime: [1_764_000_000, 123_456_789],
    hrTimeObserved: [1_764_000_001, 999_999_999],
    severityNumber: 9,
    severityText: 'INFO',
    body: 'plain',
    eventName: 'mail.test',
    resource: r1,
    instrumentationScope: SCOPE,
    attributes: {},
    droppedAttributesCount: 0,
    ...over,
  });
  const values: Record<string, unknown> = {
    empty: '',
    ascii: 'x'.repeat(200),
    huge: 'y'.repeat(20_000),
    utf8: 'Grüße ✉ 📬 — ünïcödé',
    lone: 'bad \ud800 surrogate',
    zero: 0,
    neg: -1,
    negBig: -(2 ** 40) - 7,
    big: 2 ** 40 + 3,
    beyondSafe: 2 ** 60,
    max32: 0xffffffff,
    over32: 0x100000000,
    dbl: 3.25,
    negDbl: -0.5,
    nan: Number.NaN,
    inf: Number.POSITIVE_INFINITY,
    huge64: 2 ** 64,
    t: true,
    f: false,
    bytes: Uint8Array.from([0, 1, 255]),
    arr: ['a', 1, 2.5, false, ['nested', { k: 'v' }]],
    obj: { a: 'b', c: { d: [1, 2] }, e: null },
    undef: undefined,
    nul: null,
  };
  const records: ReadableLogRecord[] = [
    base({ attributes: values as ReadableLogRecord['attributes'] }),
    base({ body: { structured: true, n: [1, 'two'] } as unknown as ReadableLogRecord['body'], severityText: undefined, severityNumber: undefined }),
    base({ resource: r2, instrumentationScope: s2, body: undefined, eventName: undefined, droppedAttributesCount: 3 }),
    base({
      resource: r2,
      spanContext: { traceId: '0123456789abcdef0123456789abcdef', spanId: '0123456789abcdef', traceFlags: 1 },
      hrTime: [0, 0],
      hrTimeObserved: [4_000_000_000, 1],
    }),
    base({ instrumentationScope: s2, body: 'x'.repeat(130), severityNumber: 24 }),
  ];
  assertSameBytes(records, 'mixed');
  assertSameBytes([], 'empty');
});
