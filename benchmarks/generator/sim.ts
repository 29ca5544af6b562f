// The simulation: a discrete-event model of a fleet of MTAs. Every message is a small state
// machine whose steps are scheduled on one time-ordered heap, so lines of many concurrent
// messages interleave exactly as a real log does, and lines come out in time order without
// buffering the log. Memory holds only what is open: sessions, queued messages, the heap.
//
// Each emitted line updates the ground truth (truth.ts) from the model's own state at the
// moment it is written; a run that stops mid-way therefore has a truth that matches the
// lines actually written (open messages count as still queued).
import { EventHeap, type Scheduled } from './heap.js';
import { Rng, seedFrom } from './prng.js';
import {
  DESTINATIONS,
  FIRST_NAMES,
  LAST_NAMES,
  REJECT_CLIENTS,
  REPLIES,
  SENDER_APPS,
  SENDER_DESTS,
  foreignQueueId,
  randChars,
  type Destination,
  type Mx,
  type ReplyCtx,
  type ReplyDef,
  type SenderApp,
  type BounceClass,
} from './catalog.js';
import { TimeFormatter, compactStamp, pfDelay, resolutionUs } from './timefmt.js';
import { Truth, type MsgT, type ReportJson, type TruthStats } from './truth.js';
import type { GenOptions } from './options.js';

const SEC = 1_000_000;
const ROUTING = new Set(['dns_tempfail', 'nxdomain']);
const SUSPENDING = new Set(['conn_refused', 'conn_timeout', 'dns_tempfail', 'lost_connection']);
const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

interface Host {
  idx: number;
  name: string;
  fqdn: string;
  /** Public sending address (what remote servers quote back). */
  ourIp: string;
  /** Address other fleet hosts reach it on. */
  lanIp: string;
  inode: number;
  /** Recently removed queue ids, candidates for forced reuse. */
  recent: string[];
  openQids: Set<string>;
  nextPid: number;
  smtpd: number[];
  smtp: number[];
  cleanup: number[];
  bounce: number[];
  error: number[];
  qmgr: number;
  pickup: number;
  anvil: number;
  scache: number;
  statsConn: number;
}

interface Rcpt {
  /** Address as written in the log (may carry upper case). */
  addr: string;
  domain: string;
  dest: Destination | undefined;
  mx: Mx;
  fate: 'sent' | 'bounce' | 'expire';
  defersLeft: number;
  deferReply: ReplyDef;
  bounceReply: ReplyDef;
  final: boolean;
  /** Bounced in the current delivery pass (drives the non-delivery notice). */
  bouncedNow: boolean;
}

type MsgKind = 'smtpd' | 'pickup' | 'notice' | 'filtered' | 'relayed';

interface Msg {
  host: Host;
  kind: MsgKind;
  qid: string;
  t: MsgT | undefined;
  sender: string;
  senderDomain: string;
  rcpts: Rcpt[];
  size: number;
  messageId: string;
  created: number;
  lastQmgr: number;
  passStart: number;
  attempts: number;
  viaFilter: boolean;
  relayTo: Host | undefined;
  pendingGroups: number;
  session: Session | undefined;
  /** For notices: the message they report on (Exim's R=). */
  orig: Msg | undefined;
  done: boolean;
}

interface Session {
  host: Host;
  pid: number;
  client: string;
  ip: string;
  helo: string;
  tls: boolean;
  sasl: string | undefined;
  rejects: string[];
  msg: Msg | undefined;
  rejectText: (addr: string) => string;
}

interface Group {
  msg: Msg;
  rcpts: Rcpt[];
  kind: 'remote' | 'filter' | 'relay';
  /** The hop target created by a filter/relay group. */
  next: Msg | undefined;
  connSetup: number;
  xmit: number;
  pid: number;
}

const enum K {
  Arrive,
  Connect,
  Client,
  Cleanup,
  Qmgr,
  Disconnect,
  Pass,
  Group,
  HopDone,
  PassEnd,
  Retry,
  Expire,
  Notice,
  Remove,
  Stats,
}

interface Ev extends Scheduled {
  k: K;
  h: Host | undefined;
  m: Msg | undefined;
  s: Session | undefined;
  g: Group | undefined;
}

const NOISE: readonly ((r: Rng) => string)[] = [
  (r) => `CRON[${r.range(2000, 60000)}]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)`,
  (r) => `CRON[${r.range(2000, 60000)}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`,
  () => 'systemd[1]: Starting logrotate.service - Rotate log files...',
  () => 'systemd[1]: logrotate.service: Deactivated successfully.',
  (r) => `sshd[${r.range(2000, 60000)}]: Accepted publickey for deploy from 10.20.9.${r.range(2, 250)} port ${r.range(30000, 65000)} ssh2: ED25519 SHA256:${randChars(r, B62, 43)}`,
  (r) => `systemd-logind[${r.range(300, 900)}]: New session ${r.range(100, 9999)} of user deploy.`,
  (r) => `kernel: [${r.range(10000, 999999)}.${r.range(100000, 999999)}] TCP: request_sock_TCP: Possible SYN flooding on port 25. Sending cookies.`,
];

export interface GenResult {
  report: ReportJson;
  stats: TruthStats;
}

export class Simulation {
  private readonly rng: Rng;
  private readonly heap = new EventHeap<Ev>();
  private readonly hosts: Host[] = [];
  private readonly truth: Truth;
  private readonly tf: TimeFormatter;
  private readonly isoTf = new TimeFormatter('rfc3339');
  private readonly exim: boolean;
  /** Exim main-log layout (no syslog header) when one host writes its own main log. */
  private readonly eximPlain: boolean;
  private readonly noiseTf: TimeFormatter;
  private lastT = 0;
  private out: string[] = [];
  private outLen = 0;
  lines = 0;
  private finished: GenResult | undefined;
  private readonly destW: number[];
  private lastLine = '';
  /** Called with every failed-attempt line and the class this generator assigns it (checks). */
  failureTap: ((line: string, cls: BounceClass, replyId: string) => void) | undefined;

