/**
 * Reads of a backfill's record in the ledger's `batches`, `poison_rows` and `step_history`, for
 * `status`, the report's backfill statistics and the demo's summary. Aggregates and chart series are
 * computed in SQL, so a backfill of a million batches stays a small read. Read-only.
 */
import type { Ledger } from './ledger.js';

/** Batch totals of every step of a plan that recorded batches: step id → rows done. */
export async function rowsDoneByStep(
  l: Ledger,
  planId: string,
): Promise<Map<string, { rows: number; batches: number }>> {
  const r = await l.db.rows<{ step_id: string; rows: string; n: string }>(
    `SELECT step_id, coalesce(sum(rows), 0) AS rows, count(*) AS n FROM ${l.s}.batches WHERE plan_id = $1 GROUP BY step_id`,
    [planId],
  );
  return new Map(r.map((x) => [x.step_id, { rows: Number(x.rows), batches: Number(x.n) }]));
}

/** When a backfill's current pass began, and what the passes before it wrote. */
export interface PassStart {
  /** The latest reset (`--redo`) or rollback of the step, or `-infinity`. */
  since: Date | string;
  earlier: { passes: number; rows: number; batches: number };
}

/**
 * When the current pass of a backfill began: its latest reset (`--redo`) or rollback, or -infinity.
 * Batches before it belong to passes the current one superseded.
 */
export async function passStart(l: Ledger, planId: string, stepId: string): Promise<PassStart> {
  const r = (
    await l.db.rows<{ since: Date | null; rows: string; n: string; passes: string }>(
      `WITH e AS (SELECT at FROM ${l.s}.step_history WHERE plan_id = $1 AND step_id = $2 AND event IN ('reset', 'rolled_back')),
          since AS (SELECT max(at) AS since FROM e),
          old AS (SELECT rows, at FROM ${l.s}.batches, since WHERE plan_id = $1 AND step_id = $2 AND at <= since.since)
     SELECT since.since, (SELECT coalesce(sum(rows), 0) FROM old) AS rows, (SELECT count(*) FROM old) AS n,
            (SELECT count(*) FROM e WHERE e.at > (SELECT min(at) FROM old)) AS passes
       FROM since`,
      [planId, stepId],
    )
  )[0];
  return {
    since: r.since ?? '-infinity',
    earlier: { passes: Number(r.passes), rows: Number(r.rows), batches: Number(r.n) },
  };
}

/** Totals and duration percentiles of a step's batches since a moment (as PostgreSQL returns them). */
export interface BatchAggregate {
  n: string;
  rows: string | null;
  active: number | null;
  throttled: number | null;
  throttled_n: string;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
  smin: number | null;
  smax: number | null;
  smean: number | null;
  wall: number | null;
}

/** Totals of a step's batches written after `since`. */
export async function batchAggregate(
  l: Ledger,
  planId: string,
  stepId: string,
  since: Date | string,
): Promise<BatchAggregate> {
  return (
    await l.db.rows<BatchAggregate>(
      `SELECT count(*) AS n, sum(rows) AS rows, sum(duration_ms) AS active, sum(throttled_ms) AS throttled,
            count(*) FILTER (WHERE throttled_ms > 0) AS throttled_n,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50,
            percentile_cont(0.9) WITHIN GROUP (ORDER BY duration_ms) AS p90,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ms) AS p99,
            max(duration_ms) AS max, avg(duration_ms)::float8 AS mean,
            min(size) AS smin, max(size) AS smax, avg(size)::float8 AS smean,
            extract(epoch FROM max(at) - min(at - duration_ms * interval '1 millisecond'))::float8 * 1000 AS wall
       FROM ${l.s}.batches WHERE plan_id = $1 AND step_id = $2 AND at > $3`,
      [planId, stepId, since],
    )
  )[0];
}

/** One point of a chart: `bucketSize` consecutive batches. */
export interface BatchBucket {
  /** Seconds from the start of the first batch to the end of the bucket's last. */
  t: number;
  rows: string;
  ms: number;
  ms_max: number;
  rate: number | null;
}

/** A step's batches written after `since`, in buckets of `bucketSize` consecutive batches. */
export async function batchSeries(
  l: Ledger,
  planId: string,
  stepId: string,
  bucketSize: number,
  since: Date | string,
): Promise<BatchBucket[]> {
  return l.db.rows<BatchBucket>(
    `WITH b AS (
       SELECT rows, duration_ms, throttled_ms, at, (row_number() OVER (ORDER BY id) - 1) / $3 AS bucket,
              min(at - duration_ms * interval '1 millisecond') OVER () AS t0
         FROM ${l.s}.batches WHERE plan_id = $1 AND step_id = $2 AND at > $4)
     SELECT extract(epoch FROM max(at) - min(t0))::float8 AS t, sum(rows) AS rows, avg(duration_ms)::float8 AS ms, max(duration_ms)::float8 AS ms_max,
            (sum(rows) * 1000 / nullif(sum(duration_ms) + sum(throttled_ms), 0))::float8 AS rate
       FROM b GROUP BY bucket ORDER BY bucket`,
    [planId, stepId, bucketSize, since],
  );
}

/** A poison row, with the count of all of them since the same moment. */
export interface PoisonSample {
  key: unknown;
  error: string;
  sqlstate: string | null;
  at: Date;
  total: string;
}

/** The first ten poison rows of a step recorded after `since`. */
export async function poisonSample(
  l: Ledger,
  planId: string,
  stepId: string,
  since: Date | string,
): Promise<PoisonSample[]> {
  return l.db.rows<PoisonSample>(
    `SELECT key, error, sqlstate, at, count(*) OVER () AS total FROM ${l.s}.poison_rows WHERE plan_id = $1 AND step_id = $2 AND at > $3 ORDER BY id LIMIT 10`,
    [planId, stepId, since],
  );
}
