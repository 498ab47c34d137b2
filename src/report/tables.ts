/**
 * The report's tables as data: built once from the model, rendered by both the Markdown and the
 * HTML report (`tableMarkdown` in markdown-kit.ts, `tableHtml` in html-kit.ts), so both formats
 * show the same columns and the same values. The tables whose two renderings differ on purpose —
 * steps, backfills, the proof and the gates: badges and charts in HTML, marks and folded columns in
 * Markdown — are built by each renderer (see docs/report.md).
 */
import { fmtBytes, fmtBytesDelta, fmtMs, fmtNum, fmtTime } from './format.js';
import type { ReportModel } from './model.js';

/**
 * A cell: a string is fixed wording or a formatted number, written as it is; `text` is free text
 * (names of people, messages), escaped for the format; `code` is an identifier shown as code.
 */
export type Cell = string | { text: string } | { code: string };

export interface TableSpec {
  header: string[];
  rows: Cell[][];
  /** Right-aligned (numeric) columns. */
  right?: number[];
}

type TableSizes = ReportModel['impact']['tables'];

/** Columns added by the plan (nullable when added). */
export function columnsAddedTable(m: ReportModel): TableSpec {
  return {
    header: ['Table', 'Column', 'Type', 'Step'],
    rows: m.summary.columnsAdded.map((x) => [
      { code: x.table },
      { code: x.column },
      x.type ? { code: x.type } : '—',
      { code: x.stepId },
    ]),
  };
}

/** The tables the plan touched: role, rows now, total size before and after. */
export function touchedTablesTable(tables: TableSizes): TableSpec {
  return {
    header: ['Table', 'Role', 'Rows now', 'Size before', 'Size after', 'Change'],
    rows: tables.map((t) => [
      { code: t.name },
      t.role,
      `${fmtNum(t.rows)}${t.rows != null && !t.rowsExact ? ' (estimate)' : ''}`,
      fmtBytes(t.before?.totalBytes),
      fmtBytes(t.after?.totalBytes),
      fmtBytesDelta(t.before?.totalBytes, t.after?.totalBytes),
    ]),
    right: [2, 3, 4, 5],
  };
}

/** Table and index sizes before and after, of the tables with a recorded size. */
export function sizesTable(sized: TableSizes): TableSpec {
  return {
    header: ['Table', 'Table size before', 'after', 'Index size before', 'after', 'Total change'],
    rows: sized.map((t) => [
      { code: t.name },
      fmtBytes(t.before?.tableBytes),
      fmtBytes(t.after?.tableBytes),
      fmtBytes(t.before?.indexBytes),
      fmtBytes(t.after?.indexBytes),
      fmtBytesDelta(t.before?.totalBytes, t.after?.totalBytes),
    ]),
    right: [1, 2, 3, 4, 5],
  };
}

/** Data archived by the plan's drops (restored by rollback). */
export function archivesTable(m: ReportModel): TableSpec {
  return {
    header: ['Step', 'Object', 'Archive', 'Archived', 'Restored'],
    rows: m.rollback.archives.map((a) => [
      { code: a.stepId },
      { code: a.object },
      { code: a.archive },
      fmtTime(a.at),
      a.restoredAt ? fmtTime(a.restoredAt) : '—',
    ]),
  };
}

/** Changed step definitions accepted with `--accept-changed`. */
export function acceptedChangesTable(m: ReportModel): TableSpec {
  return {
    header: ['Step', 'Old checksum', 'New checksum', 'Accepted by', 'When', 'Run'],
    rows: m.drift.accepted.map((a) => [
      { code: a.stepId },
      { code: a.oldChecksum.slice(0, 12) },
      { code: a.newChecksum.slice(0, 12) },
      { text: a.acceptedBy },
      fmtTime(a.at),
      a.runId == null ? '—' : `#${a.runId}`,
    ]),
  };
}

/** Gate approvals: who approved which gate, when, in which run. */
export function approvalsTable(m: ReportModel): TableSpec {
  return {
    header: ['Gate', 'Approved by', 'When', 'Run'],
    rows: m.gates.approvals.map((a) => [
      { code: a.gateId },
      { text: a.approvedBy },
      fmtTime(a.at),
      a.runId == null ? '—' : `#${a.runId}`,
    ]),
  };
}

/** Every run of the plan. */
export function runsTable(m: ReportModel): TableSpec {
  return {
    header: ['Run', 'Command', 'Status', 'Exit', 'By', 'Started', 'Duration', 'Message'],
    rows: m.runs.map((r) => [
      `#${r.runId}`,
      r.command,
      r.status,
      r.exitCode == null ? '—' : String(r.exitCode),
      { text: r.runBy },
      fmtTime(r.startedAt),
      fmtMs(r.durationMs),
      { text: r.message ?? '' },
    ]),
    right: [3, 6],
  };
}
