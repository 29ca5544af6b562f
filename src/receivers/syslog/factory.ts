import type { Consumer, ReceiverFactory } from '../../pipeline/component.js';
import type { LogItem } from '../../model/items.js';
import { SyslogConfig } from './config.js';
import { SyslogReceiver } from './syslog.js';

export const syslogReceiverFactory: ReceiverFactory<typeof SyslogConfig> = {
  type: 'syslog',
  kind: 'receiver',
  stability: 'beta',
  description: 'Receives syslog over UDP, TCP or TLS (RFC 3164/5424, octet-counted or newline framing) and emits the lines for mta_parse.',
  signals: ['logs'],
  configSchema: SyslogConfig,
  // The graph types `next` as Consumer<unknown>; this receiver only ever produces LogItems.
  create: (settings) => new SyslogReceiver({ ...settings, next: settings.next as Consumer<LogItem> }),
};
