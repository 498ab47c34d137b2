/**
 * Backfill statistics from the ledger's `batches` and `poison_rows`: rows, throughput, batch
 * duration percentiles, throttling, poison rows, and a series for charts bucketed to at most
 * {@link MAX_POINTS} points in SQL (a backfill of a million batches stays a small report). The
 * reads are src/ledger/batch-reads.ts; this file shapes them for the report.
 */
import { batchAggregate, batchSeries, passStart, poisonSample } from '../ledger/batch-reads.js';
import type { Ledger } from '../ledger/ledger.js';
import type { ReportBackfill } from './model.js';

/** Points per chart at most. */
export const MAX_POINTS = 300;

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
  const { since, earlier } = await passStart(l, planId, stepId);
  const a = await batchAggregate(l, planId, stepId, since);
  const n = Number(a.n);
  const bucketSize = Math.max(1, Math.ceil(n / MAX_POINTS));
  const series = await batchSeries(l, planId, stepId, bucketSize, since);
  const poison = await poisonSample(l, planId, stepId, since);
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
