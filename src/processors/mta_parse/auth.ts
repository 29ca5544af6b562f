// Message parsers for the authentication side-cars of a mail host: OpenDKIM, OpenDMARC,
// policyd-spf (python and perl Postfix policy servers) and Dovecot.
//
// Counting convention (so that mail.auth.results / mail.sasl.failures count each decision once):
//   event 'auth'      — one decision: a verification result, an SPF policy action, a login
//                       process pass/fail. Connectors count these.
//   event 'dkim_sign' — a signature was added; auth.result is 'signed' (not a verification).
//   event 'info'      — detail lines that repeat or precede a decision may still carry `auth`
//                       for context (OpenDKIM's "s=.. d=.. SSL ..." before "bad signature data",
//                       policyd-spf's per-identity "Pass; identity=helo; ..." lines, Dovecot
//                       passdb "Password mismatch" lines that the login process summarises).
// OpenDKIM's LogWhy notes ("not internal", "not authenticated", "external host ... attempted
// to send as ...") explain why a message was not signed; they are 'info' with a reason, not
// verification results.
// Dovecot: login-process lines are the SASL decisions; LMTP/LDA "saved mail to" lines are
// delivery_attempt status 'sent' (message_id without angle brackets, recipient = the user).

import type { AuthResult, MailEvent, Severity } from '../../model/mail_event.js';
import type { MessageParser } from './types.js';

const SP = 32;

function attr(ev: MailEvent, k: string, v: string | number): void {
  (ev.attrs ??= {})[k] = v;
}

function domainOf(addr: string): string | undefined {
  const at = addr.lastIndexOf('@');
  return at >= 0 && at < addr.length - 1 ? addr.substring(at + 1).toLowerCase() : undefined;
}

function stripAngle(v: string): string {
  return v.length >= 2 && v.charCodeAt(0) === 60 && v.charCodeAt(v.length - 1) === 62
    ? v.substring(1, v.length - 1)
    : v;
}

function isIdChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 46 || c === 95;
}

/**
 * Milter job id prefix ("4XyZ1AbC: ", "(unknown-jobid) ", "QID s=..."): returns the index of
 * the text after it and sets ev.queue_id, or -1 when the message does not start with one.
 */
function jobId(msg: string, ev: MailEvent): number {
  const n = msg.length;
  if (msg.startsWith('(unknown-jobid)')) return skipSp(msg, 15 + (msg.charCodeAt(15) === 58 ? 1 : 0));
  let j = 0;
  while (j < n && isIdChar(msg.charCodeAt(j))) j++;
  if (j === 0 || j === n) return -1;
  const c = msg.charCodeAt(j);
  if (c === 58 && msg.charCodeAt(j + 1) === SP) {
    if (msg.startsWith('NOQUEUE', 0) && j === 7) return j + 2;
    ev.queue_id = msg.substring(0, j);
    return j + 2;
  }
  // a few lines log "JOBID text" without the colon (OpenDKIM SSL errors, OpenDMARC A-R notes)
  if (c === SP && (msg.startsWith('s=', j + 1) || msg.startsWith('SSL ', j + 1) || msg.startsWith('ignoring ', j + 1))) {
    ev.queue_id = msg.substring(0, j);
    return j + 1;
  }
  return -1;
}

function skipSp(s: string, i: number): number {
  while (i < s.length && s.charCodeAt(i) === SP) i++;
  return i;
}

/** "OpenDKIM Filter v2.11.0 starting (args: ...)" / "... terminating with status 0, errno = 0" */
function filterDaemon(msg: string, prefix: string, ev: MailEvent): boolean {
  if (!msg.startsWith(prefix)) return false;
  const vs = prefix.length;
  let ve = msg.indexOf(' ', vs);
  if (ve < 0) ve = msg.length;
  attr(ev, 'version', msg.substring(vs, ve));
  ev.event = 'daemon';
  if (msg.startsWith('starting', ve + 1)) ev.action = 'start';
  else if (msg.startsWith('terminating', ve + 1)) ev.action = 'stop';
  ev.reason = msg;
  return true;
}

