// Kernel counters of one UDP socket, from /proc/net/udp and /proc/net/udp6 (Linux). The
// `drops` column counts datagrams the kernel discarded for this socket (receive buffer full),
// which nothing in user space can otherwise see. Elsewhere (no /proc) the reader returns
// undefined and the receiver simply has no kernel drop counter.
import { readFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { endianness } from 'node:os';

export interface UdpSocketStats {
  /** Bytes waiting in the receive queue. */
  rxQueue: number;
  /** Datagrams dropped by the kernel since the socket was created. */
  drops: number;
}

/** The /proc/net/udp{,6} `local_address` column for an address and port. */
export function procLocalAddress(address: string, port: number): string {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  if (isIPv4(address)) {
    return `${word(address.split('.').map(Number))}:${hexPort}`;
  }
  // IPv6: four 32-bit words, each in host order.
  const words = expandIPv6(address);
  let hex = '';
  for (let w = 0; w < 4; w++) {
    const hi = words[w * 2];
    const lo = words[w * 2 + 1];
    hex += word([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  }
  return `${hex}:${hexPort}`;
}

/** Four network-order bytes printed as the kernel prints a 32-bit word in host order. */
function word(b: number[]): string {
  const v = endianness() === 'LE' ? ((b[3] << 24) | (b[2] << 16) | (b[1] << 8) | b[0]) >>> 0 : ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  return v.toString(16).toUpperCase().padStart(8, '0');
}

function expandIPv6(a: string): number[] {
  const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((x) => parseInt(x, 16) || 0);
}

/** Parse /proc/net/udp text; the row whose local address is `local`, or undefined. */
export function parseProcNetUdp(text: string, local: string): UdpSocketStats | undefined {
  let found: UdpSocketStats | undefined;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ref pointer drops
    if (f.length < 13 || f[1] !== local) continue;
    const rx = parseInt(f[4].split(':')[1] ?? '0', 16);
    const drops = Number(f[12]);
    // Several rows can only be SO_REUSEPORT siblings: add them up.
    found = { rxQueue: (found?.rxQueue ?? 0) + rx, drops: (found?.drops ?? 0) + (Number.isFinite(drops) ? drops : 0) };
  }
  return found;
}

/** Current counters of the UDP socket bound to address:port, or undefined if they cannot be read. */
export async function readUdpStats(address: string, port: number): Promise<UdpSocketStats | undefined> {
  const file = isIPv4(address) ? '/proc/net/udp' : '/proc/net/udp6';
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  return parseProcNetUdp(text, procLocalAddress(address, port));
}
