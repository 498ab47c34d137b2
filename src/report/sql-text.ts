/**
 * SQL as the report shows it: each statement ended with `;` and annotated with the lock it takes
 * and whether it runs outside a transaction, as `tidemark plan` prints it.
 */
import type { ReportAction, ReportStep } from './model.js';

/** One statement with its lock and notes as a trailing comment. */
export function formatSql(a: ReportAction): string {
  const tags: string[] = [];
  if (a.lock && a.lock !== 'none') tags.push(`lock: ${a.lock}`);
  if (!a.transaction) tags.push('outside a transaction');
  if (a.note) tags.push(a.note);
  const sql = a.sql.trim().replace(/;?\s*$/, ';');
  return tags.length ? `${sql}  -- ${tags.join('; ').replace(/\n/g, ' ')}` : sql;
}

/** `3 statements · locks: ACCESS EXCLUSIVE, SHARE UPDATE EXCLUSIVE · 1 outside a transaction`. */
export function lockSummary(s: Pick<ReportStep, 'actions' | 'locks'>): string {
  const n = s.actions.length;
  const outside = s.actions.filter((a) => !a.transaction).length;
  return [`${n} statement${n === 1 ? '' : 's'}`, s.locks.length ? `locks: ${s.locks.join(', ')}` : 'no table lock', outside ? `${outside} outside a transaction` : ''].filter(Boolean).join(' · ');
}
