// Config of the stdin receiver. The input stream itself is not an option: it is process.stdin,
// injectable only from code (tests) through the receiver's constructor.
import { Type, type Static } from '@sinclair/typebox';
import { Duration, Strict, StringEnum } from '../../config/types.js';

export const StdinConfig = Strict(
  {
    max_batch: Type.Integer({ minimum: 1, default: 1024, description: 'Lines per emitted batch at most.' }),
    batch_timeout: Duration({
      default: '200ms',
      description: 'Emit a partial batch when no new line completed it for this long.',
    }),
    max_line_bytes: Type.Integer({
      minimum: 64,
      default: 65536,
      description: 'Longer lines are split into pieces of at most this many bytes, on UTF-8 character boundaries (each cut counted in mailsight_stdin_line_splits_total).',
    }),
    encoding: StringEnum(['utf8'] as const, { default: 'utf8', description: 'Character encoding of the input (utf8 only for now).' }),
  },
  { default: {}, description: 'Reads lines from standard input until end of file (for `mailsight parse -`, pipes and tests).' },
);

export type StdinConfig = Static<typeof StdinConfig>;
