// `mailsight parse [--mta auto|postfix|exim|...] [FILE|-]`: MailEvent JSON lines on stdout.
import { LineParser } from '../processors/mta_parse/parser.js';
import type { MtaParseConfig } from '../processors/mta_parse/config.js';
import { readLines } from './lines.js';

export interface ParseOptions {
  mta: MtaParseConfig['mta'];
  timezone: string;
  keepRaw: boolean;
}

export async function parseCommand(files: string[], opts: ParseOptions, write: (chunk: string) => boolean | Promise<void>): Promise<number> {
  const parser = new LineParser({ mta: opts.mta, timezone: opts.timezone, keepRaw: opts.keepRaw });
  let buf = '';
  for await (const line of readLines(files)) {
    buf += JSON.stringify(parser.parse(line)) + '\n';
    if (buf.length > 65_536) {
      await write(buf);
      buf = '';
    }
  }
  if (buf) await write(buf);
  return 0;
}
