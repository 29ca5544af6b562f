// Every line of the real-daemon fixtures (the shared Postfix corpus and the lab's own
// Postfix+OpenDKIM+OpenDMARC+policyd-spf, Dovecot and Exim logs) parses to a typed event,
// and every event round-trips through the Avro schema of schemas/mail_event.avsc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LineParser } from '../../src/processors/mta_parse/parser.js';
import { fromAvroMailEvent, mailEventType, toAvroMailEvent } from '../../src/model/avro.js';
import { corpusDir, fixturesDir } from '../helpers/paths.js';
import { definedFields } from '../../src/model/mail_event.js';

const files = [
  join(corpusDir, 'postfix-lab-01.log'),
  ...readdirSync(fixturesDir)
    .filter((f) => f.endsWith('.log'))
    .map((f) => join(fixturesDir, f)),
];

test('the fixture set is there (shared corpus beside the repo, lab fixtures in it)', () => {
  assert.ok(files.length >= 4, files.join(', '));
});

for (const file of files) {
  test(`${file.split('/').slice(-2).join('/')}: zero unparsed lines, every event round-trips through Avro`, () => {
    const parser = new LineParser({ timezone: 'UTC' });
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const unparsed: string[] = [];
    for (const line of lines) {
      const ev = parser.parse(line);
      if (ev.event === 'unparsed') unparsed.push(line);
      const back = fromAvroMailEvent(mailEventType.fromBuffer(mailEventType.toBuffer(toAvroMailEvent(ev))));
      assert.deepEqual(back, definedFields(ev), line);
    }
    assert.deepEqual(unparsed, []);
  });
}