/** "(s=sel, d=example.com)" or "s=sel d=example.com" anywhere in t. */
function selectorDomain(t: string, auth: AuthResult): void {
  const s = t.indexOf('s=');
  if (s >= 0) {
    let e = s + 2;
    while (e < t.length && t.charCodeAt(e) !== SP && t.charCodeAt(e) !== 44 && t.charCodeAt(e) !== 41) e++;
    auth.selector = t.substring(s + 2, e);
  }
  const d = t.indexOf('d=');
  if (d >= 0) {
    let e = d + 2;
    while (e < t.length && t.charCodeAt(e) !== SP && t.charCodeAt(e) !== 44 && t.charCodeAt(e) !== 41) e++;
    auth.domain = t.substring(d + 2, e);
  }
}

// ---------------------------------------------------------------------------------------------
// OpenDKIM (opendkim/opendkim.c: dkimf_libstatus, dkimf_log_ssl_errors, mlfi_eom, LogWhy)

export const parseOpenDkim: MessageParser = (msg, ev) => {
  ev.mta = 'opendkim';
  if (filterDaemon(msg, 'OpenDKIM Filter v', ev)) return true;
  if (msg.startsWith('configuration reloaded')) {
    ev.event = 'daemon';
    ev.action = 'reload';
    ev.reason = msg;
    return true;
  }
  const i = jobId(msg, ev);
  if (i < 0) return false;
  const t = msg.substring(i);
  const auth: AuthResult = { mechanism: 'dkim', result: 'none' };
  if (t.startsWith('DKIM-Signature field added')) {
    selectorDomain(t, auth);
    auth.result = 'signed';
    ev.event = 'dkim_sign';
    ev.auth = auth;
    return true;
  }
  if (t.startsWith('DKIM verification successful')) {
    auth.result = 'pass';
    ev.event = 'auth';
    ev.auth = auth;
    return true;
  }
  if (t.startsWith('s=') || t.startsWith('SSL ')) {
    // crypto detail logged just before "bad signature data": context, not a second result
    const ssl = t.indexOf('SSL ');
    if (ssl > 0) selectorDomain(t.substring(0, ssl), auth);
    auth.result = 'fail';
    auth.reason = ssl >= 0 ? t.substring(ssl + 4) : t;
    ev.event = 'info';
    ev.auth = auth;
    return true;
  }
  let reason: string | undefined;
  if (t.startsWith('bad signature data')) {
    auth.result = 'fail';
    reason = 'bad signature data';
  } else if (t.startsWith('signature verification failed')) {
    auth.result = 'fail';
    reason = t;
  } else if (t.startsWith('key retrieval failed')) {
    selectorDomain(t.substring(0, t.indexOf(')') + 1), auth);
    // a missing key record is a permanent error (RFC 6376 6.1.2); DNS trouble is temporary
    auth.result = /not found|NXDOMAIN|no key/i.test(t) ? 'permerror' : 'temperror';
    reason = t;
  } else if (t.startsWith('no signature data')) {
    auth.result = 'none';
    reason = 'no signature data';
  } else if (t.startsWith('syntax error')) {
    auth.result = 'permerror';
    reason = t;
  } else if (t.indexOf('internal error from libopendkim') >= 0 || t.indexOf('resource unavailable') >= 0) {
    auth.result = 'temperror';
    reason = t;
  }
  if (reason !== undefined) {
    auth.reason = reason;
    ev.event = 'auth';
    ev.auth = auth;
    return true;
  }
  // LogWhy notes and other per-message information
  if (t.startsWith('message has signatures from ')) {
    ev.event = 'info';
    attr(ev, 'signers', t.substring(28));
    return true;
  }
  if (t.startsWith('external host ')) {
    ev.event = 'info';
    ev.action = 'not_signed';
    ev.reason = t;
    const e = t.indexOf(' ', 14);
    if (e > 14) ev.client_host = t.substring(14, e);
    const as = t.lastIndexOf(' as ');
    if (as > 0) attr(ev, 'claimed_domain', t.substring(as + 4));
    return true;
  }
  if (t.endsWith(' not internal')) {
    ev.event = 'info';
    ev.action = 'not_signed';
    ev.reason = 'not internal';
    const b = t.indexOf(' [');
    if (b > 0) {
      ev.client_host = t.substring(0, b);
      const close = t.indexOf(']', b);
      if (close > b) ev.client_ip = t.substring(b + 2, close);
    }
    return true;
  }
  if (t.startsWith('not authenticated') || t.startsWith('no signing ') || t.startsWith('no MTA name match')) {
    ev.event = 'info';
    ev.action = 'not_signed';
    ev.reason = t;
    return true;
  }
  return false;
};

