// The prometheus exporter: MetricItems in, a pull endpoint out. Each consumed batch updates
// the store and is acknowledged at once (the store is the export); a scrape renders the
// store (cached until the next update) in text format 0.0.4, gzipped when the scraper asks.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { releaseAll } from '../../pipeline/ack.js';
import type { Batch, CreateSettings, Exporter, Host } from '../../pipeline/component.js';
import { splitHostPort } from '../../config/types.js';
import type { MetricItem } from '../../model/metrics.js';
import type { ComponentTelemetry } from '../../telemetry/component_telemetry.js';
import type { PrometheusExporterConfig } from './config.js';
import { MetricStore } from './store.js';

const gzipAsync = promisify(gzip);
export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export class PrometheusExporter implements Exporter<unknown> {
  readonly store: MetricStore;
  private readonly cfg: PrometheusExporterConfig;
  private readonly log: Logger;
  private readonly telemetry: ComponentTelemetry;
  private readonly scrapes: { inc(n?: number): void };
  private readonly seriesGauge: { set(v: number): void };
  private readonly warned = new Set<string>();
  private server: Server | undefined;
  /** The last encoded body (and its gzip), valid while the store's version is unchanged. */
  private body: { version: number; plain: Buffer; gzip: Promise<Buffer> | undefined } | undefined;

  constructor(settings: Omit<CreateSettings<PrometheusExporterConfig>, 'next'>) {
    this.cfg = settings.config;
    this.log = settings.logger;
    this.telemetry = settings.telemetry;
    this.store = new MetricStore({
      constLabels: this.cfg.const_labels,
      resourceToLabels: this.cfg.resource_to_telemetry_conversion.enabled,
      namespace: this.cfg.namespace,
    });
    this.scrapes = this.telemetry.counter('mailsight_prometheus_scrapes_total', 'Scrapes served by the prometheus exporter.');
    this.seriesGauge = this.telemetry.gauge('mailsight_prometheus_series', 'Series held by the prometheus exporter.');
  }

  /** The bound port once started (useful with `listen: 127.0.0.1:0`). */
  get port(): number | undefined {
    const a = this.server?.address();
    return a !== null && typeof a === 'object' ? (a as AddressInfo).port : undefined;
  }

  get url(): string | undefined {
    const a = this.server?.address();
    if (a === null || typeof a !== 'object') return undefined;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `http://${host}:${a.port}${this.cfg.path}`;
  }

  async start(_host: Host): Promise<void> {
    const { host, port } = splitHostPort(this.cfg.listen);
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log.error({ err }, 'prometheus: server error'));
    this.server = server;
    this.log.info({ url: this.url }, 'prometheus: scrape endpoint listening');
  }

  async consume(batch: Batch<unknown>): Promise<void> {
    let n = 0;
    for (const it of batch.items) {
      const m = it as MetricItem;
      if (m === null || typeof m !== 'object' || m.kind !== 'metric') continue;
      const r = this.store.add(m);
      n += r.stored;
      for (const why of r.dropped) {
        // Once per reason: the same conflict repeats on every snapshot.
        if (this.warned.has(why)) continue;
        this.warned.add(why);
        this.telemetry.error();
        this.log.warn({ reason: why }, 'prometheus: metric dropped');
      }
    }
    this.seriesGauge.set(this.store.seriesCount);
    this.telemetry.emitted(n);
    releaseAll(batch.acks); // stored: this exporter's job is done
  }

  async shutdown(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections(); // keep-alive scrapers must not hold the shutdown
    });
  }

  /**
   * The rendered store as bytes, gzipped if asked. Scrapes between two updates (several
   * scrapers, or one polling faster than the producer's interval) share one encoding.
   */
  private encoded(zip: boolean): Promise<Buffer> {
    const version = this.store.version;
    let b = this.body;
    if (b === undefined || b.version !== version) this.body = b = { version, plain: Buffer.from(this.store.render(), 'utf8'), gzip: undefined };
    if (!zip) return Promise.resolve(b.plain);
    if (b.gzip !== undefined) return b.gzip;
    const cached = b;
    const gz = gzipAsync(cached.plain);
    // A failed compression is not kept: the next scrape tries again.
    gz.catch(() => {
      if (cached.gzip === gz) cached.gzip = undefined;
    });
    cached.gzip = gz;
    return gz;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      if (path !== this.cfg.path) {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`not found; metrics are at ${this.cfg.path}\n`);
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
        return;
      }
      this.scrapes.inc();
      const headers: Record<string, string> = { 'content-type': CONTENT_TYPE };
      const zip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
      const body = await this.encoded(zip);
      if (zip) headers['content-encoding'] = 'gzip';
      headers['content-length'] = String(body.length);
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (err) {
      this.telemetry.error();
      this.log.error({ err }, 'prometheus: scrape failed');
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    }
  }
}
