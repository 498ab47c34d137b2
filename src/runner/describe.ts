/**
 * `describePlan`: what `tidemark plan` prints — each step with its ledger status and the exact SQL
 * it would run, or with `rollback: true` what `rollback` would run, newest first. Checks print the
 * SQL their evaluation runs (per-row checks: their group's one fused scan, on its first check) and
 * gates what opens them. Writes nothing.
 */
import { describeScan } from '../checks/describe.js';
import { rowProbeOf } from '../checks/fused.js';
import { loadSqlParser } from '../checks/sql-columns.js';
import type { Action, CheckKind, Description } from '../kind/step-kind.js';
import type { StepState } from '../ledger/ledger.js';
import type { Phase, Plan, PlannedStep } from '../model/plan.js';
import { stepKind } from '../plan/registry.js';
import { readContext, type Session } from './context.js';
import { fusionGroup, supersededBy } from './evaluate-check.js';
import { categoryOf, checkRunOptions } from './guards.js';
import { irreversibleReason } from './irreversible.js';
import type { ConnectOptions } from './open.js';
import { checkPlanNames } from './plan-check.js';
import { lintText, pendingSteps, runLintFindings } from './preflight.js';
import { rollbackRange } from './rollback.js';
import { inSession } from './session-scope.js';

export interface StepDescription {
  stepId: string;
  phase: string;
  kind: string;
  title: string;
  status: string;
  actions: Action[];
  notes: string[];
  /** Set when the step cannot be undone (rollback view) or previewed. */
  irreversible?: string;
  unavailable?: boolean;
}

/** A lint finding `run` would act on: `error` refuses the run, `warning` is printed by it. */
export interface PlanLintFinding {
  level: 'error' | 'warning';
  rule: string;
  stepId?: string;
  /** The line `run` prints: where, which rule, what, and what to do. */
  text: string;
}

export interface PlanDescription {
  planId: string;
  title: string;
  rollback: boolean;
  steps: StepDescription[];
  /** What `run` (and `--dry-run`) would say of the plan's lint; none for a rollback. */
  lint: PlanLintFinding[];
}

function describeNonSql(kind: string, options: Record<string, unknown>): string {
  const { id: _id, title: _t, ...rest } = options;
  return `${kind} ${JSON.stringify(rest, (_k, v) => (typeof v === 'function' ? '[function]' : v))}`;
}

/**
 * What a check or gate runs: a superseded check says so; a per-row check the fused scan of the group
 * the runner computes in one pass (on the group's first check; the others name it); other checks
 * and gates their kind's `describe`.
 */
async function describeCheckOrGate(s: Session, st: PlannedStep): Promise<Description> {
  const kind = stepKind(st.kind)!;
  if (kind.category === 'check') {
    const sup = supersededBy(s, st);
    if (sup)
      return { actions: [], notes: [`superseded: what it checks was removed by applied step "${sup}"; not evaluated`] };
    const probe = rowProbeOf(kind as CheckKind);
    if (probe) {
      const members = fusionGroup(s, st);
      const self = members.find((m) => m.id === st.id) ?? {
        id: st.id,
        ctx: readContext(s, st),
        probe,
        options: st.options,
      };
      return describeScan(s.db.pool, self, members);
    }
  }
  if (kind.describe) return kind.describe(readContext(s, st), st.options);
  return { actions: [], notes: [describeNonSql(st.kind, st.options)] };
}

export async function describePlan(
  plan: Plan,
  o: ConnectOptions & { rollback?: boolean; to?: string; phase?: Phase },
): Promise<PlanDescription> {
  // The same range `rollback --to/--phase` would undo (refused the same way when it names no step or phase).
  if (o.rollback) checkRunOptions(plan, { to: o.to, phase: o.phase });
  return inSession(o, plan, { install: false }, async (session) => {
    const states: Map<string, StepState> = session.ledger ? await session.ledger.stepStates(plan.id) : new Map();
    // The same names-and-fragments check as `run` (docs/plans.md): a typo is refused here too.
    if (!o.rollback) await checkPlanNames(session, pendingSteps(plan, states, []), states);
    // The lint `run` would act on, as `--dry-run` shows it (docs/cli.md): a plan shows it too.
    const lint: PlanLintFinding[] = [];
    if (!o.rollback) {
      const found = await runLintFindings(
        session,
        pendingSteps(plan, states, []),
        plan.steps.length - 1,
        o.config?.lint,
      );
      for (const [level, list] of [
        ['error', found.refusals],
        ['warning', found.warnings],
      ] as const)
        for (const f of list)
          lint.push({ level, rule: f.rule, ...(f.stepId ? { stepId: f.stepId } : {}), text: lintText(f) });
    }
    const steps = o.rollback ? rollbackRange(plan, states, { to: o.to, phase: o.phase }) : plan.steps;
    // Superseded checks are told by the columns their SQL names, as the runner tells them.
    await loadSqlParser();
    const out: StepDescription[] = [];
    for (const st of steps) {
      const kind = stepKind(st.kind)!;
      const ctx = readContext(session, st);
      const d: StepDescription = {
        stepId: st.id,
        phase: st.phase,
        kind: st.kind,
        title: st.title,
        status: states.get(st.id)?.status ?? 'pending',
        actions: [],
        notes: [],
      };
      const cat = categoryOf(st.kind);
      if ((cat === 'check' || cat === 'gate') && o.rollback) {
        d.notes.push(`${cat}: nothing to undo`);
      } else if (cat === 'check' || cat === 'gate') {
        const r = await describeCheckOrGate(session, st);
        d.actions = r.actions;
        d.notes.push(...(r.notes ?? []));
      } else if (o.rollback) {
        const why = irreversibleReason(st);
        if (why) d.irreversible = why;
        else if (kind.describeDown) {
          const r = await kind.describeDown(ctx, st.options);
          if ('irreversible' in r) d.irreversible = r.reason;
          else {
            d.actions = r.actions;
            d.notes.push(...(r.notes ?? []));
          }
        } else {
          d.unavailable = true;
          d.notes.push('rollback description not available in this version yet');
        }
      } else if (kind.describe) {
        const r = await kind.describe(ctx, st.options);
        d.actions = r.actions;
        d.notes.push(...(r.notes ?? []));
      } else {
        d.unavailable = true;
        d.notes.push(`${st.kind}: not available in this version of Tidemark yet`);
      }
      out.push(d);
    }
    return { planId: plan.id, title: plan.title, rollback: !!o.rollback, steps: out, lint };
  });
}