// ---------------------------------------------------------------------------------------------
// OpenDMARC (opendmarc/opendmarc.c: mlfi_eom "%s: %s %s", SPF self-validation, A-R handling)

const DMARC_RESULTS = new Set(['pass', 'fail', 'none', 'bestguesspass', 'temperror', 'permerror', 'reject', 'quarantine']);

export const parseOpenDmarc: MessageParser = (msg, ev) => {
  ev.mta = 'opendmarc';
  if (filterDaemon(msg, 'OpenDMARC Filter v', ev)) return true;
  if (
    msg.startsWith('ignoring connection from ') ||
    msg.startsWith('implicit authentication service: ') ||
    msg.startsWith('additional trusted authentication services: ')
  ) {
    ev.event = 'info';
    ev.reason = msg;
    return true;
  }
  const i = jobId(msg, ev);
  if (i < 0) return false;
  const t = msg.substring(i);
  if (t.startsWith('ignoring Authentication-Results at ')) {
    ev.event = 'info';
    ev.reason = t;
    const f = t.indexOf(' from ');
    if (f > 0) attr(ev, 'authserv_id', t.substring(f + 6));
    return true;
  }
  if (t.startsWith('SPF(')) {
    // "SPF(mailfrom): example.com pass" (SPFSelfValidate)
    const close = t.indexOf('): ');
    if (close < 0) return false;
    const parts = t.substring(close + 3).split(' ');
    if (parts.length < 2) return false;
    attr(ev, 'identity', t.substring(4, close));
    ev.event = 'auth';
    ev.auth = { mechanism: 'spf', result: parts[1].toLowerCase(), domain: parts[0] };
    return true;
  }
  // "example.com pass" [optionally "(p=reject dis=none)" / "policy=reject" on patched builds]
  const sp = t.indexOf(' ');
  if (sp > 0) {
    const e = t.indexOf(' ', sp + 1);
    const result = t.substring(sp + 1, e < 0 ? t.length : e).toLowerCase();
    const dot = t.indexOf('.');
    if (DMARC_RESULTS.has(result) && dot > 0 && dot < sp) {
      const auth: AuthResult = { mechanism: 'dmarc', result, domain: t.substring(0, sp) };
      if (result === 'reject' || result === 'quarantine') {
        auth.result = 'fail';
        auth.policy = result;
      }
      if (e > 0) {
        const rest = t.substring(e + 1);
        const p = rest.indexOf('p=');
        if (p >= 0) {
          let pe = p + 2;
          while (pe < rest.length && /[a-z]/.test(rest[pe])) pe++;
          auth.policy = rest.substring(p + 2, pe);
        }
        const dis = rest.indexOf('dis=');
        if (dis >= 0) {
          let de = dis + 4;
          while (de < rest.length && /[a-z]/.test(rest[de])) de++;
          attr(ev, 'disposition', rest.substring(dis + 4, de));
        }
      }
      ev.event = 'auth';
      ev.auth = auth;
      return true;
    }
  }
  if (t.startsWith('unable to parse From') || t.startsWith('RFC5322 requirement error') || t.startsWith('no From')) {
    ev.event = 'warning';
    ev.severity = 'warning';
    ev.reason = t;
    return true;
  }
  return false;
};

// ---------------------------------------------------------------------------------------------
// policyd-spf (python spf-engine "prepend Received-SPF: ..."; perl "Policy action=PREPEND ...")

const SPF_RESULTS: Record<string, string> = {
  pass: 'pass', fail: 'fail', softfail: 'softfail', neutral: 'neutral', none: 'none',
  temperror: 'temperror', permerror: 'permerror',
  // RFC 4408 spellings still emitted by old libraries
  error: 'temperror', unknown: 'permerror',
};

/** Index just past the parenthesised comment starting at i (nested parentheses allowed). */
function commentEnd(s: string, i: number): number {
  let depth = 0;
  for (let k = i; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c === 40) depth++;
    else if (c === 41 && --depth === 0) return k + 1;
  }
  return s.length;
}

