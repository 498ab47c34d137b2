/**
 * `describePlan`: what `tidemark plan` prints — each step with its ledger status and the exact SQL
 * it would run, or with `rollback: true` what `rollback` would run, newest first. Writes nothing.
 */
import type { StepState } from '../ledger/ledger.js';
import type { Plan } from '../plan/types.js';
import type { Action } from '../steps/step-kind.js';
import { stepKind } from '../steps/registry.js';
import { readContext } from './context.js';
import { categoryOf } from './guards.js';
import { openSession, type ConnectOptions } from './open.js';
import { irreversibleReason, rollbackRange } from './rollback.js';

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

export interface PlanDescription {
  planId: string;
  title: string;
  rollback: boolean;
  steps: StepDescription[];
}

function describeNonSql(kind: string, options: Record<string, unknown>): string {
  const { id: _id, title: _t, ...rest } = options;
  return `${kind} ${JSON.stringify(rest, (_k, v) => (typeof v === 'function' ? '[function]' : v))}`;
}

export async function describePlan(plan: Plan, o: ConnectOptions & { rollback?: boolean }): Promise<PlanDescription> {
  const session = await openSession(o, plan, false);
  try {
    const states: Map<string, StepState> = session.ledger ? await session.ledger.stepStates(plan.id) : new Map();
    const steps = o.rollback ? rollbackRange(plan, states, {}) : plan.steps;
    const out: StepDescription[] = [];
    for (const st of steps) {
      const kind = stepKind(st.kind)!;
      const ctx = readContext(session, st);
      const d: StepDescription = { stepId: st.id, phase: st.phase, kind: st.kind, title: st.title, status: states.get(st.id)?.status ?? 'pending', actions: [], notes: [] };
      const cat = categoryOf(st.kind);
      if (cat === 'check' || cat === 'gate') {
        d.notes.push(o.rollback ? `${cat}: nothing to undo` : describeNonSql(st.kind, st.options));
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
    return { planId: plan.id, title: plan.title, rollback: !!o.rollback, steps: out };
  } finally {
    await session.db.close();
  }
}
