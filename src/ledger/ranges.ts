/**
 * A backfill's key ranges and their leases (docs/work.md). `run` splits the walked key into ranges
 * once; every worker (`run` itself and any number of `tidemark work`) leases one open range at a
 * time with `FOR UPDATE SKIP LOCKED`, keeps the lease alive with a heartbeat, and commits each batch
 * together with its range's cursor — a commit that finds its lease taken over writes nothing. A
 * lease that expired (its worker died) is taken over from the range's committed cursor.
 */
import type { Queryable } from '../db/connection.js';
import type { Ledger } from './ledger.js';

/** One range of a backfill, as the ledger holds it. */
export interface RangeRow {
  rangeNo: number;
  /** (lo, hi]: lo null = from the start of the key, hi null = to its end (rows still arriving included). */
  lo: string[] | null;
  hi: string[] | null;
  state: 'open' | 'done';
  holderRunId: number | null;
  /** The lease is live (held by a worker whose heartbeat is recent). */
  live: boolean;
  takeovers: number;
  progress: Record<string, unknown>;
}

/** A range just leased; `previous` is the run whose expired lease was taken over, if any. */
export interface Lease extends RangeRow {
  previous: number | null;
}

/** Where a range is: one backfill's range number. */
export interface RangeKey {
  planId: string;
  stepId: string;
  rangeNo: number;
}

// biome-ignore lint/suspicious/noExplicitAny: rows as pg returns them.
function rowOf(r: any): RangeRow {
  return {
    rangeNo: Number(r.range_no),
    lo: r.lo ?? null,
    hi: r.hi ?? null,
    state: r.state,
    holderRunId: r.holder_run_id == null ? null : Number(r.holder_run_id),
    live: !!r.live,
    takeovers: Number(r.takeovers ?? 0),
    progress: r.progress,
  };
}

