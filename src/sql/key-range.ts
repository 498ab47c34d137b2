/**
 * Key ranges in SQL. A batch covers the half-open key range (lo, hi] in key order; cursor values
 * travel as text parameters cast to the key's types, so any key type (bigint, uuid, text,
 * timestamps, composites) round-trips exactly and survives the JSON of the ledger. Identifiers are
 * quoted; values are parameters. Used by the backfill engine and by the `op.*` batch walks
 * (docs/backfill.md).
 */
import { quoteIdent } from './ident.js';
import type { Params } from './params.js';

/** A key: its columns in order and the SQL type each cursor value is cast back to. */
export interface Key {
  readonly columns: readonly string[];
  readonly types: readonly string[];
}

/** The {@link Key} of columns given as `{ name, type }` pairs. */
export function keyOf(columns: readonly { name: string; type: string }[]): Key {
  return { columns: columns.map((c) => c.name), types: columns.map((c) => c.type) };
}

/** One batch's key range: (lo, hi]. `lo` null = from the start; `exact`: only the row whose key is `hi`. Values in PostgreSQL's text form. */
export interface KeyRange {
  lo: string[] | null;
  hi: string[];
  exact?: boolean;
}

/** `"a", "b"` — the key columns (or `"a" DESC, "b" DESC`), optionally qualified: an `ORDER BY` or select list. */
export function keyOrder(key: Key, desc = false, qualifier?: string): string {
  return key.columns.map((c) => `${qualifier ? `${qualifier}.` : ''}${quoteIdent(c)}${desc ? ' DESC' : ''}`).join(', ');
}

/** `"a"` or `("a", "b")`, optionally qualified by a relation (`"T"."a"`): the left side of a key comparison. */
export function keyTuple(key: Key, qualifier?: string): string {
  const l = keyOrder(key, false, qualifier);
  return key.columns.length === 1 ? l : `(${l})`;
}

/** `$1::bigint` or `($1::int, $2::text)` for a key value: the right side of a key comparison. */
export function keyValue(key: Key, values: readonly string[], p: Params): string {
  const parts = key.columns.map((_, i) => `${p.add(values[i])}::${key.types[i]}`);
  return parts.length === 1 ? parts[0] : `(${parts.join(', ')})`;
}

/** `key > lo AND key <= hi`; either bound may be absent (`true` when both are). */
export function keyBetween(
  key: Key,
  lo: readonly string[] | null,
  hi: readonly string[] | null,
  p: Params,
  qualifier?: string,
): string {
  const t = keyTuple(key, qualifier);
  const parts: string[] = [];
  if (lo) parts.push(`${t} > ${keyValue(key, lo, p)}`);
  if (hi) parts.push(`${t} <= ${keyValue(key, hi, p)}`);
  return parts.length ? parts.join(' AND ') : 'true';
}

/** `key = value` for one row. */
export function keyEquals(key: Key, values: readonly string[], p: Params, qualifier?: string): string {
  return `${keyTuple(key, qualifier)} = ${keyValue(key, values, p)}`;
}

/** The condition of one batch's range (the lower bound omitted at the start). */
export function rangePredicate(key: Key, range: KeyRange, p: Params, qualifier?: string): string {
  if (range.exact) return keyEquals(key, range.hi, p, qualifier);
  return keyBetween(key, range.lo, range.hi, p, qualifier);
}

/** The key columns selected as text, aliased `k0`, `k1`… */
export function keyAsText(key: Key, qualifier?: string): string {
  return key.columns.map((c, i) => `${qualifier ? `${qualifier}.` : ''}${quoteIdent(c)}::text AS k${i}`).join(', ');
}

/** Read `k0`, `k1`… of a row back into a key value. */
export function keyOfRow(key: Key, row: Record<string, unknown>): string[] {
  return key.columns.map((_, i) => String(row[`k${i}`]));
}

/** `{ id: '42' }` — a key value with its column names, for messages and the ledger. */
export function namedKey(key: Key, values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  key.columns.forEach((c, i) => {
    out[c] = values[i];
  });
  return out;
}

/** `id=42` or `(org_id, id)=(1, 42)`, for messages. */
export function showKey(key: Key, values: readonly string[] | null): string {
  if (!values) return '(start)';
  if (key.columns.length === 1) return `${key.columns[0]}=${values[0]}`;
  return `(${key.columns.join(', ')})=(${values.join(', ')})`;
}

/** `key > (…) AND key <= (…)`: a batch's range as a plan shows it, before any batch has bounds. */
export function rangeShown(key: Key, qualifier?: string): string {
  const t = keyTuple(key, qualifier);
  return `${t} > (…) AND ${t} <= (…)`;
}
