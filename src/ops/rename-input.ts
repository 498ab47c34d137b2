/**
 * Refusing a rename's bad input before anything runs: an unknown table or column, or a target name
 * already taken, is a plan problem (exit 2) naming the plan, phase, step and field — the run stops
 * before its first step (docs/steps/rename-column.md).
 */
import type { ReadContext } from '../kind/step-kind.js';
import { PlanInvalidError } from '../model/errors.js';

/** The plan problem for one field of the running step. */
export function badInput(ctx: Pick<ReadContext, 'plan' | 'step'>, field: string, message: string): PlanInvalidError {
  return new PlanInvalidError([{ phase: ctx.step.phase, stepId: ctx.step.id, field, message }], ctx.plan.id);
}

/** The id Tidemark gives the completion of step `id` in contract. */
export function completionId(id: string): string {
  return `${id}-complete`;
}
