// The filelog receiver: poll-based tailing of log files with rotation handling and
// delivery-gated checkpoints. One loop does everything (discover, read, emit, commit) so that
// reader state is only ever mutated at well-defined points between awaits.
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import fg from 'fast-glob';
import type { Logger } from 'pino';
import type { Consumer, CreateSettings, Host, Receiver } from '../../pipeline/component.js';
import { emit } from '../../pipeline/emit.js';
import type { LogItem, RawLine } from '../../model/items.js';
import type { ComponentTelemetry } from '../../telemetry/component_telemetry.js';
import { durationMs } from '../../config/types.js';
import { CheckpointStore, type FileCheckpoint } from './checkpoint.js';
import type { FilelogConfig } from './config.js';

/** Tuning knobs that are not user options (tests shrink them). */
export interface FilelogInternals {
  /** Batches emitted and not yet delivered, at most. */
  maxInFlight: number;
  /** Bytes per read() call. */
  chunkBytes: number;
  /** Bytes read from one file per poll before moving to the next one (fairness). */
  maxBytesPerFilePerPoll: number;
  /** A file gone from the include set is kept open and drained at least this long. */
  lostGraceMs: number;
  /** Bounded wait for in-flight deliveries at shutdown. */
  shutdownWaitMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  /** The checkpoint file is rewritten at most this often while running (and at shutdown). */
  checkpointIntervalMs: number;
}

const DEFAULT_INTERNALS: FilelogInternals = {
  // Enough batches awaiting delivery to keep exporters that batch by time (file flush,
  // OTLP) busy; few enough to bound memory (16 x max_batch lines).
  maxInFlight: 16,
  chunkBytes: 256 * 1024,
  maxBytesPerFilePerPoll: 16 * 1024 * 1024,
  lostGraceMs: 1000,
  shutdownWaitMs: 5000,
  backoffMinMs: 100,
  backoffMaxMs: 5000,
  checkpointIntervalMs: 1000,
};

interface Reader {
  /** `dev:ino` */
  key: string;
  dev: string;
  ino: string;
  path: string;
  /** Shared by every line of this file (read-only for consumers) to avoid a per-line object. */
  source: Record<string, string>;
  fh: FileHandle | undefined;
  fp: Buffer;
  /** Next byte to read: just after the last complete line handed to the batch. */
  readOffset: number;
  /** Just after the last line every exporter accepted: what the checkpoint holds. */
  committed: number;
  /** Bumped when earlier emitted offsets stop being valid (truncation, failed delivery). */
  gen: number;
  /** Bumped on any rewind, so a read in progress knows its buffer is stale. */
  epoch: number;
  lastSize: number;
  /** No longer matched by `include` (renamed away or deleted): drain, then forget. */
  lost: boolean;
  lostAt: number;
  /** A lost file whose unterminated last line was emitted: nothing more will be read. */
  finished: boolean;
  /** Bumped on truncation only; `truncatedAt` is how far the previous content was read. */
  incarnation: number;
  truncatedAt: number;
  /**
   * A new file that starts like a live one (a copy, e.g. copytruncate's): it is not read while
   * the original still reads the same content, so nothing is read twice; once the original is
   * truncated or gone, it continues from where the original's content was left.
   */
  shadow?: { r: Reader; incarnation: number };
}

/** The byte range of one file that a batch carries. */
interface Mark {
  r: Reader;
  gen: number;
  start: number;
  end: number;
}

interface InFlight {
  marks: Mark[];
  state: 'pending' | 'ok' | 'failed';
  err?: Error;
  settled: Promise<void>;
}

interface Retired {
  fp: Buffer;
  offset: number;
  at: number;
}

/** Same device and inode: the shorter fingerprint must be a prefix of the longer one. */
function prefixMatch(a: Buffer, b: Buffer): boolean {
  const n = Math.min(a.length, b.length);
  return a.subarray(0, n).equals(b.subarray(0, n));
}

/** Fingerprint alone (different inode): both full length and equal, to never skip data by accident. */
function strongFpMatch(a: Buffer, b: Buffer, size: number): boolean {
  return a.length >= size && b.length >= size && a.subarray(0, size).equals(b.subarray(0, size));
}

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

