/**
 * The Markdown report: reads like the summary teams write by hand after a wave (seed 001) — what
 * was done, the objects and rows, the steps with their DDL, the backfills, the proof, the gates,
 * the rollback procedure, the performance impact, drift, runs and next steps — and renders well on
 * GitHub (a PR comment or a file in the repository).
 */
import { validationQueries } from '../ledger/reader-queries.js';
import { fmtBytes, fmtMs, fmtNum, fmtTime, MARK } from './format.js';
import { code, esc, fence, table, tableMarkdown } from './markdown-kit.js';
import { checklistSection, gatesSection } from './markdown-proof.js';
import type { ReportModel, ReportStep } from './model.js';
import { backfillRows, formatSql, lockSummary } from './sql-text.js';
import * as tables from './tables.js';

function header(m: ReportModel): string[] {
  const lines = [`# ${esc(m.plan.title)} — ${MARK[m.status.state] ?? ''} ${m.status.label}`, ''];
  const s = m.summary;
  const when = s.firstStartedAt ? `${fmtTime(s.firstStartedAt)} → ${fmtTime(s.lastFinishedAt)}` : '—';
  lines.push(
    `- **Plan**: ${code(m.plan.id)}${m.plan.file ? ` (${code(m.plan.file)})` : ''}`,
    `- **Status**: ${MARK[m.status.state] ?? ''} ${m.status.label} — ${s.steps.completed} of ${s.steps.total} steps done`,
    `- **Database**: ${code(m.database.url)} · PostgreSQL ${esc(m.database.serverVersion)} · ledger schema ${code(m.database.ledgerSchema)}`,
    `- **Ran by**: ${s.ranBy.length ? s.ranBy.map(esc).join(', ') : '—'}`,
    `- **When**: ${when} · ${m.runs.length} run(s)`,
    `- **Generated**: ${fmtTime(m.generatedAt)} by Tidemark ${esc(m.tidemarkVersion)} from the ledger`,
  );
  if (m.status.message)
    lines.push('', `> ${MARK[m.status.state] ?? ''} **${m.status.label}**: ${esc(m.status.message)}`);
  return lines;
}

function whatWasDone(m: ReportModel): string[] {
  const s = m.summary;
  const lines = ['## What was done', ''];
  for (const p of m.phases) {
    const done = p.steps.filter((x) => x.status === 'completed').length;
    const other = p.steps.filter((x) => x.status !== 'completed');
    const tail = other.length
      ? ` (${[...new Set(other.map((x) => x.status))].map((st) => `${other.filter((x) => x.status === st).length} ${st.replace('_', ' ')}`).join(', ')})`
      : '';
    lines.push(`- **${p.phase}** — ${done} of ${p.steps.length} step(s) done${tail}`);
  }
  lines.push('');
  const list = (label: string, items: string[]) =>
    items.length && lines.push(`- **${label}** (${items.length}): ${items.map(code).join(', ')}`);
  list('Tables created', s.tablesCreated);
  list('Indexes created', s.indexesCreated);
  if (s.enumsCreated.length)
    lines.push(
      `- **Enums created** (${s.enumsCreated.length}): ${s.enumsCreated.map((e) => `${code(e.name)}${e.values ? ` (${esc(e.values)})` : ''}`).join(', ')}`,
    );
  if (s.columnsAdded.length) lines.push(`- **Columns added** (${s.columnsAdded.length}): nullable, see below`);
  list('Constraints added', s.constraintsAdded);
  list('Altered', s.objectsAltered);
  list('Dropped', s.objectsDropped);
  list('Created, then dropped by a later step', s.createdThenDropped);
  lines.push(`- **Rows written**: ${fmtNum(s.rowsAffected)}${backfillRows(m)}`);
  const c = m.proof.counts;
  const checks = m.proof.checks.length;
  const broken = m.proof.checks.filter((x) => x.status === 'fail' && x.error).length;
  if (checks)
    lines.push(
      `- **Proof**: ${m.proof.passed === null ? '⏳ not run yet' : m.proof.passed ? '✅ passed' : '❌ failed'} — ${c.pass} of ${checks} check(s) passed${c.warn ? `, ${c.warn} warning(s)` : ''}${c.fail ? `, ${c.fail} failed${broken ? ` (${broken} could not run)` : ''}` : ''}${c.notRun ? `, ${c.notRun} not run` : ''}`,
    );
  if (s.columnsAdded.length) {
    lines.push('', '### Columns added', '', tableMarkdown(tables.columnsAddedTable(m)));
  }
  if (m.impact.tables.length) {
    lines.push('', '### Tables', '', tableMarkdown(tables.touchedTablesTable(m.impact.tables)));
  }
  return lines;
}

