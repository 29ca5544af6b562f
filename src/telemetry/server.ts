// The telemetry listener: /healthz, /metrics (mailsight's own) and the operations UI.
import Fastify, { type FastifyInstance } from 'fastify';
import type { SelfTelemetry } from './component_telemetry.js';

export interface HealthReport {
  status: 'ok' | 'starting' | 'degraded' | 'stopping';
  components: { kind: string; id: string; pipeline?: string; status: string }[];
}

export interface TelemetryServerOptions {
  host: string;
  port: number;
  telemetry: SelfTelemetry;
  health: () => HealthReport;
}

export class TelemetryServer {
  private readonly app: FastifyInstance;

  constructor(private readonly opts: TelemetryServerOptions) {
    this.app = Fastify({ logger: false });
    this.app.get('/metrics', async (_req, reply) => {
      reply.header('content-type', opts.telemetry.registry.contentType);
      return opts.telemetry.metricsText();
    });
    this.app.get('/healthz', async (_req, reply) => {
      const h = opts.health();
      reply.code(h.status === 'ok' ? 200 : 503);
      return h;
    });
    this.app.get('/', async (_req, reply) => {
      reply.header('content-type', 'text/html; charset=utf-8');
      return statusPage(opts.health());
    });
  }

  async start(): Promise<string> {
    return this.app.listen({ host: this.opts.host, port: this.opts.port });
  }

  /** The bound port (useful when configured as :0 in tests). */
  get port(): number {
    const addr = this.app.server.address();
    return typeof addr === 'object' && addr ? addr.port : this.opts.port;
  }

  async close(): Promise<void> {
    await this.app.close();
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
}

// A plain status page until the operations UI lands.
function statusPage(h: HealthReport): string {
  const rows = h.components
    .map((c) => `<tr><td>${escapeHtml(c.kind)}</td><td>${escapeHtml(c.id)}</td><td>${escapeHtml(c.pipeline ?? '')}</td><td>${escapeHtml(c.status)}</td></tr>`)
    .join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>mailsight</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}td,th{padding:.2rem .8rem;text-align:left}</style></head>
<body><h1>mailsight</h1><p>Status: <b>${escapeHtml(h.status)}</b> · <a href="/metrics">/metrics</a> · <a href="/healthz">/healthz</a></p>
<table><tr><th>kind</th><th>component</th><th>pipeline</th><th>status</th></tr>${rows}</table></body></html>`;
}