export class FilelogReceiver implements Receiver {
  private readonly cfg: FilelogConfig;
  private readonly id: string;
  private readonly next: Consumer<LogItem>;
  private readonly log: Logger;
  private readonly telemetry: ComponentTelemetry;
  private readonly internals: FilelogInternals;
  private readonly pollMs: number;
  private readonly linesSplit: { inc(n?: number): void };
  private readonly truncations: { inc(n?: number): void };
  private readonly rotations: { inc(n?: number): void };

  private readonly readers = new Map<string, Reader>();
  private readonly retired: Retired[] = [];
  private store: CheckpointStore | undefined;
  /** Checkpoints loaded at start and not matched to a file yet. */
  private pendingCheckpoints: FileCheckpoint[] = [];
  private hadCheckpoint = false;
  private firstPoll = true;

  private buf: Buffer;
  private items: RawLine[] = [];
  private marks: Mark[] = [];
  private readonly inflight: InFlight[] = [];

  private stopping = false;
  private stopWake: () => void = () => undefined;
  private readonly stopped: Promise<void>;
  private loop: Promise<void> | undefined;
  private backoffMs = 0;
  private backoffUntil = 0;
  private dirty = false;
  private lastCheckpointAt = 0;
  private saving: Promise<void> = Promise.resolve();
  private savePending = false;
  /** Paths whose last error was already logged (to log once, count always). */
  private readonly erroredPaths = new Set<string>();

  constructor(settings: CreateSettings<FilelogConfig, LogItem>, internals: Partial<FilelogInternals> = {}) {
    this.cfg = settings.config;
    this.id = settings.id;
    this.next = settings.next;
    this.log = settings.logger;
    this.telemetry = settings.telemetry;
    this.internals = { ...DEFAULT_INTERNALS, ...internals };
    this.pollMs = durationMs(this.cfg.poll_interval);
    // A line of max_line_bytes plus its newline must fit one read.
    this.buf = Buffer.allocUnsafe(Math.max(this.internals.chunkBytes, this.cfg.max_line_bytes + 2));
    this.linesSplit = this.telemetry.counter(
      'mailsight_filelog_line_splits_total',
      'Cuts made in lines longer than max_line_bytes (a line of 2.5 times the limit counts 2).',
    );
    this.truncations = this.telemetry.counter(
      'mailsight_filelog_truncations_total',
      'Files found truncated or rewritten in place (copytruncate), read again from the start.',
    );
    this.rotations = this.telemetry.counter(
      'mailsight_filelog_rotations_total',
      'Files that left the include set (renamed or deleted) and were drained to their end.',
    );
    this.stopped = new Promise<void>((res) => (this.stopWake = res));
  }

  /** Where checkpoints go, or undefined when disabled. */
  static storageDir(storage: string, dataDir: string, id: string): string | undefined {
    if (storage === 'none') return undefined;
    if (storage === 'auto') return join(dataDir, id.replace(/[^A-Za-z0-9._-]/g, '_'));
    return resolve(dataDir, storage);
  }

  async start(host: Host): Promise<void> {
    const dir = FilelogReceiver.storageDir(this.cfg.storage, host.dataDir, this.id);
    if (dir) {
      this.store = new CheckpointStore(dir);
      try {
        const saved = await this.store.load();
        if (saved) {
          this.hadCheckpoint = true;
          this.pendingCheckpoints = saved;
        }
      } catch (err) {
        // A damaged checkpoint must not stop the service; files are then new (read from 0).
        this.hadCheckpoint = true;
        this.telemetry.error();
        this.log.error({ err, file: this.store.file }, 'filelog: cannot read checkpoint, starting without it');
      }
    }
    this.loop = this.run();
  }

  async shutdown(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.stopWake();
    const wait = this.internals.shutdownWaitMs;
    // The loop may be blocked in emit() by a stalled downstream: wait a bounded time.
    if (this.loop) await within(this.loop, wait);
    const pending = this.inflight.map((f) => f.settled);
    if (pending.length) await within(Promise.all(pending), wait);
    this.processSettled();
    await this.saving;
    await this.saveCheckpoint();
    for (const r of this.readers.values()) await this.closeReader(r);
  }

