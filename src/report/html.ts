/**
 * The HTML report: one self-contained file (inline CSS, the uPlot library and the chart script
 * inlined, data embedded; a Content-Security-Policy forbids any network request), with charts of
 * rows/s and batch durations per backfill, the proof with expandable samples, readable on a phone
 * and printed. Everything but the charts is static HTML, so it reads without JavaScript too.
 */

import { fmtBytes, fmtMs, fmtNum, fmtTime, MARK } from './format.js';
import { CHART_SCRIPT, REPORT_CSS, uplotAssets } from './html-assets.js';
import { badge, c, h, htmlTable, join, raw, sampleDetails, section, tableHtml } from './html-kit.js';
import { gatesHtml, proofHtml } from './html-proof.js';
import type { ReportModel } from './model.js';
import { backfillRows, formatSql, lockSummary } from './sql-text.js';
import * as tables from './tables.js';

const pre = (sql: string) => `<pre><code>${h(sql)}</code></pre>`;
const codes = (xs: string[]) => xs.map((x) => `<code>${h(x)}</code>`).join(', ');

function header(m: ReportModel): string {
  const s = m.summary;
  const p = m.proof;
  const cls = m.status.state === 'failed' ? 'bad' : m.status.state === 'waiting' ? 'warn' : '';
  const cards: [string, string][] = [
    [`${s.steps.completed} / ${s.steps.total}`, 'steps applied'],
    [fmtNum(s.rowsAffected), 'rows written'],
    [
      p.checks.length ? `${p.counts.pass} / ${p.checks.length}` : '—',
      `checks passed${p.counts.warn ? ` · ${p.counts.warn} warning(s)` : ''}`,
    ],
    [fmtMs(s.stepMs), 'time in steps'],
    [String(m.impact.lockRetries), 'lock retries'],
  ];
  return join(
    `<header><h1>${h(m.plan.title)}</h1>`,
    `<p>${badge(m.status.state, m.status.label).html} <span class="muted">plan</span> <code>${h(m.plan.id)}</code></p>`,
    m.status.message ? `<div class="callout ${cls}"><b>${h(m.status.label)}:</b> ${h(m.status.message)}</div>` : '',
    htmlTable(
      ['', ''],
      [
        ['Plan', raw(`<code>${h(m.plan.id)}</code>${m.plan.file ? ` (<code>${h(m.plan.file)}</code>)` : ''}`)],
        [
          'Database',
          raw(
            `<code>${h(m.database.url)}</code> · PostgreSQL ${h(m.database.serverVersion)} · ledger schema <code>${h(m.database.ledgerSchema)}</code>`,
          ),
        ],
        ['Ran by', s.ranBy.join(', ') || '—'],
        [
          'When',
          s.firstStartedAt
            ? `${fmtTime(s.firstStartedAt)} → ${fmtTime(s.lastFinishedAt)} · ${m.runs.length} run(s)`
            : '—',
        ],
        ['Generated', `${fmtTime(m.generatedAt)} by Tidemark ${m.tidemarkVersion} from the ledger`],
      ],
      [],
      'meta',
    ),
    `<div class="cards">${cards.map(([b, t]) => `<div class="card"><b>${h(b)}</b><span>${h(t)}</span></div>`).join('')}</div>`,
    `<nav class="noprint">${[
      ['done', 'What was done'],
      ['steps', 'Steps'],
      ['backfills', 'Backfills'],
      ['proof', 'Proof'],
      ['gates', 'Gates'],
      ['impact', 'Impact'],
      ['rollback', 'Rollback'],
      ['drift', 'Drift'],
      ['runs', 'Runs'],
      ['next', 'Next steps'],
    ]
      .map(([id, t]) => `<a href="#${id}">${t}</a>`)
      .join('')}</nav></header>`,
  );
}

function done(m: ReportModel): string {
  const s = m.summary;
  const items: string[] = [];
  const add = (label: string, xs: string[]) =>
    xs.length && items.push(`<li><b>${h(label)}</b> (${xs.length}): ${codes(xs)}</li>`);
  add('Tables created', s.tablesCreated);
  add('Indexes created', s.indexesCreated);
  if (s.enumsCreated.length)
    items.push(
      `<li><b>Enums created</b> (${s.enumsCreated.length}): ${s.enumsCreated.map((e) => `<code>${h(e.name)}</code>${e.values ? ` (${h(e.values)})` : ''}`).join(', ')}</li>`,
    );
  add('Constraints added', s.constraintsAdded);
  add('Altered', s.objectsAltered);
  add('Dropped', s.objectsDropped);
  add('Created, then dropped by a later step', s.createdThenDropped);
  items.push(`<li><b>Rows written</b>: ${h(fmtNum(s.rowsAffected) + backfillRows(m))}</li>`);
  const phases = m.phases
    .map(
      (p) =>
        `<li><b>${h(p.phase)}</b>: ${p.steps.filter((x) => x.status === 'completed').length} of ${p.steps.length} step(s) done</li>`,
    )
    .join('');
  return join(
    `<ul>${phases}</ul>`,
    items.length ? `<ul>${items.join('')}</ul>` : '',
    s.columnsAdded.length ? `<h3>Columns added (nullable)</h3>${tableHtml(tables.columnsAddedTable(m))}` : '',
    m.impact.tables.length ? `<h3>Tables</h3>${tableHtml(tables.touchedTablesTable(m.impact.tables))}` : '',
  );
}

