// Human-readable rendering of a Report: what an operator reads first (totals, where mail
// goes wrong, how long it takes), then the detail tables. Plain text, fixed-width columns.
import type { Percentiles, ReasonCount, Report } from './aggregate.js';

function pad(s: string, w: number): string {
  return s.length >= w ? s : s + ' '.repeat(w - s.length);
}
function lpad(s: string, w: number): string {
  return s.length >= w ? s : ' '.repeat(w - s.length) + s;
}
function pct(n: number, of: number): string {
  return of > 0 ? `${((100 * n) / of).toFixed(1)}%` : '-';
}
function secs(x: number | null): string {
  if (x === null) return '-';
  if (x < 60) return `${x.toFixed(x < 10 ? 2 : 1)}s`;
  if (x < 3600) return `${(x / 60).toFixed(1)}m`;
  if (x < 86400) return `${(x / 3600).toFixed(1)}h`;
  return `${(x / 86400).toFixed(1)}d`;
}
function iso(t: number | null): string {
  return t === null ? '-' : new Date(t).toISOString().replace('.000Z', 'Z');
}

function table(rows: string[][], right: boolean[]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (right[i] ? lpad(c, widths[i]) : pad(c, widths[i]))).join('  ').trimEnd());
}

function reasons(title: string, list: ReasonCount[], maxWidth = 100): string[] {
  if (list.length === 0) return [];
  const out = ['', title];
  const w = Math.max(...list.map((r) => String(r.count).length));
  for (const r of list) {
    const text = r.reason.length > maxWidth ? r.reason.slice(0, maxWidth - 1) + '…' : r.reason;
    out.push(`  ${lpad(String(r.count), w)}  ${text}`);
  }
  return out;
}

function latencyLine(p: Percentiles): string {
  return `p50 ${secs(p.p50)}   p95 ${secs(p.p95)}   p99 ${secs(p.p99)}`;
}

export function renderText(r: Report): string {
  const t = r.totals;
  const finals = t.sent + t.bounced + t.expired;
  const out: string[] = [];
  out.push(`mailsight report   ${iso(r.period.start)} .. ${iso(r.period.end)}`);
  out.push('');
  out.push(
    ...table(
      [
        ['messages', String(r.messages), ''],
        ['recipients', String(r.recipients), ''],
        ['  sent', String(t.sent), pct(t.sent, finals)],
        ['  bounced', String(t.bounced), pct(t.bounced, finals)],
        ['  expired', String(t.expired), pct(t.expired, finals)],
        ['deferred attempts', String(t.deferred_attempts), ''],
        ['rejected (smtpd/cleanup)', String(t.rejected), ''],
        ['still queued', String(r.still_queued.count), r.still_queued.count ? `age p50 ${secs(r.still_queued.age_seconds.p50)}, max ${secs(r.still_queued.age_seconds.max)}` : ''],
        ['unparsed lines', String(r.unparsed_lines), ''],
      ],
      [false, true, false],
    ),
  );
  out.push('');
  out.push(`Delivery latency (first event to final delivery, ${t.sent} recipients): ${latencyLine(r.latency_seconds)}`);
  const providers = Object.entries(r.latency_by_provider);
  if (providers.length > 1 || (providers.length === 1 && providers[0][0] !== 'other')) {
    const rows = [['provider', 'sent', 'p50', 'p95', 'p99']];
    for (const [p, l] of providers.sort((a, b) => b[1].count - a[1].count)) rows.push([p, String(l.count), secs(l.p50), secs(l.p95), secs(l.p99)]);
    out.push(...table(rows, [false, true, true, true, true]).map((l) => '  ' + l));
  }

  const domains = Object.entries(r.by_domain);
  if (domains.length) {
    out.push('', 'By recipient domain');
    const rows = [['domain', 'sent', 'deferred', 'bounced', 'expired', 'delivered']];
    domains.sort((a, b) => {
      const va = a[1].sent + a[1].bounced + a[1].expired + a[1].deferred_attempts;
      const vb = b[1].sent + b[1].bounced + b[1].expired + b[1].deferred_attempts;
      return vb - va || (a[0] < b[0] ? -1 : 1);
    });
    for (const [d, c] of domains) {
      rows.push([d, String(c.sent), String(c.deferred_attempts), String(c.bounced), String(c.expired), pct(c.sent, c.sent + c.bounced + c.expired)]);
    }
    out.push(...table(rows, [false, true, true, true, true, true]).map((l) => '  ' + l));
  }

  const classes = Object.entries(r.bounce_classes).sort((a, b) => b[1] - a[1]);
  if (classes.length) {
    out.push('', 'Bounce classes (bounced and expired recipients)');
    out.push(...table(classes.map(([c, n]) => [c, String(n)]), [false, true]).map((l) => '  ' + l));
  }
  out.push(...reasons('Top deferral reasons (attempts)', r.top_deferral_reasons));
  out.push(...reasons('Top bounce reasons (recipients)', r.top_bounce_reasons));
  out.push(...reasons('Rejects by reason', r.rejects_by_reason));
  const unparsed = Object.entries(r.unparsed_by_program).sort((a, b) => b[1] - a[1]);
  if (unparsed.length) {
    out.push('', 'Unparsed lines by program');
    out.push(...table(unparsed.map(([p, n]) => [p, String(n)]), [false, true]).map((l) => '  ' + l));
  }
  return out.join('\n') + '\n';
}
