// Test helpers shared by the unit and integration tests of the syslog receiver: a throw-away
// PKI made with the real openssl command (a CA, a server certificate for 127.0.0.1/localhost,
// and a client certificate), and a check that a command exists.
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A second CA that signed nothing we trust (for "wrong CA" tests). */
  otherCaCert: string;
  otherClientCert: string;
  otherClientKey: string;
}

/** Whether `cmd` can be run (found on PATH). */
export function hasCommand(cmd: string): boolean {
  const r = spawnSync('sh', ['-c', `command -v "$1"`, 'sh', cmd], { stdio: 'ignore' });
  return r.status === 0;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function ca(dir: string, name: string): void {
  openssl(dir, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '3',
    '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.pem`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

function leaf(dir: string, issuer: string, name: string, cn: string, ext: string): void {
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(dir, [
    'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`,
  ]);
  openssl(dir, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-CAcreateserial',
    '-days', '3', '-out', `${name}.pem`, '-extfile', `${name}.ext`,
  ]);
}

/** Make the PKI in `dir` (needs the openssl command). */
export function makeTestPki(dir: string): TestPki {
  ca(dir, 'ca');
  ca(dir, 'otherca');
  const usage = 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n';
  leaf(dir, 'ca', 'server', 'localhost', usage + 'extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n');
  leaf(dir, 'ca', 'client', 'mx1.lab.test', usage + 'extendedKeyUsage=clientAuth\nsubjectAltName=DNS:mx1.lab.test\n');
  leaf(dir, 'otherca', 'otherclient', 'intruder.test', usage + 'extendedKeyUsage=clientAuth\n');
  const p = (f: string) => join(dir, f);
  return {
    dir,
    caCert: p('ca.pem'),
    serverCert: p('server.pem'),
    serverKey: p('server.key'),
    clientCert: p('client.pem'),
    clientKey: p('client.key'),
    otherCaCert: p('otherca.pem'),
    otherClientCert: p('otherclient.pem'),
    otherClientKey: p('otherclient.key'),
  };
}