  constructor(private readonly o: GenOptions) {
    this.rng = new Rng(seedFrom(o.seed));
    this.exim = o.mta === 'exim';
    this.eximPlain = this.exim && o.hosts === 1;
    this.tf = new TimeFormatter(this.eximPlain ? 'exim' : o.format);
    this.noiseTf = this.eximPlain ? new TimeFormatter('rfc3164') : this.tf;
    this.truth = new Truth(resolutionUs(this.eximPlain ? 'exim' : o.format));
    this.destW = DESTINATIONS.map((d) => d.weight);
    const t0 = o.start * 1000;
    this.lastT = t0;
    for (let i = 0; i < o.hosts; i++) {
      const r = this.rng;
      let pid = 1000 + r.int(3000) + i * 7919;
      const pool = (n: number): number[] => {
        const a: number[] = [];
        for (let j = 0; j < n; j++) a.push((pid += r.range(1, 9)));
        return a;
      };
      const h: Host = {
        idx: i,
        name: `mx${i + 1}`,
        fqdn: `mx${i + 1}.example.net`,
        ourIp: `203.0.113.${10 + i}`,
        lanIp: `10.0.0.${11 + i}`,
        // Distinct inode ranges per host keep fresh short queue ids unique across the fleet.
        inode: 0x160000 + i * 0x400000 + r.int(0x1000),
        recent: [],
        openQids: new Set(),
        nextPid: 0,
        qmgr: (pid += 2),
        pickup: (pid += 1),
        anvil: (pid += 3),
        scache: (pid += 1),
        smtpd: pool(12),
        smtp: pool(24),
        cleanup: pool(4),
        bounce: pool(3),
        error: pool(2),
        statsConn: 0,
      };
      h.nextPid = pid + 50;
      this.hosts.push(h);
      this.schedule(t0 + r.int(SEC), K.Arrive, h);
      this.schedule(t0 + 600 * SEC, K.Stats, h);
    }
  }

  /** Generate until about `maxBytes` of text is ready; '' once the target is reached. */
  chunk(maxBytes = 1 << 16): string {
    while (this.outLen < maxBytes && this.lines < this.o.lines) {
      const ev = this.heap.pop();
      if (ev === undefined) break;
      this.handle(ev);
    }
    const s = this.out.join('');
    this.out = [];
    this.outLen = 0;
    return s;
  }

  /** Ground truth of everything emitted so far (call once, after the last chunk). */
  result(): GenResult {
    if (this.finished === undefined) this.finished = this.truth.finish(this.lines);
    return this.finished;
  }

  // ---- plumbing -------------------------------------------------------------------------------

  private schedule(t: number, k: K, h?: Host, m?: Msg, s?: Session, g?: Group): void {
    this.heap.push({ t: Math.round(t), seq: 0, k, h, m, s, g });
  }

  /** Write one line; returns the time printed on it (output never goes back in time). */
  private emit(t: number, host: Host, prog: string, pid: number, text: string): number {
    const tu = Math.floor(t);
    const ts = tu > this.lastT ? tu : this.lastT;
    this.lastT = ts;
    let line: string;
    if (this.eximPlain) line = this.tf.format(ts) + ' ' + text + '\n';
    else line = this.tf.format(ts) + ' ' + host.name + ' ' + prog + '[' + pid + ']: ' + text + '\n';
    this.out.push(line);
    this.outLen += line.length;
    this.lines++;
    this.lastLine = line;
    if (this.o.noiseRate > 0 && this.rng.next() < this.o.noiseRate) {
      const noise = this.noiseTf.format(ts) + ' ' + host.name + ' ' + this.rng.pick(NOISE)(this.rng) + '\n';
      this.out.push(noise);
      this.outLen += noise.length;
      this.lines++;
      this.truth.unparsedLine();
    }
    return ts;
  }

  private pf(t: number, h: Host, daemon: string, pid: number, text: string): number {
    return this.emit(t, h, 'postfix/' + daemon, pid, text);
  }

  private ex(t: number, h: Host, pid: number, text: string): number {
    return this.emit(t, h, 'exim', pid, text);
  }

  private pid(h: Host, pool: number[]): number {
    const i = this.rng.int(pool.length);
    // Postfix daemons exit after max_use requests; a fresh process takes a new pid.
    if (this.rng.next() < 0.004) pool[i] = h.nextPid += this.rng.range(1, 40);
    return pool[i];
  }

  /** A new process id (pids wrap at Linux's default pid_max). */
  private forkPid(h: Host): number {
    h.nextPid += this.rng.range(1, 9);
    if (h.nextPid > 4_194_000) h.nextPid = 1000 + this.rng.int(1000);
    return h.nextPid;
  }

  private ms(lo: number, hi: number): number {
    return (lo + this.rng.next() * (hi - lo)) * 1000;
  }

  // ---- identities -----------------------------------------------------------------------------

  /** Postfix short queue id: 5 hex digits of the microseconds, then the inode number in hex. */
  private newQid(h: Host, t: number, allowReuse: boolean): string {
    if (allowReuse && h.recent.length > 0 && this.rng.next() < this.o.reuseRate) {
      const i = this.rng.int(h.recent.length);
      const qid = h.recent[i];
      h.recent[i] = h.recent[h.recent.length - 1];
      h.recent.pop();
      if (!h.openQids.has(qid)) {
        h.openQids.add(qid);
        this.truth.reuses++;
        return qid;
      }
    }
    for (;;) {
      h.inode = h.inode + 1 + (this.rng.next() < 0.3 ? this.rng.int(4) : 0);
      const us = Math.floor(t) % SEC;
      const qid = (us.toString(16).toUpperCase().padStart(5, '0') + h.inode.toString(16).toUpperCase());
      if (!h.openQids.has(qid)) {
        h.openQids.add(qid);
        return qid;
      }
    }
  }

  /** Exim (<= 4.96) message id: base-62 time, pid, and 1/2000 s fraction: 1tKx2c-000Abc-5Z. */
  private eximId(t: number, pid: number): string {
    const b62 = (n: number, w: number): string => {
      let s = '';
      for (let i = 0; i < w; i++) {
        s = B62[n % 62] + s;
        n = Math.floor(n / 62);
      }
      return s;
    };
    const sec = Math.floor(t / SEC);
    return b62(sec, 6) + '-' + b62(pid, 6) + '-' + b62(Math.floor((t % SEC) / 500), 2);
  }

