// Avro form of MailEvent (schemas/mail_event.avsc), used by the Kafka exporter/receiver and
// SIEM exports (DESIGN §3). In memory an optional field is absent; in Avro it is null. Time is
// Unix milliseconds in memory and timestamp-micros (long) in Avro.
//
// Unions are unwrapped: avsc's default (wrapUnions 'auto') picks unwrapped unions because every
// union in the schema has branches of distinct JS kinds (null / string / number / object), so
// attrs values travel as plain strings or numbers and only absent -> null needs converting.
// The wire format is standard Avro either way.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import avsc from 'avsc';
import type { Schema, Type } from 'avsc';
import type { AuthResult, Delays, MailEvent, TlsInfo } from './mail_event.js';

/** Optional properties become required and nullable, as in the Avro record. */
type Nulled<T> = { [K in keyof T]-?: undefined extends T[K] ? Exclude<T[K], undefined> | null : T[K] };

/** A MailEvent as the Avro type reads and writes it. */
export type AvroMailEvent = Omit<Nulled<MailEvent>, 'tls' | 'auth' | 'delays'> & {
  delays: Delays | null;
  tls: Nulled<TlsInfo> | null;
  auth: Nulled<AuthResult> | null;
};

// Compile-time lists of every property: adding a field to the model without adding it here is
// a type error, and a mismatch with the .avsc file fails at load (see checkFields).
const EVENT_KEYS = {
  kind: true,
  time: true,
  host: true,
  mta: true,
  program: true,
  pid: true,
  queue_id: true,
  event: true,
  severity: true,
  client_host: true,
  client_ip: true,
  client_port: true,
  helo: true,
  proto: true,
  commands: true,
  message_id: true,
  sender: true,
  sender_domain: true,
  size: true,
  nrcpt: true,
  recipient: true,
  orig_recipient: true,
  recipient_domain: true,
  relay: true,
  relay_host: true,
  relay_ip: true,
  relay_port: true,
  conn_use: true,
  delay: true,
  delays: true,
  dsn: true,
  status: true,
  status_class: true,
  reply: true,
  reply_code: true,
  smtp_command: true,
  queued_as: true,
  notice_queue_id: true,
  notice_type: true,
  bounce_class: true,
  provider: true,
  sending_ip: true,
  reason: true,
  action: true,
  tls: true,
  auth: true,
  attrs: true,
  raw: true,
} as const satisfies Record<keyof MailEvent, true>;

const TLS_KEYS = {
  direction: true,
  protocol: true,
  cipher: true,
  bits: true,
  trust: true,
  peer_host: true,
  peer_ip: true,
} as const satisfies Record<keyof TlsInfo, true>;

const AUTH_KEYS = {
  mechanism: true,
  result: true,
  domain: true,
  selector: true,
  method: true,
  policy: true,
  username: true,
  reason: true,
} as const satisfies Record<keyof AuthResult, true>;

const DELAY_KEYS = {
  before_qmgr: true,
  in_qmgr: true,
  conn_setup: true,
  transmission: true,
} as const satisfies Record<keyof Delays, true>;

