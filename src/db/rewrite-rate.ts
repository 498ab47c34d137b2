/**
 * How fast this server rewrites a table, and how long a rewrite of a given table would hold its
 * lock. A type change such as `ALTER COLUMN … TYPE … USING` rewrites the table and every index
 * under ACCESS EXCLUSIVE, so its lock time is about (table + indexes size) / rewrite rate. The
 * rate is measured once per run by rewriting a scratch temp table of known size inside a
 * transaction that is rolled back (nothing is left behind). A temp table skips the WAL a real
 * table writes, so the measured rate is halved as a margin. See docs/steps/op-convert-to-enum.md.
 */
import type pg from 'pg';
import type { Db, Queryable } from './connection.js';

/** Used when the rate cannot be measured (no temp tables allowed, a read-only standby…): conservative. */
export const DEFAULT_REWRITE_MB_PER_S = 20;
/** The measured rate is divided by this: a temp table writes no WAL, a real table does. */
const WAL_MARGIN = 2;
/** Rows in the scratch table (a few MB with its index: large enough to dwarf fixed costs). */
const SCRATCH_ROWS = 40_000;

/** A measured (or default) rewrite rate. */
export interface RewriteRate {
  mbPerS: number;
  measured: boolean;
}

/** Per-run memo of the rate, so the scratch rewrite runs once per run (it lives in the run's settings). */
export interface RewriteRateMemo {
  rate?: Promise<RewriteRate>;
}

/** Time a rewrite of a scratch temp table of known size; the default rate when that fails. */
export async function measureRewriteRate(db: Db): Promise<RewriteRate> {
  let client: pg.PoolClient | undefined;
  try {
    client = await db.pool.connect();
    await client.query('BEGIN');
    await client.query(
      `CREATE TEMP TABLE tm_rewrite_probe ON COMMIT DROP AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, ${SCRATCH_ROWS}) g`,
    );
    await client.query('CREATE INDEX ON tm_rewrite_probe (v)');
    const size = await client.query<{ b: string }>(
      `SELECT (pg_table_size('tm_rewrite_probe') + pg_indexes_size('tm_rewrite_probe'))::text AS b`,
    );
    const t0 = process.hrtime.bigint();
    await client.query(`ALTER TABLE tm_rewrite_probe ALTER COLUMN v TYPE text USING v || ''`);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const mb = Number(size.rows[0].b) / 1024 / 1024;
    const rate = mb / (Math.max(ms, 1) / 1000) / WAL_MARGIN;
    return { mbPerS: Math.max(1, Math.round(rate)), measured: true };
  } catch {
    return { mbPerS: DEFAULT_REWRITE_MB_PER_S, measured: false };
  } finally {
    if (client) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
    }
  }
}

/** The rate, measured at most once per memo. */
export function rewriteRate(db: Db, memo: RewriteRateMemo | undefined): Promise<RewriteRate> {
  if (!memo) return measureRewriteRate(db);
  memo.rate ??= measureRewriteRate(db);
  return memo.rate;
}

/** A rewrite's estimated lock time. */
export interface RewriteEstimate {
  /** Table (heap + TOAST) and index bytes. */
  bytes: number;
  mbPerS: number;
  measured: boolean;
  ms: number;
}

/** Estimate how long rewriting the table with `oid` (and its indexes) would hold its lock. */
export async function estimateRewrite(q: Queryable, oid: number, rate: RewriteRate): Promise<RewriteEstimate> {
  const r = await q.query<{ b: string }>(`SELECT (pg_table_size($1::oid) + pg_indexes_size($1::oid))::text AS b`, [
    oid,
  ]);
  const bytes = Number(r.rows[0]?.b ?? 0);
  const ms = Math.round((bytes / 1024 / 1024 / rate.mbPerS) * 1000);
  return { bytes, mbPerS: rate.mbPerS, measured: rate.measured, ms };
}

/** Above this estimated lock time, `op.convertToEnum` takes the shadow path (config `maxRewriteLockMs`). */
export const DEFAULT_MAX_REWRITE_LOCK_MS = 200;