  private localPart(): string {
    const r = this.rng;
    const f = r.pick(FIRST_NAMES);
    const l = r.pick(LAST_NAMES);
    const v = r.int(5);
    let s = v === 0 ? f + '.' + l : v === 1 ? f + l[0] : v === 2 ? f + '_' + l + r.range(1, 99) : v === 3 ? f[0] + l : f + r.range(1970, 2009);
    // Some senders type addresses with capitals; the truth compares them lowercased.
    if (r.next() < 0.02) s = s[0].toUpperCase() + s.slice(1);
    return s;
  }

  // ---- planning -------------------------------------------------------------------------------

  private planRcpt(addr: string, dest: Destination): Rcpt {
    const r = this.rng;
    const o = this.o;
    const pDefer = Math.min(1, o.deferRate * dest.deferRate);
    const pBounce = Math.min(1, o.bounceRate * dest.bounceRate);
    let fate: Rcpt['fate'] = 'sent';
    let defersLeft = 0;
    const x = r.next();
    if (x < pBounce) {
      fate = 'bounce';
      if (r.next() < 0.1) defersLeft = r.range(1, 2);
    } else if (x < pBounce + pDefer * (1 - pBounce)) {
      if (r.next() < o.expireShare || dest.deferRate >= 100) {
        fate = 'expire';
        defersLeft = Infinity;
      } else defersLeft = r.weighted([1, 2, 3, 4, 6], [50, 25, 12, 8, 5]);
    }
    const domain = addr.slice(addr.lastIndexOf('@') + 1).toLowerCase();
    return {
      addr,
      domain,
      dest,
      mx: r.pick(dest.mx),
      fate,
      defersLeft,
      deferReply: REPLIES[r.weighted(dest.defer, dest.deferW)],
      bounceReply: REPLIES[r.weighted(dest.bounce, dest.bounceW)],
      final: false,
      bouncedNow: false,
    };
  }

  /** Recipients of one new message; connection-level plans are shared per destination. */
  private planRcpts(): Rcpt[] {
    const r = this.rng;
    let n = 1;
    if (r.next() < this.o.multiRcptRate) n = r.weighted([2, 3, 4, 5, 8, 12], [40, 25, 15, 10, 6, 4]);
    const out: Rcpt[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const dest = r.weighted(DESTINATIONS, this.destW);
      const dom = r.next() < 0.01 ? dest.domain[0].toUpperCase() + dest.domain.slice(1) : dest.domain;
      const addr = this.localPart() + '@' + dom;
      if (seen.has(addr.toLowerCase())) continue;
      seen.add(addr.toLowerCase());
      out.push(this.planRcpt(addr, dest));
    }
    // One connection fails for every recipient of that destination in the same attempt.
    for (let i = 0; i < out.length; i++) {
      const a = out[i];
      if (a.defersLeft === 0 || !a.deferReply.conn) continue;
      for (let j = 0; j < out.length; j++) {
        const b = out[j];
        if (j === i || b.dest !== a.dest) continue;
        b.fate = a.fate;
        b.defersLeft = a.defersLeft;
        b.deferReply = a.deferReply;
        b.mx = a.mx;
      }
    }
    return out;
  }

  private newMsg(h: Host, kind: MsgKind, sender: string, rcpts: Rcpt[], t: number): Msg {
    return {
      host: h,
      kind,
      qid: '',
      t: undefined,
      sender,
      senderDomain: sender === '' ? '' : sender.slice(sender.lastIndexOf('@') + 1),
      rcpts,
      size: Math.max(600, Math.round(this.rng.logNormal(9000, 1.1))),
      messageId: '',
      created: t,
      lastQmgr: t,
      passStart: t,
      attempts: 0,
      viaFilter: false,
      relayTo: undefined,
      pendingGroups: 0,
      session: undefined,
      orig: undefined,
      done: false,
    };
  }

  private copyRcpts(rs: Rcpt[]): Rcpt[] {
    return rs.map((x) => ({ ...x, final: false, bouncedNow: false }));
  }

  // ---- event dispatch -------------------------------------------------------------------------

  private handle(ev: Ev): void {
    const t = ev.t;
    switch (ev.k) {
      case K.Arrive:
        return this.onArrive(t, ev.h as Host);
      case K.Connect:
        return this.onConnect(t, ev.s as Session);
      case K.Client:
        return this.onClient(t, ev.m as Msg);
      case K.Cleanup:
        return this.onCleanup(t, ev.m as Msg);
      case K.Qmgr:
        return this.onQmgr(t, ev.m as Msg);
      case K.Disconnect:
        return this.onDisconnect(t, ev.s as Session);
      case K.Pass:
        return this.onPass(t, ev.m as Msg);
      case K.Group:
        return this.onGroup(t, ev.g as Group);
      case K.HopDone:
        return this.onHopDone(t, ev.g as Group);
      case K.PassEnd:
        return this.onPassEnd(t, ev.m as Msg);
      case K.Retry:
        return this.onRetry(t, ev.m as Msg);
      case K.Expire:
        return this.onExpire(t, ev.m as Msg);
      case K.Notice:
        return this.onNotice(t, ev.m as Msg);
      case K.Remove:
        return this.onRemove(t, ev.m as Msg);
      case K.Stats:
        return this.onStats(t, ev.h as Host);
    }
  }

