// Snapshot file of the correlation state: JSON lines (a header, then one open message per
// line), written atomically (temp file, fsync, rename) so a crash mid-write leaves the previous
// snapshot intact, and read back line by line on start.
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';

/** Lines are grouped into writes of about this many characters. */
const CHUNK_CHARS = 1 << 20;

/** Write `lines` (already serialised: a consistent cut) to `path` atomically. */
export async function writeSnapshot(path: string, lines: readonly string[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w');
  try {
    let buf = '';
    for (const line of lines) {
      buf += line + '\n';
      if (buf.length >= CHUNK_CHARS) {
        await fh.write(buf);
        buf = '';
      }
    }
    if (buf) await fh.write(buf);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
}

/** The lines of a snapshot file, or undefined when there is none. */
export async function readSnapshot(path: string): Promise<string[] | undefined> {
  try {
    await stat(path);
  } catch {
    return undefined;
  }
  const lines: string[] = [];
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of rl) if (line) lines.push(line);
  return lines;
}
