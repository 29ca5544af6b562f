import type { Consumer, ReceiverFactory } from '../../pipeline/component.js';
import type { LogItem } from '../../model/items.js';
import { FilelogConfig } from './config.js';
import { FilelogReceiver } from './filelog.js';

export const filelogReceiverFactory: ReceiverFactory<typeof FilelogConfig> = {
  type: 'filelog',
  kind: 'receiver',
  stability: 'beta',
  description: 'Tails log files (globs), follows rename and copytruncate rotation, checkpoints delivered offsets.',
  signals: ['logs'],
  configSchema: FilelogConfig,
  // The graph types `next` as Consumer<unknown>; this receiver only ever produces LogItems.
  create: (settings) => new FilelogReceiver({ ...settings, next: settings.next as Consumer<LogItem> }),
};
