/**
 * `rollbackPlan`: undoes applied steps newest first — the whole plan, `--phase P` (P and every
 * later phase) or `--to STEP` (back to and including STEP). Before undoing anything it refuses a
 * range holding an irreversible step (raw SQL without `down`, `addEnumValue`), naming it.
 */
import { hostname } from 'node:os';
import { removeSyncTriggers } from '../backfill/sync-trigger.js';
import type { Ledger, StepState } from '../ledger/ledger.js';
import { ExitCode, NotAvailableError, StepFailedError } from '../model/errors.js';
import { PHASES, type Phase, type Plan, type PlannedStep } from '../model/plan.js';
import { TIDEMARK_VERSION } from '../model/version.js';
import { stepKind } from '../plan/registry.js';
import { type Session, stepContext } from './context.js';
import { categoryOf, checkRunOptions } from './guards.js';
import { irreversibleReason } from './irreversible.js';
import type { ConnectOptions } from './open.js';
import { removeOrmRecords } from './orm-records.js';
import { errorResult, type ResultBase, type RunResult, resultOf, runEndEvent } from './result.js';
import { inSession } from './session-scope.js';

export { irreversibleReason };

export interface RollbackOptions extends ConnectOptions {
  to?: string;
  phase?: Phase;
  waitSeconds?: number;
}

/** Steps in the rollback range that left something behind, newest first. */
export function rollbackRange(
  plan: Plan,
  states: Map<string, StepState>,
  o: { to?: string; phase?: Phase },
): PlannedStep[] {
  const from = o.to
    ? plan.steps.find((s) => s.id === o.to)!.index
    : o.phase
      ? Math.min(
          ...plan.steps.filter((s) => PHASES.indexOf(s.phase) >= PHASES.indexOf(o.phase!)).map((s) => s.index),
          Infinity,
        )
      : 0;
  return plan.steps
    .filter((s) => s.index >= from)
    .filter((s) => {
      const st = states.get(s.id);
      return (
        st &&
        (st.status === 'completed' ||
          st.status === 'rolling_back' ||
          ((st.status === 'failed' || st.status === 'running') && st.progress != null))
      );
    })
    .reverse();
}

