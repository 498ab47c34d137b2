/**
 * Backfill statistics from the ledger's `batches` and `poison_rows`: rows, throughput, batch
 * duration percentiles, throttling, poison rows, and a series for charts bucketed to at most
 * {@link MAX_POINTS} points in SQL (a backfill of a million batches stays a small report).
 */
import type { Ledger } from '../ledger/ledger.js';
import type { ReportBackfill } from './model.js';

/** Points per chart at most. */
export const MAX_POINTS = 300;

type Agg = {
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
};

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

/**
 * When the current pass of a backfill began: its latest reset (`--redo`) or rollback, or -infinity.
 * Batches before it belong to passes the current one superseded.
 */
async function passStart(
  l: Ledger,
  planId: string,
  stepId: string,
): Promise<{ since: Date | string; earlier: { passes: number; rows: number; batches: number } }> {
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

/**
 * Statistics of one backfill step's current pass (a pass redone with `--redo`, or undone by a
 * rollback, is counted once in `earlierPasses`, not in the rows). `total` is the expected row
 * count when known (progress or estimate).
 */
export async function backfillStats(
  l: Ledger,
  planId: string,
  stepId: string,
  table: string | null,
  total: number | null,
): Promise<ReportBackfill> {
  const s = l.s;
  const { since, earlier } = await passStart(l, planId, stepId);
  const a = (
    await l.db.rows<Agg>(
      `SELECT count(*) AS n, sum(rows) AS rows, sum(duration_ms) AS active, sum(throttled_ms) AS throttled,
            count(*) FILTER (WHERE throttled_ms > 0) AS throttled_n,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50,
            percentile_cont(0.9) WITHIN GROUP (ORDER BY duration_ms) AS p90,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ms) AS p99,
            max(duration_ms) AS max, avg(duration_ms)::float8 AS mean,
            min(size) AS smin, max(size) AS smax, avg(size)::float8 AS smean,
            extract(epoch FROM max(at) - min(at - duration_ms * interval '1 millisecond'))::float8 * 1000 AS wall
       FROM ${s}.batches WHERE plan_id = $1 AND step_id = $2 AND at > $3`,
      [planId, stepId, since],
    )
  )[0];
  const n = Number(a.n);
  const bucketSize = Math.max(1, Math.ceil(n / MAX_POINTS));
  const series = await l.db.rows<{ t: number; rows: string; ms: number; ms_max: number; rate: number | null }>(
    `WITH b AS (
       SELECT rows, duration_ms, throttled_ms, at, (row_number() OVER (ORDER BY id) - 1) / $3 AS bucket,
              min(at - duration_ms * interval '1 millisecond') OVER () AS t0
         FROM ${s}.batches WHERE plan_id = $1 AND step_id = $2 AND at > $4)
     SELECT extract(epoch FROM max(at) - min(t0))::float8 AS t, sum(rows) AS rows, avg(duration_ms)::float8 AS ms, max(duration_ms)::float8 AS ms_max,
            (sum(rows) * 1000 / nullif(sum(duration_ms) + sum(throttled_ms), 0))::float8 AS rate
       FROM b GROUP BY bucket ORDER BY bucket`,
    [planId, stepId, bucketSize, since],
  );
  const poison = await l.db.rows<{ key: unknown; error: string; sqlstate: string | null; at: Date; total: string }>(
    `SELECT key, error, sqlstate, at, count(*) OVER () AS total FROM ${s}.poison_rows WHERE plan_id = $1 AND step_id = $2 AND at > $3 ORDER BY id LIMIT 10`,
    [planId, stepId, since],
  );
  const rows = Number(a.rows ?? 0);
  const activeMs = a.active ?? 0;
  const throttledMs = a.throttled ?? 0;
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    stepId,
    table,
    rows,
    earlierPasses: earlier,
    batches: n,
    activeMs: round(activeMs),
    wallMs: round(a.wall ?? 0),
    rowsPerSecond: activeMs + throttledMs > 0 ? Math.round((rows * 1000) / (activeMs + throttledMs)) : null,
    batchMs: n
      ? {
          p50: round(a.p50 ?? 0),
          p90: round(a.p90 ?? 0),
          p99: round(a.p99 ?? 0),
          max: round(a.max ?? 0),
          mean: round(a.mean ?? 0),
        }
      : null,
    batchSize: a.smin == null ? null : { min: Number(a.smin), max: Number(a.smax), mean: Math.round(a.smean ?? 0) },
    throttledMs: round(throttledMs),
    throttledBatches: Number(a.throttled_n),
    progress: { done: rows, total, percent: total ? Math.min(100, Math.round((rows / total) * 1000) / 10) : null },
    poisonRows: {
      count: poison.length ? Number(poison[0].total) : 0,
      sample: poison.map((p) => ({ key: p.key, error: p.error, sqlstate: p.sqlstate, at: p.at.toISOString() })),
    },
    series: {
      t: series.map((x) => round(x.t)),
      rowsPerSecond: series.map((x) => Math.round(x.rate ?? 0)),
      batchMs: series.map((x) => round(x.ms)),
      batchMsMax: series.map((x) => round(x.ms_max)),
      rows: series.map((x) => Number(x.rows)),
      bucketSize,
    },
  };
}
