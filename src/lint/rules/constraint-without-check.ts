/**
 * `constraint-without-check` (plan, warning): `op.setNotNull` / `op.addUnique` in the contract
 * phase with no matching proof in validate (`check.noNulls` on the same table and column,
 * `check.unique` on the same table and columns). The contract step would then be the first to
 * find the NULLs or duplicates — after the point of no return, not in the proof.
 */

import { relDisplay, relKey } from '../plan-model.js';
import type { PlanRule } from '../rule.js';

const same = (a: string[], b: string[]) =>
  a.length === b.length && [...a].sort().join('\u0000') === [...b].sort().join('\u0000');

/** The rule. */
export const rule = {
  kind: 'plan',
  id: 'constraint-without-check',
  level: 'warning',
  summary: 'setNotNull / addUnique in contract with no matching check in validate',
  check(plan, report) {
    const checks = plan.steps.filter((s) => s.phase === 'validate');
    for (const step of plan.steps) {
      if (step.phase !== 'contract') continue;
      const o = step.options as Record<string, unknown>;
      if (step.kind === 'op.setNotNull') {
        const ok = checks.some(
          (c) =>
            c.kind === 'check.noNulls' &&
            relKey(c.options.table) === relKey(o.table) &&
            c.options.column === o.column &&
            !c.options.where,
        );
        if (!ok)
          report({
            step,
            message: `op.setNotNull of "${relDisplay(o.table)}"."${o.column as string}" in contract has no check.noNulls proving it in validate`,
            help: `Add check.noNulls({ id, table: '${relDisplay(o.table)}', column: '${o.column as string}' }) to the validate phase.`,
          });
      } else if (step.kind === 'op.addUnique') {
        const cols = o.columns as string[];
        const ok = checks.some(
          (c) =>
            c.kind === 'check.unique' &&
            relKey(c.options.table) === relKey(o.table) &&
            same(c.options.columns as string[], cols) &&
            !c.options.where,
        );
        if (!ok)
          report({
            step,
            message: `op.addUnique of "${relDisplay(o.table)}" (${cols.join(', ')}) in contract has no check.unique proving it in validate`,
            help: `Add check.unique({ id, table: '${relDisplay(o.table)}', columns: [${cols.map((c) => `'${c}'`).join(', ')}] }) to the validate phase.`,
          });
      }
    }
  },
} satisfies PlanRule;
