// `forward`: hands everything from the pipelines that export to it to the pipelines that
// receive from it, unchanged (OTel's forward connector). Useful to fan several pipelines
// into one, or to give one stream two processing paths.
import { defineConnector, type Batch, type Processor } from '../../pipeline/component.js';
import { ForwardConfig } from './config.js';

export const forwardFactory = defineConnector({
  type: 'forward',
  kind: 'connector',
  stability: 'stable',
  description: 'Pass items unchanged from one pipeline to others of the same signal.',
  signals: ['logs', 'metrics', 'traces'],
  from: ['logs', 'metrics', 'traces'],
  to: ['logs', 'metrics', 'traces'],
  configSchema: ForwardConfig,
  create: ({ next }): Processor => ({
    start: async () => undefined,
    shutdown: async () => undefined,
    consume: (batch: Batch<unknown>) => next.consume(batch),
  }),
});
