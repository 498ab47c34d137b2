/**
 * `backfill-not-idempotent` (plan, warning): a `backfill.update` without `where`, or a
 * `backfill.insert` with neither `where` nor `onConflict`. A resumed batch is safe either way, but
 * `run --redo` (a catch-up pass) then rewrites every row, or inserts duplicates.
 */

import { relDisplay } from '../plan-model.js';
import type { PlanRule } from '../rule.js';

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
        const cols = o.set ? Object.keys(o.set as object) : [];
        report({
          step,
          message: `backfill.update of "${relDisplay(o.table)}" has no where: a catch-up pass (run --redo) rewrites every row again`,
          help: cols.length
            ? `Add where: '"${cols[0]}" IS NULL' (rows not yet done), so a second run touches 0 rows.`
            : 'Add a where that matches only rows not yet done, so a second run touches 0 rows.',
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
