import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../config/loader.js';
import { Registry } from '../../pipeline/registry.js';
import { Service } from '../../pipeline/service.js';
import { forwardFactory } from './factory.js';
import { collected, fakeFactories, push, reset, silentLogger } from '../../../test/helpers/fakes.js';
import { tempDir } from '../../../test/helpers/tmp.js';

test('forward joins two pipelines into one and carries acks through', async () => {
  reset();
  const registry = new Registry([...fakeFactories, forwardFactory]);
  const config = parseConfig(`
receivers: { mem/a: {}, mem/b: {} }
processors: { tag/a: { tag: A }, tag/b: { tag: B }, tag: { tag: '.' } }
connectors: { forward: {} }
exporters: { collect: {} }
service:
  data_dir: ${tempDir('mailsight-fwd-')}
  pipelines:
    logs/a: { receivers: [mem/a], processors: [tag/a], exporters: [forward] }
    logs/b: { receivers: [mem/b], processors: [tag/b], exporters: [forward] }
    logs:   { receivers: [forward], processors: [tag], exporters: [collect] }
`, registry, 'f.yaml', {});
  const s = new Service({ config, registry, logger: silentLogger, listen: null });
  await s.start();
  await Promise.all([(await push('mem/a', ['x'])).delivered, (await push('mem/b', ['y'])).delivered]);
  assert.deepEqual([...collected.get('collect')!].sort(), ['xA.', 'yB.']);
  await s.shutdown();
});
