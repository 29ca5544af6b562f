// The service: one validated config turned into a running graph, its telemetry listener and
// its memory guard, with an orderly start and a draining shutdown.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { MailsightConfig } from '../config/loader.js';
import { durationMs, splitHostPort } from '../config/types.js';
import { SelfTelemetry } from '../telemetry/component_telemetry.js';
import { createLogger } from '../telemetry/logger.js';
import { TelemetryServer, type HealthReport } from '../telemetry/server.js';
import type { Host } from './component.js';
import { buildGraph, type Graph } from './graph.js';
import { MemoryGuard } from './memory_guard.js';
import type { Registry } from './registry.js';

export interface ServiceOptions {
  config: MailsightConfig;
  registry: Registry;
  logger?: Logger;
  telemetry?: SelfTelemetry;
  /** Override service.telemetry.listen (tests use 127.0.0.1:0; null disables). */
  listen?: string | null;
}

export class Service {
  readonly logger: Logger;
  readonly telemetry: SelfTelemetry;
  readonly graph: Graph;
  private readonly guard: MemoryGuard;
  private server: TelemetryServer | undefined;
  private phase: 'created' | 'starting' | 'running' | 'stopping' | 'stopped' = 'created';
  private fatal: ((err: Error) => void) | undefined;
  private readonly host: Host;

  constructor(private readonly opts: ServiceOptions) {
    const { config } = opts;
    this.logger = opts.logger ?? createLogger(config.service.telemetry.logs.level);
    this.telemetry = opts.telemetry ?? new SelfTelemetry();
    const ml = config.service.memory_limiter;
    this.guard = new MemoryGuard(ml.limit_mib, durationMs(ml.check_interval), ml.when_exceeded);
    this.graph = buildGraph({ config, registry: opts.registry, telemetry: this.telemetry, logger: this.logger, guard: this.guard });
    const dataDir = resolve(config.service.data_dir);
    this.host = {
      dataDir,
      selfTelemetry: this.telemetry,
      reportFatal: (err) => {
        this.logger.fatal({ err }, 'component reported a fatal error');
        this.fatal?.(err);
      },
    };
  }

  /** Resolves with an error a component reported as fatal. */
  onFatal(handler: (err: Error) => void): void {
    this.fatal = handler;
  }

  get telemetryPort(): number | undefined {
    return this.server?.port;
  }

  async start(): Promise<void> {
    this.phase = 'starting';
    mkdirSync(this.host.dataDir, { recursive: true });
    const listen = this.opts.listen !== undefined ? this.opts.listen : this.opts.config.service.telemetry.listen;
    if (listen) {
      const { host, port } = splitHostPort(listen);
      this.server = new TelemetryServer({ host, port, telemetry: this.telemetry, health: () => this.health() });
      const url = await this.server.start();
      this.logger.info({ url }, 'telemetry listening (/metrics, /healthz)');
    }
    this.guard.start();
    await this.graph.start(this.host);
    this.phase = 'running';
    this.logger.info({ components: this.graph.nodes.length }, 'pipelines started');
  }

  async shutdown(): Promise<void> {
    if (this.phase === 'stopping' || this.phase === 'stopped') return;
    this.phase = 'stopping';
    this.logger.info('stopping: receivers first, then draining every queue');
    await this.graph.shutdown(this.logger);
    this.guard.stop();
    await this.server?.close();
    this.phase = 'stopped';
    this.logger.info({ counts: await this.counts() }, 'stopped');
  }

  /** Items received/emitted/dropped/refused per component, for the final log line. */
  async counts(): Promise<Record<string, Record<string, number>>> {
    const out: Record<string, Record<string, number>> = {};
    for (const n of this.graph.nodes) {
      const labels = { kind: n.kind, component: n.id, pipeline: n.pipeline ?? '' };
      const row: Record<string, number> = {};
      for (const what of ['received', 'emitted', 'dropped', 'refused'] as const) {
        row[what] = await this.telemetry.value(`mailsight_items_${what}_total`, labels);
      }
      out[`${n.kind}/${n.id}${n.pipeline ? '@' + n.pipeline : ''}`] = row;
    }
    return out;
  }

  health(): HealthReport {
    const components = this.graph.nodes.map((n) => ({ kind: n.kind, id: n.id, pipeline: n.pipeline, status: n.status }));
    let status: HealthReport['status'] = 'ok';
    if (this.phase === 'starting' || this.phase === 'created') status = 'starting';
    else if (this.phase === 'stopping' || this.phase === 'stopped') status = 'stopping';
    else if (components.some((c) => c.status !== 'up')) status = 'degraded';
    return { status, components };
  }
}
