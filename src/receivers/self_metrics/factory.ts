// `self_metrics`: mailsight's own metrics (what /metrics shows: items received, emitted,
// dropped per component, queue depths, process) as a metrics source, so they can go to OTLP
// like the mail metrics (the OTel Collector's own-telemetry pipeline, as a receiver).
import { defineReceiver, type Host, type Receiver } from '../../pipeline/component.js';
import { durationMs } from '../../config/types.js';
import { emit } from '../../pipeline/emit.js';
import type { MetricItem } from '../../model/metrics.js';
import { SelfMetricsConfig } from './config.js';
import { toMetricItems } from './convert.js';

export const selfMetricsFactory = defineReceiver({
  type: 'self_metrics',
  kind: 'receiver',
  stability: 'beta',
  description: "mailsight's own metrics (per-component items, queues, process) as MetricItems for a metrics pipeline.",
  signals: ['metrics'],
  configSchema: SelfMetricsConfig,
  create: ({ config, next, logger, telemetry }): Receiver => {
    let timer: NodeJS.Timeout | undefined;
    let host: Host | undefined;
    const start = Date.now();
    const snapshot = async (): Promise<void> => {
      const self = host?.selfTelemetry;
      if (!self) return;
      try {
        const items: MetricItem[] = toMetricItems(await self.registry.getMetricsAsJSON(), Date.now(), start, config.include_process);
        telemetry.received(items.length);
        if (items.length) await emit(next, items);
      } catch (err) {
        telemetry.error();
        logger.warn({ err }, 'self_metrics: snapshot not emitted');
      }
    };
    return {
      async start(h: Host): Promise<void> {
        host = h;
        if (!h.selfTelemetry) logger.warn('self_metrics: no self-telemetry registry in this process; nothing to emit');
        timer = setInterval(() => void snapshot(), durationMs(config.interval));
        timer.unref();
      },
      async shutdown(): Promise<void> {
        if (timer) clearInterval(timer);
        timer = undefined;
        await snapshot(); // the final figures
      },
    };
  },
});