export async function rollbackPlan(plan: Plan, o: RollbackOptions): Promise<RunResult> {
  const t0 = performance.now();
  const base: ResultBase = { planId: plan.id, runId: null, steps: [], checks: [] };
  const steps = base.steps;
  const done = (r: Partial<RunResult> & Pick<RunResult, 'status' | 'exitCode'>) => resultOf(base, t0, r);
  try {
    checkRunOptions(plan, o);
  } catch (e) {
    return done(errorResult(e));
  }
  return inSession(
    o,
    plan,
    { install: false, runLock: { waitSeconds: o.waitSeconds } },
    async (session, lock) => {
      if (!session.ledger)
        return done({
          status: 'nothing',
          exitCode: ExitCode.ok,
          message: `plan "${plan.id}" has never run here: nothing to roll back`,
        });
      const s = session as Session & { ledger: Ledger };
      const states = await s.ledger.stepStates(plan.id);
      const range = rollbackRange(plan, states, o);
      const irreversible = range.map((st) => [st, irreversibleReason(st)] as const).filter(([, r]) => r);
      if (irreversible.length) {
        throw new StepFailedError(
          irreversible[0][0].id,
          `rollback refused before undoing anything: ${irreversible.map(([st, r]) => `step "${st.id}" is irreversible (${r})`).join('; ')}`,
          'Add a `down` to the raw SQL step, or roll back to a point after it with --to STEP.',
        );
      }
      for (const st of range) {
        const cat = categoryOf(st.kind);
        if (
          cat !== 'check' &&
          cat !== 'gate' &&
          !stepKind(st.kind)?.rollback &&
          !(cat === 'backfill' && !(st.options as { down?: unknown }).down)
        ) {
          throw new NotAvailableError(`rollback of ${st.kind} (step "${st.id}")`);
        }
      }
      const runId = await s.ledger.startRun({
        planId: plan.id,
        command: 'rollback',
        options: { to: o.to ?? null, phase: o.phase ?? null },
        planChecksum: plan.checksum,
        runBy: s.settings.actor,
        host: hostname(),
        pid: process.pid,
        backendPid: lock!.backendPid,
        tidemarkVersion: TIDEMARK_VERSION,
        serverVersion: String(await s.db.serverVersion()),
        database: s.db.displayUrl,
      });
      base.runId = runId;
      s.emit({
        type: 'run.start',
        planId: plan.id,
        title: plan.title,
        command: 'rollback',
        runId,
        dryRun: false,
        database: s.db.displayUrl,
      });
      if (!range.length)
        s.emit({ type: 'notice', level: 'info', message: 'nothing applied in that range: nothing to roll back' });
      for (const st of range) {
        const cat = categoryOf(st.kind);
        const kind = stepKind(st.kind)!;
        if (cat === 'check' || cat === 'gate') {
          await s.ledger.markRolledBack(plan.id, st.id, runId, { note: 'nothing to undo' });
          s.emit({
            type: 'rollback.step',
            stepId: st.id,
            phase: st.phase,
            action: 'nothing',
            note: `${cat}: nothing to undo`,
          });
          continue;
        }
        if (cat === 'backfill' && !(st.options as { down?: unknown }).down) {
          await removeSyncTriggers(s, plan.id, st.id);
          await s.ledger.markRolledBack(plan.id, st.id, runId, { note: 'no down: data left as it is' });
          s.emit({
            type: 'rollback.step',
            stepId: st.id,
            phase: st.phase,
            action: 'skipped',
            note: 'backfill without `down`: the rows it changed are left as they are (rolling back the expand step that added the column removes them)',
          });
          steps.push({ stepId: st.id, phase: st.phase, kind: st.kind, outcome: 'skipped', note: 'no down' });
          continue;
        }
        const t = performance.now();
        const ctx = stepContext(s, st, runId, states.get(st.id)?.progress ?? null, { retries: 0, lockWaitMs: 0 });
        // Committed before the rollback touches anything: a kill from here on leaves the step
        // `rolling_back`, which `status` shows and the next `rollback` resumes (docs/ledger.md).
        await s.ledger.markRollingBack(plan.id, st.id, runId);
        const out = await kind.rollback!(ctx, st.options);
        await s.ledger.markRolledBack(plan.id, st.id, runId, out.details);
        s.appliedSteps.delete(st.id);
        s.emit({
          type: 'rollback.step',
          stepId: st.id,
          phase: st.phase,
          action: 'undone',
          note: out.notes?.join('; '),
        });
        steps.push({
          stepId: st.id,
          phase: st.phase,
          kind: st.kind,
          outcome: 'rolled-back',
          durationMs: performance.now() - t,
          rowsAffected: out.rowsAffected ?? null,
        });
      }
      const whole = !o.to && !o.phase;
      // Only a rollback of the whole plan takes the ORM's history back (docs/orm-records.md).
      if (whole) await removeOrmRecords(s, plan);
      await s.ledger.setPlanStatus(plan.id, whole ? 'rolled_back' : 'in_progress');
      const result = done({
        status: range.length ? 'done' : 'nothing',
        exitCode: ExitCode.ok,
        message: `rolled back ${steps.filter((x) => x.outcome === 'rolled-back').length} step(s)`,
      });
      await s.ledger.finishRun(runId, 'rolled_back', 0, result.message ?? null);
      s.emit(runEndEvent(result));
      return result;
    },
    async (e, session) => {
      const result = done(errorResult(e));
      if (session?.ledger && base.runId !== null)
        await session.ledger
          .finishRun(base.runId, 'failed', result.exitCode, result.message ?? null)
          .catch(() => undefined);
      session?.emit(runEndEvent(result));
      return result;
    },
  );
}
