/**
 * `runPlan`: executes a plan's pending steps in phase order under the run lock, recording every
 * step, check and gate in the ledger, and returns a {@link RunResult} (it never throws for expected
 * failures). See docs/plans.md and docs/cli.md for the behaviour it implements.
 */
import { hostname } from 'node:os';
import { syncTriggersEndedBy } from '../backfill/sync-sources.js';
import { removeSyncTriggers } from '../backfill/sync-trigger.js';
import { couldNotRunAdvice } from '../checks/could-not-run.js';
import { loadSqlParser } from '../checks/sql-columns.js';
import type { CheckOutcome } from '../kind/events.js';
import type { Ledger, StepState } from '../ledger/ledger.js';
import { captureObjectStats } from '../ledger/object-stats.js';
import { latestValidation, recordValidation } from '../ledger/records.js';
import { ExitCode, InterruptedError } from '../model/errors.js';
import type { Phase, Plan, PlannedStep } from '../model/plan.js';
import { TIDEMARK_VERSION } from '../model/version.js';
import type { Session } from './context.js';
import { dryRunPlan } from './dry-run.js';
import {
  categoryOf,
  checkDrift,
  checkIdWidth,
  checkRunOptions,
  contractBlockers,
  contractRefusal,
  endIndex,
  provenSteps,
  staleReason,
  takeBaselines,
} from './guards.js';
import { refuseHalfRolledBack } from './half-rollback.js';
import { type RunOptions, settingsOf } from './open.js';
import { writeOrmRecords } from './orm-records.js';
import { checkPlanNames } from './plan-check.js';
import { lintBeforeRun, pendingSteps, preflightSteps } from './preflight.js';

export type { RunOptions } from './open.js';

import { applyStep } from './apply-step.js';
import { errorResult, type ResultBase, type RunResult, resultOf, runEndEvent, type StepReport } from './result.js';
import { inSession } from './session-scope.js';
import { checkStep, passGate, type Stop } from './verdicts.js';

/** Run a validated plan against a database. */
export async function runPlan(plan: Plan, o: RunOptions): Promise<RunResult> {
  const t0 = performance.now();
  const base: ResultBase = { planId: plan.id, runId: null, steps: [], checks: [] };
  const done = (r: Partial<RunResult> & Pick<RunResult, 'status' | 'exitCode'>) => resultOf(base, t0, r);
  try {
    checkRunOptions(plan, o);
  } catch (e) {
    return done(errorResult(e));
  }
  if (o.dryRun) return dryRunPlan(plan, o);

  return inSession(
    o,
    plan,
    {
      install: true,
      runLock: { waitSeconds: o.waitSeconds, onWait: (w) => o.events?.({ type: 'run.waiting', ...w }) },
    },
    async (opened, lock) => {
      const session = opened as Session & { ledger: Ledger };
      session.signal = o.signal;
      const { ledger, db } = session;
      await ledger.syncPlan(plan);
      const settings = settingsOf(o);
      base.runId = await ledger.startRun({
        planId: plan.id,
        command: 'run',
        options: {
          phase: o.phase ?? null,
          to: o.to ?? null,
          approve: o.approvals ?? [],
          acceptChanged: o.acceptChanged ?? [],
          redo: o.redo ?? [],
        },
        planChecksum: plan.checksum,
        runBy: settings.actor,
        host: hostname(),
        pid: process.pid,
        backendPid: lock!.backendPid,
        tidemarkVersion: TIDEMARK_VERSION,
        serverVersion: String(await db.serverVersion()),
        database: db.displayUrl,
      });
      await ledger.markCrashedRuns(plan.id, base.runId);
      session.emit({
        type: 'run.start',
        planId: plan.id,
        title: plan.title,
        command: 'run',
        runId: base.runId,
        dryRun: false,
        database: db.displayUrl,
        checkIdWidth: checkIdWidth(plan),
      });
      if (opened.installed && opened.installed.from < opened.installed.to) {
        session.emit({ type: 'ledger.installed', schema: session.ledgerSchema, ...opened.installed });
      }
      const stop = await execute(session, plan, o, base.runId, base.steps, base.checks);
      const result = done(
        stop ?? {
          status: base.steps.some((s) => s.outcome === 'applied' || s.outcome === 'checked') ? 'done' : 'nothing',
          exitCode: ExitCode.ok,
        },
      );
      await finish(session, plan, result);
      return result;
    },
    async (e, session) => {
      const result = done(errorResult(e));
      if (session && base.runId !== null)
        await finish(session as Session & { ledger: Ledger }, plan, result).catch(() => undefined);
      return result;
    },
  );
}

