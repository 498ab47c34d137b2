/**
 * HTML of the proof (every check with actual vs expected and its sample of offending rows, expandable)
 * and of the gates, approvals and flags.
 */
import { fmtTime } from './format.js';
import { badge, c, h, htmlTable, join, type Raw, raw, sampleDetails, tableHtml, val } from './html-kit.js';
import type { ReportModel } from './model.js';
import { approvalsTable } from './tables.js';

export function proofHtml(m: ReportModel): string {
  const p = m.proof;
  if (!p.checks.length) return '';
  const head =
    p.passed === null
      ? '<p>⏳ The validate phase has not run yet.</p>'
      : `<p>${badge(p.passed ? 'pass' : 'fail', p.passed ? 'proof passed' : 'proof failed').html} validated ${h(fmtTime(p.validatedAt))}</p>`;
  const rows = p.checks.map((x) => {
    const samples = x.sample.length
      ? sampleDetails(`${x.sample.length} offending row(s)`, x.sample)
      : x.distribution?.length
        ? sampleDetails(
            `${x.distribution.length} value(s)`,
            x.distribution.map((d) => ({ value: d.value, rows: d.count })),
          )
        : '';
    return [
      raw(`<code>${h(x.stepId)}</code>${x.title !== x.stepId ? `<br><span class="muted">${h(x.title)}</span>` : ''}`),
      x.phase,
      c(x.kind),
      badge(x.status, x.status === 'not_run' ? 'not run' : x.error ? `${x.status}: could not run` : x.status),
      x.status === 'not_run' || x.error ? '—' : val(x.actual),
      x.status === 'not_run' || x.error ? '—' : val(x.expected),
      raw(
        join(
          x.message && x.status !== 'pass' ? h(x.message) : '',
          samples,
          x.current ? '' : '<span class="muted">the check changed since this result</span>',
        ) || '',
      ),
    ] as (string | Raw)[];
  });
  return join(
    head,
    htmlTable(['Check', 'Phase', 'Kind', 'Result', 'Actual', 'Expected', 'Details'], rows, [], 'proof'),
  );
}

export function gatesHtml(m: ReportModel): string {
  const g = m.gates;
  if (!g.results.length && !g.approvals.length) return '';
  return join(
    htmlTable(
      ['Gate', 'Kind', 'Opens when', 'State', 'Why', 'When'],
      g.results.map((r) => [
        c(r.stepId),
        c(r.kind),
        r.condition ?? '—',
        badge(r.state),
        r.reason ?? '—',
        fmtTime(r.at),
      ]),
    ),
    g.approvals.length ? `<h3>Approvals</h3>${tableHtml(approvalsTable(m))}` : '',
    g.flags.length
      ? `<h3>Flags</h3>${htmlTable(
          ['Flag', 'Now', 'Set by', 'When', 'History'],
          g.flags.map((f) => [
            c(f.name),
            f.enabled == null ? 'never set' : f.enabled ? 'on' : 'off',
            f.setBy ?? '—',
            fmtTime(f.setAt),
            raw(
              f.history.map((x) => h(`${x.enabled ? 'on' : 'off'} by ${x.setBy} at ${fmtTime(x.at)}`)).join('<br>') ||
                '—',
            ),
          ]),
        )}`
      : '',
  );
}
