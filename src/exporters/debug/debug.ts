// The debug exporter: human-readable output of what reaches the end of a pipeline. One write
// per batch; acks are released once the stream took the text (after 'drain' when it pushed back).
import type { Logger } from 'pino';
import { releaseAll } from '../../pipeline/ack.js';
import type { Batch, CreateSettings, Exporter, Host } from '../../pipeline/component.js';
import type { MailEvent } from '../../model/mail_event.js';
import type { RawLine } from '../../model/items.js';
import type { ComponentTelemetry } from '../../telemetry/component_telemetry.js';
import type { DebugConfig } from './config.js';

type Item = { kind: string };

export class DebugExporter implements Exporter<Item> {
  private readonly cfg: DebugConfig;
  private readonly id: string;
  private readonly log: Logger;
  private readonly telemetry: ComponentTelemetry;
  private readonly sampledOut: { inc(n?: number): void };
  private chain: Promise<void> = Promise.resolve();
  private windowStart = 0;
  private inWindow = 0;
  private broken = false;

  constructor(
    settings: Omit<CreateSettings<DebugConfig>, 'next'>,
    private readonly out: NodeJS.WritableStream = process.stdout,
  ) {
    this.cfg = settings.config;
    this.id = settings.id;
    this.log = settings.logger;
    this.telemetry = settings.telemetry;
    this.sampledOut = this.telemetry.counter('mailsight_debug_sampled_out_total', 'Items the debug exporter did not print because of sampling.');
  }

  async start(_host: Host): Promise<void> {
    this.out.on('error', this.onError);
  }

  async shutdown(): Promise<void> {
    await this.chain;
    this.out.off('error', this.onError);
  }

  consume(batch: Batch<Item>): Promise<void> {
    // One batch at a time, in order: the output of two batches never interleaves.
    const p = this.chain.then(() => this.write(batch));
    this.chain = p.catch(() => undefined);
    return p;
  }

  private readonly onError = (err: Error): void => {
    // EPIPE and the like: keep the pipeline going, count, say it once.
    this.telemetry.error();
    if (!this.broken) this.log.error({ err }, 'debug: cannot write to the output');
    this.broken = true;
  };

  private async write(batch: Batch<Item>): Promise<void> {
    const n = batch.items.length;
    try {
      if (n === 0) return;
      if (!this.sample()) {
        this.sampledOut.inc(n);
        return;
      }
      const text = this.format(batch.items);
      if (!this.broken && !this.out.write(text)) {
        await drained(this.out);
      }
      this.telemetry.emitted(n);
    } finally {
      releaseAll(batch.acks);
    }
  }

  /** OTel's sampling: the first `initial` batches of each second, then one in `thereafter`. */
  private sample(): boolean {
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    const k = ++this.inWindow;
    return k <= this.cfg.sampling_initial || (k - this.cfg.sampling_initial) % this.cfg.sampling_thereafter === 0;
  }

  /** The text of one batch: one string, one write. */
  private format(items: readonly Item[]): string {
    switch (this.cfg.verbosity) {
      case 'basic': {
        const kinds = new Map<string, number>();
        for (const it of items) kinds.set(it.kind, (kinds.get(it.kind) ?? 0) + 1);
        let s = `${new Date().toISOString()} ${this.id} items=${items.length}`;
        for (const [k, c] of kinds) s += ` ${k}=${c}`;
        return s + '\n';
      }
      case 'normal': {
        let s = '';
        for (const it of items) s += formatItem(it) + '\n';
        return s;
      }
      case 'detailed': {
        let s = `--- ${new Date().toISOString()} ${this.id} items=${items.length}\n`;
        for (const it of items) s += JSON.stringify(it, null, 2) + '\n';
        return s;
      }
    }
  }
}

/** Resolves when the stream wants more, or can take nothing more (closed, failed). */
export function drained(out: NodeJS.WritableStream): Promise<void> {
  return new Promise((res) => {
    const done = (): void => {
      out.off('drain', done);
      out.off('close', done);
      out.off('error', done);
      res();
    };
    out.on('drain', done);
    out.on('close', done);
    out.on('error', done);
  });
}

/** One line for one item: a raw line's body, a compact MailEvent, or compact JSON. */
export function formatItem(it: Item): string {
  if (it.kind === 'line') return (it as unknown as RawLine).body;
  if (it.kind === 'mail_event') return formatMailEvent(it as unknown as MailEvent);
  return JSON.stringify(it);
}

function formatMailEvent(e: MailEvent): string {
  const t = Number.isFinite(e.time) ? new Date(e.time).toISOString() : String(e.time);
  let s = `${t} ${e.host} ${e.program}${e.pid !== undefined ? `[${e.pid}]` : ''} ${e.queue_id ?? '-'} ${e.event}`;
  const kv = (k: string, v: unknown): void => {
    if (v !== undefined && v !== null && v !== '') s += ` ${k}=${v}`;
  };
  if (e.client_host !== undefined || e.client_ip !== undefined) kv('client', `${e.client_host ?? 'unknown'}[${e.client_ip ?? ''}]`);
  kv('message_id', e.message_id);
  if (e.sender !== undefined) kv('from', `<${e.sender}>`);
  kv('size', e.size);
  kv('nrcpt', e.nrcpt);
  if (e.recipient !== undefined) kv('to', `<${e.recipient}>`);
  kv('relay', e.relay);
  kv('delay', e.delay);
  kv('dsn', e.dsn);
  kv('status', e.status);
  kv('bounce_class', e.bounce_class);
  kv('queued_as', e.queued_as);
  kv('reason', e.reason);
  if (e.auth) kv('auth', `${e.auth.mechanism}:${e.auth.result}${e.auth.domain ? `:${e.auth.domain}` : ''}`);
  if (e.tls) kv('tls', `${e.tls.direction}${e.tls.protocol ? `:${e.tls.protocol}` : ''}`);
  if (e.reply !== undefined) kv('reply', JSON.stringify(e.reply));
  if (e.event === 'unparsed' && e.raw !== undefined) kv('raw', JSON.stringify(e.raw));
  return s;
}
