/**
 * `verifyPlan`: runs the preconditions and validate checks and returns them as a proof (exit 1 on
 * any failure). Results are stored in the ledger when it exists; verify never creates it.
 */

import { ExitCode } from '../model/errors.js';
import type { Plan } from '../model/plan.js';
import { evaluateCheck, isFailure } from './evaluate-check.js';
import { categoryOf, checkIdWidth } from './guards.js';
import type { ConnectOptions } from './open.js';
import { errorResult, type ResultBase, type RunResult, resultOf, runEndEvent } from './result.js';
import { inSession } from './session-scope.js';

export async function verifyPlan(plan: Plan, o: ConnectOptions): Promise<RunResult> {
  const t0 = performance.now();
  const base: ResultBase = { planId: plan.id, runId: null, steps: [], checks: [] };
  const checks = base.checks;
  return inSession(
    o,
    plan,
    { install: false },
    async (session) => {
      session.emit({
        type: 'run.start',
        planId: plan.id,
        title: plan.title,
        command: 'verify',
        runId: null,
        dryRun: false,
        database: session.db.displayUrl,
        checkIdWidth: checkIdWidth(plan),
      });
      const failed: string[] = [];
      for (const phase of ['preconditions', 'validate'] as const) {
        const list = plan.steps.filter((s) => s.phase === phase && categoryOf(s.kind) === 'check');
        if (!list.length) continue;
        session.emit({ type: 'phase.start', phase, pending: list.length });
        for (const st of list) {
          const r = await evaluateCheck(session, st, null);
          checks.push(r);
          if (isFailure(r)) failed.push(st.id);
        }
        session.emit({ type: 'phase.end', phase });
      }
      const warned = checks.filter((c) => c.status === 'warn').map((c) => c.stepId);
      session.emit({ type: 'proof.end', phase: 'validate', passed: failed.length === 0, failed, warned });
      const result = resultOf(base, t0, {
        status: failed.length ? 'failed' : 'done',
        exitCode: failed.length ? ExitCode.failed : ExitCode.ok,
        message: failed.length
          ? `${failed.length} check(s) failed: ${failed.join(', ')}`
          : `all ${checks.length} check(s) passed${warned.length ? ` (${warned.length} warning(s))` : ''}`,
      });
      session.emit(runEndEvent(result));
      return result;
    },
    (e) => resultOf(base, t0, errorResult(e)),
  );
}
