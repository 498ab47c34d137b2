/**
 * Batch bounds, found cheaply on the key's index: the key `size` rows after the cursor
 * (`ORDER BY key OFFSET size-1 LIMIT 1`, an index-only scan on a vacuumed table). When fewer rows
 * remain, the range ends at the last key and its exact row count is taken. The walk ignores `where`
 * (it walks positions, not matches), so its cost does not depend on how many rows still need work.
 */
import type { Queryable } from '../db/connection.js';
import { type KeyRange, keyAsText, keyOfRow, keyOrder, keyTuple, keyValue } from '../sql/key-range.js';
import { Params } from '../sql/params.js';
import type { KeyInfo, TableInfo } from './key.js';

/** What a walk covers: a table, its key and an optional extra filter (the tenant of a perTenant pass). */
export interface WalkScope {
  table: TableInfo;
  key: KeyInfo;
  /** An extra condition on the walked rows; adds its own parameters. */
  filter?: (p: Params) => string;
}

/** The next batch's range and how many rows it spans (at the moment it was found). */
export interface Bound {
  range: KeyRange;
  /** Rows (key positions) in the range. */
  walked: number;
  /** True when fewer than `size` rows were left: the range reaches the end of the table. */
  tail: boolean;
}

function conditions(scope: WalkScope, lo: string[] | null, p: Params): string {
  const c: string[] = [];
  if (lo) c.push(`${keyTuple(scope.key)} > ${keyValue(scope.key, lo, p)}`);
  if (scope.filter) c.push(scope.filter(p));
  return c.length ? `WHERE ${c.join(' AND ')}` : '';
}

/** The next range after `lo` holding up to `size` rows, or null when no row is left. */
export async function nextBound(
  db: Queryable,
  scope: WalkScope,
  lo: string[] | null,
  size: number,
): Promise<Bound | null> {
  const p = new Params();
  const where = conditions(scope, lo, p);
  const off = p.add(Math.max(0, size - 1));
  const r = await db.query(
    `SELECT ${keyAsText(scope.key)} FROM ${scope.table.sql} ${where} ORDER BY ${keyOrder(scope.key)} OFFSET ${off} LIMIT 1`,
    p.values,
  );
  if (r.rows.length) return { range: { lo, hi: keyOfRow(scope.key, r.rows[0]) }, walked: size, tail: false };
  const p2 = new Params();
  const where2 = conditions(scope, lo, p2);
  const last = await db.query(
    `SELECT ${keyAsText(scope.key)}, (SELECT count(*) FROM ${scope.table.sql} ${where2}) AS n FROM ${scope.table.sql} ${where2} ORDER BY ${keyOrder(scope.key, true)} LIMIT 1`,
    p2.values,
  );
  if (!last.rows.length) return null;
  return { range: { lo, hi: keyOfRow(scope.key, last.rows[0]) }, walked: Number(last.rows[0].n), tail: true };
}

/** Rows (key positions) after `lo`: the exact count, used for the progress total when no estimate exists. */
export async function countAfter(db: Queryable, scope: WalkScope, lo: string[] | null): Promise<number> {
  const p = new Params();
  const r = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${scope.table.sql} ${conditions(scope, lo, p)}`,
    p.values,
  );
  return Number(r.rows[0].n);
}
