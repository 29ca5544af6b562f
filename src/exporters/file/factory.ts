import type { ExporterFactory } from '../../pipeline/component.js';
import { FileExporterConfig } from './config.js';
import { FileExporter } from './file.js';

export const fileExporterFactory: ExporterFactory<typeof FileExporterConfig> = {
  type: 'file',
  kind: 'exporter',
  stability: 'beta',
  description: 'Appends items as JSON lines to a file with size-based rotation; acks once written (and fsynced if asked).',
  signals: ['logs', 'metrics', 'traces'],
  configSchema: FileExporterConfig,
  create: (settings) => new FileExporter(settings),
};