/** "key=value; key=\"value\"; ..." (Received-SPF key-value list); unknown keys go to attrs. */
function spfPairs(s: string, ev: MailEvent, auth: AuthResult): void {
  let i = 0;
  const n = s.length;
  while (i < n) {
    while (i < n && (s.charCodeAt(i) === SP || s.charCodeAt(i) === 59)) i++;
    const eq = s.indexOf('=', i);
    if (eq < 0) break;
    const key = s.substring(i, eq).trim().toLowerCase();
    let v: string;
    if (s.charCodeAt(eq + 1) === 34) {
      const close = s.indexOf('"', eq + 2);
      v = s.substring(eq + 2, close < 0 ? n : close);
      i = close < 0 ? n : close + 1;
    } else {
      let e = eq + 1;
      while (e < n && s.charCodeAt(e) !== 59 && s.charCodeAt(e) !== SP) e++;
      v = s.substring(eq + 1, e);
      i = e;
    }
    switch (key) {
      case 'client-ip': ev.client_ip = v; break;
      case 'helo': ev.helo = v; break;
      case 'envelope-from': {
        const a = stripAngle(v);
        ev.sender = a;
        const d = domainOf(a);
        if (d !== undefined) ev.sender_domain = d;
        break;
      }
      case 'identity': attr(ev, 'identity', v); break;
      case 'receiver': attr(ev, 'receiver', v); break;
      case 'mechanism': attr(ev, 'mechanism', v); break;
      default: if (key.length > 0 && key.length < 32) attr(ev, key, v);
    }
  }
  // domain checked: the envelope sender's domain, or the HELO name for helo-identity checks
  const identity = ev.attrs?.identity;
  if (identity === 'helo' && ev.helo !== undefined) auth.domain = ev.helo;
  else if (ev.sender_domain !== undefined) auth.domain = ev.sender_domain;
  else if (ev.helo !== undefined) auth.domain = ev.helo;
}

/** "Pass (comment) identity=...; client-ip=...": the Received-SPF value or a bare result line. */
function spfHeader(s: string, ev: MailEvent, auth: AuthResult): boolean {
  let e = 0;
  while (e < s.length && s.charCodeAt(e) !== SP && s.charCodeAt(e) !== 59) e++;
  const result = SPF_RESULTS[s.substring(0, e).toLowerCase()];
  if (result === undefined) return false;
  auth.result = result;
  let i = skipSp(s, e);
  let comment: string | undefined;
  if (s.charCodeAt(i) === 40) {
    const ce = commentEnd(s, i);
    comment = s.substring(i + 1, ce - 1);
    i = ce;
  }
  spfPairs(s.substring(i), ev, auth);
  // spf-engine's comment is just the identity ("Pass (mailfrom) ..."): already in attrs.identity
  if (comment !== undefined && comment !== ev.attrs?.identity) auth.reason = comment;
  return true;
}

/** "550 5.7.23 Message rejected due to: SPF fail - not authorized. Please see http://...Why?s=mfrom;id=..;ip=..;r=.." */
function spfReject(t: string, ev: MailEvent, auth: AuthResult): boolean {
  const c = t.charCodeAt(0);
  if (!(c === 52 || c === 53) || !/^\d{3}[ -]/.test(t)) return false;
  const code = Number(t.substring(0, 3));
  ev.reply = t;
  ev.reply_code = code;
  const ds = t.indexOf(' ', 4);
  const dsn = t.substring(4, ds < 0 ? t.length : ds);
  if (/^[245]\.\d{1,3}\.\d{1,3}$/.test(dsn)) ev.dsn = dsn;
  const spf = t.indexOf('SPF ');
  let result = code >= 500 ? 'fail' : 'temperror';
  if (spf >= 0) {
    const we = t.indexOf(' ', spf + 4);
    const word = t.substring(spf + 4, we < 0 ? t.length : we).toLowerCase().replace(/[^a-z]/g, '');
    if (word === 'permanent') result = 'permerror';
    else if (word === 'temporary') result = 'temperror';
    else if (SPF_RESULTS[word] !== undefined) result = SPF_RESULTS[word];
  }
  auth.result = result;
  const why = t.indexOf('Why?');
  const due = t.indexOf('due to: ');
  let reason = due > 0 ? t.substring(due + 8) : t.substring(ds < 0 ? t.length : ds + 1);
  const see = reason.indexOf(' Please see');
  if (see >= 0) reason = reason.substring(0, see);
  if (reason.endsWith('.')) reason = reason.substring(0, reason.length - 1);
  auth.reason = reason;
  if (why > 0) {
    for (const part of t.substring(why + 4).split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      const k = part.substring(0, eq);
      let v = part.substring(eq + 1);
      if (v.indexOf('%') >= 0) {
        try { v = decodeURIComponent(v); } catch { /* keep as logged */ }
      }
      if (k === 's') attr(ev, 'identity', v === 'mfrom' ? 'mailfrom' : v);
      else if (k === 'id') {
        const at = v.indexOf('@');
        if (at >= 0) {
          ev.sender = v;
          const d = domainOf(v);
          if (d !== undefined) { ev.sender_domain = d; auth.domain = d; }
        } else {
          auth.domain = v;
        }
      } else if (k === 'ip') ev.client_ip = v;
    }
  }
  ev.action = code >= 500 ? 'reject' : 'defer';
  ev.status_class = code >= 500 ? '5xx' : '4xx';
  return true;
}

