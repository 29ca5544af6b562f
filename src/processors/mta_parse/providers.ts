// mail.provider (DESIGN §3) from a built-in table of large mailbox providers: recipient domains
// and MX host names. Lookups are Map hits on the lowercased name and its parent domains, so
// "vip.qq.com" or "alt1.aspmx.l.google.com" resolve without per-call regexes.

/** Recipient domains, by provider. National variants of the big brands are in BRANDS below. */
const DOMAINS: Readonly<Record<string, readonly string[]>> = {
  gmail: ['gmail.com', 'googlemail.com'],
  microsoft: ['outlook.com', 'hotmail.com', 'live.com', 'msn.com', 'windowslive.com', 'passport.com'],
  // Yahoo Inc. also runs AOL and Verizon's consumer mail (same MX: *.yahoodns.net).
  yahoo: [
    'yahoo.com',
    'ymail.com',
    'rocketmail.com',
    'aol.com',
    'aim.com',
    'verizon.net',
    'netscape.net',
    'cs.com',
    'love.com',
    'wow.com',
    'games.com',
  ],
  // Yahoo! JAPAN is a separate company and mail system (LY Corporation).
  yahoo_japan: ['yahoo.co.jp', 'ybb.ne.jp'],
  apple: ['icloud.com', 'me.com', 'mac.com'],
  comcast: ['comcast.net'],
  att: [
    'att.net',
    'sbcglobal.net',
    'bellsouth.net',
    'prodigy.net',
    'pacbell.net',
    'swbell.net',
    'flash.net',
    'ameritech.net',
    'nvbell.net',
    'wans.net',
    'snet.net',
  ],
  cox: ['cox.net'],
  spectrum: ['charter.net', 'spectrum.net', 'twc.com', 'rr.com', 'roadrunner.com'],
  gmx: ['gmx.net', 'gmx.de', 'gmx.at', 'gmx.ch', 'gmx.com', 'gmx.us', 'gmx.eu', 'gmx.biz', 'gmx.info', 'gmx.org', 'gmx.tm'],
  webde: ['web.de'],
  mailcom: ['mail.com', 'email.com', 'usa.com'],
  tonline: ['t-online.de', 'magenta.de'],
  freenet: ['freenet.de'],
  orange: ['orange.fr', 'wanadoo.fr'],
  free: ['free.fr'],
  sfr: ['sfr.fr', 'neuf.fr'],
  laposte: ['laposte.net'],
  libero: ['libero.it', 'inwind.it', 'iol.it', 'blu.it'],
  yandex: ['yandex.ru', 'yandex.com', 'ya.ru', 'narod.ru'],
  mailru: ['mail.ru', 'bk.ru', 'list.ru', 'inbox.ru', 'internet.ru'],
  rambler: ['rambler.ru'],
  seznam: ['seznam.cz', 'email.cz', 'post.cz', 'spoluzaci.cz'],
  wp: ['wp.pl', 'o2.pl'],
  onet: ['onet.pl', 'op.pl', 'vp.pl', 'onet.eu'],
  interia: ['interia.pl', 'poczta.fm'],
  proton: ['proton.me', 'protonmail.com', 'protonmail.ch', 'pm.me'],
  tuta: ['tutanota.com', 'tutanota.de', 'tuta.io', 'tuta.com', 'tutamail.com'],
  zoho: ['zoho.com', 'zohomail.com', 'zoho.eu', 'zohomail.eu', 'zoho.in', 'zohomail.in'],
  fastmail: ['fastmail.com', 'fastmail.fm'],
  mailboxorg: ['mailbox.org'],
  qq: ['qq.com', 'foxmail.com'],
  netease: ['163.com', '126.com', 'yeah.net', '188.com'],
  sina: ['sina.com', 'sina.cn'],
  naver: ['naver.com'],
  daum: ['daum.net', 'hanmail.net'],
  bt: ['btinternet.com'],
};

/**
 * Brands whose country variants are all the same provider: "<brand>.<cc>",
 * "<brand>.co|com|net|org|ne|or.<cc>" (hotmail.co.uk, live.com.au, yahoo.fr, gmx.fr, ...).
 */
const BRANDS: ReadonlyMap<string, string> = new Map([
  ['hotmail', 'microsoft'],
  ['outlook', 'microsoft'],
  ['live', 'microsoft'],
  ['msn', 'microsoft'],
  ['windowslive', 'microsoft'],
  ['yahoo', 'yahoo'],
  ['aol', 'yahoo'],
  ['gmx', 'gmx'],
  ['yandex', 'yandex'],
]);

const SECOND_LEVEL = new Set(['co', 'com', 'net', 'org', 'ne', 'or']);

