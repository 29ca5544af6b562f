// The graph builder: turns validated pipelines into wired component instances.
//
//   receiver ─┬─> [queue] processor ─> [queue] processor ─┬─> [queue] exporter
//             └─> (another pipeline)                      └─> [queue] connector ─> (pipelines)
//
// Receivers, exporters and connectors are shared by every pipeline that names them (fan-in,
// fan-out); processors are instantiated per pipeline. Components only see the Consumer they
// feed. Nodes are kept in topological order: start runs it backwards (exporters first,
// receivers last), shutdown forwards (receivers stop, then each queue drains in turn).
import type { Logger } from 'pino';
import { failAll, releaseAll } from './ack.js';
import { BatchQueue } from './batch_queue.js';
import {
  componentType,
  RefusedError,
  type AnyFactory,
  type Batch,
  type Component,
  type ComponentKind,
  type Consumer,
  type Host,
  type Receiver,
} from './component.js';
import type { Registry } from './registry.js';
import type { MailsightConfig } from '../config/loader.js';
import { durationMs } from '../config/types.js';
import type { Signal } from '../model/items.js';
import type { ComponentTelemetry, SelfTelemetry } from '../telemetry/component_telemetry.js';
import type { MemoryGuard } from './memory_guard.js';

export type NodeStatus = 'created' | 'starting' | 'up' | 'stopping' | 'stopped' | 'failed';

export interface GraphNode {
  key: string;
  kind: ComponentKind;
  id: string;
  pipeline?: string;
  component: Component;
  queue?: BatchQueue<unknown>;
  status: NodeStatus;
  /** Keys of the nodes this one feeds. */
  feeds: string[];
}

interface QueueConfig {
  size: number;
  batch_size: number;
  batch_timeout: string;
  when_full: 'block' | 'drop_newest';
}

/** Passes a batch to several consumers; each gets its own share of the acks. */
export class Fanout<T> implements Consumer<T> {
  constructor(readonly targets: Consumer<T>[] = []) {}

  consume(batch: Batch<T>): Promise<void> {
    const n = this.targets.length;
    if (n === 0) {
      releaseAll(batch.acks);
      return Promise.resolve();
    }
    if (n === 1) return this.targets[0].consume(batch);
    for (const a of batch.acks) a.retain(n - 1);
    // Items are shared, not copied: processors that change items in place copy first.
    return Promise.all(this.targets.map((t) => t.consume({ items: batch.items, acks: batch.acks.slice() }))).then(() => undefined);
  }
}

/** Counts what a component hands on. */
class Counting<T> implements Consumer<T> {
  constructor(
    private readonly next: Consumer<T>,
    private readonly telemetry: ComponentTelemetry,
  ) {}

  consume(batch: Batch<T>): Promise<void> {
    this.telemetry.emitted(batch.items.length);
    return this.next.consume(batch);
  }
}

/** The memory guard at the entrance of every pipeline: refuse or drop above the limit. */
class Guarded<T> implements Consumer<T> {
  constructor(
    private readonly next: Consumer<T>,
    private readonly guard: MemoryGuard,
    private readonly telemetry: ComponentTelemetry,
  ) {}

  consume(batch: Batch<T>): Promise<void> {
    if (this.guard.exceeded) {
      const n = batch.items.length;
      if (this.guard.whenExceeded === 'drop') {
        this.telemetry.dropped(n);
        releaseAll(batch.acks);
        return Promise.resolve();
      }
      this.telemetry.refused(n);
      const err = new RefusedError(`memory limit of ${this.guard.limitMib} MiB exceeded; retry later`);
      failAll(batch.acks, err);
      return Promise.reject(err);
    }
    this.telemetry.emitted(batch.items.length);
    return this.next.consume(batch);
  }
}

export interface BuildOptions {
  config: MailsightConfig;
  registry: Registry;
  telemetry: SelfTelemetry;
  logger: Logger;
  guard: MemoryGuard;
}

export class Graph {
  readonly nodes: GraphNode[];

  constructor(nodes: GraphNode[]) {
    this.nodes = topoSort(nodes);
  }

  receivers(): GraphNode[] {
    return this.nodes.filter((n) => n.kind === 'receiver');
  }

