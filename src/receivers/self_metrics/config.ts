import { Type, type Static } from '@sinclair/typebox';
import { Duration, Strict } from '../../config/types.js';

export const SelfMetricsConfig = Strict({
  interval: Duration({ default: '30s', description: 'How often to emit a snapshot of mailsight\'s own metrics.' }),
  include_process: Type.Boolean({ default: true, description: 'Also emit the process metrics (CPU, memory, event loop, GC): mailsight_process_*.' }),
});

export type SelfMetricsConfig = Static<typeof SelfMetricsConfig>;
