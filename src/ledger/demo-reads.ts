/**
 * The ledger reads behind the demo's closing summary: each step's outcome, and the batches of each
 * backfill with their median and p99 durations. Read-only.
 */
import type { Ledger } from './ledger.js';

/** One step's outcome, as PostgreSQL returns it (`rows_affected` is a bigint, so text). */
export interface StepSummary {
  step_id: string;
  phase: string;
  kind: string;
  status: string;
  rows_affected: string | null;
  duration_ms: number | null;
  retries: number;
}

/** One backfill's batches: count, rows, median and p99 duration (ms). */
export interface BatchSummary {
  step_id: string;
  n: string;
  rows: string;
  p50: number;
  p99: number;
}

/** Every step of a plan, in plan order. */
export async function stepSummaries(l: Ledger, planId: string): Promise<StepSummary[]> {
  return l.db.rows<StepSummary>(
    `SELECT step_id, phase, kind, status, rows_affected, duration_ms, retries FROM ${l.s}.steps WHERE plan_id = $1 ORDER BY position`,
    [planId],
  );
}

/** The batches of each step of a plan that recorded any. */
export async function batchSummaries(l: Ledger, planId: string): Promise<BatchSummary[]> {
  return l.db.rows<BatchSummary>(
    `SELECT step_id, count(*) AS n, sum(rows) AS rows,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ms) AS p99
         FROM ${l.s}.batches WHERE plan_id = $1 GROUP BY step_id`,
    [planId],
  );
}