/** MX host suffixes, by provider (Google Workspace and Microsoft 365 tenants count too). */
const MX: Readonly<Record<string, readonly string[]>> = {
  gmail: ['google.com', 'googlemail.com', 'smtp.google.com'],
  microsoft: ['protection.outlook.com', 'outlook.com', 'hotmail.com'],
  yahoo: ['yahoodns.net', 'yahoo.com', 'aol.com'],
  apple: ['icloud.com', 'me.com'],
  comcast: ['comcast.net'],
  att: ['prodigy.net', 'att.net'],
  gmx: ['gmx.net', 'gmx.com'],
  webde: ['web.de'],
  mailcom: ['mail.com'],
  tonline: ['t-online.de'],
  freenet: ['freenet.de'],
  orange: ['orange.fr', 'wanadoo.fr'],
  free: ['free.fr'],
  sfr: ['sfr.fr'],
  laposte: ['laposte.net'],
  libero: ['libero.it'],
  yandex: ['yandex.ru', 'yandex.net', 'yandex.com'],
  mailru: ['mail.ru'],
  rambler: ['rambler.ru'],
  seznam: ['seznam.cz'],
  wp: ['wp.pl'],
  onet: ['onet.pl'],
  interia: ['interia.pl'],
  proton: ['protonmail.ch', 'proton.me'],
  tuta: ['tutanota.de'],
  zoho: ['zoho.com', 'zoho.eu', 'zoho.in'],
  fastmail: ['messagingengine.com', 'fastmail.com'],
  mailboxorg: ['mailbox.org'],
  qq: ['qq.com'],
  netease: ['netease.com', '163.com', '126.com'],
  sina: ['sina.com.cn', 'sina.com'],
  naver: ['naver.com'],
  daum: ['hanmail.net', 'daum.net'],
};

function invert(table: Readonly<Record<string, readonly string[]>>): Map<string, string> {
  const map = new Map<string, string>();
  for (const [provider, names] of Object.entries(table)) {
    for (const n of names) {
      const prev = map.get(n);
      if (prev !== undefined && prev !== provider) throw new Error(`provider table: ${n} is both ${prev} and ${provider}`);
      map.set(n, provider);
    }
  }
  return map;
}

const DOMAIN_MAP = invert(DOMAINS);
const MX_MAP = invert(MX);

/** Lowercase, without a trailing dot; the part after '@' if given an address. */
function clean(name: string): string {
  let s = name.trim();
  const at = s.lastIndexOf('@');
  if (at >= 0) s = s.slice(at + 1);
  if (s.endsWith('>')) s = s.slice(0, -1);
  if (s.endsWith('.')) s = s.slice(0, -1);
  return s.toLowerCase();
}

/** The name itself, then each parent domain: a.b.c.com -> b.c.com -> c.com (not "com"). */
function lookupUp(map: Map<string, string>, name: string): string | undefined {
  let s = name;
  for (;;) {
    const hit = map.get(s);
    if (hit !== undefined) return hit;
    const dot = s.indexOf('.');
    if (dot < 0 || s.indexOf('.', dot + 1) < 0) return undefined;
    s = s.slice(dot + 1);
  }
}

function isCountryCode(label: string): boolean {
  return label.length === 2 && label >= 'aa' && label <= 'zz';
}

function brandOf(domain: string): string | undefined {
  const labels = domain.split('.');
  const n = labels.length;
  if (n === 2 || n === 3) {
    const provider = BRANDS.get(labels[0]);
    if (provider === undefined) return undefined;
    const cc = labels[n - 1];
    if (!isCountryCode(cc)) return undefined;
    if (n === 2 || SECOND_LEVEL.has(labels[1])) return provider;
  }
  return undefined;
}

/** Provider name (gmail, microsoft, yahoo, apple, ...) for a recipient domain, or undefined. */
export function providerOf(domain: string): string | undefined {
  if (!domain) return undefined;
  // Memoised: recipient domains repeat on nearly every delivery line.
  const hit = providerCache.get(domain);
  if (hit !== undefined) return hit === NONE ? undefined : hit;
  const d = clean(domain);
  const p = lookupUp(DOMAIN_MAP, d) ?? brandOf(d);
  if (providerCache.size >= PROVIDER_CACHE_MAX) providerCache.clear();
  providerCache.set(domain.length < 13 ? domain : (' ' + domain).slice(1), p ?? NONE);
  return p;
}

const NONE = '';
const PROVIDER_CACHE_MAX = 10_000;
const providerCache = new Map<string, string>();

/**
 * Provider for an MX (or relay) host name, e.g. "alt1.aspmx.l.google.com" -> gmail (Google
 * Workspace), "contoso-com.mail.protection.outlook.com" -> microsoft, "mta5.am0.yahoodns.net"
 * -> yahoo. Accepts Postfix's "host[ip]:port" relay form.
 */
export function providerOfMx(mxHost: string): string | undefined {
  if (!mxHost) return undefined;
  let h = mxHost;
  const bracket = h.indexOf('[');
  if (bracket > 0) h = h.slice(0, bracket);
  return lookupUp(MX_MAP, clean(h));
}
