/**
 * `run --dry-run`: writes nothing (the ledger included) and evaluates no check, gate or contract
 * step. It first refuses as the real run would — drift of an applied step (exit 4), raw SQL with
 * error-level lint findings (exit 1), a failed pre-flight (exit 1) — with the same message, and
 * shows the same lint warnings. Then each pending step reports what it would do: the SQL, or for a
 * backfill the exact number of rows it would change with a before/after sample. Exit 0 when
 * everything could be computed.
 */

import { formatAction } from '../kind/format-action.js';
import { DriftError, ExitCode } from '../model/errors.js';
import type { Plan } from '../model/plan.js';
import { stepKind } from '../plan/registry.js';
import { readContext } from './context.js';
import { categoryOf, driftOf, endIndex } from './guards.js';
import type { RunOptions } from './open.js';
import { checkPlanNames } from './plan-check.js';
import { lintBeforeRun, pendingSteps, preflightSteps } from './preflight.js';
import { errorResult, type ResultBase, type RunResult, resultOf, runEndEvent } from './result.js';
import { inSession } from './session-scope.js';

export async function dryRunPlan(plan: Plan, o: RunOptions): Promise<RunResult> {
  const t0 = performance.now();
  const base: ResultBase = { planId: plan.id, runId: null, steps: [], checks: [] };
  const steps = base.steps;
  let started = false;
  return inSession(
    o,
    plan,
    { install: false },
    async (session) => {
      const states = session.ledger ? await session.ledger.stepStates(plan.id) : new Map();
      session.emit({
        type: 'run.start',
        planId: plan.id,
        title: plan.title,
        command: 'run',
        runId: null,
        dryRun: true,
        database: session.db.displayUrl,
      });
      started = true;
      const end = endIndex(plan, o.phase, o.to);
      // The real run's refusals, in its order; with no ledger there is nothing to drift from.
      const { drifted, accepted } = driftOf(plan, states, o.acceptChanged ?? []);
      if (drifted.length) throw new DriftError(plan.id, drifted);
      for (const a of accepted)
        session.emit({
          type: 'notice',
          level: 'warn',
          stepId: a.stepId,
          message: `a real run would accept the changed definition of applied step "${a.stepId}" (dry run: not recorded)`,
        });
      const pending = pendingSteps(plan, states, o.redo ?? []);
      await lintBeforeRun(session, pending, end, o.config?.lint);
      await checkPlanNames(session, pending, states);
      await preflightSteps(session, pending, end);
      const unavailable: string[] = [];
      for (const st of plan.steps) {
        if (st.index > end) continue;
        if (!pending.has(st.id)) continue;
        const cat = categoryOf(st.kind);
        if (cat === 'check' || cat === 'gate') {
          session.emit({
            type: 'step.skip',
            stepId: st.id,
            phase: st.phase,
            reason: `${cat} not evaluated in a dry run`,
          });
          steps.push({
            stepId: st.id,
            phase: st.phase,
            kind: st.kind,
            outcome: 'skipped',
            note: 'not evaluated in a dry run',
          });
          continue;
        }
        const kind = stepKind(st.kind)!;
        const ctx = readContext(session, st);
        let lines: string[];
        let rows: number | null | undefined;
        if (kind.dryRun) {
          const r = await kind.dryRun(ctx, st.options);
          lines = r.lines;
          rows = r.rows;
        } else if (kind.describe) {
          const d = await kind.describe(ctx, st.options);
          lines = [...d.actions.map(formatAction), ...(d.notes ?? [])];
        } else {
          unavailable.push(`${st.kind} (step "${st.id}")`);
          lines = [`${st.kind} cannot be previewed: not available in this version of Tidemark yet`];
        }
        if (st.phase === 'contract')
          lines.unshift('contract step: not run in a dry run; it would run only after the validate phase passes');
        session.emit({ type: 'step.dry-run', stepId: st.id, phase: st.phase, kind: st.kind, title: st.title, lines });
        steps.push({
          stepId: st.id,
          phase: st.phase,
          kind: st.kind,
          outcome: 'dry-run',
          rowsAffected: rows ?? null,
          note: lines.join('\n'),
        });
      }
      const result = unavailable.length
        ? resultOf(base, t0, {
            status: 'invalid',
            exitCode: ExitCode.badInput,
            message: `not available in this version yet: ${unavailable.join(', ')}`,
          })
        : resultOf(base, t0, { status: 'done', exitCode: ExitCode.ok, message: 'dry run: nothing was written' });
      session.emit(runEndEvent(result));
      return result;
    },
    (e, session) => {
      const result = resultOf(base, t0, errorResult(e));
      if (started) session?.emit(runEndEvent(result));
      return result;
    },
  );
}
