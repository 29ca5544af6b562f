// The component contract. A component knows its own config and the Consumer it feeds; it
// never knows the graph. Factories are registered in src/components.ts.
import type { TSchema, Static } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { Ack } from './ack.js';
import type { Signal } from '../model/items.js';
import type { ComponentTelemetry, SelfTelemetry } from '../telemetry/component_telemetry.js';

export type ComponentKind = 'receiver' | 'processor' | 'exporter' | 'connector';
export type Stability = 'development' | 'alpha' | 'beta' | 'stable';

/** A batch moving between stages, with the acks of everything it carries. */
export interface Batch<T> {
  items: T[];
  acks: Ack[];
}

/**
 * Anything that accepts batches. `consume` takes ownership of the batch's acks (it must
 * eventually release or fail each one, or hand them on) and resolves when the batch has been
 * accepted, which is how back-pressure reaches the source. It rejects with RefusedError when
 * the batch is refused (memory limit); the acks are then released by the refuser.
 */
export interface Consumer<T> {
  consume(batch: Batch<T>): Promise<void>;
}

export class RefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedError';
  }
}

/** Process-wide facilities a component may use. */
export interface Host {
  /** Directory for persistent state (checkpoints, disk queues, snapshots). */
  dataDir: string;
  /** Report a fatal asynchronous error; the service logs it and shuts down. */
  reportFatal(err: Error): void;
  /** mailsight's own metrics (the `self_metrics` receiver ships them through pipelines). */
  selfTelemetry?: SelfTelemetry;
}

export interface Component {
  start(host: Host): Promise<void>;
  /** Stop. Receivers stop producing; processors and exporters flush what they hold. */
  shutdown(): Promise<void>;
  /**
   * Every input of the service is finite and has been read to its end (a one-shot run, e.g.
   * a log piped into stdin): what arrives from now on is the last of it, so a component that
   * holds data for a timer (a flush interval) writes it as it comes instead. Optional; called
   * once, before the service stops.
   */
  inputEnded?(): void;
}

/**
 * A finite receiver (stdin, a test input): `ended` resolves once it has read its input to the
 * end and handed all of it on, `done` once all of that is also delivered.
 */
export interface Receiver extends Component {
  readonly done?: Promise<void>;
  readonly ended?: Promise<void>;
}

export interface Processor<I = unknown, O = unknown> extends Component, Consumer<I> {
  /** Marker so the type parameter O is part of the shape. */
  readonly outputs?: O;
}

export type Exporter<T = unknown> = Component & Consumer<T>;

export interface CreateSettings<C, N = unknown> {
  /** Component id as written in the config: `type` or `type/name`. */
  id: string;
  config: C;
  signal: Signal;
  logger: Logger;
  telemetry: ComponentTelemetry;
  /** Where a receiver or processor sends what it produces. Absent for exporters. */
  next: Consumer<N>;
}

interface FactoryBase<S extends TSchema> {
  type: string;
  stability: Stability;
  /** One line for `mailsight components` and the docs. */
  description: string;
  signals: Signal[];
  /** The single source of validation, defaults, docs and JSON Schema for this component. */
  configSchema: S;
}

export interface ReceiverFactory<S extends TSchema = TSchema> extends FactoryBase<S> {
  kind: 'receiver';
  create(settings: CreateSettings<Static<S>>): Receiver;
}

export interface ProcessorFactory<S extends TSchema = TSchema> extends FactoryBase<S> {
  kind: 'processor';
  create(settings: CreateSettings<Static<S>>): Processor;
}

export interface ExporterFactory<S extends TSchema = TSchema> extends FactoryBase<S> {
  kind: 'exporter';
  create(settings: Omit<CreateSettings<Static<S>>, 'next'>): Exporter;
}

/**
 * A connector is an exporter in one pipeline and a receiver in another (OTel's model):
 * `consume` takes the input side, `next` (the fan-out to every pipeline that lists it as a
 * receiver) takes what it produces.
 */
export interface ConnectorFactory<S extends TSchema = TSchema> extends FactoryBase<S> {
  kind: 'connector';
  /** Signals it accepts as an exporter and produces as a receiver. */
  from: Signal[];
  to: Signal[];
  create(settings: CreateSettings<Static<S>>): Processor;
}

export type AnyFactory = ReceiverFactory | ProcessorFactory | ExporterFactory | ConnectorFactory;

/** Splits `type/name` into its parts. */
export function componentType(id: string): string {
  const slash = id.indexOf('/');
  return slash < 0 ? id : id.slice(0, slash);
}

/** Typed constructors: keep the config type of `create` tied to the schema. */
export const defineReceiver = <S extends TSchema>(f: ReceiverFactory<S>): ReceiverFactory<S> => f;
export const defineProcessor = <S extends TSchema>(f: ProcessorFactory<S>): ProcessorFactory<S> => f;
export const defineExporter = <S extends TSchema>(f: ExporterFactory<S>): ExporterFactory<S> => f;
export const defineConnector = <S extends TSchema>(f: ConnectorFactory<S>): ConnectorFactory<S> => f;