  private onArrive(t: number, h: Host): void {
    const r = this.rng;
    this.schedule(t + r.exp(SEC / this.o.rate), K.Arrive, h);
    const o = this.o;
    if (!this.exim && r.next() < 0.02) {
      // Local submission through sendmail(1): pickup instead of smtpd.
      const m = this.newMsg(h, 'pickup', r.pick(['root@' + h.fqdn, 'cron@' + h.fqdn, 'www-data@' + h.fqdn]), this.planRcpts(), t);
      m.viaFilter = r.next() < o.filterRate;
      this.schedule(t, K.Client, h, m);
      return;
    }
    const app: SenderApp = r.pick(SENDER_APPS);
    const hostile = r.next() < o.rejectRate * 0.5;
    const s: Session = {
      host: h,
      // Exim forks a receiving process per connection (its pid is part of the message id).
      pid: this.exim ? this.forkPid(h) : this.pid(h, h.smtpd),
      client: app.client,
      ip: app.ip,
      helo: app.client === 'unknown' ? 'localhost' : app.client,
      tls: r.next() < 0.7,
      sasl: app.sasl,
      rejects: [],
      msg: undefined,
      rejectText: (a) => `550 5.7.1 <${a}>: Recipient address rejected: Access denied`,
    };
    if (hostile) {
      // An outside client trying to relay through us: rejected, no message.
      const c = r.pick(REJECT_CLIENTS);
      s.client = c.client;
      s.ip = c.ip;
      s.helo = c.helo;
      s.tls = false;
      s.sasl = undefined;
      s.rejects.push(this.localPart() + '@' + r.pick(['victim.example', 'example.org', 'gmail.com', 'yahoo.com']));
      s.rejectText = (a) => `554 5.7.1 <${a}>: Relay access denied`;
      this.schedule(t, K.Connect, h, undefined, s);
      return;
    }
    if (r.next() < o.rejectRate * 0.5) {
      s.rejects.push(this.localPart() + '@' + r.pick(['blocked.test', 'competitor.example']));
    }
    const m = this.newMsg(h, 'smtpd', r.pick(app.senders), this.planRcpts(), t);
    if (m.rcpts.length === 0) m.rcpts = this.planRcpts();
    m.viaFilter = r.next() < o.filterRate && !this.exim;
    if (o.hosts > 1 && r.next() < o.relayRate) {
      let j = r.int(o.hosts - 1);
      if (j >= h.idx) j++;
      m.relayTo = this.hosts[j];
    }
    m.session = s;
    s.msg = m;
    this.schedule(t, K.Connect, h, undefined, s);
  }

  private sessionTls(t: number, s: Session): void {
    this.pf(t, s.host, 'smtpd', s.pid, `Anonymous TLS connection established from ${s.client}[${s.ip}]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256`);
  }

  private onConnect(t: number, s: Session): void {
    const h = s.host;
    const m = s.msg;
    if (this.exim) {
      // Exim logs no connection lines by default; rejects and the arrival are what shows.
      for (const a of s.rejects) {
        this.ex(t, h, s.pid, `H=${s.client === 'unknown' ? '' : s.client + ' '}(${s.helo}) [${s.ip}] F=<${m?.sender ?? 'info@' + s.helo}> rejected RCPT <${a}>: ${m === undefined ? 'relay not permitted' : 'recipient blocked by local policy'}`);
        this.truth.reject();
      }
      if (m !== undefined) this.schedule(t + this.ms(20, 400), K.Client, h, m);
      return;
    }
    if (s.client === 'unknown' && s.ip.startsWith('198.') && this.rng.next() < 0.5) {
      this.pf(t, h, 'smtpd', s.pid, `warning: hostname ${s.helo.toLowerCase()}.example does not resolve to address ${s.ip}: Name or service not known`);
    }
    this.pf(t, h, 'smtpd', s.pid, `connect from ${s.client}[${s.ip}]`);
    let tt = t + this.ms(1, 15);
    if (s.tls) this.sessionTls(tt, s);
    for (const a of s.rejects) {
      tt += this.ms(1, 20);
      const from = m?.sender ?? 'info@' + s.helo.toLowerCase();
      this.pf(tt, h, 'smtpd', s.pid, `NOQUEUE: reject: RCPT from ${s.client}[${s.ip}]: ${s.rejectText(a)}; from=<${from}> to=<${a}> proto=ESMTP helo=<${s.helo}>`);
      this.truth.reject();
    }
    if (m !== undefined) this.schedule(tt + this.ms(2, 40), K.Client, h, m);
    else this.schedule(tt + this.ms(1, 30), K.Disconnect, h, undefined, s);
  }

  /** The message's first line: smtpd client=, pickup, or Exim's "<=". */
  private onClient(t: number, m: Msg): void {
    const h = m.host;
    m.created = t;
    if (this.exim) return this.eximArrival(t, m);
    m.qid = this.newQid(h, t, m.kind === 'smtpd' || m.kind === 'pickup');
    m.messageId = m.kind === 'pickup'
      ? `<${compactStamp(t)}.${m.qid}@${h.fqdn}>`
      : m.kind === 'smtpd'
        ? `<${compactStamp(t)}.${randChars(this.rng, '0123456789abcdef', 12)}@${m.senderDomain}>`
        : m.messageId;
    let ts: number;
    if (m.kind === 'pickup') {
      ts = this.pf(t, h, 'pickup', h.pickup, `${m.qid}: uid=${m.sender.startsWith('root') ? 0 : this.rng.pick([33, 1000, 1001])} from=<${m.sender}>`);
    } else {
      const s = m.session as Session;
      const sasl = s.sasl !== undefined ? `, sasl_method=PLAIN, sasl_username=${s.sasl}` : '';
      ts = this.pf(t, h, 'smtpd', s.pid, `${m.qid}: client=${s.client}[${s.ip}]${sasl}`);
    }
    m.t = this.truth.startMessage(ts);
    m.created = ts;
    this.schedule(t + this.ms(1, 12), K.Cleanup, h, m);
  }

  private onCleanup(t: number, m: Msg): void {
    this.pf(t, m.host, 'cleanup', this.pid(m.host, m.host.cleanup), `${m.qid}: message-id=${m.messageId}`);
    this.schedule(t + this.ms(1, 25), K.Qmgr, m.host, m);
  }

  private qmgrFrom(t: number, m: Msg): number {
    m.lastQmgr = t;
    const ts = this.pf(t, m.host, 'qmgr', m.host.qmgr, `${m.qid}: from=<${m.sender}>, size=${m.size}, nrcpt=${m.rcpts.length} (queue active)`);
    this.truth.nrcpt(m.t as MsgT, m.rcpts.length);
    return ts;
  }

  private onQmgr(t: number, m: Msg): void {
    this.qmgrFrom(t, m);
    if (m.session !== undefined) this.schedule(t + this.ms(1, 30), K.Disconnect, m.host, undefined, m.session);
    this.schedule(t + this.ms(5, 300), K.Pass, m.host, m);
  }