export const parsePolicydSpf: MessageParser = (msg, ev) => {
  ev.mta = 'policyd-spf';
  let t = msg;
  // perl policyd-spf prefixes its lines with ": " (an empty request id)
  if (t.startsWith(': ')) t = t.substring(2);
  const auth: AuthResult = { mechanism: 'spf', result: 'none' };
  let hdr = -1;
  if (t.startsWith('prepend Received-SPF: ')) hdr = 22;
  else if (t.startsWith('action=PREPEND Received-SPF: ')) hdr = 29;
  else if (t.startsWith('Policy action=PREPEND Received-SPF: ')) hdr = 36;
  if (hdr >= 0) {
    if (!spfHeader(t.substring(hdr), ev, auth)) return false;
    ev.event = 'auth';
    ev.action = 'prepend';
    ev.auth = auth;
    return true;
  }
  let act = t;
  if (act.startsWith('Policy action=')) act = act.substring(14);
  else if (act.startsWith('action=')) act = act.substring(7);
  if (spfReject(act, ev, auth)) {
    ev.event = 'auth';
    ev.auth = auth;
    return true;
  }
  // python per-identity result ("None; identity=helo; client-ip=...") and perl's
  // "SPF pass (comment): Envelope-from: x" summary: context for the decision line above
  if (t.startsWith('SPF ')) {
    const colon = t.lastIndexOf(': ');
    if (!spfHeader(t.substring(4, colon > 0 ? colon : t.length), ev, auth)) return false;
    const ef = t.indexOf('Envelope-from: ');
    if (ef >= 0) {
      const a = stripAngle(t.substring(ef + 15).trim());
      if (a.length > 0) {
        ev.sender = a;
        const d = domainOf(a);
        if (d !== undefined) { ev.sender_domain = d; auth.domain = d; }
      }
    }
    ev.event = 'info';
    ev.auth = auth;
    return true;
  }
  const semi = t.indexOf('; identity=');
  if (semi > 0 && spfHeader(t.substring(0, semi) + ' ' + t.substring(semi + 2), ev, auth)) {
    ev.event = 'info';
    ev.auth = auth;
    return true;
  }
  if (t.startsWith('Starting') || t.startsWith('Config') || t.startsWith('handler ') || t.startsWith('Read line') || t.startsWith('Found the end of entry')) {
    ev.event = t.startsWith('Starting') ? 'daemon' : 'info';
    if (ev.event === 'daemon') ev.action = 'start';
    ev.reason = t;
    return true;
  }
  return false;
};

// ---------------------------------------------------------------------------------------------
// Dovecot ("service(user)<pid><session>: [Level: ]text", 2.2 "service(pid, user): ...")

const LEVELS: Record<string, Severity> = {
  'Info: ': 'info', 'Warning: ': 'warning', 'Error: ': 'error', 'Fatal: ': 'fatal', 'Panic: ': 'panic', 'Debug: ': 'debug',
};

interface DovecotPrefix {
  service: string;
  /** user from "service(user)" / "service(pid, user)"; undefined for "(pid)" or none */
  user: string | undefined;
  session: string | undefined;
  textAt: number;
}