  /** Start exporters first and receivers last, so nothing is emitted into a stopped stage. */
  async start(host: Host): Promise<void> {
    for (const node of [...this.nodes].reverse()) {
      node.status = 'starting';
      try {
        await node.component.start(host);
        node.status = 'up';
      } catch (err) {
        node.status = 'failed';
        throw new Error(`${node.kind} "${node.id}" failed to start: ${(err as Error).message}`, { cause: err });
      }
    }
  }

  /** Stop receivers, then drain every queue and stop each stage in flow order. */
  async shutdown(log: Logger): Promise<void> {
    const receivers = this.nodes.filter((n) => n.kind === 'receiver');
    await Promise.all(receivers.map((n) => this.stopNode(n, log)));
    for (const node of this.nodes) {
      if (node.kind === 'receiver') continue;
      await this.stopNode(node, log);
    }
  }

  private async stopNode(node: GraphNode, log: Logger): Promise<void> {
    if (node.status === 'stopped') return;
    node.status = 'stopping';
    try {
      if (node.queue) await node.queue.drain();
      await node.component.shutdown();
      node.status = 'stopped';
    } catch (err) {
      node.status = 'failed';
      log.error({ err, component: node.id, kind: node.kind }, 'shutdown failed');
    }
  }

  /** Finite receivers (stdin, test input) resolve this when all of them reached their end. */
  finiteInputDone(): Promise<void> | undefined {
    const receivers = this.finiteReceivers();
    return receivers && Promise.all(receivers.map((r) => r.done)).then(() => undefined);
  }

  /** Every receiver, when all of them are finite (have `done`); else undefined. */
  private finiteReceivers(): Receiver[] | undefined {
    const receivers = this.receivers().map((n) => n.component as Receiver);
    return receivers.length > 0 && receivers.every((r) => r.done !== undefined) ? receivers : undefined;
  }

  /**
   * With only finite receivers: once every one has handed on its whole input, tell every
   * component (Component.inputEnded), so that the last data is not held for a timer while the
   * receivers wait for it to be delivered. Resolves then; undefined when an input is endless.
   */
  whenInputEnded(): Promise<void> | undefined {
    const receivers = this.finiteReceivers();
    if (receivers === undefined) return undefined;
    return Promise.all(receivers.map((r) => r.ended ?? r.done)).then(() => {
      for (const n of this.nodes) if (n.status === 'up') n.component.inputEnded?.();
    });
  }
}

