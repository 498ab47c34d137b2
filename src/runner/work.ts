/**
 * `workPlan`: one more worker on a plan's running backfill (`tidemark work`, docs/work.md). It never
 * takes the plan's run lock (that stays with `run`): it waits until `run` has started a backfill
 * step and split its key into ranges, records itself as a run (command `work`), leases ranges and
 * works them with the backfill engine, and returns when no range is left to lease. A worker
 * asked to stop (the signal) lets its batches in flight commit or roll back and releases its range.
 */
import { hostname } from 'node:os';
import { sleep } from '../db/lock-safe.js';
import type { Ledger, StepState } from '../ledger/ledger.js';
import { rangeCount } from '../ledger/ranges.js';
import { ExitCode, StepFailedError, UsageError } from '../model/errors.js';
import type { Plan, PlannedStep } from '../model/plan.js';
import { TIDEMARK_VERSION } from '../model/version.js';
import { stepKind } from '../plan/registry.js';
import { stepDone } from './apply-step.js';
import { type Session, stepContext } from './context.js';
import { categoryOf } from './guards.js';
import { type ConnectOptions, openSession } from './open.js';
import { errorResult, type RunResult, type StepReport } from './result.js';

/** Options of `workPlan`. */
export interface WorkOptions extends ConnectOptions {
  /** Join only this backfill step. */
  step?: string;
  /** Lease lifetime without a heartbeat (default 30 s): a killed worker's range is taken over after it. */
  leaseMs?: number;
  /** How often to look again while no backfill is running yet (default 500 ms). */
  pollMs?: number;
  /** Stop cleanly: the batches in flight finish, the range is released. */
  signal?: AbortSignal;
}

/** The default lease of a `work` worker. */
export const WORK_LEASE_MS = 30_000;

/** Join the plan's running backfill as one more worker. */
export async function workPlan(plan: Plan, o: WorkOptions): Promise<RunResult> {
  const t0 = performance.now();
  const steps: StepReport[] = [];
  const done = (r: Pick<RunResult, 'status' | 'exitCode'> & Partial<RunResult>, runId: number | null): RunResult => ({
    planId: plan.id,
    runId,
    steps,
    checks: [],
    durationMs: performance.now() - t0,
    ...r,
  });
  const targets = plan.steps.filter((st) => categoryOf(st.kind) === 'backfill');
  if (o.step !== undefined) {
    const st = plan.steps.find((x) => x.id === o.step);
    if (!st || categoryOf(st.kind) !== 'backfill') {
      const e = new UsageError(
        `plan "${plan.id}": --step "${o.step}" ${st ? `is a ${st.kind} step, not a backfill` : 'is not a step of the plan'}`,
        `Give the id of one of its backfill steps${targets.length ? `: ${targets.map((x) => x.id).join(', ')}` : ' (it has none)'}.`,
      );
      return done(errorResult(e), null);
    }
  }
  const mine = o.step !== undefined ? targets.filter((st) => st.id === o.step) : targets;
  if (!mine.length)
    return done(
      { status: 'done', exitCode: ExitCode.ok, message: `plan "${plan.id}" has no backfill step: nothing to work on` },
      null,
    );

  let session: Session | undefined;
  let runId: number | null = null;
  try {
    session = await openSession(o, plan, false);
    const s = session;
    let said = false;
    for (;;) {
      if (o.signal?.aborted)
        return done({ status: 'done', exitCode: ExitCode.ok, message: 'stopped before a backfill started' }, null);
      // The ledger appears with `run`'s first start: until then there is nothing to join.
      if (!s.ledger) {
        const { openLedger } = await import('../ledger/open.js');
        s.ledger = (await openLedger(s.db, s.ledgerSchema, { install: false })).ledger;
      }
      const states = s.ledger ? await s.ledger.stepStates(plan.id) : new Map<string, StepState>();
      if (mine.every((st) => states.get(st.id)?.status === 'completed'))
        return done(
          {
            status: 'done',
            exitCode: ExitCode.ok,
            message: `${mine.length === 1 ? `backfill step "${mine[0].id}" is` : `every backfill step of plan "${plan.id}" is`} complete: nothing to work on`,
          },
          null,
        );
      const ledger = s.ledger;
      const running = ledger ? await joinable(ledger, plan, mine, states) : { step: undefined };
      if (running.refused) return done({ status: 'done', exitCode: ExitCode.ok, message: running.refused }, null);
      if (running.step && ledger) {
        const st = running.step;
        const state = states.get(st.id)!;
        if (state.checksum !== st.checksum)
          throw new StepFailedError(
            st.id,
            `plan "${plan.id}" step "${st.id}": this plan file's definition (checksum ${st.checksum.slice(0, 12)}) is not the one \`run\` is running (${state.checksum.slice(0, 12)})`,
            'Start `tidemark work` with the same plan file as `run`.',
          );
        runId = await ledger.startRun({
          planId: plan.id,
          command: 'work',
          options: { step: st.id, leaseMs: o.leaseMs ?? WORK_LEASE_MS },
          planChecksum: plan.checksum,
          runBy: s.settings.actor,
          host: hostname(),
          pid: process.pid,
          backendPid: null,
          tidemarkVersion: TIDEMARK_VERSION,
          serverVersion: String(await s.db.serverVersion()),
          database: s.db.displayUrl,
        });
        s.emit({
          type: 'run.start',
          planId: plan.id,
          title: plan.title,
          command: 'work',
          runId,
          dryRun: false,
          database: s.db.displayUrl,
          checkIdWidth: 0,
        });
        const report = await workStep({ ...s, ledger }, st, state, runId, o);
        steps.push(report);
        const result = done(
          {
            status: 'done',
            exitCode: ExitCode.ok,
            message: o.signal?.aborted
              ? `stopped: the batches in flight finished and the range was released; this worker changed ${report.rowsAffected ?? 0} row(s) of step "${st.id}"`
              : `no leasable range left on step "${st.id}"; this worker changed ${report.rowsAffected ?? 0} row(s)`,
          },
          runId,
        );
        await ledger.finishRun(runId, 'done', 0, result.message ?? null);
        s.emit({
          type: 'run.end',
          planId: plan.id,
          status: 'done',
          exitCode: 0,
          message: result.message,
          durationMs: result.durationMs,
        });
        return result;
      }
      if (!said) {
        s.emit({
          type: 'notice',
          level: 'info',
          message: `waiting for \`run\` to start ${mine.length === 1 ? `backfill step "${mine[0].id}"` : `a backfill step (${mine.map((x) => x.id).join(', ')})`}`,
        });
        said = true;
      }
      await sleep(o.pollMs ?? 500);
    }
  } catch (e) {
    const result = done(errorResult(e), runId);
    if (session?.ledger && runId !== null)
      await session.ledger.finishRun(runId, 'failed', result.exitCode, result.message ?? null).catch(() => undefined);
    return result;
  } finally {
    await session?.db.close();
  }
}