/** How many ranges the backfill was split into (0: not split yet). */
export async function rangeCount(l: Ledger, planId: string, stepId: string): Promise<number> {
  const r = await l.db.rows<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${l.s}.backfill_ranges WHERE plan_id = $1 AND step_id = $2`,
    [planId, stepId],
  );
  return r[0].n;
}

/** Split a backfill into ranges, once: a second call (a resumed run) keeps the first split. */
export async function createRanges(
  l: Ledger,
  planId: string,
  stepId: string,
  ranges: readonly { lo: string[] | null; hi: string[] | null; progress: Record<string, unknown> }[],
): Promise<void> {
  await l.db.transaction(async (c) => {
    // One splitter at a time (a second one then sees the first one's ranges and inserts nothing).
    await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`tidemark-ranges:${planId}:${stepId}`]);
    const have = await c.query(`SELECT 1 FROM ${l.s}.backfill_ranges WHERE plan_id = $1 AND step_id = $2 LIMIT 1`, [
      planId,
      stepId,
    ]);
    if (have.rowCount) return;
    for (let i = 0; i < ranges.length; i++) {
      const r = ranges[i];
      await c.query(
        `INSERT INTO ${l.s}.backfill_ranges (plan_id, step_id, range_no, lo, hi, progress) VALUES ($1, $2, $3, $4, $5, $6)`,
        [planId, stepId, i + 1, r.lo, r.hi, JSON.stringify(r.progress)],
      );
    }
  });
}

/**
 * Lease the first open range nobody holds, whose lease expired, or whose holder's run ended (a
 * `run` killed and marked crashed by the next one frees its ranges at once). `SKIP LOCKED`: a range whose
 * row another worker is committing a batch on, or leasing at this moment, is passed over.
 */
export async function leaseRange(
  l: Ledger,
  planId: string,
  stepId: string,
  runId: number,
  leaseMs: number,
): Promise<Lease | null> {
  const r = await l.db.rows(
    `WITH c AS (
       SELECT range_no, holder_run_id AS previous FROM ${l.s}.backfill_ranges
        WHERE plan_id = $1 AND step_id = $2 AND state = 'open'
          AND (holder_run_id IS NULL OR lease_until < clock_timestamp()
               OR NOT EXISTS (SELECT 1 FROM ${l.s}.runs u WHERE u.run_id = holder_run_id AND u.status = 'running'))
        ORDER BY holder_run_id IS NOT NULL, range_no
        LIMIT 1 FOR UPDATE SKIP LOCKED)
     UPDATE ${l.s}.backfill_ranges r
        SET holder_run_id = $3, lease_until = clock_timestamp() + $4 * interval '1 millisecond', leased_at = clock_timestamp(),
            takeovers = r.takeovers + CASE WHEN c.previous IS NOT NULL AND c.previous <> $3 THEN 1 ELSE 0 END
       FROM c
      WHERE r.plan_id = $1 AND r.step_id = $2 AND r.range_no = c.range_no
      RETURNING r.range_no, r.lo, r.hi, r.state, r.holder_run_id, true AS live, r.takeovers, r.progress, c.previous`,
    [planId, stepId, runId, leaseMs],
  );
  if (!r.length) return null;
  const prev = r[0].previous == null ? null : Number(r[0].previous);
  return { ...rowOf(r[0]), previous: prev === runId ? null : prev };
}

/**
 * A `work` run whose range was taken over after its lease expired stopped without a word (kill -9,
 * lost machine): it is marked crashed. A worker that was only stalled overwrites this when it ends.
 */
export async function markWorkerCrashed(l: Ledger, runId: number): Promise<void> {
  await l.db.query(
    `UPDATE ${l.s}.runs SET status = 'crashed', finished_at = clock_timestamp(),
            message = 'the worker stopped without releasing its key range (its lease expired; another worker took it over)'
      WHERE run_id = $1 AND status = 'running' AND command = 'work'`,
    [runId],
  );
}

/**
 * Save a range's progress (in the batch's transaction) and extend its lease. Returns false when the
 * lease is no longer this run's: the caller rolls the batch back.
 */
export async function saveRangeProgress(
  l: Ledger,
  k: RangeKey,
  runId: number,
  leaseMs: number,
  progress: Record<string, unknown>,
  client?: Queryable,
): Promise<boolean> {
  const r = await (client ?? l.db.pool).query(
    `UPDATE ${l.s}.backfill_ranges SET progress = $5, lease_until = clock_timestamp() + $6 * interval '1 millisecond'
      WHERE plan_id = $1 AND step_id = $2 AND range_no = $3 AND holder_run_id = $4 AND state = 'open'`,
    [k.planId, k.stepId, k.rangeNo, runId, JSON.stringify(progress), leaseMs],
  );
  return (r.rowCount ?? 0) > 0;
}

/** Keep a lease alive. Returns false when it was taken over (or the range is done). */
export async function heartbeatRange(l: Ledger, k: RangeKey, runId: number, leaseMs: number): Promise<boolean> {
  const r = await l.db.query(
    `UPDATE ${l.s}.backfill_ranges SET lease_until = clock_timestamp() + $5 * interval '1 millisecond'
      WHERE plan_id = $1 AND step_id = $2 AND range_no = $3 AND holder_run_id = $4 AND state = 'open'`,
    [k.planId, k.stepId, k.rangeNo, runId, leaseMs],
  );
  return (r.rowCount ?? 0) > 0;
}

/** The range is walked to its end: done (the holder stays recorded as the run that finished it). */
export async function finishRange(l: Ledger, k: RangeKey, runId: number): Promise<boolean> {
  const r = await l.db.query(
    `UPDATE ${l.s}.backfill_ranges SET state = 'done', lease_until = NULL
      WHERE plan_id = $1 AND step_id = $2 AND range_no = $3 AND holder_run_id = $4 AND state = 'open'`,
    [k.planId, k.stepId, k.rangeNo, runId],
  );
  return (r.rowCount ?? 0) > 0;
}

/** Give a range back (a worker stopping, or failing): the next worker leases it at once. */
export async function releaseRange(l: Ledger, k: RangeKey, runId: number): Promise<void> {
  await l.db.query(
    `UPDATE ${l.s}.backfill_ranges SET holder_run_id = NULL, lease_until = NULL
      WHERE plan_id = $1 AND step_id = $2 AND range_no = $3 AND holder_run_id = $4 AND state = 'open'`,
    [k.planId, k.stepId, k.rangeNo, runId],
  );
}

/** Every range of a backfill, in key order. */
export async function listRanges(l: Ledger, planId: string, stepId: string): Promise<RangeRow[]> {
  const r = await l.db.rows(
    `SELECT range_no, lo, hi, state, holder_run_id, takeovers, progress,
            (holder_run_id IS NOT NULL AND lease_until >= clock_timestamp()) AS live
       FROM ${l.s}.backfill_ranges WHERE plan_id = $1 AND step_id = $2 ORDER BY range_no`,
    [planId, stepId],
  );
  return r.map(rowOf);
}

/** Forget a backfill's ranges (the step runs again from the start: `--redo`, rollback). */
export async function deleteRanges(l: Ledger, planId: string, stepId: string, client?: Queryable): Promise<void> {
  await (client ?? l.db.pool).query(`DELETE FROM ${l.s}.backfill_ranges WHERE plan_id = $1 AND step_id = $2`, [
    planId,
    stepId,
  ]);
}

/** One worker of a backfill, from its batches: who it is and what it did. */
export interface WorkerProgress {
  runId: number;
  command: string;
  status: string;
  host: string | null;
  pid: number | null;
  batches: number;
  rows: number;
  walked: number;
  /** Ranges it holds now (a live lease) and ranges it finished. */
  holding: number;
  finished: number;
  lastBatchAt: Date | null;
}

/** Per-worker progress of every backfill of a plan that was split into ranges: step id → workers. */
export async function workersByStep(l: Ledger, planId: string): Promise<Map<string, WorkerProgress[]>> {
  const r = await l.db.rows<{
    step_id: string;
    run_id: string;
    command: string;
    status: string;
    host: string | null;
    pid: number | null;
    batches: string;
    rows: string;
    walked: string;
    holding: number;
    finished: number;
    last_at: Date | null;
  }>(
    `WITH steps AS (SELECT DISTINCT step_id FROM ${l.s}.backfill_ranges WHERE plan_id = $1),
          b AS (SELECT b.step_id, b.run_id, count(*) AS batches, coalesce(sum(b.rows), 0) AS rows,
                       coalesce(sum(b.size), 0) AS walked, max(b.at) AS last_at
                  FROM ${l.s}.batches b JOIN steps USING (step_id)
                 WHERE b.plan_id = $1 AND b.run_id IS NOT NULL GROUP BY b.step_id, b.run_id),
          h AS (SELECT step_id, holder_run_id AS run_id,
                       count(*) FILTER (WHERE state = 'open' AND lease_until >= clock_timestamp())::int AS holding,
                       count(*) FILTER (WHERE state = 'done')::int AS finished
                  FROM ${l.s}.backfill_ranges WHERE plan_id = $1 AND holder_run_id IS NOT NULL GROUP BY step_id, holder_run_id),
          w AS (SELECT step_id, run_id FROM b UNION SELECT step_id, run_id FROM h)
     SELECT w.step_id, w.run_id, r.command, r.status, r.host, r.pid,
            coalesce(b.batches, 0) AS batches, coalesce(b.rows, 0) AS rows, coalesce(b.walked, 0) AS walked,
            coalesce(h.holding, 0) AS holding, coalesce(h.finished, 0) AS finished, b.last_at
       FROM w JOIN ${l.s}.runs r ON r.run_id = w.run_id
       LEFT JOIN b ON b.step_id = w.step_id AND b.run_id = w.run_id
       LEFT JOIN h ON h.step_id = w.step_id AND h.run_id = w.run_id
      ORDER BY w.step_id, w.run_id`,
    [planId],
  );
  const m = new Map<string, WorkerProgress[]>();
  for (const x of r) {
    const list = m.get(x.step_id) ?? [];
    list.push({
      runId: Number(x.run_id),
      command: x.command,
      status: x.status,
      host: x.host,
      pid: x.pid,
      batches: Number(x.batches),
      rows: Number(x.rows),
      walked: Number(x.walked),
      holding: x.holding,
      finished: x.finished,
      lastBatchAt: x.last_at,
    });
    m.set(x.step_id, list);
  }
  return m;
}