  private onDisconnect(t: number, s: Session): void {
    const ok = s.msg !== undefined ? s.msg.rcpts.length : 0;
    const total = ok + s.rejects.length;
    const parts: string[] = [];
    let cmds = 0;
    let okCmds = 0;
    const add = (name: string, good: number, all: number): void => {
      parts.push(good === all ? `${name}=${all}` : `${name}=${good}/${all}`);
      cmds += all;
      okCmds += good;
    };
    add('ehlo', s.tls ? 2 : 1, s.tls ? 2 : 1);
    if (s.tls) add('starttls', 1, 1);
    if (s.sasl !== undefined && s.msg !== undefined) add('auth', 1, 1);
    add('mail', 1, 1);
    add('rcpt', ok, total);
    if (ok > 0) add('data', 1, 1);
    add('quit', 1, 1);
    parts.push(okCmds === cmds ? `commands=${cmds}` : `commands=${okCmds}/${cmds}`);
    this.pf(t, s.host, 'smtpd', s.pid, `disconnect from ${s.client}[${s.ip}] ${parts.join(' ')}`);
  }

  // ---- delivery -------------------------------------------------------------------------------

  private onPass(t: number, m: Msg): void {
    m.attempts++;
    m.passStart = t;
    const pending = m.rcpts.filter((x) => !x.final);
    for (const x of pending) x.bouncedNow = false;
    const groups: Group[] = [];
    if (m.viaFilter) groups.push(this.group(m, pending, 'filter'));
    else if (m.relayTo !== undefined) groups.push(this.group(m, pending, 'relay'));
    else {
      const byDest = new Map<string, Rcpt[]>();
      for (const x of pending) {
        const k = x.domain;
        const a = byDest.get(k);
        if (a === undefined) byDest.set(k, [x]);
        else a.push(x);
      }
      for (const rs of byDest.values()) groups.push(this.group(m, rs, 'remote'));
    }
    m.pendingGroups = groups.length;
    let tt = t;
    for (const g of groups) {
      tt += this.ms(0, 40);
      this.schedule(tt + g.connSetup + g.xmit, K.Group, m.host, m, undefined, g);
    }
  }

  private group(m: Msg, rcpts: Rcpt[], kind: Group['kind']): Group {
    const r = this.rng;
    let conn = r.next() * 0.25;
    let xmit = 0.005 + r.next() * 0.3 + m.size / 4e6;
    const first = rcpts[0];
    if (kind === 'remote' && first.defersLeft > 0) {
      const id = first.deferReply.id;
      if (id === 'conn_timeout') conn = 30;
      else if (id === 'tls_handshake' || id === 'lost_connection') conn = 0.2 + r.next() * 5;
      else if (id === 'conn_refused' || id === 'dns_tempfail') conn = r.next() * 0.05;
      xmit = first.deferReply.conn ? 0 : xmit * 0.3;
    }
    if (kind === 'filter') xmit += 0.2 + r.next() * 1.5; // the scanner's work
    const pid = this.exim ? this.forkPid(m.host) : this.pid(m.host, m.host.smtp);
    return { msg: m, rcpts, kind, next: undefined, connSetup: conn * SEC, xmit: xmit * SEC, pid };
  }

  private ctx(m: Msg, x: Rcpt, t: number): ReplyCtx {
    return {
      rng: this.rng,
      rcpt: x.addr,
      domain: x.domain,
      senderDomain: m.senderDomain || m.host.fqdn,
      mx: x.mx,
      ourIp: m.host.ourIp,
      messageId: m.messageId,
      size: m.size,
      iso: this.isoTf.format(t).slice(0, 23) + 'Z',
    };
  }

  /** "delay=..., delays=a/b/c/d" for an attempt ending at t. */
  private delays(m: Msg, g: Group, t: number): string {
    const total = Math.max(0, (t - m.created) / SEC);
    const c = g.connSetup / SEC;
    const d = g.xmit / SEC;
    const a = Math.max(0, (m.attempts === 1 ? m.lastQmgr - m.created : m.passStart - m.created) / SEC);
    const b = Math.max(0, total - a - c - d);
    return `delay=${pfDelay(total)}, delays=${pfDelay(a)}/${pfDelay(b)}/${pfDelay(c)}/${pfDelay(d)}`;
  }

  private onGroup(t: number, g: Group): void {
    const m = g.msg;
    if (g.kind !== 'remote') return this.hopGroup(t, g);
    const h = m.host;
    const first = g.rcpts[0];
    const expiring = this.exim && (t - m.created) / SEC >= this.o.maxQueueLifetime;
    // Connection-level failure of this attempt (shared by the whole group by construction).
    const connFail = first.defersLeft > 0 && first.deferReply.conn ? first.deferReply : undefined;
    if (this.exim) return this.eximGroup(t, g, connFail, expiring);
    // qmgr marks a destination dead only after connection-level failures; later messages to it
    // are then deferred by the error agent without a connection attempt.
    const suspended = connFail !== undefined && SUSPENDING.has(connFail.id) && m.attempts > 1 && this.rng.next() < 0.3;
    const connected = connFail === undefined || !['conn_refused', 'conn_timeout', 'dns_tempfail', 'nxdomain'].includes(connFail.id);
    const reuse = connected && this.rng.next() < 0.25 ? this.rng.range(2, 6) : 0;
    if (!suspended && connFail !== undefined && connFail.id === 'conn_timeout' && first.dest !== undefined && first.dest.mx.length > 1) {
      const other = first.dest.mx.find((x) => x !== first.mx) as Mx;
      this.pf(t - 1000, h, 'smtp', g.pid, `connect to ${other.name}[${other.ip}]:25: Connection timed out`);
    }
    if (!suspended && connected && reuse === 0 && first.dest !== undefined && first.dest.tls !== undefined && connFail?.id !== 'tls_not_offered' && connFail?.id !== 'tls_handshake') {
      const sig = first.dest.provider === 'gmail' ? 'ECDSA (P-256)' : 'RSA-PSS (2048 bits)';
      this.pf(t - 500, h, 'smtp', g.pid, `${first.dest.tls} TLS connection established to ${first.mx.name}[${first.mx.ip}]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature ${sig} server-digest SHA256`);
    }
    const errPid = suspended ? this.pid(h, h.error) : 0;
    for (const x of g.rcpts) {
      const tm = m.t as MsgT;
      const relay = connected ? `${x.mx.name}[${x.mx.ip}]:25` : 'none';
      const cu = reuse > 0 ? `conn_use=${reuse}, ` : '';
      if (x.defersLeft > 0) {
        x.defersLeft--;
        const rep = x.deferReply;
        const text = this.pfReason(rep, this.ctx(m, x, t));
        if (suspended) {
          const age = pfDelay(Math.max(0, (t - m.created) / SEC));
          this.pf(t, h, 'error', errPid, `${m.qid}: to=<${x.addr}>, relay=none, delay=${age}, delays=${age}/0/0/0, dsn=${rep.dsn}, status=deferred (delivery temporarily suspended: ${text})`);
        } else {
          this.pf(t, h, 'smtp', g.pid, `${m.qid}: to=<${x.addr}>, relay=${relay}, ${cu}${this.delays(m, g, t)}, dsn=${rep.dsn}, status=deferred (${text})`);
        }
        this.truth.deferred(tm, x.addr, x.domain, rep.cls);
        this.failureTap?.(this.lastLine, rep.cls, rep.id);
      } else if (x.fate === 'bounce') {
        const rep = x.bounceReply;
        const rel = rep.kind === 'local' ? 'none' : relay;
        this.pf(t, h, 'smtp', g.pid, `${m.qid}: to=<${x.addr}>, relay=${rel}, ${rel === 'none' ? '' : cu}${this.delays(m, g, t)}, dsn=${rep.dsn}, status=bounced (${this.pfReason(rep, this.ctx(m, x, t))})`);
        this.truth.bounced(tm, x.addr, x.domain, rep.cls);
        this.failureTap?.(this.lastLine, rep.cls, rep.id);
        x.final = true;
        x.bouncedNow = true;
      } else {
        const ok = this.okReply(m, x, t);
        const ts = this.pf(t, h, 'smtp', g.pid, `${m.qid}: to=<${x.addr}>, relay=${relay}, ${cu}${this.delays(m, g, t)}, dsn=2.0.0, status=sent (${ok})`);
        this.truth.sent(tm, x.addr, x.domain, ts);
        x.final = true;
      }
    }
    this.groupDone(t, m);
  }

