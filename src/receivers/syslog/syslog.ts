// The syslog receiver: one UDP, TCP or TLS listener. Messages are framed (framing.ts), their
// headers made readable for mta_parse (message.ts), and emitted as RawLines in batches.
//
// Back-pressure: a TCP/TLS connection is paused while its batch is being emitted (and while a
// refused batch waits to be retried), so a slow pipeline fills the kernel buffers and then the
// sender's queue, never our memory. UDP cannot push back: messages wait in a bounded buffer
// (udp_queue_size) and beyond it are dropped and counted; drops the kernel made because we did
// not read fast enough are read from /proc/net/udp.
import { isAscii } from 'node:buffer';
import { createSocket, type Socket as UdpSocket, type RemoteInfo } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { createServer, isIPv6, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { RefusedError, type Consumer, type CreateSettings, type Host, type Receiver } from '../../pipeline/component.js';
import { emit } from '../../pipeline/emit.js';
import type { LogItem, RawLine } from '../../model/items.js';
import type { ComponentTelemetry } from '../../telemetry/component_telemetry.js';
import { durationMs, splitHostPort } from '../../config/types.js';
import type { SyslogConfig } from './config.js';
import { StreamFramer, type FrameSink } from './framing.js';
import { FACILITIES, HeaderNormaliser, SEVERITIES, decodeFrame, type HeaderFix } from './message.js';
import { readUdpStats } from './udp_stats.js';

/** Tuning knobs that are not user options (tests shrink them). */
export interface SyslogInternals {
  /** Bounded wait for batches in flight at shutdown. */
  shutdownWaitMs: number;
  /** How often the UDP kernel counters are read. */
  statsIntervalMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
}

const DEFAULT_INTERNALS: SyslogInternals = { shutdownWaitMs: 5000, statsIntervalMs: 5000, backoffMinMs: 100, backoffMaxMs: 5000 };

type Transport = 'udp' | 'tcp' | 'tls';
type Sources = (Record<string, string> | undefined)[];

/** `::ffff:10.0.0.1` → `10.0.0.1`: one spelling per sender. */
function peerAddress(a: string | undefined): string {
  if (!a) return 'unknown';
  return a.startsWith('::ffff:') && a.indexOf('.') > 0 ? a.slice(7) : a;
}

/** The frozen `source` of a line: shared by every line of one peer with one PRI. */
function sourceFor(cache: Sources, pri: number, base: Record<string, string>): Record<string, string> {
  let s = cache[pri + 1];
  if (!s) {
    const o: Record<string, string> = { ...base };
    if (pri >= 0) {
      o['syslog.facility'] = FACILITIES[pri >> 3] ?? String(pri >> 3);
      o['syslog.severity'] = SEVERITIES[pri & 7];
    }
    cache[pri + 1] = s = Object.freeze(o) as Record<string, string>;
  }
  return s;
}

/** Lines waiting to be emitted from one source (a connection, or the UDP socket). */
class Pending {
  items: RawLine[] = [];
  timer: NodeJS.Timeout | undefined;
  /** A drain (emit loop) is running. */
  sending: Promise<void> | undefined;
  /** Items taken by the running drain and not yet accepted. */
  inFlight = 0;
}

export class SyslogReceiver implements Receiver {
  private readonly cfg: SyslogConfig;
  private readonly next: Consumer<LogItem>;
  private readonly log: Logger;
  private readonly tel: ComponentTelemetry;
  private readonly internals: SyslogInternals;
  private readonly transport: Transport;
  private readonly batchTimeoutMs: number;
  private readonly norm: HeaderNormaliser;

  private server: Server | undefined;
  private udp: UdpSocket | undefined;
  private statsTimer: NodeJS.Timeout | undefined;
  private readonly conns = new Set<Connection>();
  private readonly perPeer = new Map<string, number>();
  private readonly udpPending = new Pending();
  /** Per UDP peer: its base attributes and its sources by PRI. */
  private readonly udpPeers = new Map<string, { base: Record<string, string>; cache: Sources }>();
  private lastKernelDrops = 0;
  private stopping = false;
  private backoffMs = 0;
  private wake: () => void = () => undefined;
  private readonly stopped = new Promise<void>((res) => (this.wake = res));
  private bound: AddressInfo | undefined;
  /** Shutdown finished: late socket events hand nothing on. */
  private down = false;

  // Component-specific self-metrics.
  readonly counters: {
    truncated: { inc(n?: number): void };
    framingErrors: { inc(n?: number): void };
    framings: { inc(value: string, n?: number): void };
    headerFixes: { inc(value: string, n?: number): void };
    connections: { inc(n?: number): void };
    rejected: { inc(value: string, n?: number): void };
    tlsErrors: { inc(n?: number): void };
    idleClosed: { inc(n?: number): void };
    bytes: { inc(n?: number): void };
    kernelDrops: { inc(n?: number): void };
    open: { set(v: number): void };
    rxQueue: { set(v: number): void };
  };

  constructor(settings: CreateSettings<SyslogConfig, LogItem>, internals: Partial<SyslogInternals> = {}) {
    this.cfg = settings.config;
    this.next = settings.next;
    this.log = settings.logger;
    this.tel = settings.telemetry;
    this.internals = { ...DEFAULT_INTERNALS, ...internals };
    this.transport = this.cfg.protocol;
    this.batchTimeoutMs = durationMs(this.cfg.batch_timeout);
    this.norm = new HeaderNormaliser(this.cfg.format);
    const t = this.tel;
    this.counters = {
      truncated: t.counter('mailsight_syslog_truncated_total', 'Syslog messages longer than max_message_bytes, cut to it.'),
      framingErrors: t.counter('mailsight_syslog_framing_errors_total', 'Invalid octet-counting headers (the connection falls back to newline framing) and frames cut by the end of a connection.'),
      framings: t.counterBy('mailsight_syslog_framing_detected_total', 'TCP/TLS connections by the framing detected from their first byte (octet, newline).', 'framing'),
      headerFixes: t.counterBy('mailsight_syslog_header_fixes_total', 'Syslog headers repaired (missing or invalid timestamp or hostname) or not understood (handed on unchanged), by fix.', 'fix'),
      connections: t.counter('mailsight_syslog_connections_total', 'TCP/TLS connections accepted.'),
      rejected: t.counterBy('mailsight_syslog_connections_rejected_total', 'TCP/TLS connections closed on accept, by reason (max_connections, max_connections_per_peer).', 'reason'),
      tlsErrors: t.counter('mailsight_syslog_tls_errors_total', 'TLS handshakes that failed or timed out.'),
      idleClosed: t.counter('mailsight_syslog_idle_closed_total', 'Connections closed after idle_timeout without data.'),
      bytes: t.counter('mailsight_syslog_received_bytes_total', 'Bytes read from the network (after TLS).'),
      kernelDrops: t.counter('mailsight_syslog_udp_kernel_drops_total', 'UDP datagrams the kernel dropped for this socket (receive buffer full), from /proc/net/udp.'),
      open: t.gauge('mailsight_syslog_connections', 'TCP/TLS connections open.'),
      rxQueue: t.gauge('mailsight_syslog_udp_receive_queue_bytes', 'Bytes waiting in the UDP socket receive buffer.'),
    };
  }

  /** The address actually bound (port 0 in tests becomes a real port). */
  address(): AddressInfo {
    if (!this.bound) throw new Error('syslog receiver not started');
    return this.bound;
  }

  async start(_host: Host): Promise<void> {
    const { host, port } = splitHostPort(this.cfg.listen);
    if (this.transport === 'udp') await this.startUdp(host, port);
    else await this.startStream(host, port);
    this.log.info({ listen: `${this.bound?.address}:${this.bound?.port}`, protocol: this.transport }, 'syslog: listening');
  }

  // ---- TCP / TLS -------------------------------------------------------------------------

  private async startStream(host: string, port: number): Promise<void> {
    let server: Server;
    if (this.transport === 'tls') {
      const t = this.cfg.tls;
      if (!t) throw new Error('syslog: protocol tls needs a tls section (cert_file, key_file)');
      const [cert, key, ca] = await Promise.all([
        readFile(t.cert_file),
        readFile(t.key_file),
        t.ca_file ? readFile(t.ca_file) : Promise.resolve(undefined),
      ]);
      const tlsServer = createTlsServer({
        cert,
        key,
        ca,
        requestCert: t.client_auth !== 'none',
        rejectUnauthorized: t.client_auth === 'require',
        minVersion: t.min_version,
        handshakeTimeout: durationMs(t.handshake_timeout),
      });
      tlsServer.on('secureConnection', (s: TLSSocket) => this.accept(s, s.remoteAddress));
      tlsServer.on('tlsClientError', (err: Error, s: TLSSocket) => {
        this.counters.tlsErrors.inc();
        this.log.debug({ err, peer: s.remoteAddress }, 'syslog: TLS handshake failed');
        // Node reports a handshake timeout but leaves the socket open: close it ourselves.
        s.destroy();
      });
      server = tlsServer;
    } else {
      server = createServer();
    }
    // Node closes connections beyond the limit on accept; the limit also bounds TLS handshakes in progress.
    server.maxConnections = this.cfg.max_connections;
    server.on('drop', () => this.counters.rejected.inc('max_connections'));
    server.on('connection', (s: Socket) => this.onRawConnection(s));
    server.on('error', (err) => this.log.error({ err }, 'syslog: listener error'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, backlog: 511 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.bound = server.address() as AddressInfo;
  }

  /** Every accepted TCP connection (before TLS): per-peer limit, keepalive, idle timeout. */
  private onRawConnection(s: Socket): void {
    const peer = peerAddress(s.remoteAddress);
    const limit = this.cfg.max_connections_per_peer;
    const n = (this.perPeer.get(peer) ?? 0) + 1;
    if (this.stopping || (limit > 0 && n > limit)) {
      if (!this.stopping) this.counters.rejected.inc('max_connections_per_peer');
      s.destroy();
      return;
    }
    this.perPeer.set(peer, n);
    s.once('close', () => {
      const m = (this.perPeer.get(peer) ?? 1) - 1;
      if (m <= 0) this.perPeer.delete(peer);
      else this.perPeer.set(peer, m);
    });
    const ka = durationMs(this.cfg.keepalive);
    if (ka > 0) s.setKeepAlive(true, ka);
    s.setNoDelay(true);
    // Errors on a raw socket (reset by peer) end that connection only.
    s.on('error', (err) => this.log.debug({ err, peer }, 'syslog: connection error'));
    if (this.transport === 'tcp') this.accept(s, s.remoteAddress);
  }

  private accept(s: Socket, remote: string | undefined): void {
    if (this.stopping) {
      s.destroy();
      return;
    }
    const peer = peerAddress(remote);
    const base: Record<string, string> = { 'net.transport': this.transport, 'net.peer.ip': peer };
    if (this.transport === 'tls' && this.cfg.tls?.client_auth !== 'none') {
      const tls = s as TLSSocket;
      if (tls.authorized) {
        const cn = tls.getPeerCertificate()?.subject?.CN;
        if (typeof cn === 'string' && cn) base['tls.client.subject'] = cn;
      }
    }
    const c = new Connection(this, s, peer, base);
    this.conns.add(c);
    this.counters.connections.inc();
    this.counters.open.set(this.conns.size);
    s.once('close', () => {
      this.conns.delete(c);
      this.counters.open.set(this.conns.size);
    });
  }

  // ---- UDP -------------------------------------------------------------------------------

  private async startUdp(host: string, port: number): Promise<void> {
    const sock = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', reuseAddr: false });
    sock.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo));
    sock.on('error', (err) => {
      this.tel.error();
      this.log.error({ err }, 'syslog: UDP socket error');
    });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(port, host, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    if (this.cfg.udp_receive_buffer_bytes > 0) {
      sock.setRecvBufferSize(this.cfg.udp_receive_buffer_bytes);
      const got = sock.getRecvBufferSize();
      // Linux reports twice the requested size (bookkeeping overhead); less means rmem_max capped it.
      if (got < this.cfg.udp_receive_buffer_bytes) {
        this.log.warn({ requested: this.cfg.udp_receive_buffer_bytes, effective: got }, 'syslog: UDP receive buffer capped by the system (raise net.core.rmem_max)');
      }
    }
    this.udp = sock;
    this.bound = sock.address();
    this.statsTimer = setInterval(() => void this.readKernelStats(), this.internals.statsIntervalMs);
    this.statsTimer.unref();
  }

  /** Read the kernel's counters of our UDP socket now (also on an interval). */
  async readKernelStats(): Promise<void> {
    if (!this.bound) return;
    const st = await readUdpStats(this.bound.address, this.bound.port);
    if (!st) return;
    if (st.drops > this.lastKernelDrops) {
      const d = st.drops - this.lastKernelDrops;
      this.counters.kernelDrops.inc(d);
      this.tel.dropped(d);
      this.log.warn({ dropped: d, total: st.drops }, 'syslog: the kernel dropped UDP datagrams (receive buffer full): consider udp_receive_buffer_bytes');
    }
    this.lastKernelDrops = st.drops;
    this.counters.rxQueue.set(st.rxQueue);
  }

  private onDatagram(msg: Buffer, rinfo: RemoteInfo): void {
    const p = this.udpPending;
    this.counters.bytes.inc(msg.length);
    if (this.stopping) return;
    if (p.items.length + p.inFlight >= this.cfg.udp_queue_size) {
      this.tel.received(1);
      this.tel.dropped(1);
      return;
    }
    let end = msg.length;
    if (end > this.cfg.max_message_bytes) {
      end = this.cfg.max_message_bytes;
      this.counters.truncated.inc();
    }
    const peer = peerAddress(rinfo.address);
    let pc = this.udpPeers.get(peer);
    if (!pc) {
      // Bounded: a spoofed-source flood must not grow this map without end.
      if (this.udpPeers.size >= 4096) this.udpPeers.clear();
      pc = { base: { 'net.transport': 'udp', 'net.peer.ip': peer }, cache: [] };
      this.udpPeers.set(peer, pc);
    }
    const line = this.makeLine(msg, 0, end, peer, Date.now(), pc.cache, pc.base);
    if (!line) return;
    p.items.push(line);
    this.tel.received(1);
    if (p.items.length >= this.cfg.max_batch) this.flush(p, undefined);
    else if (!p.timer && !p.sending) p.timer = setTimeout(() => this.flush(p, undefined), this.batchTimeoutMs);
  }

  // ---- shared ------------------------------------------------------------------------------

  /** One frame → one RawLine (undefined for an empty frame). `ascii`: buf holds no byte ≥ 0x80. */
  makeLine(
    buf: Buffer,
    start: number,
    end: number,
    peer: string,
    now: number,
    cache: Sources,
    base: Record<string, string>,
    ascii = false,
  ): RawLine | undefined {
    const text = decodeFrame(buf, start, end, ascii);
    if (text.length === 0) return undefined;
    const body = this.norm.normalise(text, peer, now);
    const fix: HeaderFix | undefined = this.norm.fix;
    if (fix !== undefined) this.counters.headerFixes.inc(fix);
    return { kind: 'line', body, observed: now, source: sourceFor(cache, this.norm.pri, base) };
  }

  /**
   * Emit what `p` holds, in batches of max_batch, one at a time. `pause`/`resume` stop and
   * restart the source while a batch is in flight (TCP back-pressure).
   */
  flush(p: Pending, conn: Connection | undefined): void {
    if (p.timer) {
      clearTimeout(p.timer);
      p.timer = undefined;
    }
    if (p.sending || p.items.length === 0 || this.down) return;
    conn?.pause();
    p.sending = this.drain(p).finally(() => {
      p.sending = undefined;
      if (p.items.length >= this.cfg.max_batch) this.flush(p, conn);
      else {
        if (p.items.length && !p.timer && !this.stopping) p.timer = setTimeout(() => this.flush(p, conn), this.batchTimeoutMs);
        conn?.resume();
      }
    });
  }

  private async drain(p: Pending): Promise<void> {
    const max = this.cfg.max_batch;
    while (p.items.length) {
      const batch = p.items.length <= max ? p.items : p.items.splice(0, max);
      if (batch === p.items) p.items = [];
      p.inFlight = batch.length;
      await this.send(batch);
      p.inFlight = 0;
    }
  }

  /** Emit one batch; a refusal (memory limit) is retried after a back-off unless stopping. */
  private async send(batch: RawLine[]): Promise<void> {
    for (;;) {
      try {
        await emit<LogItem>(this.next, batch);
        this.backoffMs = 0;
        return;
      } catch (err) {
        if (err instanceof RefusedError && !this.stopping) {
          this.backoffMs = Math.min(this.internals.backoffMaxMs, Math.max(this.internals.backoffMinMs, this.backoffMs * 2));
          this.log.debug({ lines: batch.length, retry_in_ms: this.backoffMs }, 'syslog: batch refused, holding the source');
          await within(this.stopped, this.backoffMs);
          continue;
        }
        this.tel.dropped(batch.length);
        if (!(err instanceof RefusedError)) {
          this.tel.error();
          this.log.error({ err, lines: batch.length }, 'syslog: emit failed, batch dropped');
        }
        return;
      }
    }
  }

  async shutdown(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.wake();
    if (this.statsTimer) clearInterval(this.statsTimer);
    const closed = this.server ? new Promise<void>((res) => this.server!.close(() => res())) : Promise.resolve();
    this.udp?.close();
    // Stop reading, hand on what is already framed, wait (bounded) for it.
    const pendings: Pending[] = [this.udpPending];
    for (const c of this.conns) {
      c.pause();
      pendings.push(c.pending);
    }
    for (const p of pendings) this.flush(p, undefined);
    const inFlight = pendings.map((p) => p.sending).filter((x): x is Promise<void> => x !== undefined);
    await within(Promise.all(inFlight), this.internals.shutdownWaitMs);
    let lost = 0;
    for (const p of pendings) {
      if (p.timer) clearTimeout(p.timer);
      lost += p.items.length + p.inFlight;
    }
    if (lost) {
      this.tel.dropped(lost);
      this.log.warn({ lines: lost }, 'syslog: lines not handed on before shutdown');
    }
    this.down = true;
    for (const c of this.conns) c.destroy();
    await within(closed, 1000);
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  get config(): SyslogConfig {
    return this.cfg;
  }

  get batchTimeout(): number {
    return this.batchTimeoutMs;
  }

  countReceived(n: number): void {
    this.tel.received(n);
  }
}

/** One TCP or TLS connection: its framer, its pending lines, its pause state. */
class Connection implements FrameSink {
  readonly pending = new Pending();
  private readonly framer: StreamFramer;
  private readonly sources: Sources = [];
  private now = 0;
  /** The chunk being framed, and whether it is all ASCII (checked once per chunk). */
  private chunk: Buffer | undefined;
  private ascii = false;
  private paused = false;
  private idle: NodeJS.Timeout | undefined;
  private readonly idleMs: number;

  constructor(
    private readonly rcv: SyslogReceiver,
    private readonly socket: Socket,
    private readonly peer: string,
    private readonly base: Record<string, string>,
  ) {
    const cfg = rcv.config;
    this.framer = new StreamFramer(cfg.max_message_bytes, this);
    this.idleMs = durationMs(cfg.idle_timeout);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      this.framer.end();
      rcv.flush(this.pending, undefined);
    });
    socket.on('close', () => {
      this.clearIdle();
      // Closed without a clean end (reset): what was complete is still handed on.
      rcv.flush(this.pending, undefined);
    });
    socket.on('error', () => undefined); // logged once in onRawConnection; 'close' follows
    this.armIdle();
  }

  private onData(chunk: Buffer): void {
    this.rcv.counters.bytes.inc(chunk.length);
    this.now = Date.now();
    const before = this.pending.items.length;
    this.chunk = chunk;
    this.ascii = isAscii(chunk);
    this.framer.push(chunk);
    this.chunk = undefined;
    const p = this.pending;
    this.rcv.countReceived(p.items.length - before);
    if (p.items.length >= this.rcv.config.max_batch) this.rcv.flush(p, this);
    else if (p.items.length && !p.timer && !p.sending) p.timer = setTimeout(() => this.rcv.flush(p, this), this.rcv.batchTimeout);
    this.idle?.refresh();
  }

  frame(buf: Buffer, start: number, end: number): void {
    // Frames cut out of the current chunk share its ASCII check; assembled ones are decoded as UTF-8.
    const ascii = buf === this.chunk && this.ascii;
    const line = this.rcv.makeLine(buf, start, end, this.peer, this.now, this.sources, this.base, ascii);
    if (line) this.pending.items.push(line);
  }

  truncated(): void {
    this.rcv.counters.truncated.inc();
  }

  framingError(): void {
    this.rcv.counters.framingErrors.inc();
  }

  detected(mode: 'octet' | 'newline'): void {
    this.rcv.counters.framings.inc(mode);
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
    // Waiting on the pipeline is not idleness of the sender.
    this.clearIdle();
  }

  resume(): void {
    if (!this.paused || this.rcv.isStopping) return;
    this.paused = false;
    this.socket.resume();
    this.armIdle();
  }

  destroy(): void {
    this.clearIdle();
    this.socket.destroy();
  }

  private armIdle(): void {
    if (this.idleMs <= 0 || this.paused) return;
    this.clearIdle();
    // One timer per connection, refreshed on data (cheaper than re-creating it per chunk).
    this.idle = setTimeout(() => {
      this.rcv.counters.idleClosed.inc();
      this.socket.destroy();
    }, this.idleMs);
  }

  private clearIdle(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
  }
}

/** Wait for p, at most ms; the timer is cleared so that it never holds the process. */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  try {
    await Promise.race([p.then(() => undefined, () => undefined), new Promise<void>((res) => (t = setTimeout(res, ms)))]);
  } finally {
    clearTimeout(t);
  }
}
