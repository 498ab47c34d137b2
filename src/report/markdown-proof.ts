/**
 * Markdown of the proof (the verification checklist: every check with actual vs expected and its
 * sample of offending rows) and of the gates, approvals and flags.
 */
import { fmtMs, fmtNum, fmtTime, fmtValue, MARK, sampleTable } from './format.js';
import { code, details, esc, htmlText, table, tableMarkdown } from './markdown-kit.js';
import type { ReportCheck, ReportModel } from './model.js';
import { approvalsTable } from './tables.js';

/** A sample or distribution as a Markdown table. */
export function sampleMarkdown(rows: readonly unknown[]): string {
  const t = sampleTable(rows);
  return table(
    t.columns.map(esc),
    t.cells.map((r) => r.map((c) => esc(c))),
  );
}

function checkLine(c: ReportCheck): string[] {
  const status = c.status === 'not_run' ? 'not run yet' : c.error ? `${c.status}: could not run` : c.status;
  const value =
    c.status === 'not_run' || c.error ? '' : `: ${code(fmtValue(c.actual))} (expected ${code(fmtValue(c.expected))})`;
  const lines = [
    `- ${MARK[c.status] ?? ''} **${code(c.stepId)}** — ${c.title !== c.stepId ? `${esc(c.title)}, ` : ''}${code(c.kind)} ${status}${value}${c.current ? '' : ' — _the check changed since this result_'}`,
  ];
  if (c.message && c.status !== 'pass') lines.push(`  <br>${esc(c.message)}`);
  if (c.sample.length)
    lines.push(
      '',
      details(`Sample: ${c.sample.length} offending row(s)`, sampleMarkdown(c.sample)).replace(/^/gm, '  '),
    );
  if (c.distribution?.length) {
    lines.push(
      '',
      details(
        `Distribution: ${c.distribution.length} value(s)`,
        table(
          ['Value', 'Rows'],
          c.distribution.map((d) => [d.value == null ? 'NULL' : code(fmtValue(d.value)), fmtNum(d.count)]),
          ['l', 'r'],
        ),
      ).replace(/^/gm, '  '),
    );
  }
  return lines;
}

/** "Verification checklist": the proof, check by check, preconditions first. */
export function checklistSection(m: ReportModel): string[] {
  const p = m.proof;
  if (!p.checks.length) return [];
  const head =
    p.passed === null
      ? '⏳ The validate phase has not run yet.'
      : `${p.passed ? '✅ The proof passed' : `❌ The proof failed (${p.failedChecks.map(code).join(', ')})`} — validated ${fmtTime(p.validatedAt)}.`;
  const lines = ['## Verification checklist (the proof)', '', head, ''];
  for (const phase of ['preconditions', 'validate']) {
    const checks = p.checks.filter((c) => c.phase === phase);
    if (!checks.length) continue;
    if (phase === 'preconditions') lines.push('**Preconditions** (checked once, before the first step):', '');
    else if (p.checks.some((c) => c.phase === 'preconditions')) lines.push('', '**Validate phase**:', '');
    for (const c of checks) lines.push(...checkLine(c));
  }
  const other = p.checks.filter((c) => c.phase !== 'preconditions' && c.phase !== 'validate');
  if (other.length) {
    lines.push('', '**Checks in other phases**:', '');
    for (const c of other) lines.push(...checkLine(c));
  }
  const slow = p.checks.filter((c) => c.durationMs != null).reduce((n, c) => n + (c.durationMs ?? 0), 0);
  if (slow) lines.push('', `_The checks took ${fmtMs(slow)} in all._`);
  return lines;
}

/** Gates with their latest verdict, approvals (who and when) and flags. */
export function gatesSection(m: ReportModel): string[] {
  const g = m.gates;
  if (!g.results.length && !g.approvals.length) return [];
  const lines = ['## Gates and approvals', ''];
  if (g.results.length) {
    lines.push(
      table(
        ['', 'Gate', 'Kind', 'Opens when', 'State', 'Why', 'When'],
        g.results.map((r) => [
          MARK[r.state] ?? '',
          code(r.stepId),
          code(r.kind),
          r.condition ? esc(r.condition) : '—',
          r.state.replace('_', ' '),
          r.reason ? esc(r.reason) : '—',
          fmtTime(r.at),
        ]),
      ),
    );
  }
  if (g.approvals.length) {
    lines.push('', '**Approvals**', '', tableMarkdown(approvalsTable(m)));
  }
  if (g.flags.length) {
    lines.push(
      '',
      '**Flags**',
      '',
      table(
        ['Flag', 'Now', 'Set by', 'When', 'History'],
        g.flags.map((f) => [
          code(f.name),
          f.enabled == null ? 'never set' : f.enabled ? 'on' : 'off',
          f.setBy ? esc(f.setBy) : '—',
          fmtTime(f.setAt),
          f.history
            .map((h) => `${h.enabled ? 'on' : 'off'} by ${htmlText(h.setBy)} at ${fmtTime(h.at)}`)
            .join('<br>') || '—',
        ]),
      ),
    );
  }
  return lines;
}