function steps(m: ReportModel): string {
  return m.phases
    .map((p) =>
      join(
        `<h3>${h(p.phase)}</h3>`,
        htmlTable(
          ['Step', 'Kind', 'Status', 'Rows', 'Duration', 'Locks', 'Lock retries / wait'],
          p.steps.map((s) => [
            raw(`<code>${h(s.id)}</code>${s.title !== s.id ? `<br><span class="muted">${h(s.title)}</span>` : ''}`),
            c(s.kind),
            badge(s.status, `${s.status.replace('_', ' ')}${s.attempts > 1 ? ` (${s.attempts} attempts)` : ''}`),
            fmtNum(s.rowsAffected),
            fmtMs(s.durationMs),
            s.locks.join(', ') || '—',
            s.retries ? `${s.retries} / ${fmtMs(s.lockWaitMs)}` : '—',
          ]),
          [3, 4, 6],
        ),
        ...p.steps
          .filter((s) => s.error && s.category !== 'check')
          .map((s) => `<div class="callout bad"><code>${h(s.id)}</code>: ${h(s.error)}</div>`),
        ...p.steps
          .filter((s) => s.actions.length)
          .map(
            (s) =>
              `<details><summary><code>${h(s.id)}</code> — ${h(lockSummary(s))}</summary>${pre(s.actions.map(formatSql).join('\n'))}${s.actionsNote ? `<p class="muted">${h(s.actionsNote)}</p>` : ''}</details>`,
          ),
        ...p.steps
          .filter((s) => !s.actions.length && s.actionsSource === 'not recorded')
          .map((s) => `<p class="muted"><code>${h(s.id)}</code> — ${h(s.actionsNote ?? 'not recorded')}</p>`),
      ),
    )
    .join('\n');
}

function backfills(m: ReportModel): string {
  if (!m.backfills.length) return '';
  const table = htmlTable(
    ['Backfill', 'Table', 'Rows', 'Batches', 'Rows/s', 'p50', 'p90', 'p99', 'max', 'Throttled', 'Poison rows'],
    m.backfills.map((b) => [
      c(b.stepId),
      b.table ? c(b.table) : '—',
      `${fmtNum(b.rows)}${b.progress.total ? ` of ${fmtNum(b.progress.total)}` : ''}`,
      fmtNum(b.batches),
      fmtNum(b.rowsPerSecond),
      fmtMs(b.batchMs?.p50),
      fmtMs(b.batchMs?.p90),
      fmtMs(b.batchMs?.p99),
      fmtMs(b.batchMs?.max),
      b.throttledBatches ? `${fmtMs(b.throttledMs)} (${b.throttledBatches})` : 'none',
      b.poisonRows.count ? `⚠️ ${fmtNum(b.poisonRows.count)}` : '0',
    ]),
    [2, 3, 4, 5, 6, 7, 8, 10],
  );
  const charts = m.backfills.map((b, i) =>
    join(
      `<h3><code>${h(b.stepId)}</code></h3>`,
      `<div class="charts"><div class="chart" id="tm-rate-${i}"><h4>Rows/s over time</h4></div><div class="chart" id="tm-ms-${i}"><h4>Batch duration (ms)</h4></div></div>`,
      b.series.bucketSize > 1 ? `<p class="muted">Each point is ${b.series.bucketSize} batches.</p>` : '',
      b.poisonRows.count
        ? sampleDetails(
            `Poison rows: ${b.poisonRows.count} (first ${b.poisonRows.sample.length})`,
            b.poisonRows.sample.map((p) => ({ key: p.key, error: p.error, sqlstate: p.sqlstate })),
          )
        : '',
    ),
  );
  return join(table, ...charts);
}

