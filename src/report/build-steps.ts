/**
 * The steps of a report: the ledger's record of each step joined with what the plan says it runs
 * (its statements, as `tidemark plan` prints them) and the objects those statements create, alter
 * or drop. Without a plan file, only the ledger's record is shown.
 */
import type { StepState } from '../ledger/ledger.js';
import { tableKey } from '../ledger/object-stats.js';
import type { LedgerSnapshot } from '../ledger/reads.js';
import { MAX_BYTES, MAX_STATEMENTS, type StatementAttempt } from '../ledger/statements.js';
import type { Plan, PlannedStep } from '../model/plan.js';
import { stepKind } from '../plan/registry.js';
import { readContext, type Session } from '../runner/context.js';
import { isoOf } from './format.js';
import type { ObjectChange, ReportAction, ReportStep } from './model.js';
import { lockOfSql, locksOf, objectChanges } from './objects.js';

/** The category of a kind: `sql`, `op`, `backfill`, `check` or `gate`. */
export function categoryOfKind(kind: string): string {
  return stepKind(kind)?.category ?? (kind.includes('.') ? kind.split('.')[0] : 'sql');
}

/** Steps in plan order (the plan's, then any the ledger knows that the plan no longer has). */
export function orderedSteps(
  plan: Plan | undefined,
  states: Map<string, StepState>,
): { id: string; planned?: PlannedStep; state?: StepState }[] {
  const out: { id: string; planned?: PlannedStep; state?: StepState }[] = [];
  for (const st of plan?.steps ?? []) out.push({ id: st.id, planned: st, state: states.get(st.id) });
  const known = new Set(out.map((x) => x.id));
  for (const [id, state] of states) if (!known.has(id)) out.push({ id, state });
  return out;
}

type Shown = { actions: ReportAction[]; source: ReportStep['actionsSource']; note: string | null };

/** What a step that never ran would run, from its kind's `describe` against the database now. */
async function wouldRun(session: Session | undefined, st: PlannedStep | undefined): Promise<Shown> {
  if (!st || !session)
    return { actions: [], source: 'none', note: 'not run yet, and no plan file given: statements not shown' };
  const kind = stepKind(st.kind);
  if (!kind?.describe)
    return { actions: [], source: 'none', note: `${st.kind} cannot describe its statements in this version` };
  try {
    const d = await Promise.race([
      kind.describe(readContext(session, st), st.options),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('describing took over 10 s')), 10_000).unref(),
      ),
    ]);
    const actions: ReportAction[] = [];
    for (const a of d.actions) {
      actions.push({
        sql: a.sql.trim(),
        lock: a.lock ?? (await lockOfSql(a.sql)),
        transaction: a.transaction !== false,
        note: a.note ?? null,
        state: null,
        runId: null,
      });
    }
    return {
      actions,
      source: 'would run',
      note: ['not run yet: what it would run now', ...(d.notes ?? [])].join('; '),
    };
  } catch (e) {
    return { actions: [], source: 'none', note: `not run yet; statements not available: ${(e as Error).message}` };
  }
}

/** What a step ran, as the ledger recorded it (every attempt behind its current state). */
function ran(attempts: StatementAttempt[], category: string): Shown {
  const actions: ReportAction[] = [];
  let omitted = 0;
  for (const a of attempts) {
    omitted += a.omitted;
    for (const x of a.statements) {
      const note =
        x.state === 'failed' ? (x.transaction ? 'failed: its transaction was rolled back' : 'failed here') : null;
      actions.push({ sql: x.sql, lock: x.lock, transaction: x.transaction, note, state: x.state, runId: a.runId });
    }
  }
  const notes: string[] = [];
  const runs = [...new Set(attempts.map((a) => a.runId).filter((r): r is number => r != null))];
  if (attempts.length > 1)
    notes.push(`${attempts.length} attempts (run${runs.length > 1 ? 's' : ''} ${runs.map((r) => `#${r}`).join(', ')})`);
  if (omitted)
    notes.push(
      `${omitted} more statement(s) ran but were not recorded (over ${MAX_STATEMENTS} statements or ${MAX_BYTES / 1024} kB per attempt)`,
    );
  if (!actions.length)
    notes.push(
      category === 'backfill'
        ? 'ran in batches (see Backfills): no DDL statement announced'
        : 'ran, but announced no statement: its DDL is not recorded',
    );
  return { actions, source: 'ran', note: notes.length ? notes.join('; ') : null };
}

/** The statements shown for a step: recorded when it ran, described when it never did. */
async function actionsOf(
  session: Session | undefined,
  st: PlannedStep | undefined,
  kind: string,
  state: StepState | undefined,
  attempts: StatementAttempt[] | undefined,
): Promise<Shown> {
  const cat = categoryOfKind(kind);
  if (cat === 'check' || cat === 'gate') return { actions: [], source: 'none', note: null };
  if (attempts?.length) return ran(attempts, cat);
  if (!state || state.status === 'pending') return wouldRun(session, st);
  if (state.status === 'skipped') return { actions: [], source: 'none', note: 'skipped: ran nothing' };
  if (state.status === 'running')
    return {
      actions: [],
      source: 'not recorded',
      note: 'not recorded: the runner stopped during this step (statements are recorded when a step completes or fails)',
    };
  return {
    actions: [],
    source: 'not recorded',
    note: 'not recorded: applied by a Tidemark that did not record statements (ledger version 1)',
  };
}

/**
 * Objects a completed contract op removed, from its options: once applied, its `describe` no
 * longer lists the statements (what it drops is gone), but the step's options still say what it was.
 */
function droppedByOptions(stepId: string, kind: string, o: Record<string, unknown>): ObjectChange[] {
  const table = tableKey(o.table);
  const one = (type: ObjectChange['type'], name: string | null, t: string | null): ObjectChange[] =>
    name ? [{ stepId, change: 'dropped', type, name, table: t, detail: null }] : [];
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
export async function buildSteps(
  snap: LedgerSnapshot,
  plan: Plan | undefined,
  session: Session | undefined,
): Promise<ReportStep[]> {
  const out: ReportStep[] = [];
  for (const { id, planned, state } of orderedSteps(plan, snap.steps)) {
    const kind = planned?.kind ?? state?.kind ?? 'sql';
    const { actions, source, note } = await actionsOf(session, planned, kind, state, snap.statements.get(id));
    const effective = actions.filter((a) => a.state !== 'failed');
    let objects = await objectChanges(id, effective);
    if (!objects.length && !actions.length && planned && state?.status === 'completed')
      objects = droppedByOptions(id, kind, planned.options);
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
      actionsSource: source,
      actionsNote: note,
      locks: locksOf(actions),
      objects,
      history: snap.history
        .filter((h) => h.step_id === id)
        .map((h) => ({
          event: h.event as string,
          at: isoOf(h.at as Date)!,
          runId: h.run_id == null ? null : Number(h.run_id),
          detail: h.detail ?? null,
        })),
    });
  }
  return out;
}
