// Config of the debug exporter (the OTel debug exporter's options, same names and defaults).
import { Type, type Static } from '@sinclair/typebox';
import { Strict, StringEnum } from '../../config/types.js';

export const DebugConfig = Strict(
  {
    verbosity: StringEnum(['basic', 'normal', 'detailed'] as const, {
      default: 'basic',
      description:
        'basic: one summary line per batch (items per kind); normal: one line per item; detailed: every item as pretty JSON.',
    }),
    sampling_initial: Type.Integer({
      minimum: 1,
      default: 2,
      description: 'Batches written in full each second before sampling_thereafter applies.',
    }),
    sampling_thereafter: Type.Integer({
      minimum: 1,
      default: 1,
      description: 'After sampling_initial batches in a second, write one batch in this many (1 = all).',
    }),
  },
  { default: {}, description: 'Writes what it receives to standard output, for looking at a pipeline.' },
);

export type DebugConfig = Static<typeof DebugConfig>;