  private okReply(m: Msg, x: Rcpt, t: number): string {
    if (x.dest !== undefined) return x.dest.ok(this.ctx(m, x, t));
    return `250 2.0.0 Ok: queued as ${foreignQueueId(this.rng)}`;
  }

  /** The text inside Postfix's "status=... (...)". */
  private pfReason(rep: ReplyDef, c: ReplyCtx): string {
    const lines = rep.lines(c);
    if (rep.kind === 'local') return lines[0];
    // Postfix joins a multi-line reply with spaces, keeping each line's code prefix.
    return `host ${c.mx.name}[${c.mx.ip}] said: ${lines.join(' ')} (in reply to ${rep.stage} command)`;
  }

  private groupDone(t: number, m: Msg): void {
    if (--m.pendingGroups === 0) this.schedule(t + this.ms(0.2, 5), K.PassEnd, m.host, m);
  }

  /** Delivery to the content filter or to another fleet host: creates the next message of the chain. */
  private hopGroup(t: number, g: Group): void {
    const m = g.msg;
    const h = m.host;
    const r = this.rng;
    if (g.kind === 'filter' && r.next() < 0.02) {
      // The scanner is down: every recipient is deferred, the whole message retries later.
      for (const x of g.rcpts) {
        this.pf(t, h, 'smtp', g.pid, `${m.qid}: to=<${x.addr}>, relay=none, ${this.delays(m, g, t)}, dsn=4.4.1, status=deferred (connect to 127.0.0.1[127.0.0.1]:10024: Connection refused)`);
        this.truth.deferred(m.t as MsgT, x.addr, x.domain, 'transport.connect');
        this.failureTap?.(this.lastLine, 'transport.connect', 'filter_refused');
      }
      return this.groupDone(t, m);
    }
    // The next hop accepts first: its lines come before our "queued as" line.
    const target = g.kind === 'filter' ? h : (m.relayTo as Host);
    const n = this.newMsg(target, g.kind === 'filter' ? 'filtered' : 'relayed', m.sender, this.copyRcpts(g.rcpts), t);
    n.messageId = m.messageId;
    n.size = m.size + (g.kind === 'filter' ? r.range(250, 900) : r.range(400, 700));
    n.relayTo = g.kind === 'filter' ? m.relayTo : undefined;
    g.next = n;
    const s: Session = {
      host: target,
      pid: this.exim ? this.forkPid(target) : this.pid(target, target.smtpd),
      client: g.kind === 'filter' ? 'localhost' : h.fqdn,
      ip: g.kind === 'filter' ? '127.0.0.1' : h.lanIp,
      helo: g.kind === 'filter' ? 'localhost' : h.fqdn,
      tls: g.kind === 'relay',
      sasl: undefined,
      rejects: [],
      msg: n,
      rejectText: () => '',
    };
    n.session = s;
    if (this.exim) {
      this.eximArrival(t, n);
    } else {
      this.pf(t, target, 'smtpd', s.pid, `connect from ${s.client}[${s.ip}]`);
      if (s.tls) this.sessionTls(t, s);
      n.qid = this.newQid(target, t, false);
      const ts = this.pf(t + 1500, target, 'smtpd', s.pid, `${n.qid}: client=${s.client}[${s.ip}]`);
      n.t = this.truth.startMessage(ts);
      n.created = ts;
      this.pf(t + 3000, target, 'cleanup', this.pid(target, target.cleanup), `${n.qid}: message-id=${n.messageId}`);
      this.qmgrFrom(t + 5000, n);
    }
    this.schedule(t + this.ms(5, 40), K.HopDone, h, m, undefined, g);
  }