async function finish(session: Session & { ledger: Ledger }, plan: Plan, result: RunResult): Promise<void> {
  const runStatus =
    result.status === 'nothing'
      ? 'done'
      : result.status === 'locked' || result.status === 'invalid'
        ? 'failed'
        : result.status;
  if (result.runId !== null && result.status !== 'nothing')
    await captureObjectStats(session.db, session.ledger, plan, result.runId, 'after');
  if (result.runId !== null)
    await session.ledger.finishRun(result.runId, runStatus, result.exitCode, result.message ?? null);
  const states = await session.ledger.stepStates(plan.id);
  const all = plan.steps.every((s) => states.get(s.id)?.status === 'completed');
  if (all) await session.ledger.setPlanStatus(plan.id, 'completed');
  else if (result.status === 'interrupted') await session.ledger.setPlanStatus(plan.id, 'in_progress');
  else if (result.exitCode !== 0)
    await session.ledger.setPlanStatus(plan.id, result.status === 'gate' ? 'waiting' : 'failed');
  else await session.ledger.setPlanStatus(plan.id, 'in_progress');
  session.emit(runEndEvent(result));
}

/** The phases loop. Returns a stop when the run ends early, undefined when it ran to its end. */
async function execute(
  s: Session & { ledger: Ledger },
  plan: Plan,
  o: RunOptions,
  runId: number,
  reports: StepReport[],
  checks: CheckOutcome[],
): Promise<Stop | undefined> {
  const { ledger } = s;
  let states = await ledger.stepStates(plan.id);
  refuseHalfRolledBack(plan, states);
  const end = endIndex(plan, o.phase, o.to);
  const accepted = await checkDrift(ledger, plan, states, o.acceptChanged ?? [], runId, s.settings.actor);
  for (const id of accepted)
    s.emit({
      type: 'notice',
      level: 'warn',
      stepId: id,
      message: `accepted the changed definition of applied step "${id}" (recorded in the ledger)`,
    });
  await lintBeforeRun(s, pendingSteps(plan, states, o.redo ?? []), end, o.config?.lint);
  await checkPlanNames(s, pendingSteps(plan, states, o.redo ?? []), states);
  for (const id of o.redo ?? []) {
    if (states.get(id)?.status === 'completed') {
      await ledger.markPending(plan.id, id, runId, 'redo requested');
      s.appliedSteps.delete(id);
      s.emit({ type: 'notice', level: 'info', stepId: id, message: `step "${id}" will run again (--redo)` });
    }
  }
  states = await ledger.stepStates(plan.id);

  const isWork = (st: PlannedStep) => !['check', 'gate'].includes(categoryOf(st.kind)) && st.phase !== 'preconditions';
  const pendingWorkFrom = (i: number) =>
    plan.steps.some(
      (st) => st.index >= i && st.index <= end && isWork(st) && states.get(st.id)?.status !== 'completed',
    );
  const preconditions = plan.steps.filter((st) => st.phase === 'preconditions' && st.index <= end);
  // Started: a step of the plan was attempted, or its preconditions all passed before (a gate or a
  // refusal stopped that run before its first step).
  const started =
    plan.steps.some((st) => st.phase !== 'preconditions' && (states.get(st.id)?.attempts ?? 0) > 0) ||
    (preconditions.length > 0 && preconditions.every((st) => states.get(st.id)?.status === 'completed'));

  // Preconditions: once, before the plan's first step, whatever its kind (checks and gates included).
  if (preconditions.length && !started) {
    s.emit({ type: 'phase.start', phase: 'preconditions', pending: preconditions.length });
    const failed: string[] = [];
    for (const st of preconditions) {
      if (categoryOf(st.kind) === 'gate') {
        const stop = await passGate(s, st, runId, reports);
        if (stop) return stop;
        continue;
      }
      if (await checkStep(s, st, runId, reports, checks)) failed.push(st.id);
    }
    s.emit({
      type: 'proof.end',
      phase: 'preconditions',
      passed: failed.length === 0,
      failed,
      warned: checks.filter((c) => c.status === 'warn').map((c) => c.stepId),
    });
    s.emit({ type: 'phase.end', phase: 'preconditions' });
    if (failed.length)
      return {
        status: 'failed',
        exitCode: ExitCode.failed,
        message: `precondition(s) failed: ${failed.join(', ')}; nothing was changed`,
      };
  } else if (preconditions.length && started) {
    for (const st of preconditions)
      if (states.get(st.id)?.status !== 'completed')
        s.emit({
          type: 'step.skip',
          stepId: st.id,
          phase: st.phase,
          reason: "preconditions run only before the plan's first step",
        });
  }

  // The ORM's history says the plan's migrations are applied from its first step on
  // (docs/orm-records.md): written just before that step, and made sure of on every later run.
  let recorded = false;
  const ensureRecords = async () => {
    if (recorded) return;
    recorded = true;
    await writeOrmRecords(s, plan, runId);
  };
  if (started) await ensureRecords();

  await preflightSteps(s, pendingSteps(plan, states, []), end);
  const planRow = await ledger.planRow(plan.id);
  if (!planRow?.baseline_taken_at && pendingWorkFrom(0)) await takeBaselines(s.db, ledger, plan, runId);
  if (pendingWorkFrom(0)) await captureObjectStats(s.db, ledger, plan, runId, 'before');

  let phase: Phase | undefined;
  let validation: { needed: boolean; failed: string[]; checks: number } | undefined;
  let contractChecked = false;
  for (const st of plan.steps) {
    if (st.phase === 'preconditions' || st.index > end) continue;
    // Asked to stop (SIGINT, SIGTERM): the step before committed; this one has not started.
    if (s.signal?.aborted) throw interruptedBetweenSteps(reports);
    if (st.phase !== phase) {
      const stop = await closeValidation();
      if (stop) return stop;
      if (phase) s.emit({ type: 'phase.end', phase });
      phase = st.phase;
      s.emit({
        type: 'phase.start',
        phase,
        pending: plan.steps.filter((x) => x.phase === phase && states.get(x.id)?.status !== 'completed').length,
      });
      if (phase === 'validate') {
        const lastValidate = plan.steps.filter((x) => x.phase === 'validate').pop()!;
        const latest = await latestValidation(ledger, plan.id, provenSteps(plan));
        const fresh = latest?.passed && latest.plan_checksum === plan.checksum && !latest.completed_after.length;
        const stale =
          latest?.passed && latest.plan_checksum === plan.checksum ? staleReason(latest.completed_after) : undefined;
        if (stale) s.emit({ type: 'notice', level: 'info', message: `the proof runs again: ${stale}` });
        validation = {
          needed:
            pendingWorkFrom(lastValidate.index + 1) ||
            !fresh ||
            plan.steps.some((x) => x.phase === 'validate' && isWork(x) && states.get(x.id)?.status !== 'completed'),
          failed: [],
          checks: 0,
        };
      }
    }
    const cat = categoryOf(st.kind);
    const state = states.get(st.id);
    if (cat === 'check') {
      if (!validation?.needed) {
        reports.push({
          stepId: st.id,
          phase: st.phase,
          kind: st.kind,
          outcome: 'skipped',
          note: 'proof already passed on this plan',
        });
        continue;
      }
      await ledger.markRunning(plan.id, st, runId);
      validation.checks++;
      if (await checkStep(s, st, runId, reports, checks)) validation.failed.push(st.id);
      continue;
    }
    if (cat === 'gate') {
      // A gate always answers once (a plan's last step included); after that it is asked again only
      // while work is pending behind it.
      const answered = state?.status === 'completed';
      if (answered && !pendingWorkFrom(st.index) && !(validation?.needed && st.phase === 'validate')) {
        reports.push({
          stepId: st.id,
          phase: st.phase,
          kind: st.kind,
          outcome: 'skipped',
          note: 'nothing pending behind it',
        });
        continue;
      }
      const stop = await passGate(s, st, runId, reports);
      if (stop) return stop;
      continue;
    }
    if (state?.status === 'completed') {
      reports.push({ stepId: st.id, phase: st.phase, kind: st.kind, outcome: 'skipped', note: 'already applied' });
      s.emit({ type: 'step.skip', stepId: st.id, phase: st.phase, reason: 'already applied' });
      continue;
    }
    if (st.phase === 'contract' && !contractChecked) {
      states = await ledger.stepStates(plan.id);
      const missing = await contractBlockers(ledger, plan, states);
      if (missing.length) throw contractRefusal(plan, missing);
      contractChecked = true;
    }
    // Old application code may run until the contract drops what it writes (a run can wait at a gate
    // in the contract): a keepInSync trigger goes just before the step that would break it.
    await loadSqlParser();
    for (const id of syncTriggersEndedBy(plan, st)) await removeSyncTriggers(s, plan.id, id);
    await ensureRecords();
    const r = await applyStep(s, st, state, runId);
    reports.push(r);
    states.set(st.id, { ...(state as StepState), status: 'completed' });
  }
  const stop = await closeValidation();
  if (stop) return stop;
  if (phase) s.emit({ type: 'phase.end', phase });
  states = await ledger.stepStates(plan.id);
  if (plan.steps.every((st) => states.get(st.id)?.status === 'completed')) await removeSyncTriggers(s, plan.id);
  return undefined;

  /** At the end of the validate phase: record the proof; a failure stops before the contract. */
  async function closeValidation(): Promise<Stop | undefined> {
    if (phase !== 'validate' || !validation?.needed) return undefined;
    const v = validation;
    validation = undefined;
    await recordValidation(ledger, plan.id, runId, plan.checksum, v.failed.length === 0, v.failed);
    s.emit({
      type: 'proof.end',
      phase: 'validate',
      passed: v.failed.length === 0,
      failed: v.failed,
      warned: checks.filter((c) => c.status === 'warn').map((c) => c.stepId),
    });
    if (!v.failed.length) return undefined;
    return {
      status: 'failed',
      exitCode: ExitCode.failed,
      message: `the proof failed: ${v.failed.join(', ')}; the contract phase did not start`,
      hint: proofHint(checks.filter((c) => v.failed.includes(c.stepId))),
    };
  }
}

/** The stop of a run asked to stop between two steps. */
function interruptedBetweenSteps(reports: readonly StepReport[]): InterruptedError {
  const last = reports.filter((r) => r.outcome === 'applied' || r.outcome === 'checked').pop();
  return new InterruptedError(
    `interrupted ${last ? `after step "${last.stepId}"` : 'before its first step'} — run again to resume`,
  );
}

/**
 * What to do about a failed proof: fix the rows the samples name — or, for a check that could not
 * run, its names or the order of the plan (there are no rows to fix).
 */
function proofHint(failed: readonly CheckOutcome[]): string {
  const broken = failed.filter((c) => c.error);
  const parts: string[] = [];
  if (broken.length)
    parts.push(
      `${broken.map((c) => c.stepId).join(', ')} could not run: ${couldNotRunAdvice(broken.map((c) => c.message ?? ''))}.`,
    );
  if (broken.length < failed.length)
    parts.push('Fix the data (the samples above name the rows), then run again: the validate phase runs first.');
  return parts.join(' ');
}
