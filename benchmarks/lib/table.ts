// Markdown rendering of a Results object (benchmarks/results/*.md and the README table).
import type { Results } from './results.js';
import type { Summary } from './stats.js';

export function fmtInt(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return Math.round(n).toLocaleString('en-US');
}

export function fmtNum(n: number | null | undefined, digits = 2): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return n.toFixed(digits);
}

/** "12.34 (12.10–12.60)" for a run summary; the single value when there was one run. */
export function fmtSummary(s: Summary, digits = 2): string {
  if (s.n === 0 || !Number.isFinite(s.median)) return '—';
  if (s.n === 1) return fmtNum(s.median, digits);
  return `${fmtNum(s.median, digits)} (${fmtNum(s.min, digits)}–${fmtNum(s.max, digits)})`;
}

function table(head: string[], rows: string[][]): string {
  const out = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) out.push(`| ${r.join(' | ')} |`);
  return out.join('\n');
}

const SUPERSCRIPT = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];

/** "1,000 lines (0.2 MiB), …": the generator's corpus with its truth's counts, or a user's file by base name. */
function corpusLine(c: Results['corpus']): string {
  if (c === null) return '—';
  const size = `${fmtInt(c.lines)} lines (${fmtNum(c.bytes / 1048576, 1)} MiB)`;
  if (c.source === 'file') return `${c.file}, ${size}; no ground truth (user corpus)`;
  return `${size}, ${fmtInt(c.messages)} messages, ${fmtInt(c.recipients)} recipients; generator seed ${c.seed}`;
}

