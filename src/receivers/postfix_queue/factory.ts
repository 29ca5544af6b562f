import type { Consumer, ReceiverFactory } from '../../pipeline/component.js';
import type { MetricItem } from '../../model/metrics.js';
import { PostfixQueueConfig } from './config.js';
import { PostfixQueueReceiver } from './postfix_queue.js';

export const postfixQueueReceiverFactory: ReceiverFactory<typeof PostfixQueueConfig> = {
  type: 'postfix_queue',
  kind: 'receiver',
  stability: 'beta',
  description: 'Reads the Postfix queue (postqueue -j, local, over ssh or in a container) on an interval: messages and age p50/p95/p99/max per queue and recipient domain, top delay reasons.',
  signals: ['metrics'],
  configSchema: PostfixQueueConfig,
  // The graph types `next` as Consumer<unknown>; this receiver only ever produces MetricItems.
  create: (settings) => new PostfixQueueReceiver({ ...settings, next: settings.next as Consumer<MetricItem> }),
};
