/**
 * Drift at the start of a run: an applied step whose definition changed is refused (exit 4) with
 * the fields that changed and the ways out, as commands (docs/plans.md, "Checksums and drift");
 * `--accept-changed` ones are recorded.
 */
import type { Ledger, StepState } from '../ledger/ledger.js';
import { DriftError, type DriftedStep } from '../model/errors.js';
import type { Plan } from '../model/plan.js';
import { driftOf } from './guards.js';
import { planFileArg } from './half-rollback.js';
import { irreversibleReason } from './rollback.js';

/** What to do about drifted steps: revert, accept (and what that means), or undo and apply afresh. */
export function driftWaysOut(plan: Plan, drifted: readonly DriftedStep[]): string {
  const file = planFileArg(plan);
  const ids = drifted.map((d) => d.stepId);
  const ways = [
    `Either put ${ids.length === 1 ? 'the step' : 'the steps'} back as applied (revert the fields above in ${file}) and run again`,
    `or keep the database as it is and record the new definition as applied — the change is not applied: npx tidemark run ${file} ${ids.map((id) => `--accept-changed ${id}`).join(' ')}`,
  ];
  // Undoing it takes the definition it was applied with (its `down`): revert first, roll back, then change.
  const first = plan.steps.find((s) => ids.includes(s.id) && !irreversibleReason(s));
  if (first)
    ways.push(
      `or, to apply the new definition: revert the file, npx tidemark rollback ${file} --to ${first.id} (it undoes every later step too), then restore your change and run again`,
    );
  return `${ways.join('; ')}.`;
}

/** Applied steps whose definition changed; accepted ones are recorded, the rest throw {@link DriftError}. */
export async function checkDrift(
  ledger: Ledger,
  plan: Plan,
  states: Map<string, StepState>,
  accept: string[],
  runId: number,
  actor: string,
): Promise<string[]> {
  const { drifted, accepted } = driftOf(plan, states, accept);
  if (drifted.length) throw new DriftError(plan.id, drifted, driftWaysOut(plan, drifted));
  for (const a of accepted) {
    const step = plan.steps.find((s) => s.id === a.stepId);
    await ledger.acceptDrift(plan.id, a.stepId, runId, a.old, a.new, actor, step?.definition);
  }
  return accepted.map((a) => a.stepId);
}
