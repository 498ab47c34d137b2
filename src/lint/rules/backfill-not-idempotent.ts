/**
 * `backfill-not-idempotent` (plan, warning): a `backfill.update` without `where`, or a
 * `backfill.insert` with neither `where` nor `onConflict`. A resumed batch is safe either way, but
 * `run --redo` (a catch-up pass) then rewrites every row, or inserts duplicates.
 */

import { relDisplay } from '../plan-model.js';
import type { PlanRule } from '../rule.js';

/** `"col"` as SQL writes it. */
const q = (col: string) => `"${col.replaceAll('"', '""')}"`;

/** True when `expr` mentions column `col` (quoted, or unquoted as PostgreSQL folds it). */
function refersTo(expr: string, col: string): boolean {
  if (expr.includes(q(col))) return true;
  if (col !== col.toLowerCase() || !/^[a-z_][a-z0-9_$]*$/.test(col)) return false;
  return new RegExp(`(^|[^\\w$"])${col.replace(/\$/g, '\\$')}(?![\\w$"])`, 'i').test(expr);
}

/**
 * A where that makes a second pass touch 0 rows, whatever the column's nullability: the rows whose
 * value still differs from what the set writes. A column set from itself (`counter + 1`) always
 * differs, so it needs a marker column instead (docs/rules/backfill-not-idempotent.md).
 */
function updateHelp(set: Record<string, unknown>): string {
  const cols = Object.keys(set);
  if (!cols.length) return 'Add a where that matches only rows not yet done, so a second run touches 0 rows.';
  const self = cols.find((c) => refersTo(String(set[c]), c));
  if (self) {
    const marker = `${self}_done`;
    return `${q(self)} is set from itself (${String(set[self])}): every pass changes it again, and no where on it can tell done rows from the rest. Mark the rows done: add a nullable column (op.addColumn ${q(marker)} boolean in expand), set it in the same backfill (set: { …, ${marker}: 'true' }) with where: '${q(marker)} IS NULL', so a second run touches 0 rows.`;
  }
  const where = cols.map((c) => `${q(c)} IS DISTINCT FROM (${String(set[c])})`).join(' OR ');
  return `Add where: '${where.replaceAll("'", "\\'")}' (rows whose value still differs from what the set writes; it works on NOT NULL columns too), so a second run touches 0 rows.`;
}

/** The rule. */
export const rule = {
  kind: 'plan',
  id: 'backfill-not-idempotent',
  level: 'warning',
  summary: 'a backfill without an idempotent where (or onConflict)',
  check(plan, report) {
    for (const step of plan.steps) {
      const o = step.options as Record<string, unknown>;
      if (step.kind === 'backfill.update' && !o.where) {
        report({
          step,
          message: `backfill.update of "${relDisplay(o.table)}" has no where: a catch-up pass (run --redo) rewrites every row again`,
          help: updateHelp((o.set ?? {}) as Record<string, unknown>),
        });
      } else if (step.kind === 'backfill.insert' && !o.where && !o.onConflict) {
        report({
          step,
          message: `backfill.insert into "${relDisplay(o.into)}" has neither where nor onConflict: a catch-up pass (run --redo) inserts every row again`,
          help: "Add onConflict: 'ignore' (with a unique key on the target), or a where that skips rows already copied.",
        });
      }
    }
  },
} satisfies PlanRule;
