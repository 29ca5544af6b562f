// Config of the file exporter.
import { Type, type Static } from '@sinclair/typebox';
import { Duration, Strict } from '../../config/types.js';

export const FileExporterConfig = Strict(
  {
    path: Type.String({
      minLength: 1,
      description: 'File to append JSON lines to (one item per line). Its directory is created if needed; the file is created with mode 0640 (mail data is personal data).',
      examples: ['/var/lib/mailsight/events.jsonl'],
    }),
    rotation: Strict(
      {
        max_megabytes: Type.Number({
          minimum: 0,
          default: 100,
          description: 'Rotate before the file would grow past this size (MiB); 0 disables rotation.',
        }),
        max_backups: Type.Integer({
          minimum: 0,
          default: 5,
          description: 'Rotated files kept: path.1 (newest) .. path.N; older ones are deleted. 0 keeps none.',
        }),
      },
      { default: {}, description: 'Size-based rotation: path -> path.1 -> path.2 ...' },
    ),
    flush_interval: Duration({
      default: '1s',
      description: 'Batches are gathered and written together at least this often (sooner when 1 MiB is waiting).',
    }),
    fsync: Type.Boolean({
      default: false,
      description: 'fsync after each write, before acknowledging: survives a power loss, costs throughput.',
    }),
  },
  { description: 'Appends items as JSON lines to a file, with size-based rotation; acknowledges only once written.' },
);

export type FileExporterConfig = Static<typeof FileExporterConfig>;
