// Structured logs (pino) on stderr, so that stdout stays free for the debug exporter and
// for `parse`/`report` output.
import pino, { type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'mailsight' } }, pino.destination({ dest: 2, sync: true }));
}