  // ---- main loop -------------------------------------------------------------------------

  private async run(): Promise<void> {
    while (!this.stopping) {
      let more = false;
      try {
        more = await this.pollOnce();
      } catch (err) {
        this.telemetry.error();
        this.log.error({ err }, 'filelog: poll failed');
      }
      if (this.stopping) break;
      const now = Date.now();
      const delay = this.backoffUntil > now ? this.backoffUntil - now : more ? 0 : this.pollMs;
      if (delay > 0) await within(this.stopped, delay);
    }
  }

  /** One poll: commit what was delivered, find files, read them. True if data is left to read now. */
  private async pollOnce(): Promise<boolean> {
    this.processSettled();
    if (Date.now() < this.backoffUntil) return false;
    await this.discover();
    let more = false;
    for (const r of this.readers.values()) {
      if (this.stopping || Date.now() < this.backoffUntil) break;
      if (!r.fh || r.finished) continue;
      try {
        const final = r.lost && Date.now() - r.lostAt >= this.internals.lostGraceMs;
        if (await this.readFile(r, final)) more = true;
      } catch (err) {
        this.fileError(r.path, err, 'read');
      }
    }
    await this.flush();
    await this.retireLost();
    this.processSettled();
    const now = Date.now();
    while (this.retired.length && now - this.retired[0].at > 60_000) this.retired.shift();
    return more;
  }

  // ---- discovery -------------------------------------------------------------------------

  private async discover(): Promise<void> {
    let paths: string[];
    try {
      paths = await fg(this.cfg.include, {
        ignore: this.cfg.exclude,
        onlyFiles: true,
        unique: true,
        followSymbolicLinks: true,
        suppressErrors: true,
      });
    } catch (err) {
      this.telemetry.error();
      this.log.error({ err }, 'filelog: glob failed');
      return;
    }
    paths.sort();
    const seen = new Set<Reader>();
    const fresh: { path: string; dev: string; ino: string; size: number }[] = [];
    for (const p of paths) {
      let st;
      try {
        st = await stat(p, { bigint: true });
      } catch (err) {
        if (errCode(err) !== 'ENOENT') this.fileError(p, err, 'stat');
        continue;
      }
      const dev = st.dev.toString();
      const ino = st.ino.toString();
      const r = this.readers.get(`${dev}:${ino}`);
      if (r) {
        if (seen.has(r)) continue; // a second link to the same file
        seen.add(r);
        if (r.lost) {
          r.lost = false;
          r.finished = false;
        }
        if (r.path !== p) this.renamed(r, p);
      } else {
        fresh.push({ path: p, dev, ino, size: Number(st.size) });
      }
    }
    const now = Date.now();
    for (const r of this.readers.values()) {
      if (!seen.has(r) && !r.lost) {
        r.lost = true;
        r.lostAt = now;
        this.rotations.inc();
        this.log.info({ path: r.path }, 'filelog: file left the include set, draining it');
      }
    }
    const freshKeys = new Set(fresh.map((f) => `${f.dev}:${f.ino}`));
    if (this.firstPoll) await this.recoverLostFromCheckpoint(freshKeys);
    for (const f of fresh) await this.addFile(f.path, f.dev, f.ino, f.size, freshKeys);
    if (this.firstPoll) {
      this.firstPoll = false;
      for (const c of this.pendingCheckpoints) this.log.info({ path: c.path }, 'filelog: checkpointed file not found, forgetting it');
      if (this.pendingCheckpoints.length) this.dirty = true;
      this.pendingCheckpoints = [];
    }
  }

  private renamed(r: Reader, path: string): void {
    r.path = path;
    r.source = { 'log.file.path': path };
  }