function impact(m: ReportModel): string {
  const i = m.impact;
  const sized = i.tables.filter((t) => t.before || t.after);
  return join(
    `<ul><li><b>Lock retries</b>: ${i.lockRetries ? `${i.lockRetries} (${h(fmtMs(i.lockWaitMs))} lost to lock timeouts and backoff)` : 'none — every lock was granted within lock_timeout'}</li>`,
    ...i.locksTaken.map((l) => `<li><b>${h(l.lock)}</b> taken by ${codes(l.steps)}</li>`),
    `<li><b>WAL generated</b>: ${h(i.wal.bytes == null ? '—' : fmtBytes(i.wal.bytes))} — ${h(i.wal.note)}</li>`,
    i.syncTriggers.length
      ? `<li><b>Sync triggers</b>: ${i.syncTriggers.map((t) => `<code>${h(t.trigger)}</code> on <code>${h(t.table)}</code> (${t.removedAt ? 'removed' : 'installed'})`).join(', ')}</li>`
      : '',
    '</ul>',
    sized.length ? tableHtml(tables.sizesTable(sized)) : '',
  );
}

function rollback(m: ReportModel): string {
  const r = m.rollback;
  if (!r.available) return `<p>Not available: ${h(r.error ?? 'no plan file given')}.</p>`;
  if (!r.steps.length) return '<p>Nothing is applied: there is nothing to roll back.</p>';
  return join(
    `<p><code>${h(r.command ?? '')}</code> would run now, newest step first (<code>npx tidemark plan --rollback</code> prints the same):</p>`,
    r.refuses.length
      ? `<div class="callout warn"><b>Irreversible:</b> ${codes(r.refuses)} — a whole rollback refuses before undoing anything; roll back to a point after them with <code>--to STEP</code>.</div>`
      : '',
    ...r.steps
      .filter((s) => !s.kind.startsWith('check.') && !s.kind.startsWith('gate.'))
      .map(
        (s) =>
          `<div><code>${h(s.stepId)}</code> <span class="muted">(${h(s.kind)})</span>${s.irreversible ? ` — <b>irreversible</b>: ${h(s.irreversible)}` : s.actions.length ? (s.notes.length ? ` — ${h(s.notes.join('; '))}` : '') + pre(s.actions.map(formatSql).join('\n')) : ` — ${h(s.notes.join('; ') || 'nothing to undo')}`}</div>`,
      ),
    r.archives.length ? `<h3>Archived data (restored by rollback)</h3>${tableHtml(tables.archivesTable(m))}` : '',
  );
}

function drift(m: ReportModel): string {
  const d = m.drift;
  if (!d.accepted.length && !d.changedSinceApplied.length)
    return '<p>None: every applied step ran as the plan defines it.</p>';
  return join(
    tableHtml(tables.acceptedChangesTable(m)),
    d.changedSinceApplied.length
      ? `<div class="callout warn">Changed since applied (the next run exits 4 unless <code>--accept-changed</code>): ${codes(d.changedSinceApplied)}</div>`
      : '',
  );
}

/** Render the report model as one self-contained HTML document. */
export function renderHtml(m: ReportModel): string {
  const u = uplotAssets();
  const chartData = JSON.stringify({ backfills: m.backfills.map((b) => ({ id: b.stepId, series: b.series })) }).replace(
    /</g,
    '\\u003c',
  );
  const body = join(
    header(m),
    section('done', 'What was done', done(m)),
    section('steps', 'Steps', steps(m)),
    section('backfills', 'Backfills', backfills(m)),
    section('proof', 'Verification checklist (the proof)', proofHtml(m)),
    section('gates', 'Gates and approvals', gatesHtml(m)),
    section('impact', 'Performance impact', impact(m)),
    section('rollback', 'Rollback procedure', rollback(m)),
    section('drift', 'Drift and accepted changes', drift(m)),
    section('runs', 'Runs', tableHtml(tables.runsTable(m))),
    section(
      'next',
      'Next steps',
      `<ul>${m.next.map((n) => `<li>${h(n.text).replace(/`([^`]+)`/g, '<code>$1</code>')}</li>`).join('')}</ul>`,
    ),
    `<footer>Written by Tidemark ${h(m.tidemarkVersion)} from the ledger in schema <code>${h(m.database.ledgerSchema)}</code> · report format version ${m.version} · charts by uPlot (MIT)</footer>`,
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${h(`${m.plan.title} — ${m.status.label} (${MARK[m.status.state] ?? ''} Tidemark report)`)}</title>
<style>${u.css}${REPORT_CSS}</style>
</head>
<body>
<main>
${body}
</main>
<script type="application/json" id="tm-data">${chartData}</script>
<script>${u.js}</script>
<script>${CHART_SCRIPT}</script>
</body>
</html>
`;
}