export function buildGraph(opts: BuildOptions): Graph {
  const { config, registry, telemetry, logger, guard } = opts;
  const pipelines = config.service.pipelines;
  const nodes = new Map<string, GraphNode>();
  const entries = new Map<string, Consumer<unknown>>(); // node key -> consumer in front of it
  const signalOf = (pid: string) => pid.split('/')[0] as Signal;
  const isConnector = (id: string) => id in config.connectors;

  const factory = (kind: ComponentKind, id: string): AnyFactory => {
    const f = registry.get(kind, componentType(id));
    if (!f) throw new Error(`unknown ${kind} type "${componentType(id)}"`);
    return f;
  };
  const queueFor = (cfg: Record<string, unknown>, target: Consumer<unknown>, tel: ComponentTelemetry, id: string) => {
    const q = cfg.queue as QueueConfig;
    return new BatchQueue<unknown>(
      { size: q.size, batchSize: q.batch_size, batchTimeoutMs: durationMs(q.batch_timeout), whenFull: q.when_full },
      target,
      tel,
      (err) => logger.error({ err, component: id }, 'component failed to consume a batch'),
    );
  };
  const firstPipelineSignal = (id: string, role: 'receivers' | 'exporters'): Signal =>
    signalOf(Object.keys(pipelines).find((pid) => pipelines[pid][role].includes(id)) ?? 'logs');

  // Exporters.
  for (const id of new Set(Object.values(pipelines).flatMap((p) => p.exporters))) {
    if (isConnector(id)) continue;
    const f = factory('exporter', id);
    const cfg = config.exporters[id];
    const tel = telemetry.forComponent('exporter', id);
    if (f.kind !== 'exporter') throw new Error(`"${id}" is not an exporter`);
    const component = f.create({ id, config: cfg, signal: firstPipelineSignal(id, 'exporters'), logger: logger.child({ exporter: id }), telemetry: tel });
    const queue = queueFor(cfg, component, tel, id);
    const key = `exporter:${id}`;
    nodes.set(key, { key, kind: 'exporter', id, component, queue, status: 'created', feeds: [] });
    entries.set(key, queue);
  }

  // Connectors: their output fan-out is filled once pipelines exist.
  const connectorOut = new Map<string, Fanout<unknown>>();
  for (const id of new Set(Object.values(pipelines).flatMap((p) => p.exporters.filter(isConnector)))) {
    const f = factory('connector', id);
    if (f.kind !== 'connector') throw new Error(`"${id}" is not a connector`);
    const cfg = config.connectors[id];
    const tel = telemetry.forComponent('connector', id);
    const out = new Fanout<unknown>();
    connectorOut.set(id, out);
    const component = f.create({ id, config: cfg, signal: firstPipelineSignal(id, 'exporters'), logger: logger.child({ connector: id }), telemetry: tel, next: new Counting(out, tel) });
    const queue = queueFor(cfg, component, tel, id);
    const key = `connector:${id}`;
    nodes.set(key, { key, kind: 'connector', id, component, queue, status: 'created', feeds: [] });
    entries.set(key, queue);
  }

  // Pipelines, built back to front.
  const pipelineEntry = new Map<string, { consumer: Consumer<unknown>; firstKey: string[] }>();
  for (const [pid, p] of Object.entries(pipelines)) {
    const exporterKeys = p.exporters.map((id) => (isConnector(id) ? `connector:${id}` : `exporter:${id}`));
    let tail: Consumer<unknown> = new Fanout(exporterKeys.map((k) => entries.get(k)!));
    let tailKeys = exporterKeys;
    for (let i = p.processors.length - 1; i >= 0; i--) {
      const id = p.processors[i];
      const f = factory('processor', id);
      if (f.kind !== 'processor') throw new Error(`"${id}" is not a processor`);
      const cfg = config.processors[id];
      const tel = telemetry.forComponent('processor', id, pid);
      const component = f.create({ id, config: cfg, signal: signalOf(pid), logger: logger.child({ processor: id, pipeline: pid }), telemetry: tel, next: new Counting(tail, tel) });
      const queue = queueFor(cfg, component, tel, id);
      const key = `processor:${pid}:${id}`;
      nodes.set(key, { key, kind: 'processor', id, pipeline: pid, component, queue, status: 'created', feeds: tailKeys });
      tail = queue;
      tailKeys = [key];
    }
    pipelineEntry.set(pid, { consumer: tail, firstKey: tailKeys });
  }

  const pipelinesFedBy = (id: string) => Object.keys(pipelines).filter((pid) => pipelines[pid].receivers.includes(id));

  for (const [id, out] of connectorOut) {
    const targets = pipelinesFedBy(id).map((pid) => pipelineEntry.get(pid)!);
    out.targets.push(...targets.map((t) => t.consumer));
    nodes.get(`connector:${id}`)!.feeds = targets.flatMap((t) => t.firstKey);
  }

  // Receivers last: they feed every pipeline that lists them, through the memory guard.
  for (const id of new Set(Object.values(pipelines).flatMap((p) => p.receivers))) {
    if (isConnector(id)) continue;
    const f = factory('receiver', id);
    if (f.kind !== 'receiver') throw new Error(`"${id}" is not a receiver`);
    const cfg = config.receivers[id];
    const tel = telemetry.forComponent('receiver', id);
    const targets = pipelinesFedBy(id).map((pid) => pipelineEntry.get(pid)!);
    const next = new Guarded(new Fanout(targets.map((t) => t.consumer)), guard, tel);
    const component = f.create({ id, config: cfg, signal: firstPipelineSignal(id, 'receivers'), logger: logger.child({ receiver: id }), telemetry: tel, next });
    const key = `receiver:${id}`;
    nodes.set(key, { key, kind: 'receiver', id, component, status: 'created', feeds: targets.flatMap((t) => t.firstKey) });
  }

  // Exporters and connectors feed nothing inside this graph's queues except connector outputs.
  return new Graph([...nodes.values()]);
}

function topoSort(nodes: GraphNode[]): GraphNode[] {
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  const seen = new Set<string>();
  const order: GraphNode[] = [];
  const visit = (n: GraphNode) => {
    if (seen.has(n.key)) return;
    seen.add(n.key);
    for (const k of n.feeds) {
      const m = byKey.get(k);
      if (m) visit(m);
    }
    order.push(n);
  };
  // Receivers first so that the post-order reversed puts sources ahead of sinks.
  for (const n of nodes) if (n.kind === 'receiver') visit(n);
  for (const n of nodes) visit(n);
  return order.reverse();
}
