/**
 * What a run checks before its first step, shared by `run` and `run --dry-run` so that a dry run
 * refuses exactly as the real run would: the lint of the plan (raw SQL with error-level findings
 * refuses, plan-level and database-aware findings are warnings) and each pending step's pre-flight
 * (e.g. a foreign key between columns of different types). Nothing here writes.
 */

import type { StepState } from '../ledger/ledger.js';
import type { LintConfigInput } from '../lint/config.js';
import type { Finding } from '../lint/finding.js';
import { lintPlanAtRun } from '../lint/lint.js';
import { StepFailedError, TidemarkError } from '../model/errors.js';
import type { Plan, PlannedStep } from '../model/plan.js';
import { stepKind } from '../plan/registry.js';
import { readContext, type Session } from './context.js';
import { categoryOf } from './guards.js';

/** Ids of the steps a run would execute: not completed, or completed and named by `--redo`. */
export function pendingSteps(plan: Plan, states: Map<string, StepState>, redo: readonly string[]): Set<string> {
  return new Set(
    plan.steps.filter((st) => states.get(st.id)?.status !== 'completed' || redo.includes(st.id)).map((st) => st.id),
  );
}

/** The steps of the run's range (up to index `end`) that do work: no check, gate or precondition. */
function workInRange(plan: Plan, pending: Set<string>, end: number): PlannedStep[] {
  return plan.steps.filter(
    (st) =>
      st.index <= end &&
      st.phase !== 'preconditions' &&
      pending.has(st.id) &&
      !['check', 'gate'].includes(categoryOf(st.kind)),
  );
}

/** The lint findings a run acts on: those that refuse it, and those it prints as warnings. */
export interface RunLintFindings {
  /** Unsuppressed error-level findings in the `up` SQL of pending raw `sql`/`sqlFile` steps. */
  refusals: Finding[];
  /** Plan-level and database-aware findings on pending steps of the run's range. */
  warnings: Finding[];
}

/**
 * Lint the plan as `run` does and sort what it would act on; throws nothing. `tidemark plan` shows
 * these; {@link lintBeforeRun} acts on them.
 */
export async function runLintFindings(
  s: Session,
  pending: Set<string>,
  end: number,
  lintConfig: LintConfigInput | undefined,
): Promise<RunLintFindings> {
  const { plan } = s;
  const rawSql = new Set(
    plan.steps.filter((st) => (st.kind === 'sql' || st.kind === 'sqlFile') && pending.has(st.id)).map((st) => st.id),
  );
  const inRange = new Set(workInRange(plan, pending, end).map((st) => st.id));
  if (!rawSql.size && !inRange.size) return { refusals: [], warnings: [] };
  const { refusals, warnings } = await lintPlanAtRun(plan, {
    cwd: plan.dir,
    config: lintConfig,
    db: s.db.pool,
    dbSteps: inRange,
  });
  return {
    refusals: refusals.filter((f) => f.stepId && rawSql.has(f.stepId)),
    warnings: warnings.filter((f) => !f.stepId || inRange.has(f.stepId)),
  };
}

/**
 * Lint the plan as `run` does. Throws (exit 1) when a pending raw `sql`/`sqlFile` step's `up` SQL has
 * unsuppressed error-level findings; applied steps are history and are not linted again. Emits the
 * plan-level and database-aware findings on pending steps of the run's range as `notice` warnings.
 */
export async function lintBeforeRun(
  s: Session,
  pending: Set<string>,
  end: number,
  lintConfig: LintConfigInput | undefined,
): Promise<void> {
  const { plan } = s;
  const { refusals: findings, warnings } = await runLintFindings(s, pending, end, lintConfig);
  if (findings.length) {
    const lines = findings.map(
      (f) => `- step "${f.stepId}" (${f.rule}): ${f.message}${f.help ? `\n    ${f.help}` : ''}`,
    );
    throw new StepFailedError(
      findings[0].stepId!,
      `plan "${plan.id}": unsafe SQL in ${findings.length === 1 ? 'a raw SQL step' : 'raw SQL steps'}, nothing was run:\n${lines.join('\n')}`,
      `Use the safe op.* / backfill.* the finding names, or accept the risk with a comment above the statement: -- tidemark-ignore <rule>: <reason>. Details: npx tidemark lint ${plan.file ?? '<plan>'}`,
    );
  }
  for (const f of warnings)
    s.emit({ type: 'notice', level: 'warn', ...(f.stepId ? { stepId: f.stepId } : {}), message: lintText(f) });
}

/** One line for a lint finding at run time: where, which rule, what, and what to do. */
export function lintText(f: Finding): string {
  const where = f.stepId ? `step "${f.stepId}"` : f.file;
  return `lint: ${where} (${f.rule}): ${f.message}${f.help ? ` — ${f.help}` : ''}`;
}

/**
 * Run the pre-flight of every pending step of the run's range, in plan order, before the first step
 * runs. The first refusal is thrown; an unexpected error is reported as that step's refusal.
 */
export async function preflightSteps(s: Session, pending: Set<string>, end: number): Promise<void> {
  for (const st of workInRange(s.plan, pending, end)) {
    const kind = stepKind(st.kind);
    if (!kind?.preflight) continue;
    try {
      await kind.preflight(readContext(s, st), st.options);
    } catch (e) {
      if (e instanceof TidemarkError) throw e;
      throw new StepFailedError(
        st.id,
        `plan "${s.plan.id}": the pre-flight check of step "${st.id}" (${st.kind}) failed: ${(e as Error).message ?? String(e)}`,
        'Fix the cause and run again; nothing was changed.',
      );
    }
  }
}
