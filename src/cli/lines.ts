// Read lines from files or stdin (`-`), transparently gunzipping *.gz, with back-pressure.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';

export async function* readLines(files: string[]): AsyncGenerator<string> {
  for (const file of files.length ? files : ['-']) {
    let input: Readable = file === '-' ? process.stdin : createReadStream(file);
    if (file.endsWith('.gz')) input = input.pipe(createGunzip());
    const rl = createInterface({ input, crlfDelay: Infinity });
    for await (const line of rl) if (line.length) yield line;
  }
}