  private async addFile(path: string, dev: string, ino: string, size: number, freshKeys: Set<string>): Promise<void> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      this.fileError(path, err, 'open');
      return;
    }
    let fp: Buffer;
    try {
      fp = await this.readFingerprint(fh, size);
    } catch (err) {
      await fh.close().catch(() => undefined);
      this.fileError(path, err, 'read');
      return;
    }
    this.erroredPaths.delete(path);
    const key = `${dev}:${ino}`;
    let offset: number | undefined;
    // 1. Its own checkpoint: same inode and fingerprint; else same full fingerprint (inode changed,
    //    e.g. restored from a copy).
    let ci = this.pendingCheckpoints.findIndex((c) => c.dev === dev && c.ino === ino && prefixMatch(Buffer.from(c.fingerprint, 'base64'), fp));
    if (ci < 0) {
      // Not a checkpoint whose own inode is among the files found: that one is its owner.
      ci = this.pendingCheckpoints.findIndex((c) => !freshKeys.has(`${c.dev}:${c.ino}`) &&
        strongFpMatch(Buffer.from(c.fingerprint, 'base64'), fp, this.cfg.fingerprint_size));
    }
    if (ci >= 0) {
      offset = this.pendingCheckpoints[ci].offset;
      this.pendingCheckpoints.splice(ci, 1);
    }
    // 2. A copy of content already read (copytruncate's copy landing in the include set):
    //    continue where that content was left instead of reading it twice.
    let shadow: Reader | undefined;
    if (offset === undefined) {
      for (const t of this.retired) {
        if (strongFpMatch(t.fp, fp, this.cfg.fingerprint_size)) offset = t.offset;
      }
      for (const o of this.readers.values()) {
        if (!o.shadow && strongFpMatch(o.fp, fp, this.cfg.fingerprint_size)) shadow = o;
      }
      if (shadow) offset = Math.min(shadow.readOffset, size);
    }
    // 3. A new file: start_at applies only at the very first start without any checkpoint.
    if (offset === undefined) {
      offset = this.firstPoll && !this.hadCheckpoint && this.cfg.start_at === 'end' ? size : 0;
    }
    if (offset > size) offset = 0; // the checkpoint is beyond the end: the file was truncated since
    const r = this.newReader(key, dev, ino, path, fh, fp, offset);
    if (shadow) r.shadow = { r: shadow, incarnation: shadow.incarnation };
    this.readers.set(key, r);
    this.dirty = true;
    this.log.debug({ path, offset }, 'filelog: tailing file');
  }

  private newReader(key: string, dev: string, ino: string, path: string, fh: FileHandle, fp: Buffer, offset: number): Reader {
    return {
      key, dev, ino, path, fh, fp,
      source: { 'log.file.path': path },
      readOffset: offset,
      committed: offset,
      gen: 0,
      epoch: 0,
      lastSize: -1,
      lost: false,
      lostAt: 0,
      finished: false,
      incarnation: 0,
      truncatedAt: 0,
    };
  }

  /**
   * Checkpointed files not matched by the globs under any path at the first poll were
   * probably rotated while we were stopped: look in their directory for the same inode and
   * fingerprint and drain them from the checkpoint, so that nothing between the last
   * delivered line and the rotation is lost.
   */
  private async recoverLostFromCheckpoint(globbed: Set<string>): Promise<void> {
    const byDir = new Map<string, FileCheckpoint[]>();
    for (const c of this.pendingCheckpoints) {
      if (globbed.has(`${c.dev}:${c.ino}`)) continue;
      const d = dirname(c.path);
      let list = byDir.get(d);
      if (!list) byDir.set(d, (list = []));
      list.push(c);
    }
    for (const [dir, cps] of byDir) {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        const p = join(dir, name);
        let st;
        try {
          st = await stat(p, { bigint: true });
        } catch {
          continue;
        }
        if (!st.isFile()) continue;
        const dev = st.dev.toString();
        const ino = st.ino.toString();
        const c = cps.find((x) => x.dev === dev && x.ino === ino);
        if (!c || p === c.path) continue; // same path but no longer included: forget it
        const size = Number(st.size);
        let fh: FileHandle | undefined;
        try {
          fh = await open(p, 'r');
          const fp = await this.readFingerprint(fh, size);
          if (!prefixMatch(Buffer.from(c.fingerprint, 'base64'), fp) || c.offset > size) {
            await fh.close();
            continue;
          }
          const key = `${dev}:${ino}`;
          // Keep the path the lines were logged under, as if we had followed the rename live.
          const r = this.newReader(key, dev, ino, c.path, fh, fp, c.offset);
          r.lost = true;
          r.lostAt = 0;
          this.readers.set(key, r);
          this.pendingCheckpoints.splice(this.pendingCheckpoints.indexOf(c), 1);
          cps.splice(cps.indexOf(c), 1);
          this.rotations.inc();
          this.log.info({ path: c.path, now: basename(p), offset: c.offset }, 'filelog: draining file rotated while stopped');
        } catch (err) {
          if (fh) await fh.close().catch(() => undefined);
          this.fileError(p, err, 'open');
        }
      }
    }
  }

  private async readFingerprint(fh: FileHandle, size: number): Promise<Buffer> {
    const n = Math.min(size, this.cfg.fingerprint_size);
    if (n <= 0) return Buffer.alloc(0);
    const b = Buffer.allocUnsafe(n);
    const { bytesRead } = await fh.read(b, 0, n, 0);
    return bytesRead === n ? b : b.subarray(0, bytesRead);
  }

  // ---- reading -----------------------------------------------------------------------------

  /** Read what is new in one file. True when the per-poll budget ran out with data left. */
  private async readFile(r: Reader, final: boolean): Promise<boolean> {
    const fh = r.fh!;
    const size = Number((await fh.stat({ bigint: true })).size);
    if (r.shadow && !this.followShadow(r, size)) return false;
    if (size < r.readOffset) {
      this.truncated(r, await this.readFingerprint(fh, size), 'shrank');
    } else if (size !== r.lastSize) {
      const cur = await this.readFingerprint(fh, size);
      if (!prefixMatch(r.fp, cur)) this.truncated(r, cur, 'rewritten');
      else if (cur.length > r.fp.length) {
        r.fp = cur;
        this.dirty = true;
      }
    }
    r.lastSize = size;
    let budget = this.internals.maxBytesPerFilePerPoll;
    const buf = this.buf;
    while (!this.stopping && r.readOffset < size) {
      if (budget <= 0) return true;
      const pos = r.readOffset;
      const epoch = r.epoch;
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      budget -= bytesRead;
      if (!(await this.scan(r, bytesRead, pos, epoch, final && pos + bytesRead >= size))) return false;
      if (r.readOffset === pos) break; // only a partial line: wait for its newline
    }
    if (final && r.readOffset >= size) r.finished = true;
    return false;
  }

  /**
   * Turn buf[0..n) (read at file offset `pos`) into lines. Returns false when reading this
   * file must stop for now (rewound, backing off, stopping).
   */
  private async scan(r: Reader, n: number, pos: number, epoch: number, tail: boolean): Promise<boolean> {
    const buf = this.buf;
    const max = this.cfg.max_line_bytes;
    const maxBatch = this.cfg.max_batch;
    const observed = Date.now();
    let start = 0;
    let lines = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl < 0 || nl >= n) break;
      let end = nl;
      if (end > start && buf[end - 1] === 13) end--; // CRLF
      if (end - start > max) {
        // Rare: split on UTF-8 character boundaries, every piece but the last at most `max` bytes.
        let s = start;
        while (end - s > max) {
          this.linesSplit.inc();
          const cut = charBoundary(buf, s + max, s);
          this.push(r, buf.toString('utf8', s, cut), pos + s, pos + cut, observed);
          lines++;
          s = cut;
        }
        this.push(r, buf.toString('utf8', s, end), pos + s, pos + nl + 1, observed);
      } else {
        this.push(r, buf.toString('utf8', start, end), pos + start, pos + nl + 1, observed);
      }
      lines++;
      start = nl + 1;
      if (this.items.length >= maxBatch) {
        this.telemetry.received(lines);
        lines = 0;
        if (!(await this.flush()) || r.epoch !== epoch || this.stopping) return false;
      }
    }
    // The rest has no newline yet. Cut it only when it cannot be one line anyway, or when the
    // file is finished (a rotated file's unterminated last line).
    while (n - start > max || (tail && n > start)) {
      if (n - start > max) {
        this.linesSplit.inc();
        const cut = charBoundary(buf, start + max, start);
        this.push(r, buf.toString('utf8', start, cut), pos + start, pos + cut, observed);
        start = cut;
      } else {
        let end = n;
        if (buf[end - 1] === 13) end--;
        this.push(r, buf.toString('utf8', start, end), pos + start, pos + n, observed);
        start = n;
      }
      lines++;
      if (this.items.length >= maxBatch) {
        this.telemetry.received(lines);
        lines = 0;
        if (!(await this.flush()) || r.epoch !== epoch || this.stopping) return false;
      }
    }
    this.telemetry.received(lines);
    return true;
  }

  /** True when a copy may be read on its own now (its original moved on). */
  private followShadow(r: Reader, size: number): boolean {
    const { r: o, incarnation } = r.shadow!;
    // The original was read before the copy in this poll (older readers come first).
    let off: number;
    let free = true;
    if (o.incarnation !== incarnation) off = o.truncatedAt;
    else {
      off = o.readOffset;
      free = this.readers.get(o.key) !== o; // drained and forgotten
    }
    off = Math.min(off, size);
    if (off > r.readOffset) {
      r.readOffset = r.committed = off;
      r.epoch++;
      this.dirty = true;
    }
    if (free) r.shadow = undefined;
    return free;
  }

  private push(r: Reader, body: string, start: number, end: number, observed: number): void {
    this.items.push({ kind: 'line', body, observed, source: r.source });
    const m = this.marks.length ? this.marks[this.marks.length - 1] : undefined;
    if (m && m.r === r && m.gen === r.gen && m.end === start) m.end = end;
    else this.marks.push({ r, gen: r.gen, start, end });
    r.readOffset = end;
  }

  private truncated(r: Reader, fp: Buffer, how: string): void {
    this.retired.push({ fp: r.fp, offset: r.readOffset, at: Date.now() });
    if (this.retired.length > 64) this.retired.shift();
    this.truncations.inc();
    this.log.info({ path: r.path, offset: r.readOffset, how }, 'filelog: file truncated, reading it again from the start');
    r.fp = fp;
    r.truncatedAt = r.readOffset;
    r.incarnation++;
    r.gen++;
    r.epoch++;
    r.readOffset = 0;
    r.committed = 0;
    r.finished = false;
    this.dirty = true;
    // Lines of the old content still in the unsent batch stay valid data: they go out, but
    // their marks no longer match r.gen so they move no offset.
  }

  // ---- emitting and committing -------------------------------------------------------------

  /** Emit the pending batch. False when it was refused (the readers are rewound, backoff set). */
  private async flush(): Promise<boolean> {
    if (this.items.length === 0) return true;
    const items = this.items;
    const marks = this.marks;
    this.items = [];
    this.marks = [];
    // At most maxInFlight batches awaiting delivery: wait for the oldest before adding one.
    while (this.inflight.length >= this.internals.maxInFlight && !this.stopping) {
      await Promise.race([this.inflight[0].settled, this.stopped]);
      this.processSettled();
    }
    // A failed delivery seen while waiting rewound some of these files: their lines will be
    // read again, so this batch is dropped whole rather than sent twice. When stopping, the
    // batch still goes out: every line read before the signal is exported (the runtime
    // drains the queues after the receivers stopped).
    if (marks.some((m) => m.gen !== m.r.gen)) {
      rewind(marks);
      return false;
    }
    let delivered: Promise<void>;
    try {
      ({ delivered } = await emit<LogItem>(this.next, items));
    } catch (err) {
      // Refused before acceptance: read these lines again after a pause.
      rewind(marks);
      this.backOff(err, items.length);
      return false;
    }
    const f: InFlight = { marks, state: 'pending', settled: Promise.resolve() };
    f.settled = delivered.then(
      () => { f.state = 'ok'; },
      (err: unknown) => { f.state = 'failed'; f.err = err instanceof Error ? err : new Error(String(err)); },
    );
    this.inflight.push(f);
    return true;
  }

  /** Apply settled deliveries in emission order (offsets only move over a contiguous prefix). */
  private processSettled(): void {
    while (this.inflight.length && this.inflight[0].state !== 'pending') {
      const f = this.inflight.shift()!;
      if (f.state === 'ok') {
        for (const m of f.marks) {
          if (m.gen === m.r.gen && m.end > m.r.committed) {
            m.r.committed = m.end;
            this.dirty = true;
          }
        }
        this.backoffMs = 0;
      } else {
        // Not delivered: read again from the last delivered line. Later batches of the same
        // files may still get delivered; their lines come again (at-least-once).
        let n = 0;
        for (const m of f.marks) {
          n += m.end - m.start;
          if (m.gen === m.r.gen) {
            m.r.gen++;
            m.r.epoch++;
            m.r.readOffset = m.r.committed;
            m.r.finished = false;
          }
        }
        this.backOff(f.err, n, 'bytes');
      }
    }
    if (this.dirty && !this.savePending && Date.now() - this.lastCheckpointAt >= this.internals.checkpointIntervalMs) {
      this.savePending = true;
      this.saving = this.saving.then(() => {
        this.savePending = false;
        return this.saveCheckpoint();
      });
    }
  }

  private backOff(err: unknown, n: number, unit = 'lines'): void {
    this.backoffMs = Math.min(this.internals.backoffMaxMs, Math.max(this.internals.backoffMinMs, this.backoffMs * 2));
    this.backoffUntil = Date.now() + this.backoffMs;
    this.log.warn({ err, [unit]: n, retry_in_ms: this.backoffMs }, 'filelog: batch not delivered, will read it again');
  }

  private async saveCheckpoint(): Promise<void> {
    if (!this.store || !this.dirty) return;
    this.dirty = false;
    this.lastCheckpointAt = Date.now();
    const files: FileCheckpoint[] = [];
    for (const r of this.readers.values()) {
      files.push({ path: r.path, dev: r.dev, ino: r.ino, fingerprint: r.fp.toString('base64'), offset: r.committed });
    }
    try {
      await this.store.save(files);
    } catch (err) {
      this.dirty = true;
      this.telemetry.error();
      this.log.error({ err, file: this.store.file }, 'filelog: cannot write checkpoint');
    }
  }

  /** Close and forget lost files that are drained and fully delivered. */
  private async retireLost(): Promise<void> {
    for (const r of [...this.readers.values()]) {
      if (!r.lost || !r.finished || r.committed < r.readOffset) continue;
      await this.closeReader(r);
      this.readers.delete(r.key);
      this.dirty = true;
      this.log.debug({ path: r.path }, 'filelog: rotated file drained and closed');
    }
  }

  private async closeReader(r: Reader): Promise<void> {
    const fh = r.fh;
    r.fh = undefined;
    if (fh) await fh.close().catch(() => undefined);
  }

  private fileError(path: string, err: unknown, op: string): void {
    this.telemetry.error();
    if (this.erroredPaths.has(path)) return;
    this.erroredPaths.add(path);
    this.log.error({ err, path, op }, 'filelog: cannot read file (logged once per file, counted every time)');
  }
}

/** The largest cut <= at that does not split a UTF-8 sequence (never before min+1). */
function charBoundary(buf: Buffer, at: number, min: number): number {
  let cut = at;
  // Continuation bytes are 10xxxxxx; step back at most 3 to the start of the character.
  for (let i = 0; i < 3 && cut > min + 1 && (buf[cut] & 0xc0) === 0x80; i++) cut--;
  return cut;
}

/** Rewind each file to the first byte of its lines in a batch that was not emitted. */
function rewind(marks: readonly Mark[]): void {
  for (const m of marks) {
    if (m.gen === m.r.gen && m.start < m.r.readOffset) {
      m.r.readOffset = m.start;
      m.r.epoch++;
    }
  }
}

/** Wait for p, at most ms; the timer is cleared so that it never holds the process. */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  try {
    await Promise.race([p.then(() => undefined, () => undefined), new Promise<void>((res) => (t = setTimeout(res, ms)))]);
  } finally {
    clearTimeout(t);
  }
}