/** The running, split backfill step to join now; or why none of them can be joined. */
async function joinable(
  ledger: Ledger,
  plan: Plan,
  mine: readonly PlannedStep[],
  states: Map<string, StepState>,
): Promise<{ step?: PlannedStep; refused?: string }> {
  for (const st of mine) {
    const state = states.get(st.id);
    if (state?.status !== 'running') continue;
    if (await rangeCount(ledger, plan.id, st.id)) return { step: st };
    const o = st.options as { perTenant?: unknown };
    const p = state.progress as { cursor?: unknown; batches?: number } | null;
    if (o.perTenant || p?.cursor || p?.batches)
      return {
        refused: `backfill step "${st.id}" runs as one walk (${o.perTenant ? 'perTenant: tenant by tenant' : 'started before it could be split into ranges'}): \`run\` finishes it alone; nothing to work on`,
      };
  }
  return {};
}

/** Work one step as a worker: its kind's `apply` with a worker context, which never completes the step. */
async function workStep(
  s: Session & { ledger: Ledger },
  st: PlannedStep,
  state: StepState,
  runId: number,
  o: WorkOptions,
): Promise<StepReport> {
  const kind = stepKind(st.kind);
  if (!kind?.apply) throw new UsageError(`step "${st.id}" (${st.kind}) cannot be worked on`);
  s.emit({ type: 'step.start', stepId: st.id, phase: st.phase, kind: st.kind, title: st.title, resumed: true });
  const ctx = stepContext(s, st, runId, state.progress, { retries: 0, lockWaitMs: 0 });
  ctx.worker = { leaseMs: o.leaseMs ?? WORK_LEASE_MS, signal: o.signal };
  const t = performance.now();
  try {
    const out = await kind.apply(ctx, st.options);
    return stepDone(s, st, out, performance.now() - t, 0);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    s.emit({ type: 'step.failed', stepId: st.id, phase: st.phase, kind: st.kind, error: msg });
    throw e;
  }
}
