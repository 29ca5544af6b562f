import type { Consumer, ReceiverFactory } from '../../pipeline/component.js';
import type { LogItem } from '../../model/items.js';
import { StdinConfig } from './config.js';
import { StdinReceiver } from './stdin.js';

export const stdinReceiverFactory: ReceiverFactory<typeof StdinConfig> = {
  type: 'stdin',
  kind: 'receiver',
  stability: 'beta',
  description: 'Reads lines from standard input until end of file; `done` resolves once all of them are delivered.',
  signals: ['logs'],
  configSchema: StdinConfig,
  // The graph types `next` as Consumer<unknown>; this receiver only ever produces LogItems.
  create: (settings) => new StdinReceiver({ ...settings, next: settings.next as Consumer<LogItem> }),
};