/** The package root: the nearest ancestor with a package.json named "mailsight". */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown };
      if (pkg.name === 'mailsight') return dir;
    } catch {
      // no (readable) package.json here: keep walking up
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('avro: cannot find the mailsight package root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

interface RecordSchemaJson {
  type: 'record';
  name: string;
  fields: { name: string; type: unknown }[];
}

/** schemas/mail_event.avsc as parsed JSON. */
export const mailEventSchema = JSON.parse(
  readFileSync(join(packageRoot(), 'schemas', 'mail_event.avsc'), 'utf8'),
) as RecordSchemaJson;

/** The avsc Type of MailEvent. */
export const mailEventType: Type = avsc.Type.forSchema(mailEventSchema as unknown as Schema);

function nestedRecord(field: string): RecordSchemaJson {
  const f = mailEventSchema.fields.find((x) => x.name === field);
  const branch = Array.isArray(f?.type) ? (f.type as unknown[]).find((t) => typeof t === 'object' && t !== null) : undefined;
  if (!branch) throw new Error(`avro: field ${field} is not a nullable record in mail_event.avsc`);
  return branch as RecordSchemaJson;
}

function checkFields(what: string, schema: RecordSchemaJson, keys: Record<string, true>): string[] {
  const names = schema.fields.map((f) => f.name);
  const missing = Object.keys(keys).filter((k) => !names.includes(k));
  const extra = names.filter((n) => !(n in keys));
  if (missing.length || extra.length) {
    throw new Error(`avro: ${what} schema and model differ: missing [${missing.join(', ')}], extra [${extra.join(', ')}]`);
  }
  return names;
}

const FIELDS = checkFields('MailEvent', mailEventSchema, EVENT_KEYS) as (keyof MailEvent)[];
const TLS_FIELDS = checkFields('TlsInfo', nestedRecord('tls'), TLS_KEYS) as (keyof TlsInfo)[];
const AUTH_FIELDS = checkFields('AuthResult', nestedRecord('auth'), AUTH_KEYS) as (keyof AuthResult)[];
checkFields('Delays', nestedRecord('delays'), DELAY_KEYS);

function toNulls<T extends object>(src: T, fields: readonly (keyof T)[]): Nulled<T> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = src[f];
    out[f as string] = v === undefined ? null : v;
  }
  return out as Nulled<T>;
}

function fromNulls<T extends object>(src: Nulled<T>, fields: readonly (keyof T)[]): T {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = (src as Record<keyof T, unknown>)[f];
    if (v !== null && v !== undefined) out[f as string] = v;
  }
  return out as T;
}

function copyDelays(d: Delays): Delays {
  return { before_qmgr: d.before_qmgr, in_qmgr: d.in_qmgr, conn_setup: d.conn_setup, transmission: d.transmission };
}

/** In-memory MailEvent -> the object mailEventType encodes. */
export function toAvroMailEvent(ev: MailEvent): AvroMailEvent {
  const out = toNulls(ev, FIELDS) as unknown as AvroMailEvent;
  // Microsecond precision is what the model promises ("fractional part keeps microseconds").
  out.time = Math.round(ev.time * 1000);
  out.delays = ev.delays ? copyDelays(ev.delays) : null;
  out.tls = ev.tls ? toNulls(ev.tls, TLS_FIELDS) : null;
  out.auth = ev.auth ? toNulls(ev.auth, AUTH_FIELDS) : null;
  return out;
}

/** An object decoded by mailEventType -> in-memory MailEvent (plain objects, absent optionals). */
export function fromAvroMailEvent(obj: AvroMailEvent): MailEvent {
  const ev = fromNulls<MailEvent>(obj as unknown as Nulled<MailEvent>, FIELDS);
  ev.time = obj.time / 1000;
  if (obj.delays) ev.delays = copyDelays(obj.delays);
  if (obj.tls) ev.tls = fromNulls<TlsInfo>(obj.tls, TLS_FIELDS);
  if (obj.auth) ev.auth = fromNulls<AuthResult>(obj.auth, AUTH_FIELDS);
  // avsc decodes maps into plain objects already; copy so callers own them.
  if (obj.commands) ev.commands = { ...obj.commands };
  if (obj.attrs) ev.attrs = { ...obj.attrs };
  return ev;
}

/** Avro binary encoding of one event (no container header; for Kafka values). */
export function encodeMailEvent(ev: MailEvent): Buffer {
  return mailEventType.toBuffer(toAvroMailEvent(ev));
}

/** Inverse of encodeMailEvent. */
export function decodeMailEvent(buf: Buffer): MailEvent {
  return fromAvroMailEvent(mailEventType.fromBuffer(buf) as AvroMailEvent);
}