export function renderMarkdown(r: Results): string {
  const m = r.machine;
  const parts: string[] = [];
  parts.push(`# mailsight benchmark results`);
  parts.push(
    [
      `- run: ${r.started_at} → ${r.finished_at}${r.options.quick ? ' (quick mode: not representative)' : ''}`,
      `- machine: ${m.cpu}, ${m.cores} cores, ${fmtNum(m.memory_gib, 1)} GiB RAM, ${m.os}, Node ${m.node}`,
      `- tools: ${Object.entries(m.tools).map(([k, v]) => `${k} ${v}`).join('; ') || '—'}`,
      `- corpus: ${corpusLine(r.corpus)}`,
      `- runs: ${r.options.warmup} warm-up + ${r.options.repeats} measured per case; median (min–max)`,
    ].join('\n'),
  );

  if (r.throughput.length) {
    parts.push('## Whole-file throughput (same corpus, same run)');
    // One numbered footnote per row that has a note or interleaved pairs, in row order.
    const noteOf = (t: (typeof r.throughput)[number]): string | undefined => {
      const p = t.paired;
      const pairs = p
        ? `each run came right after a \`mailsight report\` run (${fmtSummary(p.mailsight_wall_s)} s): mailsight's lines/s over this one, pair by pair, ${p.ratios.map((x) => `${fmtNum(x)}×`).join(', ')} (median ${fmtNum(p.median)}×, the ratio used below)`
        : undefined;
      return t.note && pairs ? `${t.note}; ${pairs}` : (t.note ?? pairs);
    };
    const noted = r.throughput.filter((t) => noteOf(t) !== undefined);
    const mark = (t: (typeof noted)[number]) => SUPERSCRIPT[noted.indexOf(t) + 1] ?? `[${noted.indexOf(t) + 1}]`;
    parts.push(
      table(
        ['case', 'lines/s', 'wall s', 'CPU s', 'cores', 'peak RSS MiB'],
        r.throughput.map((t) => [
          noteOf(t) !== undefined ? `${t.label} ${mark(t)}` : t.label,
          t.lines > 0 ? fmtInt(t.lines_per_s) : "—",
          fmtSummary(t.wall_s),
          fmtSummary(t.cpu_s),
          fmtNum(t.cores),
          fmtSummary(t.rss_mib, 0),
        ]),
      ),
    );
    if (noted.length) parts.push(noted.map((t) => `${mark(t)} ${t.label}: ${noteOf(t)}`).join('\n\n'));
  }
  if (r.ratios.length) {
    parts.push('## Ratios (lines/s, measured in this run)');
    parts.push(table(['ratio', 'value'], r.ratios.map((x) => [x.name, x.value === null ? '—' : `${fmtNum(x.value)}×`])));
  }
  if (r.shapes?.length) {
    parts.push('## Other log shapes: mailsight report / pflogsumm (generated, same run)');
    parts.push(
      table(
        ['shape', 'lines', 'mailsight report wall s', 'pflogsumm wall s', 'ratio, pair by pair', 'ratio (median)', 'report vs ground truth'],
        r.shapes.map((x) => [
          x.label,
          fmtInt(x.lines),
          fmtSummary(x.mailsight_wall_s),
          fmtSummary(x.pflogsumm_wall_s),
          x.ratios.map((v) => `${fmtNum(v)}×`).join(', '),
          `${fmtNum(x.median)}×`,
          x.truth_diffs === 0 ? 'equal' : `${x.truth_diffs} key(s) differ, e.g. ${x.truth_example ?? ''}`,
        ]),
      ),
    );
    parts.push(`Generator options: ${r.shapes.map((x) => `${x.id} \`${x.generator_args.join(' ')}\``).join('; ')}.`);
  }
  if (r.syslog.length) {
    parts.push('## Syslog TCP → parse → correlate → metrics');
    parts.push(
      table(
        ['mode', 'lines', 'lines/s', 'cores', 'peak RSS MiB', 'sender cores', 'drops', 'refused', 'latency p50 ms', 'latency p99 ms'],
        r.syslog.map((s) => [
          s.mode === 'fixed' ? `fixed ${fmtInt(s.target_rate)}/s` : 'max rate',
          fmtInt(s.lines),
          fmtInt(s.lines_per_s),
          fmtNum(s.cores),
          fmtInt(s.rss_mib),
          fmtNum(s.sender_cores),
          fmtInt(s.drops),
          fmtInt(s.refused),
          fmtNum(s.latency_ms.p50, 0),
          fmtNum(s.latency_ms.p99, 0),
        ]),
      ),
    );
  }
  if (r.memory.length) {
    parts.push('## Correlation memory (open, never-final messages)');
    parts.push(
      table(
        ['open messages', 'heap B/msg', 'RSS B/msg', "engine's estimate B/msg", 'feed s'],
        r.memory.map((x) => [fmtInt(x.open), fmtInt(x.heap_bytes_per_msg), fmtInt(x.rss_bytes_per_msg), fmtInt(x.approx_bytes_per_msg), fmtNum(x.feed_s)]),
      ),
    );
  }
  if (r.answers.length) {
    const peers = Object.keys(r.answers[0].values);
    parts.push('## Answers compared (whole corpus; — = cannot report)');
    parts.push(table(['key', 'ground truth', ...peers], r.answers.map((a) => [a.key, fmtInt(a.truth), ...peers.map((p) => fmtInt(a.values[p]))])));
    if (r.per_domain.length) {
      // One reference per run: the ground truth, or mailsight's report when there is none.
      const byMailsight = r.per_domain[0].reference === 'mailsight';
      parts.push(
        table(
          ['per recipient domain', 'domains', byMailsight ? "equal to mailsight's report" : 'equal to truth', 'max |diff|'],
          r.per_domain.map((d) => [`${d.peer} ${d.key}`, fmtInt(d.domains), fmtInt(d.equal), fmtInt(d.max_abs_diff)]),
        ),
      );
      if (byMailsight) parts.push("No ground truth for this corpus: each peer's per-domain numbers are compared with mailsight's report.");
    }
    const notes = Object.entries(r.answer_notes).flatMap(([p, ns]) => ns.map((n) => `- ${p}: ${n}`));
    if (notes.length) parts.push(notes.join('\n'));
  }
  if (Object.keys(r.cannot_report).length) {
    parts.push('## What each peer cannot report');
    parts.push(table(['peer', 'cannot report'], Object.entries(r.cannot_report).map(([p, xs]) => [p, xs.join('; ')])));
  }
  if (r.targets.length) {
    parts.push('## Targets (reference, not promises)');
    parts.push(table(['target', 'wanted', 'measured', 'met'], r.targets.map((t) => [t.name, t.target, t.measured, t.met === null ? 'not measured' : t.met ? 'yes' : 'no'])));
  }
  if (r.skipped.length) {
    parts.push('## Skipped or not measured');
    parts.push(r.skipped.map((s) => `- **${s.label}** (${s.status}): ${s.reason}`).join('\n'));
  }
  return parts.join('\n\n') + '\n';
}
