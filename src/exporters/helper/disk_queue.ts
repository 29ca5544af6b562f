// The on-disk sending queue: append-only segment files of length-prefixed, CRC-checked
// records, plus a committed-offset file saying up to where everything has been handled.
//
//   <dir>/seg-0000000000000007.q   records: u32 BE payload length | u32 BE crc32(payload) | payload
//                                   payload: u8 version (1) | u8 key length | key | u32 BE items | body
//   <dir>/committed.json           {"segment":7,"offset":4096}: every record before it is handled
//
// Durability: `append` resolves once the records are written with write(2) (and fsynced with
// fsync: always), and only then does the exporter release the pipeline ack. Data written
// with write(2) is in the kernel's page cache, so it survives kill -9 of this process with
// any fsync policy; fsync is what makes it survive a power loss or a kernel crash.
// The committed offset advances over the contiguous prefix of records the backend accepted
// (or rejected for good); it is written atomically (temp file + rename) and lazily, so after
// a crash the records between the last written offset and the true one are sent again:
// delivery is at-least-once.
// Recovery replays every record after the committed offset; a record whose length or CRC is
// wrong (a write cut short by the crash) ends its segment: the file is truncated there and
// the truncation counted.
import { crc32 } from 'node:zlib';
import { mkdir, open, readdir, readFile, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** One request as the helper queues it: an opaque body the sender understands. */
export interface QueuedRequest {
  /** Routing key for the sender (otlphttp: the signal). At most 255 bytes. */
  key: string;
  /** Items (log records, metric items, spans) it carries, for queue sizing and counters. */
  items: number;
  body: Uint8Array;
}

export interface DiskRecordRef {
  /** Order of the record in the queue (monotonic within one process). */
  seq: number;
  segment: number;
  /** Offset of the record header in its segment. */
  offset: number;
  /** Header plus payload, in bytes. */
  length: number;
  items: number;
}

export interface DiskQueueOptions {
  dir: string;
  fsync: 'always' | 'interval' | 'never';
  fsyncIntervalMs: number;
  /** Roll to a new segment file beyond this size. */
  segmentBytes: number;
}

export interface Recovery {
  pending: DiskRecordRef[];
  /** Segments cut at a bad record, and the bytes cut off. */
  truncations: number;
  truncatedBytes: number;
}

const HEADER = 8;
const VERSION = 1;
const MIN_PAYLOAD = 1 + 1 + 4;
const COMMITTED = 'committed.json';
const SEG_RE = /^seg-(\d{16})\.q$/;
const segName = (id: number) => `seg-${String(id).padStart(16, '0')}.q`;

export function encodeRecord(req: QueuedRequest): Buffer {
  const key = Buffer.from(req.key, 'utf8');
  if (key.length > 255) throw new Error(`queue key too long: ${req.key}`);
  const payloadLen = MIN_PAYLOAD + key.length + req.body.length;
  const buf = Buffer.allocUnsafe(HEADER + payloadLen);
  buf.writeUInt32BE(payloadLen, 0);
  let p = HEADER;
  buf[p++] = VERSION;
  buf[p++] = key.length;
  key.copy(buf, p);
  p += key.length;
  buf.writeUInt32BE(req.items, p);
  p += 4;
  buf.set(req.body, p);
  buf.writeUInt32BE(crc32(buf.subarray(HEADER)), 4);
  return buf;
}

/** Parse the record at `pos`; undefined when it is cut short or corrupt. */
export function decodeRecord(buf: Buffer, pos = 0): { req: QueuedRequest; length: number } | undefined {
  if (buf.length - pos < HEADER) return undefined;
  const len = buf.readUInt32BE(pos);
  if (len < MIN_PAYLOAD || len > buf.length - pos - HEADER) return undefined;
  const payload = buf.subarray(pos + HEADER, pos + HEADER + len);
  if (crc32(payload) !== buf.readUInt32BE(pos + 4)) return undefined;
  if (payload[0] !== VERSION) return undefined;
  const keyLen = payload[1];
  if (MIN_PAYLOAD + keyLen > len) return undefined;
  const key = payload.toString('utf8', 2, 2 + keyLen);
  const items = payload.readUInt32BE(2 + keyLen);
  const body = payload.subarray(2 + keyLen + 4);
  return { req: { key, items, body }, length: HEADER + len };
}

export class DiskQueue {
  private seq = 0;
  /** Outstanding records in log order; [head..] are not all handled yet. */
  private order: DiskRecordRef[] = [];
  private head = 0;
  private readonly done = new Set<number>();
  private readonly segments = new Set<number>();
  private readonly readers = new Map<number, FileHandle>();
  private writer: FileHandle | undefined;
  private writeSeg = 0;
  private writeOff = 0;
  private dirty = false;
  /** Appends, rolls, fsyncs and close run one after another. */
  private chain: Promise<unknown> = Promise.resolve();
  private committed = { segment: 0, offset: 0 };
  private commitWriting: Promise<void> | undefined;
  private commitAgain = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly o: DiskQueueOptions) {}

  async open(): Promise<Recovery> {
    await mkdir(this.o.dir, { recursive: true, mode: 0o750 });
    this.committed = await this.readCommitted();
    const ids = (await readdir(this.o.dir))
      .map((n) => SEG_RE.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    let truncations = 0;
    let truncatedBytes = 0;
    for (const id of ids) {
      const path = join(this.o.dir, segName(id));
      if (id < this.committed.segment) {
        await rm(path, { force: true });
        continue;
      }
      this.segments.add(id);
      const buf = await readFile(path);
      let pos = id === this.committed.segment ? Math.min(this.committed.offset, buf.length) : 0;
      while (pos < buf.length) {
        const rec = decodeRecord(buf, pos);
        if (!rec) {
          // A crash cut this write short (or the disk damaged it): nothing after it is trusted.
          truncations++;
          truncatedBytes += buf.length - pos;
          const fh = await open(path, 'r+');
          await fh.truncate(pos);
          await fh.sync();
          await fh.close();
          break;
        }
        this.order.push({ seq: this.seq++, segment: id, offset: pos, length: rec.length, items: rec.req.items });
        pos += rec.length;
      }
    }
    // New records go to a fresh segment: the old ones are never appended to again.
    this.writeSeg = Math.max(this.committed.segment, ids.length ? ids[ids.length - 1] : 0) + 1;
    await this.openWriter();
    if (this.o.fsync === 'interval') {
      this.timer = setInterval(() => void this.serial(() => this.syncWriter()), this.o.fsyncIntervalMs);
      this.timer.unref();
    }
    this.advance();
    return { pending: [...this.order], truncations, truncatedBytes };
  }

  /** Write requests as records; resolves once written (and fsynced with fsync: always). */
  append(reqs: QueuedRequest[]): Promise<DiskRecordRef[]> {
    return this.serial(async () => {
      if (this.closed) throw new Error('disk queue is closed');
      const bufs = reqs.map(encodeRecord);
      const total = bufs.reduce((n, b) => n + b.length, 0);
      if (this.writeOff > 0 && this.writeOff + total > this.o.segmentBytes) await this.roll();
      const data = bufs.length === 1 ? bufs[0] : Buffer.concat(bufs, total);
      const fh = this.writer!;
      let off = 0;
      while (off < data.length) off += (await fh.write(data, off, data.length - off)).bytesWritten;
      this.dirty = true;
      if (this.o.fsync === 'always') await this.syncWriter();
      const refs: DiskRecordRef[] = [];
      let at = this.writeOff;
      for (let i = 0; i < bufs.length; i++) {
        const ref = { seq: this.seq++, segment: this.writeSeg, offset: at, length: bufs[i].length, items: reqs[i].items };
        at += bufs[i].length;
        refs.push(ref);
        this.order.push(ref);
      }
      this.writeOff = at;
      return refs;
    });
  }

  /** Read a queued record back. */
  async read(ref: DiskRecordRef): Promise<QueuedRequest> {
    let fh = this.readers.get(ref.segment);
    if (!fh) {
      fh = await open(join(this.o.dir, segName(ref.segment)), 'r');
      this.readers.set(ref.segment, fh);
    }
    const buf = Buffer.allocUnsafe(ref.length);
    let got = 0;
    while (got < ref.length) {
      const { bytesRead } = await fh.read(buf, got, ref.length - got, ref.offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    const rec = decodeRecord(buf.subarray(0, got));
    if (!rec) throw new Error(`disk queue record ${segName(ref.segment)}@${ref.offset} is corrupt`);
    return rec.req;
  }

  /** The record was handled for good (accepted, rejected, or re-appended): it may be committed. */
  complete(ref: DiskRecordRef): void {
    this.done.add(ref.seq);
    this.advance();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.timer);
    await this.serial(async () => {
      this.closed = true;
      if (this.writer) {
        if (this.o.fsync !== 'never') await this.syncWriter();
        await this.writer.close();
        this.writer = undefined;
      }
    });
    while (this.commitWriting) await this.commitWriting;
    for (const fh of this.readers.values()) await fh.close().catch(() => undefined);
    this.readers.clear();
  }

  private serial<R>(fn: () => Promise<R>): Promise<R> {
    const p = this.chain.then(fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async syncWriter(): Promise<void> {
    if (!this.dirty || !this.writer) return;
    this.dirty = false;
    await this.writer.datasync();
  }

  private async openWriter(): Promise<void> {
    this.writer = await open(join(this.o.dir, segName(this.writeSeg)), 'a+', 0o640);
    this.writeOff = 0;
    this.segments.add(this.writeSeg);
  }

  private async roll(): Promise<void> {
    const old = this.writer!;
    if (this.o.fsync !== 'never') await this.syncWriter();
    await old.close();
    this.writeSeg++;
    await this.openWriter();
    this.advance(); // an idle queue may now commit past the old segment
  }

  /** Move the committed position over handled records; write it and drop spent segments. */
  private advance(): void {
    while (this.head < this.order.length && this.done.has(this.order[this.head].seq)) {
      this.done.delete(this.order[this.head].seq);
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
    const next = this.head < this.order.length ? this.order[this.head] : { segment: this.writeSeg, offset: this.writeOff };
    if (next.segment === this.committed.segment && next.offset === this.committed.offset) return;
    this.committed = { segment: next.segment, offset: next.offset };
    this.writeCommitted();
  }

  /** Coalesced: at most one write in flight, and one more after it with the latest value. */
  private writeCommitted(): void {
    if (this.commitWriting) {
      this.commitAgain = true;
      return;
    }
    this.commitWriting = (async () => {
      do {
        this.commitAgain = false;
        const c = this.committed;
        const tmp = join(this.o.dir, COMMITTED + '.tmp');
        try {
          await writeFile(tmp, JSON.stringify(c) + '\n', { mode: 0o640, flush: this.o.fsync === 'always' });
          await rename(tmp, join(this.o.dir, COMMITTED));
          if (this.o.fsync === 'always') await syncDir(this.o.dir); // make the rename itself durable
          for (const id of [...this.segments]) {
            if (id >= c.segment || id === this.writeSeg) continue;
            this.segments.delete(id);
            const fh = this.readers.get(id);
            this.readers.delete(id);
            if (fh) await fh.close().catch(() => undefined);
            await rm(join(this.o.dir, segName(id)), { force: true });
          }
        } catch {
          // The next advance writes it again; until then a restart replays a little more.
        }
      } while (this.commitAgain);
      this.commitWriting = undefined;
    })();
  }

  private async readCommitted(): Promise<{ segment: number; offset: number }> {
    try {
      const c = JSON.parse(await readFile(join(this.o.dir, COMMITTED), 'utf8')) as { segment?: unknown; offset?: unknown };
      if (Number.isSafeInteger(c.segment) && Number.isSafeInteger(c.offset)) return { segment: c.segment as number, offset: c.offset as number };
    } catch {
      // Missing (first start) or unreadable: replay everything there is (duplicates, not loss).
    }
    return { segment: 0, offset: 0 };
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