function dovecotPrefix(msg: string): DovecotPrefix | undefined {
  const n = msg.length;
  let i = 0;
  while (i < n) {
    const c = msg.charCodeAt(i);
    if (c === 58 || c === 40 || c === 60 || c === SP) break;
    i++;
  }
  if (i === 0 || i >= n) return undefined;
  const service = msg.substring(0, i);
  let user: string | undefined;
  let session: string | undefined;
  if (msg.charCodeAt(i) === 40) {
    const close = msg.indexOf(')', i);
    if (close < 0) return undefined;
    const inner = msg.substring(i + 1, close);
    const comma = inner.indexOf(', ');
    const u = comma >= 0 ? inner.substring(comma + 2) : inner;
    if (!/^\d+$/.test(u)) user = u;
    i = close + 1;
  }
  // "<pid><session>" groups (2.3)
  let groups = 0;
  while (msg.charCodeAt(i) === 60) {
    const close = msg.indexOf('>', i);
    if (close < 0) return undefined;
    if (++groups === 2) session = msg.substring(i + 1, close);
    i = close + 1;
  }
  if (msg.charCodeAt(i) !== 58 || msg.charCodeAt(i + 1) !== SP) return undefined;
  return { service, user, session, textAt: i + 2 };
}

/** "user=<a@b>, method=PLAIN, rip=1.2.3.4, lip=..., mpid=123, TLS, session=<...>" */
function loginFields(s: string, ev: MailEvent, auth: AuthResult): void {
  let i = 0;
  const n = s.length;
  while (i < n) {
    while (i < n && (s.charCodeAt(i) === SP || s.charCodeAt(i) === 44)) i++;
    if (i >= n) break;
    let e = i;
    const eq = s.indexOf('=', i);
    const comma = s.indexOf(', ', i);
    const end = comma < 0 ? n : comma;
    if (eq > 0 && eq < end) {
      const key = s.substring(i, eq);
      let v: string;
      if (s.charCodeAt(eq + 1) === 60) {
        const close = s.indexOf('>', eq + 2);
        v = s.substring(eq + 2, close < 0 ? n : close);
        e = close < 0 ? n : close + 1;
      } else {
        v = s.substring(eq + 1, end);
        e = end;
      }
      switch (key) {
        case 'user': if (v.length > 0) auth.username = v; break;
        case 'method': auth.method = v; break;
        case 'rip': ev.client_ip = v; break;
        case 'rport': { const p = Number(v); if (Number.isInteger(p)) ev.client_port = p; break; }
        case 'lip': attr(ev, 'local_ip', v); break;
        case 'lport': { const p = Number(v); if (Number.isInteger(p)) attr(ev, 'local_port', p); else attr(ev, 'lport', v); break; }
        case 'mpid': { const p = Number(v); if (Number.isInteger(p)) attr(ev, 'mail_pid', p); break; }
        case 'session': attr(ev, 'session', v); break;
        default: attr(ev, key, v);
      }
    } else {
      const word = s.substring(i, end);
      e = end;
      if (word === 'TLS') {
        ev.tls ??= { direction: 'inbound' };
      } else if (word === 'secured') {
        // trusted network or localhost, not necessarily TLS
        attr(ev, 'secured', 1);
      } else if (word.startsWith('TLS handshaking') || word.startsWith('TLS: ')) {
        ev.tls ??= { direction: 'inbound' };
        attr(ev, 'tls_error', word);
      } else if (word.startsWith('TLSv') || word.startsWith('SSLv')) {
        // %k: "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)"
        const m = /^(\S+) with cipher (\S+)(?: \((\d+)\/\d+ bits\))?/.exec(word);
        ev.tls = { direction: 'inbound' };
        if (m !== null) {
          ev.tls.protocol = m[1];
          ev.tls.cipher = m[2];
          if (m[3] !== undefined) ev.tls.bits = Number(m[3]);
        }
      }
    }
    i = e;
  }
  if (ev.tls !== undefined && ev.client_ip !== undefined) ev.tls.peer_ip = ev.client_ip;
}

