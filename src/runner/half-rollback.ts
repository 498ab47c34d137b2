/**
 * `run` refuses a plan holding a step whose rollback was interrupted (ledger status
 * `rolling_back`): the database is then between the step applied and the step undone, so the
 * rollback must be finished first (docs/cli.md, "An interrupted rollback").
 */
import { isAbsolute, relative } from 'node:path';
import type { StepState } from '../ledger/ledger.js';
import { StepFailedError } from '../model/errors.js';
import type { Plan } from '../model/plan.js';

/** The plan as a command line names it: its file relative to here when below, else as loaded. */
export function planFileArg(plan: Plan): string {
  const rel = plan.file ? relative(process.cwd(), plan.file) : '';
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : (plan.file ?? plan.id);
}

/** The command that finishes the interrupted rollback of step `stepId` of `plan`, and nothing more. */
export function finishRollbackCommand(plan: Plan, stepId: string): string {
  return `npx tidemark rollback ${planFileArg(plan)} --to ${stepId}`;
}

/** Throws (exit 1) naming the first step whose rollback was interrupted, if any. */
export function refuseHalfRolledBack(plan: Plan, states: Map<string, StepState>): void {
  const half = plan.steps.filter((st) => states.get(st.id)?.status === 'rolling_back');
  if (!half.length) return;
  throw new StepFailedError(
    half[0].id,
    `the rollback of ${half.map((st) => `step "${st.id}"`).join(', ')} was interrupted: it is half undone, so nothing was run`,
    `Finish the rollback first: ${finishRollbackCommand(plan, half[0].id)}, then run again.`,
  );
}
