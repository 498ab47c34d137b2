/**
 * What `tidemark status <plan>` shows: each step of the plan with its ledger state, backfill
 * progress (rows from batches over the expected total) and its latest check or gate verdict.
 * Read-only, like everything that reads the ledger for humans.
 */
import { isCouldNotRun } from '../checks/could-not-run.js';
import { estimatedRows } from '../db/catalog.js';
import { rowsDoneByStep } from '../ledger/batch-reads.js';
import type { Ledger } from '../ledger/ledger.js';
import { type WorkerProgress, workersByStep } from '../ledger/ranges.js';
import { latestCheckVerdicts, latestGateVerdicts } from '../ledger/status-reads.js';
import type { Plan, RelationName } from '../model/plan.js';
import { finishRollbackCommand } from '../runner/half-rollback.js';
import { categoryOfKind, orderedSteps } from './build-steps.js';
import { fmtNum, fmtValue } from './format.js';

/** One line of `status <plan>`. */
export interface StepStatusLine {
  phase: string;
  stepId: string;
  kind: string;
  status: string;
  attempts: number;
  rows: number | null;
  durationMs: number | null;
  /** Backfill rows done / total, or a `sql` step's statements done. */
  progress: { done: number; total: number | null; unit: 'rows' | 'statements' } | null;
  /** The latest check result or gate verdict, or the error of a failed step. */
  last: string | null;
  /** The failed step's whole error message (`last` holds its first line, for the table). */
  error: string | null;
  finishedAt: Date | null;
  /** A backfill split into key ranges: each worker (`run`, `tidemark work`) and its share (docs/work.md). */
  workers: WorkerProgress[] | null;
}

/** The plan's steps as the ledger knows them (every step pending when the ledger has none). */
export async function planStatus(l: Ledger | undefined, plan: Plan): Promise<StepStatusLine[]> {
  const states = l ? await l.stepStates(plan.id) : new Map();
  const done = l ? await rowsDoneByStep(l, plan.id) : new Map<string, { rows: number; batches: number }>();
  const checks = l ? await latestCheckVerdicts(l, plan.id) : [];
  const gates = l ? await latestGateVerdicts(l, plan.id) : [];
  // A ledger not yet upgraded to hold key ranges has no workers to show.
  const workers = l ? await workersByStep(l, plan.id).catch(() => new Map<string, WorkerProgress[]>()) : new Map();
  const out: StepStatusLine[] = [];
  for (const { id, planned, state } of orderedSteps(plan, states)) {
    const kind = planned?.kind ?? state?.kind ?? '?';
    const cat = categoryOfKind(kind);
    let progress: StepStatusLine['progress'] = null;
    if (cat === 'backfill') {
      const p = (state?.progress ?? {}) as { total?: unknown; estimatedTotal?: unknown; done?: unknown };
      let total = Number(p.total ?? p.estimatedTotal) || null;
      const table = planned?.options as { table?: RelationName; from?: RelationName } | undefined;
      const rel = table?.table ?? table?.from;
      if (total == null && rel && l) total = await estimatedRows(l.db.pool, rel).catch(() => null);
      // Rows walked (the cursor's progress) when the backfill saves it, else rows written by its batches.
      const rows = typeof p.done === 'number' ? p.done : (done.get(id)?.rows ?? 0);
      if (state?.status === 'completed') total = Math.max(total ?? 0, rows);
      if (rows || total != null || state?.status === 'running') progress = { done: rows, total, unit: 'rows' };
    } else if (
      state?.progress &&
      typeof (state.progress as { statementsDone?: unknown }).statementsDone === 'number' &&
      state.status !== 'completed'
    ) {
      progress = {
        done: (state.progress as { statementsDone: number }).statementsDone,
        total: null,
        unit: 'statements',
      };
    }
    let last: string | null = null;
    const ck = checks.find((c) => c.step_id === id);
    const gt = gates.find((g) => g.step_id === id);
    if (ck && isCouldNotRun(ck.status, ck.message))
      last = `${ck.status === 'error' ? 'fail' : String(ck.status)}: ${String(ck.message ?? 'the check could not run')}`;
    else if (ck) last = `${ck.status} ${fmtValue(ck.actual)} (expected ${fmtValue(ck.expected)})`;
    else if (gt) last = `${gt.open ? 'open' : 'closed'}: ${String(gt.reason ?? '')}`;
    else if (state?.error) last = state.error.split('\n')[0];
    if (state?.status === 'rolling_back')
      last = `rollback interrupted — run \`${finishRollbackCommand(plan, id)}\` again to finish`;
    out.push({
      phase: planned?.phase ?? state?.phase ?? '?',
      stepId: id,
      kind,
      status: state?.status ?? 'pending',
      attempts: state?.attempts ?? 0,
      rows: state?.rowsAffected ?? (cat === 'backfill' && done.get(id) ? done.get(id)!.rows : null),
      durationMs: state?.durationMs ?? null,
      progress,
      last,
      error: state?.error ?? null,
      finishedAt: state?.finishedAt ?? null,
      workers: workers.get(id) ?? null,
    });
  }
  return out;
}

/** `12,000 / 200,000 rows (6%)`, `2 statements done`. */
export function formatProgress(p: StepStatusLine['progress']): string {
  if (!p) return '';
  if (p.unit === 'statements') return `${p.done} statement(s) done`;
  if (!p.total) return `${fmtNum(p.done)} rows`;
  return `${fmtNum(p.done)} / ${fmtNum(p.total)} rows (${Math.min(100, Math.floor((p.done / p.total) * 100))}%)`;
}

/** `worker #12 work (running on host-a pid 4242): 51,000 rows in 102 batches, 5 range(s) finished, holding 1`. */
export function formatWorker(w: WorkerProgress): string {
  const where = w.host ? ` on ${w.host}${w.pid ? ` pid ${w.pid}` : ''}` : '';
  const holding = w.holding ? `, holding ${w.holding}` : '';
  return `worker #${w.runId} ${w.command} (${w.status}${where}): ${fmtNum(w.rows)} rows in ${fmtNum(w.batches)} batches, ${w.finished} range(s) finished${holding}`;
}