/** imap-login / pop3-login / submission-login / managesieve-login lines. */
function loginLine(t: string, ev: MailEvent): boolean {
  // split "Phrase (detail): user=<..>, ..." at the ": " that precedes the first key=value
  let split = -1;
  for (let k = t.indexOf(': '); k >= 0; k = t.indexOf(': ', k + 2)) {
    const after = k + 2;
    const eq = t.indexOf('=', after);
    const sp = t.indexOf(' ', after);
    if (eq > after && (sp < 0 || eq < sp)) { split = k; break; }
  }
  const phrase = split >= 0 ? t.substring(0, split) : t;
  const auth: AuthResult = { mechanism: 'sasl', result: 'fail' };
  if (split >= 0) loginFields(t.substring(split + 2), ev, auth);
  const m = / (\d+) attempts? in (\d+) secs?/.exec(phrase);
  if (m !== null) attr(ev, 'auth_attempts', Number(m[1]));
  if (phrase === 'Login') {
    auth.result = 'pass';
  } else if (phrase.indexOf('auth failed') >= 0 || phrase.indexOf('plaintext auth') >= 0
    || phrase.indexOf('(auth_failed)') >= 0) {
    auth.result = 'fail';
    const open = phrase.indexOf('(');
    const close = open >= 0 ? phrase.indexOf(')', open) : -1;
    auth.reason = open >= 0 && close > open ? phrase.substring(open + 1, close) : phrase;
  } else {
    // no authentication decision (no attempts, client went away, limits)
    ev.event = phrase.startsWith('Disconnected') || phrase.startsWith('Aborted login') || phrase.startsWith('Login aborted') ? 'disconnect' : 'info';
    ev.reason = phrase;
    if (auth.username !== undefined) attr(ev, 'user', auth.username);
    if (auth.method !== undefined) attr(ev, 'method', auth.method);
    return true;
  }
  ev.event = 'auth';
  ev.auth = auth;
  if (auth.result === 'fail') ev.reason = phrase;
  return true;
}

function dovecotDelivery(p: DovecotPrefix, t: string, ev: MailEvent): boolean {
  // "msgid=<x@y>: saved mail to INBOX" / "sieve: msgid=<..>: stored mail into mailbox 'INBOX'"
  let i = 0;
  // 2.2 logs "lmtp(pid, user): SESSION: msgid=..."
  const sm = t.indexOf(': msgid=');
  if (sm > 0 && t.lastIndexOf(' ', sm) < 0 && !t.startsWith('sieve', 0)) {
    attr(ev, 'session', t.substring(0, sm));
    i = sm + 2;
  }
  if (t.startsWith('sieve: ', i)) { i += 7; attr(ev, 'sieve', 1); }
  if (!t.startsWith('msgid=', i)) return false;
  let e = t.indexOf(': ', i + 6);
  if (e < 0) e = t.length;
  const id = stripAngle(t.substring(i + 6, e));
  if (id !== 'unspecified' && id.length > 0) ev.message_id = id;
  const what = e < t.length ? t.substring(e + 2) : '';
  if (p.user !== undefined) {
    ev.recipient = p.user;
    const d = domainOf(p.user);
    if (d !== undefined) ev.recipient_domain = d;
  }
  if (p.session !== undefined && ev.attrs?.session === undefined) attr(ev, 'session', p.session);
  ev.reason = what;
  let box: string | undefined;
  if (what.startsWith('saved mail to ')) box = what.substring(14);
  else if (what.startsWith('stored mail into mailbox ')) box = what.substring(25).replace(/^'(.*)'$/, '$1');
  if (box !== undefined) {
    ev.event = 'delivery_attempt';
    ev.status = 'sent';
    ev.status_class = '2xx';
    ev.relay = p.service;
    attr(ev, 'mailbox', box);
    return true;
  }
  if (what.startsWith('save failed to ') || what.indexOf('failed to store') >= 0) {
    // Dovecot answers 552 for a full mailbox unless quota_full_tempfail is set, 451 otherwise
    const permanent = /quota|full/i.test(what) && !/tempfail|try again/i.test(what);
    ev.event = 'delivery_attempt';
    ev.status = permanent ? 'bounced' : 'deferred';
    ev.status_class = permanent ? '5xx' : '4xx';
    ev.relay = p.service;
    return true;
  }
  if (what.indexOf('discard') >= 0) {
    ev.event = 'discard';
    return true;
  }
  ev.event = 'info';
  return true;
}

