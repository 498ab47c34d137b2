/**
 * The fleet report as Markdown, HTML or JSON (docs/fleet.md), built from the single-database
 * report's kits (src/report/markdown-kit.ts, html-kit.ts) so samples and values read the same.
 * Every string passes through redaction: a target's error can quote its connection.
 */

import { fmtNum, fmtTime, fmtValue, MARK } from '../report/format.js';
import type { ReportFormat } from '../report/formats.js';
import { REPORT_CSS } from '../report/html-assets.js';
import { badge, h, htmlTable, join, sampleDetails, section, val } from '../report/html-kit.js';
import { code, esc, table } from '../report/markdown-kit.js';
import { sampleMarkdown } from '../report/markdown-proof.js';
import { redactedJson, redactText } from '../sql/redact.js';
import type { FleetReport, FleetReportTarget } from './report.js';

const mark = (s: string) => MARK[s] ?? (s === 'unreachable' ? '✗' : s === 'not run' ? '·' : '');

function totalsLine(r: FleetReport): string {
  return Object.entries(r.totals.byState)
    .map(([s, n]) => `${n} ${s.replace('_', ' ')}`)
    .join(', ');
}

function markdown(r: FleetReport): string {
  const out = [
    `# Fleet report: ${esc(r.plan.title)} (${code(r.plan.id)})`,
    '',
    `${r.totals.targets} targets: ${totalsLine(r)} · ${fmtNum(r.totals.rows)} rows written · generated ${fmtTime(r.generatedAt)}`,
    '',
    '## Targets',
    '',
    table(
      ['target', 'state', 'steps', 'rows', 'finished', 'error'],
      r.targets.map((t) => [
        code(t.name),
        `${mark(t.state)} ${esc(t.label)}`,
        `${t.steps.completed}/${t.steps.total}`,
        fmtNum(t.rows),
        t.finishedAt ? fmtTime(t.finishedAt) : '—',
        t.error ? esc(t.error.split('\n')[0]!) : '',
      ]),
      ['l', 'l', 'r', 'r', 'l', 'l'],
    ),
  ];
  const failing = r.targets.filter((t) => t.failedChecks.length);
  if (failing.length) {
    out.push('', '## Failing checks');
    for (const t of failing) {
      out.push('', `### ${code(t.name)}`);
      for (const c of t.failedChecks) {
        out.push(
          '',
          `- ✗ **${code(c.stepId)}** ${code(c.kind)}: ${code(fmtValue(c.actual))} (expected ${code(fmtValue(c.expected))})${c.message ? ` — ${esc(c.message)}` : ''}`,
        );
        if (c.sample.length) out.push('', sampleMarkdown(c.sample).replace(/^/gm, '  '));
      }
    }
  }
  return `${out.join('\n')}\n`;
}

function targetRow(t: FleetReportTarget) {
  return [
    t.name,
    badge(t.state.replace(' ', '_'), t.label),
    `${t.steps.completed}/${t.steps.total}`,
    fmtNum(t.rows),
    t.finishedAt ? fmtTime(t.finishedAt) : '—',
    t.error?.split('\n')[0] ?? '',
  ];
}

function html(r: FleetReport): string {
  const failing = r.targets.filter((t) => t.failedChecks.length);
  const checks = failing
    .map(
      (t) =>
        `<h3>${h(t.name)}</h3>` +
        t.failedChecks
          .map(
            (c) =>
              `<p>✗ <code>${h(c.stepId)}</code> <code>${h(c.kind)}</code>: ${val(c.actual).html} (expected ${val(c.expected).html})${c.message ? ` — ${h(c.message)}` : ''}</p>${c.sample.length ? sampleDetails(`Sample: ${c.sample.length} row(s)`, c.sample) : ''}`,
          )
          .join('\n'),
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Fleet report: ${h(r.plan.id)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
<h1>Fleet report: ${h(r.plan.title)} <code>${h(r.plan.id)}</code></h1>
<p>${h(`${r.totals.targets} targets: ${totalsLine(r)} · ${fmtNum(r.totals.rows)} rows written · generated ${fmtTime(r.generatedAt)}`)}</p>
${join(
  section(
    'targets',
    'Targets',
    htmlTable(['target', 'state', 'steps', 'rows', 'finished', 'error'], r.targets.map(targetRow), [2, 3]),
  ),
  section('failing', 'Failing checks', checks),
)}
</main>
</body>
</html>
`;
}

/** Render the fleet report; every string in it redacted. */
export function renderFleetReport(r: FleetReport, format: ReportFormat): string {
  if (format === 'json') return `${JSON.stringify(JSON.parse(redactedJson(r)), null, 2)}\n`;
  return redactText(format === 'html' ? html(r) : markdown(r));
}
