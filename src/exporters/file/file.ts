// The file exporter: JSON lines appended to a file. Batches are serialised on arrival and
// written together (one write per flush), acks are released only once the bytes are written
// (and fsynced when asked), so an upstream checkpoint never gets ahead of the file.
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { failAll, releaseAll, type Ack } from '../../pipeline/ack.js';
import type { Batch, CreateSettings, Exporter, Host } from '../../pipeline/component.js';
import type { ComponentTelemetry } from '../../telemetry/component_telemetry.js';
import { durationMs } from '../../config/types.js';
import type { FileExporterConfig } from './config.js';

/** Tuning knobs that are not user options. */
export interface FileExporterInternals {
  /** Write as soon as this many bytes (UTF-16 units, close enough) are waiting. */
  flushBytes: number;
  /** consume() waits (back-pressure) while this many are waiting. */
  maxPendingBytes: number;
}

const DEFAULT_INTERNALS: FileExporterInternals = { flushBytes: 1 << 20, maxPendingBytes: 8 << 20 };
const MiB = 1024 * 1024;

export class FileExporter implements Exporter<unknown> {
  private readonly cfg: FileExporterConfig;
  private readonly log: Logger;
  private readonly telemetry: ComponentTelemetry;
  private readonly internals: FileExporterInternals;
  private readonly maxBytes: number;
  private readonly rotations: { inc(n?: number): void };
  private fh: FileHandle | undefined;
  private size = 0;
  private chunks: string[] = [];
  private pendingChars = 0;
  private acks: Ack[] = [];
  private count = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The one write in progress (writes never overlap, order is kept). */
  private writing: Promise<void> = Promise.resolve();
  private closed = false;
  /** Set by inputEnded(): every batch is written at once. */
  private writeThrough = false;

  constructor(settings: Omit<CreateSettings<FileExporterConfig>, 'next'>, internals: Partial<FileExporterInternals> = {}) {
    this.cfg = settings.config;
    this.log = settings.logger;
    this.telemetry = settings.telemetry;
    this.internals = { ...DEFAULT_INTERNALS, ...internals };
    this.maxBytes = this.cfg.rotation.max_megabytes > 0 ? Math.max(1, Math.round(this.cfg.rotation.max_megabytes * MiB)) : Infinity;
    this.rotations = this.telemetry.counter('mailsight_file_rotations_total', 'Files the file exporter rotated by size.');
  }

  async start(_host: Host): Promise<void> {
    await mkdir(dirname(this.cfg.path), { recursive: true });
    await this.openFile();
    const every = durationMs(this.cfg.flush_interval);
    // Kept referenced: acks waiting for the next flush must not let the process exit first.
    this.timer = setInterval(() => void this.flush(), every);
  }

  async consume(batch: Batch<unknown>): Promise<void> {
    if (this.closed) {
      failAll(batch.acks, new Error('file exporter is shut down'));
      return;
    }
    const items = batch.items;
    let s = '';
    for (let i = 0; i < items.length; i++) s += JSON.stringify(items[i]) + '\n';
    this.chunks.push(s);
    this.pendingChars += s.length;
    for (const a of batch.acks) this.acks.push(a);
    this.count += items.length;
    if (this.pendingChars >= this.internals.maxPendingBytes) await this.flush();
    else if (this.pendingChars >= this.internals.flushBytes || this.writeThrough) void this.flush();
  }

  /** The input is over: write the rest as it comes, not at the next flush_interval tick. */
  inputEnded(): void {
    this.writeThrough = true;
    void this.flush();
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.flush();
    const fh = this.fh;
    this.fh = undefined;
    if (fh) await fh.close().catch(() => undefined);
  }

  /** Write what is waiting. Resolves when it is written (or failed and its acks failed). */
  private flush(): Promise<void> {
    this.writing = this.writing.then(() => this.writeOut());
    return this.writing;
  }

  private async writeOut(): Promise<void> {
    if (this.chunks.length === 0) return;
    const data = Buffer.from(this.chunks.length === 1 ? this.chunks[0] : this.chunks.join(''), 'utf8');
    const acks = this.acks;
    const count = this.count;
    this.chunks = [];
    this.acks = [];
    this.pendingChars = 0;
    this.count = 0;
    try {
      if (this.size > 0 && this.size + data.length > this.maxBytes) await this.rotate();
      if (!this.fh) await this.openFile(); // a failed rotation or open earlier: try again
      const fh = this.fh!;
      let off = 0;
      while (off < data.length) {
        const { bytesWritten } = await fh.write(data, off, data.length - off);
        off += bytesWritten;
      }
      this.size += data.length;
      if (this.cfg.fsync) await fh.sync();
      releaseAll(acks);
      this.telemetry.emitted(count);
    } catch (err) {
      // The source decides (a file source reads it again, stdin resends it).
      failAll(acks, err instanceof Error ? err : new Error(String(err)));
      this.telemetry.error();
      this.log.error({ err, path: this.cfg.path, items: count }, 'file: write failed');
    }
  }

  private async openFile(): Promise<void> {
    const fh = await open(this.cfg.path, 'a', 0o640); // mail data is personal data: not world-readable
    this.fh = fh;
    this.size = (await fh.stat()).size;
  }

  /** path.N-1 -> path.N ... path -> path.1, the oldest deleted; then a fresh path. */
  private async rotate(): Promise<void> {
    const p = this.cfg.path;
    const keep = this.cfg.rotation.max_backups;
    const fh = this.fh;
    this.fh = undefined;
    if (fh) await fh.close();
    if (keep === 0) await rm(p, { force: true });
    else {
      await rm(`${p}.${keep}`, { force: true });
      for (let i = keep - 1; i >= 1; i--) await renameIfExists(`${p}.${i}`, `${p}.${i + 1}`);
      await rename(p, `${p}.1`);
    }
    this.rotations.inc();
    await this.openFile();
  }
}

async function renameIfExists(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
