/**
 * `destructive-outside-contract` (plan): a step that drops data or changes a column's type in a
 * phase other than contract, while the old code may still use it. (Raw SQL drops and renames are
 * checked by `drop-object` and `rename-object`, which know the phase too.)
 */

import { relDisplay } from '../plan-model.js';
import type { PlanRule } from '../rule.js';

const DROPS = new Set(['op.dropColumn', 'op.dropTable', 'op.dropIndex', 'op.dropConstraint']);

/** The rule. */
export const rule = {
  kind: 'plan',
  id: 'destructive-outside-contract',
  level: 'error',
  summary: 'a destructive step (drop, type conversion) outside the contract phase',
  check(plan, report) {
    for (const step of plan.steps) {
      if (step.phase === 'contract') continue;
      const o = step.options as Record<string, unknown>;
      if (DROPS.has(step.kind)) {
        report({
          step,
          message: `${step.kind} in the ${step.phase} phase removes what running code may still use`,
          help: 'Move it to the contract phase, after the code stopped using it (a gate.flag can hold it until then).',
        });
      } else if (step.kind === 'op.convertToEnum') {
        report({
          step,
          level: 'warning',
          message: `op.convertToEnum of "${relDisplay(o.table)}"."${o.column as string}" in the ${step.phase} phase: running code that writes a value outside the enum starts failing`,
          help: 'Convert in the contract phase, once the code writes only allowed values (prove it with check.allowedValues in validate).',
        });
      }
    }
  },
} satisfies PlanRule;
