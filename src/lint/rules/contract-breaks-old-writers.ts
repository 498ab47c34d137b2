/**
 * `contract-breaks-old-writers` (plan, warning): a contract step that old application code cannot
 * survive stands before a gate of the contract phase. A gate in the contract is where a plan waits
 * for the new code to be live; until it opens, old code still writes. Two orders break it:
 * - `op.setNotNull` on a column a `backfill.update` fills without `keepInSync` (old code inserts
 *   rows without it, now refused);
 * - `op.dropColumn` / `op.dropTable` of what existed before the plan (old code still names it).
 * See docs/rules/contract-breaks-old-writers.md.
 */

import type { PlannedStep } from '../../model/plan.js';
import { relDisplay, relKey } from '../plan-model.js';
import type { PlanRule } from '../rule.js';

/** The rule. */
export const rule = {
  kind: 'plan',
  id: 'contract-breaks-old-writers',
  level: 'warning',
  summary: 'a contract step that old application code cannot survive stands before a gate',
  check(plan, report) {
    const contract = plan.steps.filter((s) => s.phase === 'contract');
    const lastGate = contract.map((s) => s.kind.startsWith('gate.')).lastIndexOf(true);
    if (lastGate < 0) return;
    const gate = contract[lastGate] as PlannedStep;
    const key = (t: unknown, c: string) => `${relKey(t)}\u0000${c}`;
    const unsynced = new Set<string>();
    const synced = new Set<string>();
    const created = new Set<string>();
    for (const s of plan.steps) {
      const o = s.options as Record<string, unknown>;
      if (s.kind === 'op.createTable') created.add(relKey(o.table));
      if (s.kind === 'op.addColumn') created.add(key(o.table, o.column as string));
      if (s.kind !== 'backfill.update') continue;
      for (const c of Object.keys((o.set as object | undefined) ?? {}))
        (o.keepInSync ? synced : unsynced).add(key(o.table, c));
    }
    for (const step of contract.slice(0, lastGate)) {
      const o = step.options as Record<string, unknown>;
      const where = `before gate "${gate.id}" (old code may still be writing until it opens)`;
      if (step.kind === 'op.setNotNull') {
        const k = key(o.table, o.column as string);
        if (unsynced.has(k) && !synced.has(k))
          report({
            step,
            message: `step "${step.id}" makes "${relDisplay(o.table)}"."${o.column as string}" NOT NULL ${where}, but the backfill that fills it has no keepInSync: rows old code inserts meanwhile are refused`,
            help: `Add keepInSync: true to the backfill that fills "${o.column as string}", or move "${step.id}" after gate "${gate.id}".`,
          });
      } else if (step.kind === 'op.dropColumn' && !created.has(key(o.table, o.column as string))) {
        report({
          step,
          message: `step "${step.id}" drops "${relDisplay(o.table)}"."${o.column as string}" ${where}: old code that still names it fails`,
          help: `Move "${step.id}" after gate "${gate.id}".`,
        });
      } else if (step.kind === 'op.dropTable' && !created.has(relKey(o.table))) {
        report({
          step,
          message: `step "${step.id}" drops table "${relDisplay(o.table)}" ${where}: old code that still uses it fails`,
          help: `Move "${step.id}" after gate "${gate.id}".`,
        });
      }
    }
  },
} satisfies PlanRule;
