/**
 * Splitting a backfill's key into ranges that workers lease (docs/work.md). The boundaries are
 * quantiles of the key: read from every key on a small table, from a block sample
 * (`TABLESAMPLE SYSTEM`) on a large one, so splitting 10⁹ rows reads a few thousand. The first range
 * starts at the beginning of the key and the last one is open-ended, so rows inserted at the end
 * of the table while the backfill runs are still walked. Quantiles need not be exact: a range
 * only has to be a piece of work; an uneven one is balanced by the others finishing first.
 */
import type { Queryable } from '../db/connection.js';
import { keyAsText, keyOfRow, keyOrder } from '../sql/key-range.js';
import { Params } from '../sql/params.js';
import type { WalkScope } from './bounds.js';

/** Rows per range the split aims at (fewer ranges on a small table: one below twice this). */
export const ROWS_PER_RANGE = 10_000;
/** At most this many ranges, however large the table. */
export const MAX_RANGES = 64;
/** Above this many rows, boundaries come from a sample of the table's blocks. */
const SAMPLE_ABOVE = 500_000;
/** Keys the sample aims to read. */
const SAMPLE_KEYS = 20_000;

/** How many ranges a table of `rows` rows is split into. */
export function rangesFor(rows: number): number {
  return Math.max(1, Math.min(MAX_RANGES, Math.floor(rows / ROWS_PER_RANGE)));
}

/** A range's bounds: (lo, hi]; null = the start, or the (open) end, of the key. */
export interface Split {
  lo: string[] | null;
  hi: string[] | null;
}

/** Split the walk of `scope` into ranges for a table of about `rows` rows. */
export async function splitKey(db: Queryable, scope: WalkScope, rows: number): Promise<Split[]> {
  const n = rangesFor(rows);
  if (n <= 1) return [{ lo: null, hi: null }];
  const p = new Params();
  const sample =
    rows > SAMPLE_ABOVE ? ` TABLESAMPLE SYSTEM (${p.add(Math.min(100, (100 * SAMPLE_KEYS) / rows))}::float8)` : '';
  const r = await db.query(
    `SELECT ${keyAsText(scope.key)} FROM ${scope.table.sql}${sample} ORDER BY ${keyOrder(scope.key)}`,
    p.values,
  );
  const keys = r.rows.map((row) => keyOfRow(scope.key, row));
  const bounds: string[][] = [];
  for (let i = 1; i < n; i++) {
    const k = keys[Math.floor((i * keys.length) / n) - 1];
    if (k && (!bounds.length || k.join('\u0000') !== bounds[bounds.length - 1].join('\u0000'))) bounds.push(k);
  }
  const out: Split[] = [];
  let lo: string[] | null = null;
  for (const b of bounds) {
    out.push({ lo, hi: b });
    lo = b;
  }
  out.push({ lo, hi: null });
  return out;
}
