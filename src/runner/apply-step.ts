/**
 * Applying one step of a run: its context, its kind's `apply`, and the ledger record of success or
 * failure (a failure names the step and carries what to do next).
 */
import { errorCodeLabel } from '../db/connection.js';
import type { StepOutcome } from '../kind/step-kind.js';
import type { Ledger, StepState } from '../ledger/ledger.js';
import { InterruptedError, NotAvailableError, StepFailedError, TidemarkError } from '../model/errors.js';
import type { PlannedStep } from '../model/plan.js';
import { stepKind } from '../plan/registry.js';
import { type Session, stepContext } from './context.js';
import type { StepReport } from './result.js';

/** Apply one step with its context; record success or failure. */
export async function applyStep(
  s: Session & { ledger: Ledger },
  st: PlannedStep,
  state: StepState | undefined,
  runId: number,
): Promise<StepReport> {
  const kind = stepKind(st.kind);
  if (!kind?.apply) throw new NotAvailableError(`${st.kind} (step "${st.id}")`);
  // A step interrupted (SIGINT) went back to `pending` with its progress kept (ledger.markInterrupted).
  const interrupted = state?.status === 'pending' && state.progress != null;
  const resumed = state?.status === 'running' || state?.status === 'failed' || interrupted;
  const previous = interrupted
    ? 'interrupted'
    : resumed || state?.status === 'rolled_back'
      ? (state!.status as 'running' | 'failed' | 'rolled_back')
      : undefined;
  await s.ledger.markRunning(s.plan.id, st, runId);
  s.emit({
    type: 'step.start',
    stepId: st.id,
    phase: st.phase,
    kind: st.kind,
    title: st.title,
    resumed,
    ...(previous ? { previous } : {}),
  });
  const stats = { retries: 0, lockWaitMs: 0 };
  const ctx = stepContext(s, st, runId, state?.progress ?? null, stats);
  const t = performance.now();
  try {
    const out = await kind.apply(ctx, st.options);
    const durationMs = performance.now() - t;
    if (!out.recorded) {
      await s.db.transaction(async (c) => {
        await ctx.recordStatements('completed', c);
        await s.ledger.markCompleted(
          s.plan.id,
          st,
          runId,
          {
            rowsAffected: out.rowsAffected ?? null,
            details: out.details,
            durationMs,
            retries: stats.retries,
            lockWaitMs: stats.lockWaitMs,
          },
          c,
        );
      });
    }
    s.appliedSteps.add(st.id);
    return stepDone(s, st, out, durationMs, null);
  } catch (e) {
    if (e instanceof InterruptedError) {
      await s.ledger.markInterrupted(s.plan.id, st.id, runId, e.message).catch(() => undefined);
      throw e;
    }
    const err = asStepError(st, e);
    await ctx.recordStatements('failed').catch(() => undefined);
    await s.ledger
      .markFailed(s.plan.id, st.id, runId, err.message, err instanceof StepFailedError ? err.details : undefined)
      .catch(() => undefined);
    if (stats.retries)
      await s.ledger.addRetries(s.plan.id, st.id, stats.retries, stats.lockWaitMs).catch(() => undefined);
    s.emit({ type: 'step.failed', stepId: st.id, phase: st.phase, kind: st.kind, error: err.message, hint: err.hint });
    throw err;
  }
}

/** Wrap a database or unknown error as a step failure naming the step. */
function asStepError(st: PlannedStep, e: unknown): TidemarkError {
  if (e instanceof TidemarkError) return e;
  const pe = e as { message?: string; detail?: string; hint?: string; position?: string };
  const code = errorCodeLabel(e);
  const parts = [`step "${st.id}" (${st.kind}) failed: ${pe.message ?? String(e)}`];
  if (code) parts[0] += ` [${code}]`;
  if (pe.detail) parts.push(`detail: ${pe.detail}`);
  return new StepFailedError(
    st.id,
    parts.join('\n'),
    pe.hint ?? 'Fix the cause and run again: completed steps are not repeated.',
  );
}

/** Say a step finished (`step.done`) and report it applied; `noRows` stands in when the step counted none. */
export function stepDone(
  s: Session,
  st: PlannedStep,
  out: StepOutcome,
  durationMs: number,
  noRows: number | null,
): StepReport {
  s.emit({
    type: 'step.done',
    stepId: st.id,
    phase: st.phase,
    kind: st.kind,
    durationMs,
    rowsAffected: out.rowsAffected,
    notes: out.notes,
  });
  return {
    stepId: st.id,
    phase: st.phase,
    kind: st.kind,
    outcome: 'applied',
    durationMs,
    rowsAffected: out.rowsAffected ?? noRows,
  };
}
