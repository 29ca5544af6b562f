// Checkpoint store of the filelog receiver: one JSON file per receiver, replaced atomically
// (write a temp file, fsync it, rename over the old one) so that a crash leaves either the old
// or the new checkpoint, never a torn one.
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

export const CHECKPOINT_FILE = 'checkpoints.json';
const VERSION = 1;

/** What is remembered per file. `offset` is the byte just after the last delivered line. */
export interface FileCheckpoint {
  path: string;
  /** Device and inode as decimal strings (64-bit values do not fit a JS number). */
  dev: string;
  ino: string;
  /** First bytes of the file (up to fingerprint_size), base64. */
  fingerprint: string;
  offset: number;
}

interface CheckpointDoc {
  version: number;
  files: FileCheckpoint[];
}

export class CheckpointStore {
  readonly file: string;

  constructor(readonly dir: string) {
    this.file = join(dir, CHECKPOINT_FILE);
  }

  /** The saved checkpoints, or undefined when there is no checkpoint file yet. */
  async load(): Promise<FileCheckpoint[] | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const doc = JSON.parse(text) as Partial<CheckpointDoc>;
    if (doc.version !== VERSION || !Array.isArray(doc.files)) {
      throw new Error(`${this.file}: unsupported checkpoint format (version ${String(doc.version)})`);
    }
    return doc.files.filter(
      (f) => typeof f.path === 'string' && typeof f.dev === 'string' && typeof f.ino === 'string' &&
        typeof f.fingerprint === 'string' && Number.isSafeInteger(f.offset) && f.offset >= 0,
    );
  }

  async save(files: FileCheckpoint[]): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const tmp = `${this.file}.tmp`;
    const doc: CheckpointDoc = { version: VERSION, files };
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(doc, null, 1) + '\n');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.file);
  }
}
