// Every component mailsight ships, registered once. `mailsight components`, validation and
// the JSON Schema all read this list.
import type { AnyFactory } from './pipeline/component.js';
import { Registry } from './pipeline/registry.js';
import { filelogReceiverFactory } from './receivers/filelog/factory.js';
import { stdinReceiverFactory } from './receivers/stdin/factory.js';
import { selfMetricsFactory } from './receivers/self_metrics/factory.js';
import { syslogReceiverFactory } from './receivers/syslog/factory.js';
import { postfixQueueReceiverFactory } from './receivers/postfix_queue/factory.js';
import { mtaParseFactory } from './processors/mta_parse/factory.js';
import { correlateFactory } from './processors/correlate/factory.js';
import { forwardFactory } from './connectors/forward/factory.js';
import { mailMetricsFactory } from './connectors/mail_metrics/factory.js';
import { mailTracesFactory } from './connectors/mail_traces/factory.js';
import { debugExporterFactory } from './exporters/debug/factory.js';
import { fileExporterFactory } from './exporters/file/factory.js';
import { otlpHttpExporterFactory } from './exporters/otlphttp/factory.js';
import { prometheusExporterFactory } from './exporters/prometheus/factory.js';

export const factories: AnyFactory[] = [
  filelogReceiverFactory,
  stdinReceiverFactory,
  syslogReceiverFactory,
  selfMetricsFactory,
  postfixQueueReceiverFactory,
  mtaParseFactory,
  correlateFactory,
  forwardFactory,
  mailMetricsFactory,
  mailTracesFactory,
  debugExporterFactory,
  fileExporterFactory,
  otlpHttpExporterFactory,
  prometheusExporterFactory,
];

export const registry = new Registry(factories);
