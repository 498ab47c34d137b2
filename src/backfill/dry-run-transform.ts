/**
 * `--dry-run` of a `transform` backfill: the transform runs over the source rows — read only, in
 * key-ordered pages, one short read-only transaction each (no snapshot or lock held across pages)
 * — and what it returns is counted, so the dry run says how many rows it would change or insert,
 * not just how many it would read. Exact up to {@link DRY_RUN_TRANSFORM_LIMIT} source rows; beyond
 * that the count is extrapolated from them, and the line says so.
 */

import type { ReadContext } from '../kind/step-kind.js';
import { quoteIdent } from '../sql/ident.js';
import { keyAsText, keyOrder, keyTuple, keyValue } from '../sql/key-range.js';
import { Params } from '../sql/params.js';
import { type Prepared, readOnly } from './dry-run.js';

/** Source rows a dry run hands to the transform before it extrapolates. */
export const DRY_RUN_TRANSFORM_LIMIT = 100_000;
const PAGE = 1_000;

/** What the transform made of the rows it was given. */
export interface TransformCount {
  /** Source rows given to the transform. */
  walked: number;
  /** Rows it returned (to change or to insert) for them. */
  produced: number;
  /** Source rows in all (known when the walk stopped at the limit). */
  total: number;
}

/** What a transform receives per row: the `select`ed columns and the key (qualified by the table), or every column. */
export function transformSelectList(p: Pick<Prepared, 'table' | 'key'>, select: readonly string[] | undefined): string {
  return select
    ? [...new Set([...p.key.columns, ...select])].map((c) => `${p.table.sql}.${quoteIdent(c)}`).join(', ')
    : `${p.table.sql}.*`;
}

/**
 * Walk the source rows matching `where` in key order, `selectList` (qualified by the table) per row,
 * and add up what `count` says of each page. Rows reach `count` without the walk's own key columns.
 */
export async function countTransformed(
  ctx: ReadContext,
  p: Prepared,
  selectList: string,
  where: string | undefined,
  total: number,
  count: (rows: Record<string, unknown>[], textKeys: string[][]) => Promise<number>,
): Promise<TransformCount> {
  const keyCols = keyAsText(p.key, p.table.sql).replace(/ AS k(\d+)/g, ' AS __tm_k$1');
  let last: string[] | null = null;
  let walked = 0;
  let produced = 0;
  while (walked < DRY_RUN_TRANSFORM_LIMIT) {
    const params = new Params();
    const conds: string[] = [
      last && `${keyTuple(p.key, p.table.sql)} > ${keyValue(p.key, last, params)}`,
      where && `(${where})`,
    ].filter((x): x is string => !!x);
    const limit = Math.min(PAGE, DRY_RUN_TRANSFORM_LIMIT - walked);
    const sql: string = `SELECT ${selectList}, ${keyCols} FROM ${p.table.sql}${conds.length ? ` WHERE ${conds.join(' AND ')}` : ''} ORDER BY ${keyOrder(p.key, false, p.table.sql)} LIMIT ${limit}`;
    const rows: Record<string, unknown>[] = await readOnly(
      ctx,
      async (c) => (await c.query<Record<string, unknown>>(sql, params.values)).rows,
    );
    if (!rows.length) break;
    const textKeys: string[][] = rows.map((r) => p.key.columns.map((_, i) => String(r[`__tm_k${i}`])));
    for (const r of rows) for (let i = 0; i < p.key.columns.length; i++) delete r[`__tm_k${i}`];
    last = textKeys[textKeys.length - 1];
    produced += await count(rows, textKeys);
    walked += rows.length;
    if (rows.length < limit) break;
  }
  return { walked, produced, total: Math.max(total, walked) };
}

/** `2,205 row(s)` or `about 22,050 row(s) (the transform ran on the first 100,000 of 1,000,000 source rows)`. */
export function producedText(t: TransformCount): string {
  if (t.walked >= t.total || t.walked === 0) return `${t.produced.toLocaleString('en')} row(s)`;
  const est = Math.round((t.produced / t.walked) * t.total);
  return `about ${est.toLocaleString('en')} row(s) (the transform ran on the first ${t.walked.toLocaleString('en')} of ${t.total.toLocaleString('en')} source rows)`;
}
