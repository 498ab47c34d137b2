/**
 * Key-range batches over a table's primary key, for the shadow-column backfill and the
 * dropColumn archive copy and refill. Each batch is one short lock-safe transaction that finds
 * its upper key, does its work for keys in (lower, upper] and saves the cursor with it, so a crash
 * loses at most the uncommitted batch and a rerun resumes after the last committed one. Batch
 * size adapts so a batch takes about the backfill target. Cursors are key values as text, cast
 * back with the key's type, so any key type (composite included) survives the JSON of the ledger.
 */
import type pg from 'pg';
import { type KeyColumn, keyAsText, keyList, keyTuple, paramTuple } from './archive-sql.js';

/** A key range as a SQL condition over `$1…$n` with its parameters. */
export interface KeyRange {
  where: string;
  params: unknown[];
}

/** `(key) > lower AND (key) <= upper`; either bound may be absent. Parameters start at `first`. */
export function keyRange(
  key: readonly KeyColumn[],
  lower: string[] | null,
  upper: string[] | null,
  qualifier?: string,
  first = 1,
): KeyRange {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (lower) {
    parts.push(`${keyTuple(key, qualifier)} > ${paramTuple(key, first)}`);
    params.push(...lower);
  }
  if (upper) {
    parts.push(`${keyTuple(key, qualifier)} <= ${paramTuple(key, first + params.length)}`);
    params.push(...upper);
  }
  return { where: parts.length ? parts.join(' AND ') : 'true', params };
}

/** Test-only fault injection: throw after this many committed batches (simulates a crash mid-walk). */
export const batchFaults: { failAfterBatches?: number } = {};

/** What one walk needs. */
export interface WalkOptions {
  /** The quoted table walked. */
  table: string;
  key: readonly KeyColumn[];
  /** Resume after this key (text values), or start from the beginning. */
  after: string[] | null;
  /** Aim for batches of about this many milliseconds. */
  targetMs: number;
  /** A lock-safe transaction (`ctx.tx`). */
  tx: <T>(what: string, fn: (client: pg.PoolClient) => Promise<T>) => Promise<T>;
  /** For messages: `step "x" backfill`. */
  what: string;
  /** The batch's work for keys in `range`; returns rows changed. */
  work: (client: pg.PoolClient, range: KeyRange) => Promise<number>;
  /** Save the cursor (null = walk finished) in the batch's transaction. */
  save: (client: pg.PoolClient, cursor: string[] | null, rows: number) => Promise<void>;
  /** Called after each committed batch. */
  onBatch?: (b: {
    batch: number;
    rows: number;
    total: number;
    size: number;
    ms: number;
    cursor: string[] | null;
  }) => void;
  initialSize?: number;
  /** Qualify the key columns of the work's range (e.g. an alias when the work joins two tables). */
  rangeQualifier?: string;
}

/** The statement that finds a batch's upper key: the `size`-th key after `lower`. */
export function upperKeySql(table: string, key: readonly KeyColumn[], hasLower: boolean): string {
  const where = hasLower ? `WHERE ${keyTuple(key)} > ${paramTuple(key, 2)}` : '';
  return `SELECT ${keyAsText(key)} FROM ${table} ${where} ORDER BY ${keyList(key)} OFFSET $1 - 1 LIMIT 1`.replace(
    /\s+/g,
    ' ',
  );
}

/** Walk the table in key order, batch by batch; returns the rows changed. */
export async function walkKeys(o: WalkOptions): Promise<number> {
  let lower = o.after;
  let size = o.initialSize ?? 500;
  let total = 0;
  let batch = 0;
  for (;;) {
    const started = performance.now();
    const { rows, upper } = await o.tx(`${o.what} batch ${batch + 1}`, async (client) => {
      const r = await client.query<Record<string, string>>(upperKeySql(o.table, o.key, lower !== null), [
        size,
        ...(lower ?? []),
      ]);
      const up = r.rows[0] ? o.key.map((_, i) => r.rows[0][`k${i}`]) : null;
      const n = await o.work(client, keyRange(o.key, lower, up, o.rangeQualifier));
      await o.save(client, up, n);
      return { rows: n, upper: up };
    });
    const ms = performance.now() - started;
    batch++;
    total += rows;
    o.onBatch?.({ batch, rows, total, size, ms, cursor: upper });
    if (upper === null) return total;
    if (batchFaults.failAfterBatches !== undefined && batch >= batchFaults.failAfterBatches) {
      throw new Error(`fault injected after ${batch} batch(es)`);
    }
    lower = upper;
    const ratio = o.targetMs / Math.max(ms, 1);
    size = Math.max(10, Math.min(100_000, Math.round(size * Math.min(2, Math.max(0.5, ratio)))));
  }
}