  private onHopDone(t: number, g: Group): void {
    const m = g.msg;
    const n = g.next as Msg;
    const h = m.host;
    const tm = m.t as MsgT;
    let first = true;
    for (const x of g.rcpts) {
      if (this.exim) {
        const arrow = first ? '=>' : '->';
        const target = m.relayTo as Host;
        this.ex(t, h, g.pid, `${m.qid} ${arrow} ${x.addr} R=smarthost T=remote_smtp_smarthost H=${target.fqdn} [${target.lanIp}] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes C="250 OK id=${n.qid}" QT=${Math.round((t - m.created) / SEC)}s DT=0s`);
      } else {
        const relay = g.kind === 'filter' ? '127.0.0.1[127.0.0.1]:10024' : `${(m.relayTo as Host).fqdn}[${(m.relayTo as Host).lanIp}]:25`;
        const reply = g.kind === 'filter'
          ? `250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as ${n.qid}`
          : `250 2.0.0 Ok: queued as ${n.qid}`;
        this.pf(t, h, 'smtp', g.pid, `${m.qid}: to=<${x.addr}>, relay=${relay}, ${this.delays(m, g, t)}, dsn=2.0.0, status=sent (${reply})`);
      }
      if (first) this.truth.link(tm, n.t as MsgT);
      this.truth.hopSeen(n.t as MsgT, x.addr, x.domain);
      first = false;
      x.final = true;
    }
    if (!this.exim && n.session !== undefined) this.schedule(t + this.ms(1, 20), K.Disconnect, n.host, undefined, n.session);
    this.schedule(t + this.ms(20, 400), K.Pass, n.host, n);
    this.groupDone(t, m);
  }

  private onPassEnd(t: number, m: Msg): void {
    const bounced = m.rcpts.some((x) => x.bouncedNow);
    if (bounced && m.sender !== '' && !this.exim) {
      this.schedule(t + this.ms(1, 30), K.Notice, m.host, m);
      return;
    }
    this.afterPass(t, m);
  }

  /** After a pass (and its notice): removed, expired, or back to the deferred queue. */
  private afterPass(t: number, m: Msg): void {
    if (m.rcpts.every((x) => x.final)) {
      this.schedule(t + this.ms(0.1, 3), K.Remove, m.host, m);
      return;
    }
    const age = (t - m.created) / SEC;
    if (!this.exim && age >= this.o.maxQueueLifetime) {
      this.schedule(t + this.ms(0.1, 2), K.Expire, m.host, m);
      return;
    }
    // Postfix backoff: wait about as long as the message is old, clamped to
    // [minimal_backoff_time, maximal_backoff_time], picked up by the next deferred-queue scan.
    const o = this.o;
    const wait = Math.min(o.maxBackoff, Math.max(o.minBackoff, age));
    // Expiry is noticed at the first pass after maximal_queue_lifetime, as Postfix does.
    this.schedule(t + wait * SEC + this.rng.next() * o.queueRunDelay * SEC, K.Retry, m.host, m);
  }

  private onRetry(t: number, m: Msg): void {
    if (!this.exim) this.qmgrFrom(t, m);
    this.schedule(t + this.ms(5, 200), K.Pass, m.host, m);
  }

  private onExpire(t: number, m: Msg): void {
    this.pf(t, m.host, 'qmgr', m.host.qmgr, `${m.qid}: from=<${m.sender}>, status=expired, returned to sender`);
    this.truth.expired(m.t as MsgT);
    for (const x of m.rcpts) x.final = true;
    if (m.sender !== '') this.schedule(t + this.ms(1, 30), K.Notice, m.host, m);
    else this.schedule(t + this.ms(0.1, 3), K.Remove, m.host, m);
  }

  /** Postfix bounce(8): the non-delivery notice is a new message from <> to the sender. */
  private onNotice(t: number, orig: Msg): void {
    const h = orig.host;
    const n = this.noticeMsg(h, orig, t);
    n.qid = this.newQid(h, t, false);
    n.messageId = `<${compactStamp(t)}.${n.qid}@${h.fqdn}>`;
    // cleanup and qmgr lines share one timestamp: the notice's first event is unambiguous.
    const ts = this.pf(t, h, 'cleanup', this.pid(h, h.cleanup), `${n.qid}: message-id=${n.messageId}`);
    n.t = this.truth.startMessage(ts);
    n.created = ts;
    this.qmgrFrom(ts, n);
    this.pf(t + this.ms(0.1, 3), h, 'bounce', this.pid(h, h.bounce), `${orig.qid}: sender non-delivery notification: ${n.qid}`);
    this.schedule(t + this.ms(5, 200), K.Pass, h, n);
    this.afterPass(t + this.ms(1, 5), orig);
  }

  private noticeMsg(h: Host, orig: Msg, t: number): Msg {
    const r = this.rng;
    const sd = SENDER_DESTS[orig.senderDomain];
    const mx: Mx = sd?.mx ?? { name: h.fqdn, ip: '127.0.0.1' };
    const failing = sd !== undefined && r.next() < sd.dnsFailRate;
    const expire = failing && r.next() < 0.3;
    const rc: Rcpt = {
      addr: orig.sender,
      domain: orig.senderDomain.toLowerCase(),
      dest: undefined,
      mx,
      fate: expire ? 'expire' : 'sent',
      defersLeft: expire ? Infinity : failing ? r.range(1, 3) : 0,
      deferReply: REPLIES.dns_tempfail,
      bounceReply: REPLIES.user_unknown,
      final: false,
      bouncedNow: false,
    };
    const n = this.newMsg(h, 'notice', '', [rc], t);
    n.size = orig.size + r.range(1800, 2600);
    n.orig = orig;
    return n;
  }

  private onRemove(t: number, m: Msg): void {
    if (m.done) return;
    m.done = true;
    const h = m.host;
    if (this.exim) this.ex(t, h, 0, `${m.qid} Completed`);
    else {
      this.pf(t, h, 'qmgr', h.qmgr, `${m.qid}: removed`);
      h.openQids.delete(m.qid);
      h.recent.push(m.qid);
      if (h.recent.length > 64) h.recent.shift();
    }
    this.truth.removed(m.t as MsgT);
  }

  private onStats(t: number, h: Host): void {
    this.schedule(t + 600 * SEC, K.Stats, h);
    if (this.exim) return;
    const when = this.tfStamp(t - 600 * SEC + this.rng.int(600) * SEC);
    const app = this.rng.pick(SENDER_APPS);
    this.pf(t, h, 'anvil', h.anvil, `statistics: max connection rate ${this.rng.range(2, 40)}/60s for (smtp:${app.ip}) at ${when}`);
    this.pf(t, h, 'anvil', h.anvil, `statistics: max connection count ${this.rng.range(1, 12)} for (smtp:${app.ip}) at ${when}`);
    this.pf(t, h, 'anvil', h.anvil, `statistics: max cache size ${this.rng.range(3, 30)} at ${when}`);
  }

