/**
 * Evaluating one gate step: the verdict is recorded in the ledger and emitted; a closed gate stops
 * the run (exit 5) and says what would open it.
 */

import type { GateKind, GateResult } from '../kind/step-kind.js';
import { recordGate } from '../ledger/records.js';
import { NotAvailableError } from '../model/errors.js';
import type { PlannedStep } from '../model/plan.js';
import { stepKind } from '../plan/registry.js';
import { readContext, type Session } from './context.js';

/** Evaluate a gate: record its verdict (with the run), emit `gate.open` / `gate.closed`, and return it. */
export async function evaluateGate(s: Session, step: PlannedStep, runId: number | null): Promise<GateResult> {
  const kind = stepKind(step.kind) as GateKind | undefined;
  if (!kind?.evaluate) throw new NotAvailableError(`${step.kind} (step "${step.id}")`);
  const r = await kind.evaluate({ ...readContext(s, step), runId }, step.options);
  if (s.ledger && runId !== null)
    await recordGate(s.ledger, s.plan.id, step.id, runId, step.kind, r.open, r.reason, r.detail);
  if (r.open) s.emit({ type: 'gate.open', stepId: step.id, kind: step.kind, reason: r.reason });
  else s.emit({ type: 'gate.closed', stepId: step.id, kind: step.kind, reason: r.reason, opensWhen: r.opensWhen });
  return r;
}
