/**
 * The ledger reads behind `tidemark status` (and the library's `readPlanStatus`): the latest verdict
 * of each check and gate of a plan, and its latest run. Read-only.
 */
import type { Ledger } from './ledger.js';

/** The latest result of one check, as `status` shows it (the report reads every column instead). */
export interface CheckVerdict {
  step_id: string;
  status: string;
  actual: unknown;
  expected: unknown;
  message: string | null;
}

/** The latest verdict of one gate. */
export interface GateVerdict {
  step_id: string;
  open: boolean;
  reason: string | null;
}

/** A run as `status` shows it. */
export interface RunSummary {
  runId: number;
  command: string;
  status: string;
  /** Why it ended as it did (the error of a failed run, the gate that stopped it…). */
  message: string | null;
  runBy: string;
  startedAt: Date;
  finishedAt: Date | null;
}

/** The latest result of each check of a plan (one per step). */
export async function latestCheckVerdicts(l: Ledger, planId: string): Promise<CheckVerdict[]> {
  return l.db.rows<CheckVerdict>(
    `SELECT DISTINCT ON (step_id) step_id, status, actual, expected, message FROM ${l.s}.check_results WHERE plan_id = $1 ORDER BY step_id, id DESC`,
    [planId],
  );
}

/** The latest verdict of each gate of a plan (one per step). */
export async function latestGateVerdicts(l: Ledger, planId: string): Promise<GateVerdict[]> {
  return l.db.rows<GateVerdict>(
    `SELECT DISTINCT ON (step_id) step_id, open, reason FROM ${l.s}.gate_results WHERE plan_id = $1 ORDER BY step_id, id DESC`,
    [planId],
  );
}

/** The plan's latest run, or null when it has none. */
export async function latestRun(l: Ledger, planId: string): Promise<RunSummary | null> {
  const r = (
    await l.db.rows<{
      run_id: string;
      command: string;
      status: string;
      message: string | null;
      run_by: string;
      started_at: Date;
      finished_at: Date | null;
    }>(
      `SELECT run_id, command, status, message, run_by, started_at, finished_at FROM ${l.s}.runs WHERE plan_id = $1 ORDER BY run_id DESC LIMIT 1`,
      [planId],
    )
  )[0];
  if (!r) return null;
  return {
    runId: Number(r.run_id),
    command: r.command,
    status: r.status,
    message: r.message,
    runBy: r.run_by,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}