  private tfStamp(t: number): string {
    return new TimeFormatter('rfc3164').format(t);
  }

  // ---- Exim -----------------------------------------------------------------------------------

  private eximArrival(t: number, m: Msg): void {
    const h = m.host;
    const r = this.rng;
    const pid = m.session?.pid ?? this.forkPid(h);
    m.qid = this.eximId(t, pid + h.idx * 3_000_000);
    if (m.messageId === '') m.messageId = `<${compactStamp(t)}.${randChars(r, '0123456789abcdef', 12)}@${m.senderDomain || h.fqdn}>`;
    const id = m.messageId.slice(1, -1);
    let text: string;
    if (m.kind === 'notice') {
      text = `${m.qid} <= <> R=${(m.orig as Msg).qid} U=Debian-exim P=local S=${m.size} T="Mail delivery failed: returning message to sender"`;
    } else {
      const s = m.session as Session;
      const tls = s.tls ? ' X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no' : '';
      const auth = s.sasl !== undefined ? ` A=plain:${s.sasl}` : '';
      const hpart = s.client === 'unknown' ? `H=(${s.helo}) [${s.ip}]` : `H=${s.client} [${s.ip}]`;
      text = `${m.qid} <= ${m.sender} ${hpart} P=${s.tls ? 'esmtps' : 'esmtp'}${tls}${auth} S=${m.size} id=${id}`;
    }
    const ts = this.ex(t, h, pid, text);
    m.t = this.truth.startMessage(ts);
    m.created = ts;
    if (m.kind !== 'relayed' && m.kind !== 'filtered') this.schedule(t + this.ms(5, 300), K.Pass, h, m);
  }

  private eximGroup(t: number, g: Group, connFail: ReplyDef | undefined, expiring: boolean): void {
    const m = g.msg;
    const h = m.host;
    const tm = m.t as MsgT;
    const qt = `QT=${Math.max(0, Math.round((t - m.created) / SEC))}s`;
    let arrowUsed = false;
    const failed: Rcpt[] = [];
    for (const x of g.rcpts) {
      const hp = `H=${x.mx.name} [${x.mx.ip}]`;
      // Routing failures (DNS) happen before a transport is chosen: no T= on those lines.
      const pending = x.defersLeft > 0 ? x.deferReply : x.fate === 'bounce' ? x.bounceReply : undefined;
      const router = pending !== undefined && ROUTING.has(pending.id) ? 'R=dnslookup' : 'R=dnslookup T=remote_smtp';
      const c = this.ctx(m, x, t);
      if (x.defersLeft > 0) {
        x.defersLeft--;
        const rep = x.deferReply;
        const why = this.eximReason(rep, c, x, m.sender);
        if (expiring) {
          this.ex(t, h, g.pid, `${m.qid} ** ${x.addr} ${router}${why.hostPart}: ${why.text}: retry timeout exceeded`);
          this.truth.bounced(tm, x.addr, x.domain, rep.cls);
          this.failureTap?.(this.lastLine, rep.cls, rep.id + '+timeout');
          x.final = true;
          failed.push(x);
        } else {
          this.ex(t, h, g.pid, `${m.qid} == ${x.addr} ${router} defer (${why.errno})${why.hostPart}: ${why.text}`);
          this.truth.deferred(tm, x.addr, x.domain, rep.cls);
          this.failureTap?.(this.lastLine, rep.cls, rep.id);
        }
      } else if (x.fate === 'bounce') {
        const rep = x.bounceReply;
        const why = this.eximReason(rep, c, x, m.sender);
        const head = rep.id === 'nxdomain' ? `${m.qid} ** ${x.addr}` : `${m.qid} ** ${x.addr} ${router}${why.hostPart}`;
        this.ex(t, h, g.pid, `${head}: ${why.text}`);
        this.truth.bounced(tm, x.addr, x.domain, rep.cls);
        this.failureTap?.(this.lastLine, rep.cls, rep.id);
        x.final = true;
        failed.push(x);
      } else {
        const ok = this.okReply(m, x, t).replace(/"/g, '\\"');
        const tls = x.dest?.tls !== undefined ? ' X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes' : '';
        const ts = this.ex(t, h, g.pid, `${m.qid} ${arrowUsed ? '->' : '=>'} ${x.addr} R=dnslookup T=remote_smtp ${hp}${tls} C="${ok}" ${qt} DT=${Math.max(0, Math.round(g.xmit / SEC))}s`);
        arrowUsed = true;
        this.truth.sent(tm, x.addr, x.domain, ts);
        x.final = true;
      }
    }
    void connFail;
    for (const x of failed) x.bouncedNow = true;
    if (--m.pendingGroups === 0) {
      if (m.sender !== '' && m.rcpts.some((x) => x.bouncedNow)) {
        // Exim writes one bounce message right after the failures of a delivery run.
        this.eximArrival(t + this.ms(1, 20), this.noticeMsg(h, m, t));
      }
      if (m.rcpts.every((x) => x.final)) this.schedule(t + this.ms(0.5, 5), K.Remove, h, m);
      else this.afterPass(t, m);
    }
  }

  private eximReason(rep: ReplyDef, c: ReplyCtx, x: Rcpt, sender: string): { errno: number; hostPart: string; text: string } {
    if (rep.kind === 'local' && rep.exim !== undefined) {
      const e = rep.exim(c);
      // Host-qualified local texts carry their own "H=..." part.
      if (e.text.startsWith('H=')) {
        const i = e.text.indexOf(': ');
        return { errno: e.errno, hostPart: ' ' + e.text.slice(0, i), text: e.text.slice(i + 2) };
      }
      return { errno: e.errno, hostPart: '', text: e.text };
    }
    const stage = rep.stage === 'RCPT TO' ? `RCPT TO:<${x.addr}>` : rep.stage === 'MAIL FROM' ? `MAIL FROM:<${sender}>` : 'end of data';
    const errno = rep.stage === 'RCPT TO' ? -44 : rep.stage === 'MAIL FROM' ? -45 : -46;
    // Exim keeps a multi-line reply's line breaks, printed as "\n".
    return { errno, hostPart: ` H=${x.mx.name} [${x.mx.ip}]`, text: `SMTP error from remote mail server after ${stage}: ${rep.lines(c).join('\\n')}` };
  }
}
