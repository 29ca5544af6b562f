// Helpers for receivers: emit a batch downstream and learn when it has been delivered.
import { Ack } from './ack.js';
import type { Consumer } from './component.js';

/**
 * Push items downstream. Resolves once the next stage accepted them (back-pressure);
 * the returned promise `delivered` settles when every exporter has accepted them
 * (rejects if one refused them or failed permanently).
 */
export async function emit<T>(next: Consumer<T>, items: T[]): Promise<{ delivered: Promise<void> }> {
  const ack = new Ack();
  try {
    await next.consume({ items, acks: [ack.share()] });
  } finally {
    ack.seal();
  }
  return { delivered: ack.settled };
}
