/** One line (or block) of SQL for `plan` and `--dry-run` output: the statement, its lock and notes. */
import type { Action } from './step-kind.js';

export function formatAction(a: Action): string {
  const tags: string[] = [];
  if (a.lock && a.lock !== 'none') tags.push(`lock: ${a.lock}`);
  if (a.transaction === false) tags.push('outside a transaction');
  if (a.note) tags.push(a.note);
  const sql = a.sql.trim().replace(/;?\s*$/, ';');
  const params = a.params?.length ? `  -- params: ${JSON.stringify(a.params)}` : '';
  return tags.length ? `${sql}${params}  -- ${tags.join('; ')}` : `${sql}${params}`;
}