function stepRow(s: ReportStep): string[] {
  return [
    MARK[s.status] ?? '',
    `${code(s.id)}${s.title !== s.id ? `<br>${esc(s.title)}` : ''}`,
    code(s.kind),
    s.status.replace('_', ' ') + (s.attempts > 1 ? ` (${s.attempts} attempts)` : ''),
    s.rowsAffected == null ? '—' : fmtNum(s.rowsAffected),
    fmtMs(s.durationMs),
    s.locks.length ? esc(s.locks.join(', ')) : '—',
    s.retries ? `${s.retries} / ${fmtMs(s.lockWaitMs)}` : '—',
  ];
}

function stepsSection(m: ReportModel): string[] {
  const lines = ['## Steps'];
  for (const p of m.phases) {
    lines.push(
      '',
      `### ${p.phase}`,
      '',
      table(['', 'Step', 'Kind', 'Status', 'Rows', 'Duration', 'Locks', 'Lock retries / wait'], p.steps.map(stepRow), [
        'l',
        'l',
        'l',
        'l',
        'r',
        'r',
        'l',
        'r',
      ]),
    );
    for (const s of p.steps.filter((x) => x.error && x.category !== 'check'))
      lines.push('', `> ❌ ${code(s.id)}: ${esc(s.error!)}`);
    const ddl = p.steps.filter((x) => x.actions.length || x.actionsSource === 'not recorded');
    if (ddl.length) {
      lines.push('', `<details><summary>DDL of the ${p.phase} phase (${ddl.length} step(s))</summary>`, '');
      for (const s of ddl) {
        if (!s.actions.length) {
          lines.push(`**${code(s.id)}** — ${esc(s.actionsNote ?? 'not recorded')}`, '');
          continue;
        }
        lines.push(`**${code(s.id)}** — ${lockSummary(s)}`, '', fence(s.actions.map(formatSql).join('\n'), 'sql'), '');
        if (s.actionsNote) lines.push(`_${esc(s.actionsNote)}_`, '');
      }
      lines.push('</details>');
    }
  }
  return lines;
}

