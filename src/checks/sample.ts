/**
 * Shared helpers for checks: how many offending rows a sample holds, the key columns that identify a
 * row in a sample, and a `WHERE` clause combined from the check's own condition and the user's.
 */

import { primaryKeyColumns } from '../db/catalog.js';
import type { Queryable } from '../db/connection.js';
import type { RelationName } from '../model/plan.js';
import { quoteIdent } from '../sql/ident.js';

/** Samples hold at most this many offending rows (docs/proof.md). */
export const SAMPLE_SIZE = 10;

/**
 * Key columns to show in samples: the primary key, or `ctid` when there is none. `select` lists
 * them for a select list (qualified by `alias` when given, output names unqualified); `order` is
 * the matching `ORDER BY` list, so samples come back in key order and are the same on every run.
 */
export async function sampleKey(
  db: Queryable,
  table: RelationName,
  alias?: string,
): Promise<{ cols: string[]; select: string; order: string }> {
  const pk = (await primaryKeyColumns(db, table)).map((c) => c.name);
  const q = alias ? `${alias}.` : '';
  if (pk.length) {
    return {
      cols: pk,
      select: pk.map((c) => `${q}${quoteIdent(c)}`).join(', '),
      order: pk.map((c) => `${q}${quoteIdent(c)}`).join(', '),
    };
  }
  return { cols: ['ctid'], select: `${q}ctid::text AS ctid`, order: `${q}ctid` };
}

/** `(a) AND (b)` of the conditions given. */
export function andWhere(...conds: (string | undefined)[]): string {
  const c = conds.filter((x): x is string => !!x && x.trim().length > 0);
  return c.length ? `WHERE ${c.map((x) => `(${x})`).join(' AND ')}` : '';
}

/** `<from> WHERE (a) AND (b)`, or just `<from>` when there is no condition (no dangling space). */
export function fromWhere(from: string, ...conds: (string | undefined)[]): string {
  const where = andWhere(...conds);
  return where ? `${from} ${where}` : from;
}

/** An output column name for a sample that does not collide with the names already used. */
export function freeName(wanted: string, taken: readonly string[]): string {
  let name = wanted;
  for (let i = 2; taken.includes(name); i++) name = `${wanted}_${i}`;
  return name;
}

/** A count range (`equals` / `min` / `max`) as people read it: `1`, `>= 1`, `between 1 and 3`. */
export function rangeText(r: { equals?: number; min?: number; max?: number }): string {
  if (r.equals !== undefined) return String(r.equals);
  if (r.min !== undefined && r.max !== undefined) return `between ${r.min} and ${r.max}`;
  if (r.min !== undefined) return `>= ${r.min}`;
  if (r.max !== undefined) return `<= ${r.max}`;
  return 'any';
}

/** Plan issues for a count range: at least one bound, `equals` alone, `min <= max`. */
export function rangeIssues(
  r: { equals?: number; min?: number; max?: number },
  extra: string[] = [],
): { field: string; message: string }[] {
  const given = ['equals', 'min', 'max', ...extra].filter((k) => (r as Record<string, unknown>)[k] !== undefined);
  if (given.length === 0)
    return [
      {
        field: 'equals',
        message: `give one of ${['equals', 'min', 'max', ...extra].join(', ').replace(/, ([^,]*)$/, ' or $1')}`,
      },
    ];
  if (r.equals !== undefined && (r.min !== undefined || r.max !== undefined))
    return [{ field: 'equals', message: 'equals cannot be combined with min or max' }];
  if (r.min !== undefined && r.max !== undefined && r.min > r.max)
    return [{ field: 'min', message: `min (${r.min}) is greater than max (${r.max})` }];
  return [];
}

/** True when `n` is inside the range. */
export function inRange(n: number, r: { equals?: number; min?: number; max?: number }): boolean {
  return (
    (r.equals === undefined || n === r.equals) &&
    (r.min === undefined || n >= r.min) &&
    (r.max === undefined || n <= r.max)
  );
}
