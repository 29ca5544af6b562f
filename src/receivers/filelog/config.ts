// Config of the filelog receiver. The schema is the single source of validation, defaults,
// `mailsight components` output and the JSON Schema.
import { Type, type Static } from '@sinclair/typebox';
import { Duration, Strict, StringEnum } from '../../config/types.js';

export const FilelogConfig = Strict(
  {
    include: Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      description: 'Glob patterns (fast-glob syntax) of the files to tail; at least one.',
      examples: [['/var/log/mail.log'], ['/var/log/exim4/mainlog']],
    }),
    exclude: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: 'Glob patterns of files to leave out even when `include` matches them.',
    }),
    start_at: StringEnum(['beginning', 'end'] as const, {
      default: 'end',
      description:
        'Where to start in files present at the very first start (no checkpoint yet). Files that appear later, ' +
        'and every file once a checkpoint exists, are read from the beginning or their checkpoint.',
    }),
    poll_interval: Duration({ default: '200ms', description: 'How often to look for new files and new data.' }),
    max_line_bytes: Type.Integer({
      minimum: 64,
      default: 65536,
      description: 'Longer lines are split into pieces of at most this many bytes, on UTF-8 character boundaries (each cut counted in mailsight_filelog_line_splits_total).',
    }),
    max_batch: Type.Integer({ minimum: 1, default: 1024, description: 'Lines per emitted batch at most.' }),
    encoding: StringEnum(['utf8'] as const, { default: 'utf8', description: 'Character encoding of the files (utf8 only for now); invalid sequences become U+FFFD.' }),
    storage: Type.String({
      minLength: 1,
      default: 'auto',
      description:
        'Directory of the checkpoint file. "auto": <data dir>/<component id, "/" as "_"> (filelog/mx: <data dir>/filelog_mx); "none": no checkpoints ' +
        '(start_at then applies at every start); a relative path is resolved against the data dir. Two receivers must not share one directory.',
    }),
    fingerprint_size: Type.Integer({
      minimum: 16,
      default: 1000,
      description: 'Bytes at the start of a file that identify it (with device and inode) across renames and truncations.',
    }),
  },
  { description: 'Tails log files (poll-based), survives rotation (rename and copytruncate) and restarts without loss or duplicates.' },
);

export type FilelogConfig = Static<typeof FilelogConfig>;
