/**
 * SQL as the report shows it: each statement ended with `;` and annotated with the lock it takes
 * and whether it runs outside a transaction, as `tidemark plan` prints it.
 */
import { fmtNum } from './format.js';
import type { ReportAction, ReportModel, ReportStep } from './model.js';

/** How a step's statements are known, as the DDL heading says it. */
const SOURCE: Record<ReportStep['actionsSource'], string> = {
  ran: 'as run',
  'would run': 'would run (not run yet)',
  'not recorded': 'not recorded',
  none: '',
};

/** One statement with its lock and notes as a trailing comment. */
export function formatSql(a: ReportAction): string {
  const tags: string[] = [];
  if (a.lock && a.lock !== 'none') tags.push(`lock: ${a.lock}`);
  if (!a.transaction) tags.push('outside a transaction');
  if (a.note) tags.push(a.note);
  const sql = a.sql.trim().replace(/;?\s*$/, ';');
  return tags.length ? `${sql}  -- ${tags.join('; ').replace(/\n/g, ' ')}` : sql;
}

/** `3 statements · locks: ACCESS EXCLUSIVE, SHARE UPDATE EXCLUSIVE · 1 outside a transaction · as run`. */
export function lockSummary(s: Pick<ReportStep, 'actions' | 'locks' | 'actionsSource'>): string {
  const n = s.actions.length;
  const outside = s.actions.filter((a) => !a.transaction).length;
  const failed = s.actions.filter((a) => a.state === 'failed').length;
  return [
    `${n} statement${n === 1 ? '' : 's'}`,
    s.locks.length ? `locks: ${s.locks.join(', ')}` : 'no table lock',
    outside ? `${outside} outside a transaction` : '',
    failed ? `${failed} failed` : '',
    SOURCE[s.actionsSource],
  ]
    .filter(Boolean)
    .join(' · ');
}

/**
 * ` (backfills: 120; an earlier pass of 80 rows, redone or rolled back, not counted)`: each backfill's
 * current pass once, the passes a `--redo` or a rollback superseded apart.
 */
export function backfillRows(m: Pick<ReportModel, 'backfills'>): string {
  if (!m.backfills.length) return '';
  const rows = m.backfills.reduce((n, b) => n + b.rows, 0);
  const passes = m.backfills.reduce((n, b) => n + b.earlierPasses.passes, 0);
  const earlier = m.backfills.reduce((n, b) => n + b.earlierPasses.rows, 0);
  return ` (backfills: ${fmtNum(rows)}${passes ? `; ${passes === 1 ? 'an earlier pass' : `${passes} earlier passes`} of ${fmtNum(earlier)} rows, redone or rolled back, not counted` : ''})`;
}
