/**
 * The verdicts a run records for checks and gates, the same wherever they stand (preconditions or a
 * later phase): the report line, the ledger record, and for a closed gate the stop it causes.
 */
import type { CheckOutcome } from '../kind/events.js';
import type { Ledger } from '../ledger/ledger.js';
import { ExitCode } from '../model/errors.js';
import type { PlannedStep } from '../model/plan.js';
import type { Session } from './context.js';
import { evaluateCheck, isFailure } from './evaluate-check.js';
import { evaluateGate } from './evaluate-gate.js';
import type { RunResult, StepReport } from './result.js';

/** Why a run ends before its last step. */
export type Stop = { status: RunResult['status']; exitCode: RunResult['exitCode']; message: string; hint?: string };

/** Ask a gate; record it open, or return the stop a closed gate causes. */
export async function passGate(
  s: Session & { ledger: Ledger },
  st: PlannedStep,
  runId: number,
  reports: StepReport[],
): Promise<Stop | undefined> {
  const g = await evaluateGate(s, st, runId);
  reports.push({
    stepId: st.id,
    phase: st.phase,
    kind: st.kind,
    outcome: g.open ? 'gate-open' : 'gate-closed',
    note: g.reason,
  });
  if (!g.open)
    return {
      status: 'gate',
      exitCode: ExitCode.gate,
      message: `stopped at gate "${st.id}": ${g.reason}`,
      hint: g.opensWhen,
    };
  await s.ledger.markCompleted(s.plan.id, st, runId, { details: { reason: g.reason } });
  return undefined;
}

/** Evaluate a check and record its result; true when it fails the proof. */
export async function checkStep(
  s: Session & { ledger: Ledger },
  st: PlannedStep,
  runId: number,
  reports: StepReport[],
  checks: CheckOutcome[],
): Promise<boolean> {
  const r = await evaluateCheck(s, st, runId);
  checks.push(r);
  reports.push({ stepId: st.id, phase: st.phase, kind: st.kind, outcome: 'checked', note: r.status });
  if (!isFailure(r)) {
    await s.ledger.markCompleted(s.plan.id, st, runId, {});
    return false;
  }
  await s.ledger.markFailed(
    s.plan.id,
    st.id,
    runId,
    r.message ?? `${String(r.actual)} (expected ${String(r.expected)})`,
  );
  return true;
}
