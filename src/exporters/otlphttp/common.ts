// Pieces shared by the log, metric and span mappings: time conversion, resources, scope,
// address pseudonymisation.
import { createHash } from 'node:crypto';
import type { HrTime } from '@opentelemetry/api';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { InstrumentationScope } from '@opentelemetry/core';

/**
 * Unix ms (fractional part = sub-millisecond) to OTel's [seconds, nanoseconds]. Rounded to
 * whole microseconds first: a double near 1.7e12 ms cannot hold nanoseconds exactly, and
 * MTA logs carry at most microseconds.
 */
export function msToHrTime(ms: number): HrTime {
  const us = Math.round(ms * 1000);
  const s = Math.floor(us / 1e6);
  return [s, (us - s * 1e6) * 1000];
}

/** Inverse of msToHrTime, for tests and comparisons. */
export function nanosToMs(nanos: string | number | bigint): number {
  const n = BigInt(nanos);
  return Number(n / 1000n) / 1000;
}

export const SCOPE: InstrumentationScope = { name: 'mailsight' };

/**
 * Resources by attribute set. The OTLP transformer groups records by Resource object
 * identity, so equal attribute sets must map to the same object.
 */
export class Resources {
  private readonly cache = new Map<string, Resource>();

  constructor(
    /** service.name, host.name defaults: an item's own resource overrides them. */
    private readonly defaults: Record<string, string>,
    /** Configured attributes: they override the item's. */
    private readonly configured: Record<string, string>,
  ) {}

  get(itemResource?: Record<string, string>): Resource {
    const attrs = itemResource ? { ...this.defaults, ...itemResource, ...this.configured } : { ...this.defaults, ...this.configured };
    const key = JSON.stringify(Object.entries(attrs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    let r = this.cache.get(key);
    if (!r) {
      if (this.cache.size > 1000) this.cache.clear(); // bounded: producers use a handful
      r = resourceFromAttributes(attrs);
      this.cache.set(key, r);
    }
    return r;
  }
}

/** How addresses leave the process (DESIGN §3: personal data). */
export class AddressPolicy {
  private readonly memo = new Map<string, string>();

  constructor(readonly mode: 'hash_local_part' | 'keep') {}

  /** `local@domain` -> `<16 hex of sha256(local)>@domain`; '' and `<>` stay as they are. */
  address(addr: string): string {
    if (this.mode === 'keep' || addr === '' || addr === '<>') return addr;
    let out = this.memo.get(addr);
    if (out === undefined) {
      const at = addr.lastIndexOf('@');
      const local = at < 0 ? addr : addr.slice(0, at);
      out = createHash('sha256').update(local).digest('hex').slice(0, 16) + (at < 0 ? '' : addr.slice(at));
      if (this.memo.size > 100_000) this.memo.clear();
      this.memo.set(addr, out);
    }
    return out;
  }

  /** Addresses inside free text (remote replies, raw lines). */
  text(s: string): string {
    if (this.mode === 'keep' || s.indexOf('@') < 0) return s;
    return s.replace(ADDRESS_IN_TEXT, (m) => this.address(m));
  }
}

const ADDRESS_IN_TEXT = /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;
