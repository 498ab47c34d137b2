/**
 * How long the fill of a column copy is expected to take, from a timed sample: a few thousand
 * rows are copied into a temp table inside a transaction that is rolled back (nothing is left
 * behind, the real table is only read), a column is added and set, and the time per row is scaled
 * to the table's estimated rows. The factor covers what the sample leaves out — WAL (a temp table
 * writes none), the trigger, index maintenance, the engine's per-batch commits — and was measured
 * against real fills (docs/steps/rename-column.md, "Cost").
 */
import type pg from 'pg';
import type { Db } from '../db/connection.js';
import { quoteIdent } from '../sql/ident.js';

/** Rows in the timed sample. */
const SAMPLE_ROWS = 5_000;
/** A real rename's time per row ÷ the sample's: 9.5–19 measured on 1M rows (docs/steps/rename-column.md, "Dry run and plan"). */
const FILL_FACTOR = 10;

/** The estimate, or null when it cannot be measured (no temp tables allowed, a standby…). */
export async function fillEstimate(
  db: Db,
  tableOid: number,
  column: string,
): Promise<{ rows: number; ms: number; text: string } | null> {
  let client: pg.PoolClient | undefined;
  try {
    client = await db.pool.connect();
    const t = await client.query<{ rows: string; q: string }>(
      `SELECT GREATEST(c.reltuples, 0)::int8 AS rows, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS q
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1::int8::oid`,
      [tableOid],
    );
    const x = t.rows[0];
    if (!x) return null;
    await client.query('BEGIN');
    await client.query(`SET LOCAL statement_timeout = '5s'`);
    await client.query(`CREATE TEMP TABLE tm_rename_probe ON COMMIT DROP AS SELECT * FROM ${x.q} LIMIT ${SAMPLE_ROWS}`);
    const n = Number((await client.query<{ n: string }>(`SELECT count(*)::int8 AS n FROM tm_rename_probe`)).rows[0].n);
    await client.query(`ALTER TABLE tm_rename_probe ADD COLUMN tm_rename_copy text`);
    const t0 = process.hrtime.bigint();
    await client.query(`UPDATE tm_rename_probe SET tm_rename_copy = ${quoteIdent(column)}::text`);
    const sampleMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const rows = Math.max(Number(x.rows), n);
    const ms = n > 0 ? Math.round((sampleMs / n) * rows * FILL_FACTOR) : 0;
    return {
      rows,
      ms,
      text: `fill: about ${rows} row(s), expected to take about ${humanMs(ms)} (from a timed sample of ${n} row(s); throttling and traffic add to it)`,
    };
  } catch {
    return null;
  } finally {
    if (client) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
    }
  }
}

function humanMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}
