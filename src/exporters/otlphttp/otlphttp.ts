// The otlphttp exporter: logs, metrics and traces over OTLP/HTTP. Items are mapped to the
// OTel SDK's data types and serialised by @opentelemetry/otlp-transformer (protobuf or
// JSON; protobuf logs by logs_protobuf.ts, the same bytes faster), compressed, and handed to the exporter helper, which queues, sends with retries and
// acknowledges. One exporter instance serves every pipeline that lists it, so a batch is
// split by signal here.
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import {
  JsonLogsSerializer,
  JsonMetricsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import type { Batch, CreateSettings, Exporter, Host } from '../../pipeline/component.js';
import type { LogItem, PipelineItem } from '../../model/items.js';
import type { MetricItem } from '../../model/metrics.js';
import type { SpanItem } from '../../model/spans.js';
import { ExporterHelper, type HelperInternals, type QueuedRequest } from '../helper/exporter_helper.js';
import { httpStatusError, PermanentError, type SendResult } from '../helper/errors.js';
import { AddressPolicy, Resources } from './common.js';
import { LogMapper } from './logs.js';
import { serializeLogsProtobuf } from './logs_protobuf.js';
import { MetricMapper } from './metrics.js';
import { SpanMapper } from './traces.js';
import type { OtlpHttpExporterConfig } from './config.js';

const gzip = promisify(gzipCb);

export type OtlpSignal = 'logs' | 'metrics' | 'traces';
type Encoding = OtlpHttpExporterConfig['encoding'];

/** How a queued body was made, so a disk queue replayed under another config still sends right. */
function requestKey(signal: OtlpSignal, encoding: Encoding): string {
  return `${signal};${encoding}`;
}
function parseKey(key: string): { signal: OtlpSignal; encoding: Encoding } {
  const [signal, encoding] = key.split(';') as [OtlpSignal, Encoding];
  return { signal, encoding };
}

/** The signal path of OTLP/HTTP, appended to `endpoint` (whose own path is kept). */
export function signalUrl(cfg: OtlpHttpExporterConfig, signal: OtlpSignal): URL {
  const override = signal === 'logs' ? cfg.logs_endpoint : signal === 'metrics' ? cfg.metrics_endpoint : cfg.traces_endpoint;
  if (override) return new URL(override);
  const base = new URL(cfg.endpoint);
  base.pathname = base.pathname.replace(/\/+$/, '') + `/v1/${signal}`;
  return base;
}

const MAX_RESPONSE = 64 * 1024;

export class OtlpHttpExporter implements Exporter<PipelineItem> {
  private readonly cfg: OtlpHttpExporterConfig;
  private readonly helper: ExporterHelper<PipelineItem>;
  private readonly logs: LogMapper;
  private readonly metrics: MetricMapper;
  private readonly spans: SpanMapper;
  private readonly urls: Record<OtlpSignal, URL>;
  private agent: HttpAgent | HttpsAgent | undefined;

  constructor(settings: Omit<CreateSettings<OtlpHttpExporterConfig>, 'next'>, internals: Partial<HelperInternals> = {}) {
    const cfg = settings.config;
    this.cfg = cfg;
    const resources = new Resources({ 'service.name': 'mailsight', 'host.name': hostname() }, cfg.resource.attributes);
    this.logs = new LogMapper(resources, new AddressPolicy(cfg.addresses));
    this.metrics = new MetricMapper(resources, cfg.metrics.temporality);
    this.spans = new SpanMapper(resources);
    this.urls = { logs: signalUrl(cfg, 'logs'), metrics: signalUrl(cfg, 'metrics'), traces: signalUrl(cfg, 'traces') };
    this.helper = new ExporterHelper<PipelineItem>(
      {
        id: settings.id,
        config: cfg,
        logger: settings.logger,
        telemetry: settings.telemetry,
        encode: (items) => this.encode(items),
        send: (req, signal) => this.send(req, signal),
      },
      internals,
    );
  }

  async start(host: Host): Promise<void> {
    const t = this.cfg.tls;
    const https = Object.values(this.urls).some((u) => u.protocol === 'https:');
    if (https) {
      if ((t.cert_file === undefined) !== (t.key_file === undefined)) throw new Error('otlphttp: tls.cert_file and tls.key_file go together');
      this.agent = new HttpsAgent({
        keepAlive: true,
        rejectUnauthorized: !t.insecure_skip_verify,
        ca: t.ca_file ? await readFile(t.ca_file) : undefined,
        cert: t.cert_file ? await readFile(t.cert_file) : undefined,
        key: t.key_file ? await readFile(t.key_file) : undefined,
        servername: t.server_name,
      });
    } else {
      this.agent = new HttpAgent({ keepAlive: true });
    }
    await this.helper.start(host);
  }

  consume(batch: Batch<PipelineItem>): Promise<void> {
    return this.helper.consume(batch);
  }

  async shutdown(): Promise<void> {
    await this.helper.shutdown();
    this.agent?.destroy();
  }

  /** Split by signal, map, serialise. Synchronous so that pipeline order is kept. */
  encode(items: PipelineItem[]): QueuedRequest[] {
    const logItems: LogItem[] = [];
    const metricItems: MetricItem[] = [];
    const spanItems: SpanItem[] = [];
    for (const it of items) {
      if (it.kind === 'metric') metricItems.push(it);
      else if (it.kind === 'span') spanItems.push(it);
      // The correlation state's queue summary is for mail_metrics, which turns it into gauges.
      else if (it.kind === 'queue_state') continue;
      else logItems.push(it);
    }
    const { encoding } = this.cfg;
    const json = encoding === 'json';
    const out: QueuedRequest[] = [];
    const push = (signal: OtlpSignal, items: number, body: Uint8Array | undefined) => {
      if (!body) throw new Error(`otlphttp: the OTLP serializer could not encode ${items} ${signal} items`);
      out.push({ key: requestKey(signal, encoding), items, body });
    };
    if (logItems.length) {
      const records = this.logs.map(logItems);
      if (records.length) push('logs', records.length, json ? JsonLogsSerializer.serializeRequest(records) : serializeLogsProtobuf(records));
    }
    if (metricItems.length) {
      for (const g of this.metrics.map(metricItems)) push('metrics', g.items, (json ? JsonMetricsSerializer : ProtobufMetricsSerializer).serializeRequest(g.resourceMetrics));
    }
    if (spanItems.length) {
      const spans = this.spans.map(spanItems);
      if (spans.length) push('traces', spans.length, (json ? JsonTraceSerializer : ProtobufTraceSerializer).serializeRequest(spans));
    }
    return out;
  }

  async send(req: QueuedRequest, signal: AbortSignal): Promise<SendResult | void> {
    const { signal: sig, encoding } = parseKey(req.key);
    const compression = this.cfg.compression; // queued bodies are stored uncompressed
    const url = this.urls[sig];
    if (!url) throw new PermanentError(`otlphttp: unknown queued request kind "${req.key}"`);
    const body = compression === 'gzip' ? await gzip(req.body) : req.body;
    const headers: Record<string, string> = {
      ...this.cfg.headers,
      'Content-Type': encoding === 'json' ? 'application/json' : 'application/x-protobuf',
      'Content-Length': String(body.length),
      'User-Agent': 'mailsight-otlphttp',
    };
    if (compression === 'gzip') headers['Content-Encoding'] = 'gzip';
    const res = await post(url, headers, body, this.agent, signal);
    if (res.status >= 200 && res.status < 300) return partialSuccess(sig, encoding, res.body);
    const detail = /json|text/.test(res.contentType) ? res.body.subarray(0, 300).toString('utf8').replace(/\s+/g, ' ').trim() : '';
    throw httpStatusError(res.status, res.retryAfter, detail);
  }
}

interface Response {
  status: number;
  contentType: string;
  retryAfter: string | undefined;
  body: Buffer;
}

function post(url: URL, headers: Record<string, string>, body: Uint8Array, agent: HttpAgent | HttpsAgent | undefined, signal: AbortSignal): Promise<Response> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<Response>((resolve, reject) => {
    const req = request(url, { method: 'POST', headers, agent, signal }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_RESPONSE) chunks.push(c);
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          retryAfter: res.headers['retry-after'],
          body: Buffer.concat(chunks),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** OTLP partial success: the backend took the request but rejected some of it (not retryable). */
function partialSuccess(signal: OtlpSignal, encoding: Encoding, body: Buffer): SendResult | void {
  if (body.length === 0) return;
  try {
    const json = encoding === 'json';
    let rejected: number | string | undefined;
    let message: string | undefined;
    if (signal === 'logs') {
      const r = (json ? JsonLogsSerializer : ProtobufLogsSerializer).deserializeResponse(body).partialSuccess;
      rejected = r?.rejectedLogRecords;
      message = r?.errorMessage;
    } else if (signal === 'metrics') {
      const r = (json ? JsonMetricsSerializer : ProtobufMetricsSerializer).deserializeResponse(body).partialSuccess;
      rejected = r?.rejectedDataPoints;
      message = r?.errorMessage;
    } else {
      const r = (json ? JsonTraceSerializer : ProtobufTraceSerializer).deserializeResponse(body).partialSuccess;
      rejected = r?.rejectedSpans;
      message = r?.errorMessage;
    }
    const n = Number(rejected ?? 0);
    if (n > 0) return { rejected: n, message };
  } catch {
    // A 2xx with a body we cannot read is still a success.
  }
}