function backfillsSection(m: ReportModel): string[] {
  if (!m.backfills.length) return [];
  const lines = [
    '## Backfills',
    '',
    table(
      [
        'Backfill',
        'Table',
        'Rows',
        'Batches',
        'Rows/s',
        'Batch p50 / p90 / p99 / max',
        'Batch size',
        'Throttled',
        'Poison rows',
      ],
      m.backfills.map((b) => [
        code(b.stepId),
        b.table ? code(b.table) : '—',
        `${fmtNum(b.rows)}${b.progress.total ? ` of ${fmtNum(b.progress.total)}` : ''}`,
        fmtNum(b.batches),
        fmtNum(b.rowsPerSecond),
        b.batchMs
          ? `${fmtMs(b.batchMs.p50)} / ${fmtMs(b.batchMs.p90)} / ${fmtMs(b.batchMs.p99)} / ${fmtMs(b.batchMs.max)}`
          : '—',
        b.batchSize ? `${fmtNum(b.batchSize.min)}–${fmtNum(b.batchSize.max)}` : '—',
        b.throttledBatches ? `${fmtMs(b.throttledMs)} in ${b.throttledBatches} pause(s)` : 'none',
        b.poisonRows.count ? `⚠️ ${fmtNum(b.poisonRows.count)}` : '0',
      ]),
      ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  ];
  for (const b of m.backfills.filter((x) => x.workers?.length)) {
    lines.push(
      '',
      `Workers of ${code(b.stepId)} (docs/work.md):`,
      '',
      table(
        ['Run', 'Command', 'Status', 'Host', 'Rows', 'Batches', 'Ranges finished'],
        b.workers!.map((w) => [
          `#${w.runId}`,
          w.command,
          w.status,
          w.host ? esc(w.host) : '—',
          fmtNum(w.rows),
          fmtNum(w.batches),
          String(w.rangesFinished),
        ]),
        ['l', 'l', 'l', 'l', 'r', 'r', 'r'],
      ),
    );
  }
  for (const b of m.backfills.filter((x) => x.poisonRows.count)) {
    lines.push(
      '',
      `Poison rows of ${code(b.stepId)} (${b.poisonRows.count}; first ${b.poisonRows.sample.length}):`,
      '',
      table(
        ['Key', 'Error', 'SQLSTATE'],
        b.poisonRows.sample.map((p) => [code(JSON.stringify(p.key)), esc(p.error), p.sqlstate ?? '—']),
      ),
    );
  }
  lines.push(
    '',
    '_Rows/s counts time inside batches and throttling pauses. The HTML report charts rows/s and batch durations over time._',
  );
  return lines;
}

function impactSection(m: ReportModel): string[] {
  const i = m.impact;
  const lines = ['## Performance impact', ''];
  lines.push(
    `- **Lock retries**: ${i.lockRetries ? `${i.lockRetries} (${fmtMs(i.lockWaitMs)} lost to lock timeouts and backoff)` : 'none — every lock was granted within lock_timeout'}`,
  );
  for (const l of i.locksTaken) lines.push(`- **${esc(l.lock)}** taken by ${l.steps.map(code).join(', ')}`);
  lines.push(`- **WAL generated**: ${i.wal.bytes == null ? '—' : fmtBytes(i.wal.bytes)} — ${esc(i.wal.note)}`);
  if (i.syncTriggers.length)
    lines.push(
      `- **Sync triggers**: ${i.syncTriggers.map((t) => `${code(t.trigger)} on ${code(t.table)} (${t.removedAt ? 'removed' : 'installed'})`).join(', ')}`,
    );
  const sized = i.tables.filter((t) => t.before || t.after);
  if (sized.length) {
    lines.push('', tableMarkdown(tables.sizesTable(sized)));
    lines.push(
      '',
      `_Sizes before: ${i.sizesRecorded.before ? `recorded ${fmtTime(i.sizesRecorded.before)}` : 'not recorded'}; after: ${i.sizesRecorded.afterSource === 'run' ? `recorded ${fmtTime(i.sizesRecorded.after)}` : 'read from the catalog for this report'}._`,
    );
  }
  return lines;
}

function rollbackSection(m: ReportModel): string[] {
  const r = m.rollback;
  const lines = ['## Rollback procedure', ''];
  if (!r.available) return [...lines, `Not available: ${esc(r.error ?? 'no plan file given')}.`];
  if (!r.steps.length) return [...lines, 'Nothing is applied: there is nothing to roll back.'];
  lines.push(
    `${code(r.command ?? 'npx tidemark rollback')} would run now, newest step first (${code('npx tidemark plan --rollback')} prints the same):`,
    '',
  );
  if (r.refuses.length)
    lines.push(
      `> ⚠️ **Irreversible**: ${r.refuses.map(code).join(', ')} — a whole rollback refuses before undoing anything; roll back to a point after them with ${code('--to STEP')}.`,
      '',
    );
  const quiet = r.steps.filter((s) => s.kind.startsWith('check.') || s.kind.startsWith('gate.'));
  for (const s of r.steps.filter((x) => !quiet.includes(x))) {
    if (s.irreversible) lines.push(`- ${code(s.stepId)} (${code(s.kind)}): **irreversible** — ${esc(s.irreversible)}`);
    else if (!s.actions.length)
      lines.push(`- ${code(s.stepId)} (${code(s.kind)}): ${esc(s.notes.join('; ') || 'nothing to undo')}`);
    else
      lines.push(
        `- ${code(s.stepId)} (${code(s.kind)})${s.notes.length ? ` — ${esc(s.notes.join('; '))}` : ''}`,
        '',
        fence(s.actions.map(formatSql).join('\n'), 'sql').replace(/^/gm, '  '),
      );
  }
  if (quiet.length) lines.push('', `_Checks and gates have nothing to undo (${quiet.length} in range)._`);
  if (r.archives.length) {
    lines.push('', 'Archived data (restored by rollback):', '', tableMarkdown(tables.archivesTable(m)));
  }
  return lines;
}

function driftSection(m: ReportModel): string[] {
  const d = m.drift;
  if (!d.accepted.length && !d.changedSinceApplied.length)
    return ['## Drift', '', 'None: every applied step ran as the plan defines it.'];
  const lines = ['## Drift and accepted changes', ''];
  if (d.accepted.length) lines.push(tableMarkdown(tables.acceptedChangesTable(m)));
  if (d.changedSinceApplied.length)
    lines.push(
      '',
      `> ⚠️ Changed since applied (the next run exits 4 unless ${code('--accept-changed')}): ${d.changedSinceApplied.map(code).join(', ')}`,
    );
  return lines;
}

function runsSection(m: ReportModel): string[] {
  return [
    '## Runs',
    '',
    // Left-aligned in Markdown, as this table has always been written.
    tableMarkdown({ ...tables.runsTable(m), right: undefined }),
  ];
}

function tail(m: ReportModel): string[] {
  return [
    '## Next steps',
    '',
    ...m.next.map((n) => `- ${n.text}`),
    '',
    '## Validation queries',
    '',
    `Re-run the proof at any time with ${code(`npx tidemark verify ${m.plan.path ?? m.plan.file ?? '<plan>'}`)} (exit 1 on any failure). The ledger holds every step, batch and check:`,
    '',
    fence(validationQueries(m.database.ledgerSchema, m.plan.id).join('\n'), 'sql'),
    '',
    '---',
    '',
    `_Written by Tidemark from the ledger in ${code(m.database.ledgerSchema)}; format version ${m.version}._`,
    '',
  ];
}

/** Render the report model as GitHub-flavoured Markdown. */
export function renderMarkdown(m: ReportModel): string {
  const sections = [
    header(m),
    whatWasDone(m),
    stepsSection(m),
    backfillsSection(m),
    checklistSection(m),
    gatesSection(m),
    impactSection(m),
    rollbackSection(m),
    driftSection(m),
    runsSection(m),
    tail(m),
  ];
  return sections
    .filter((s) => s.length)
    .map((s) => s.join('\n'))
    .join('\n\n---\n\n')
    .replace(/\n{3,}/g, '\n\n');
}
