// Prerequisites of the integration tests that need real daemons: in CI (CI set) a missing one
// is a failure; on a laptop the tests are skipped with a loud notice saying what to install.
import { existsSync, readdirSync } from 'node:fs';
import { hasCommand } from '../../../src/receivers/syslog/testing.js';

/** undefined when everything is there; otherwise what is missing. */
export function missing(commands: string[], files: (() => boolean)[] = []): string | undefined {
  const m = commands.filter((c) => !hasCommand(c));
  if (m.length || files.some((f) => !f())) return m.length ? m.join(', ') : 'required files';
  return undefined;
}

/** The rsyslog GnuTLS network stream driver (package rsyslog-gnutls). */
export function hasRsyslogGtls(): boolean {
  for (const d of ['/usr/lib/x86_64-linux-gnu/rsyslog', '/usr/lib/aarch64-linux-gnu/rsyslog', '/usr/lib/rsyslog', '/usr/lib64/rsyslog']) {
    if (existsSync(d) && readdirSync(d).includes('lmnsd_gtls.so')) return true;
  }
  return false;
}

/**
 * Gate for a test file: returns a skip reason (laptop) or throws (CI) when something is missing.
 */
export function gate(what: string, miss: string | undefined, setup: string): string | undefined {
  if (miss === undefined) return undefined;
  const msg = `${what}: missing ${miss}; run (as root) bash ${setup}`;
  if (process.env.CI) throw new Error(msg);
  console.warn(`\n*** SKIPPING ${msg} ***\n`);
  return msg;
}
