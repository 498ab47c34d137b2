/**
 * Key-range batches over a table's primary key, for the shadow-column backfill and the
 * dropColumn archive copy and refill. Each batch is one short lock-safe transaction that finds
 * its upper key, does its work for keys in (lower, upper] and saves the cursor with it, so a crash
 * loses at most the uncommitted batch and a rerun resumes after the last committed one. Batch
 * size adapts so a batch takes about the backfill target. Cursors are key values as text, cast
 * back with the key's type, so any key type (composite included) survives the JSON of the ledger.
 */
import type pg from 'pg';
import type { KeyColumn } from '../db/catalog.js';
import { type Key, keyAsText, keyBetween, keyOf, keyOfRow, keyOrder, keyTuple, keyValue } from '../sql/key-range.js';
import { Params } from '../sql/params.js';

/** A batch's key range as a SQL condition over `$1…$n` with its parameters. */
export interface BatchRange {
  where: string;
  params: unknown[];
}

/** `(key) > lower AND (key) <= upper`; either bound may be absent. */
export function batchRange(key: Key, lower: string[] | null, upper: string[] | null, qualifier?: string): BatchRange {
  const p = new Params();
  return { where: keyBetween(key, lower, upper, p, qualifier), params: p.values };
}

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
  work: (client: pg.PoolClient, range: BatchRange) => Promise<number>;
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

/** The statement that finds a batch's upper key: the `size`-th key after `lower` (`$1` = size). */
export function upperKeySql(table: string, key: Key, lower: string[] | null, p: Params): string {
  const where = lower ? `WHERE ${keyTuple(key)} > ${keyValue(key, lower, p)}` : '';
  return `SELECT ${keyAsText(key)} FROM ${table} ${where} ORDER BY ${keyOrder(key)} OFFSET $1 - 1 LIMIT 1`.replace(
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
  const key = keyOf(o.key);
  for (;;) {
    const started = performance.now();
    const { rows, upper } = await o.tx(`${o.what} batch ${batch + 1}`, async (client) => {
      const p = new Params([size]);
      const r = await client.query<Record<string, string>>(upperKeySql(o.table, key, lower, p), p.values);
      const up = r.rows[0] ? keyOfRow(key, r.rows[0]) : null;
      const n = await o.work(client, batchRange(key, lower, up, o.rangeQualifier));
      await o.save(client, up, n);
      return { rows: n, upper: up };
    });
    const ms = performance.now() - started;
    batch++;
    total += rows;
    o.onBatch?.({ batch, rows, total, size, ms, cursor: upper });
    if (upper === null) return total;
    lower = upper;
    const ratio = o.targetMs / Math.max(ms, 1);
    size = Math.max(10, Math.min(100_000, Math.round(size * Math.min(2, Math.max(0.5, ratio)))));
  }
}