export const parseDovecot: MessageParser = (msg, ev) => {
  ev.mta = 'dovecot';
  let m = msg;
  if (m.startsWith('dovecot: ')) m = m.substring(9);
  const p = dovecotPrefix(m);
  if (p === undefined) return false;
  let t = m.substring(p.textAt);
  // severity prefix ("Info: ", "Error: ", ...)
  const colon = t.indexOf(': ');
  if (colon > 0 && colon < 8) {
    const sev = LEVELS[t.substring(0, colon + 2)];
    if (sev !== undefined) {
      ev.severity = sev;
      t = t.substring(colon + 2);
    }
  }
  const svc = p.service;
  if (svc.endsWith('-login')) {
    if (p.session !== undefined) attr(ev, 'session', p.session);
    attr(ev, 'service', svc.substring(0, svc.length - 6));
    return loginLine(t, ev);
  }
  if (svc === 'lmtp' || svc === 'lda' || svc === 'deliver') {
    if (dovecotDelivery(p, t, ev)) return true;
    if (t.startsWith('Connect from ')) { ev.event = 'connect'; ev.reason = t; return true; }
    if (t.startsWith('Disconnect from ')) { ev.event = 'disconnect'; ev.reason = t; return true; }
  }
  if (svc === 'master' && (t.startsWith('Dovecot v') || t.startsWith('Dovecot '))) {
    ev.event = 'daemon';
    ev.action = t.indexOf('starting up') >= 0 ? 'start' : 'info';
    const ve = t.indexOf(' ', 8);
    attr(ev, 'version', t.substring(t.charCodeAt(8) === 118 ? 9 : 8, ve < 0 ? t.length : ve));
    ev.reason = t;
    return true;
  }
  if (svc === 'master' && (t.startsWith('Killed with signal') || t.indexOf('SIGHUP received') >= 0)) {
    ev.event = 'daemon';
    ev.action = t.startsWith('Killed') ? 'stop' : 'reload';
    ev.reason = t;
    return true;
  }
  if (svc === 'auth' || svc === 'auth-worker') {
    // passdb result "driver(user,ip[,<session>]): Password mismatch" — detail of the login decision
    const open = t.indexOf('(');
    const close = open > 0 ? t.indexOf('): ', open) : -1;
    if (open > 0 && close > open && t.indexOf(' ') > open) {
      const parts = t.substring(open + 1, close).split(',');
      const reason = t.substring(close + 3);
      attr(ev, 'passdb', t.substring(0, open));
      const user = parts[0] !== undefined && parts[0].length > 0 && parts[0] !== '?' ? parts[0] : undefined;
      if (parts[1] !== undefined && parts[1].length > 0) ev.client_ip = parts[1];
      if (/mismatch|unknown user|failed|disabled|expired|denied/i.test(reason)) {
        const auth: AuthResult = { mechanism: 'sasl', result: 'fail', reason };
        if (user !== undefined) auth.username = user;
        ev.auth = auth;
      } else if (user !== undefined) {
        attr(ev, 'user', user);
      }
      ev.event = ev.severity === 'error' ? 'error' : 'info';
      ev.reason = reason;
      return true;
    }
  }
  // mail processes: "imap(user)<..>: Disconnected: Logged out in=.. out=.."
  if (p.user !== undefined) {
    attr(ev, 'user', p.user);
    if (p.session !== undefined) attr(ev, 'session', p.session);
  }
  attr(ev, 'service', svc);
  if (t.startsWith('Disconnected') || t.startsWith('Connection closed') || t.startsWith('Logged out')) {
    ev.event = 'disconnect';
    const sp = t.search(/ in=\d/);
    ev.reason = (sp > 0 ? t.substring(0, sp) : t).replace(/^Disconnected: /, '');
    if (sp > 0) {
      for (const kv of t.substring(sp + 1).split(' ')) {
        const eq = kv.indexOf('=');
        if (eq <= 0) continue;
        const num = Number(kv.substring(eq + 1));
        attr(ev, kv.substring(0, eq), Number.isNaN(num) ? kv.substring(eq + 1) : num);
      }
    }
    return true;
  }
  switch (ev.severity) {
    case 'error': ev.event = 'error'; break;
    case 'fatal': ev.event = 'fatal'; break;
    case 'panic': ev.event = 'panic'; break;
    case 'warning': ev.event = 'warning'; break;
    default: ev.event = 'info';
  }
  ev.reason = t;
  return true;
};
