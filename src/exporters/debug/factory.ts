import type { ExporterFactory } from '../../pipeline/component.js';
import { DebugConfig } from './config.js';
import { DebugExporter } from './debug.js';

export const debugExporterFactory: ExporterFactory<typeof DebugConfig> = {
  type: 'debug',
  kind: 'exporter',
  stability: 'beta',
  description: 'Writes items to stdout: a summary per batch, one line per item, or pretty JSON (verbosity).',
  signals: ['logs', 'metrics', 'traces'],
  configSchema: DebugConfig,
  create: (settings) => new DebugExporter(settings),
};
