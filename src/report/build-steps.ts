/**
 * The steps of a report: the ledger's record of each step joined with what the plan says it runs
 * (its statements, as `tidemark plan` prints them) and the objects those statements create, alter
 * or drop. Without a plan file, only the ledger's record is shown.
 */
import type { StepState } from '../ledger/ledger.js';
import type { Plan, PlannedStep } from '../plan/types.js';
import { readContext, type Session } from '../runner/context.js';
import { stepKind } from '../steps/registry.js';
import { isoOf } from './format.js';
import type { LedgerSnapshot } from './ledger-reads.js';
import type { ObjectChange, ReportAction, ReportStep } from './model.js';
import { tableKey } from './object-stats.js';
import { lockOfSql, locksOf, objectChanges } from './objects.js';

/** The category of a kind: `sql`, `op`, `backfill`, `check` or `gate`. */
export function categoryOfKind(kind: string): string {
  return stepKind(kind)?.category ?? (kind.includes('.') ? kind.split('.')[0] : 'sql');
}

/** Steps in plan order (the plan's, then any the ledger knows that the plan no longer has). */
export function orderedSteps(plan: Plan | undefined, states: Map<string, StepState>): { id: string; planned?: PlannedStep; state?: StepState }[] {
  const out: { id: string; planned?: PlannedStep; state?: StepState }[] = [];
  for (const st of plan?.steps ?? []) out.push({ id: st.id, planned: st, state: states.get(st.id) });
  const known = new Set(out.map((x) => x.id));
  for (const [id, state] of states) if (!known.has(id)) out.push({ id, state });
  return out;
}

/** What a step runs, from its kind's `describe`, or why that is not shown. */
async function actionsOf(session: Session | undefined, st: PlannedStep | undefined): Promise<{ actions: ReportAction[]; note: string | null }> {
  if (!st || !session) return { actions: [], note: 'no plan file given: statements not shown' };
  const cat = categoryOfKind(st.kind);
  if (cat === 'check' || cat === 'gate') return { actions: [], note: null };
  const kind = stepKind(st.kind);
  if (!kind?.describe) return { actions: [], note: `${st.kind} cannot describe its statements in this version` };
  try {
    const d = await Promise.race([
      kind.describe(readContext(session, st), st.options),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('describing took over 10 s')), 10_000).unref()),
    ]);
    const actions: ReportAction[] = [];
    for (const a of d.actions) {
      actions.push({ sql: a.sql.trim(), lock: a.lock ?? (await lockOfSql(a.sql)), transaction: a.transaction !== false, note: a.note ?? null });
    }
    return { actions, note: d.notes?.length ? d.notes.join('; ') : null };
  } catch (e) {
    return { actions: [], note: `statements not available: ${(e as Error).message}` };
  }
}

/**
 * Objects a completed contract op removed, from its options: once applied, its `describe` no
 * longer lists the statements (what it drops is gone), but the step's options still say what it was.
 */
function droppedByOptions(stepId: string, kind: string, o: Record<string, unknown>): ObjectChange[] {
  const table = tableKey(o.table);
  const one = (type: ObjectChange['type'], name: string | null, t: string | null): ObjectChange[] => (name ? [{ stepId, change: 'dropped', type, name, table: t, detail: null }] : []);
  switch (kind) {
    case 'op.dropColumn':
      return one('column', typeof o.column === 'string' ? o.column : null, table);
    case 'op.dropTable':
      return one('table', table, null);
    case 'op.dropIndex':
      return one('index', tableKey(o.name), null);
    case 'op.dropConstraint':
      return one('constraint', typeof o.name === 'string' ? o.name : null, table);
    default:
      return [];
  }
}

/** Build every step of the report. */
export async function buildSteps(snap: LedgerSnapshot, plan: Plan | undefined, session: Session | undefined): Promise<ReportStep[]> {
  const out: ReportStep[] = [];
  for (const { id, planned, state } of orderedSteps(plan, snap.steps)) {
    const kind = planned?.kind ?? state?.kind ?? 'sql';
    const { actions, note } = await actionsOf(session, planned);
    let objects = await objectChanges(id, actions);
    if (!objects.length && planned && state?.status === 'completed') objects = droppedByOptions(id, kind, planned.options);
    out.push({
      id,
      phase: planned?.phase ?? state?.phase ?? 'expand',
      kind,
      category: categoryOfKind(kind),
      title: planned?.title ?? state?.title ?? id,
      status: state?.status ?? 'pending',
      attempts: state?.attempts ?? 0,
      startedAt: isoOf(state?.startedAt),
      finishedAt: isoOf(state?.finishedAt),
      durationMs: state?.durationMs == null ? null : Math.round(state.durationMs * 10) / 10,
      rowsAffected: state?.rowsAffected ?? null,
      retries: state?.retries ?? 0,
      lockWaitMs: Math.round(state?.lockWaitMs ?? 0),
      error: state?.error ?? null,
      actions,
      actionsNote: note,
      locks: locksOf(actions),
      objects,
      history: snap.history
        .filter((h) => h.step_id === id)
        .map((h) => ({ event: h.event as string, at: isoOf(h.at as Date)!, runId: h.run_id == null ? null : Number(h.run_id), detail: h.detail ?? null })),
    });
  }
  return out;
}
