/**
 * Key ranges in SQL. A batch covers the half-open key range (lo, hi] in key order; cursor values
 * travel as text parameters cast to the key's types, so any key type (bigint, uuid, text,
 * timestamps, composites) round-trips exactly. Identifiers are quoted; values are parameters.
 */
import { quoteIdent } from '../sql/ident.js';
import type { KeyInfo } from './key.js';

/** One batch's key range: (lo, hi]. `lo` null = from the start; `exact`: only the row whose key is `hi`. Values in PostgreSQL's text form. */
export interface KeyRange {
  lo: string[] | null;
  hi: string[];
  exact?: boolean;
}

/** Where parameters go: a growing parameter list that returns `$n` placeholders. */
export class Params {
  readonly values: unknown[] = [];
  constructor(start: unknown[] = []) {
    this.values.push(...start);
  }
  /** Add a value and return its placeholder. */
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

/** `"a"` or `("a", "b")`, optionally qualified by a relation (`"T"."a"`). */
export function keyTuple(key: KeyInfo, qualifier?: string): string {
  const cols = key.columns.map((c) => (qualifier ? `${qualifier}.${quoteIdent(c)}` : quoteIdent(c)));
  return cols.length === 1 ? cols[0] : `(${cols.join(', ')})`;
}

/** `$1::bigint` or `($1::int, $2::text)` for a key value. */
export function keyValue(key: KeyInfo, values: string[], p: Params): string {
  const parts = key.columns.map((_, i) => `${p.add(values[i])}::${key.types[i]}`);
  return parts.length === 1 ? parts[0] : `(${parts.join(', ')})`;
}

/** `ORDER BY "a", "b"` (or DESC). */
export function keyOrder(key: KeyInfo, desc = false, qualifier?: string): string {
  return key.columns.map((c) => `${qualifier ? `${qualifier}.` : ''}${quoteIdent(c)}${desc ? ' DESC' : ''}`).join(', ');
}

/** `key > lo AND key <= hi` (the lower bound omitted at the start). */
export function rangePredicate(key: KeyInfo, range: KeyRange, p: Params, qualifier?: string): string {
  const t = keyTuple(key, qualifier);
  if (range.exact) return `${t} = ${keyValue(key, range.hi, p)}`;
  const parts: string[] = [];
  if (range.lo) parts.push(`${t} > ${keyValue(key, range.lo, p)}`);
  parts.push(`${t} <= ${keyValue(key, range.hi, p)}`);
  return parts.join(' AND ');
}

/** `key = value` for one row. */
export function keyEquals(key: KeyInfo, values: string[], p: Params, qualifier?: string): string {
  return `${keyTuple(key, qualifier)} = ${keyValue(key, values, p)}`;
}

/** The key columns selected as text, aliased `k0`, `k1`… */
export function keyAsText(key: KeyInfo, qualifier?: string): string {
  return key.columns.map((c, i) => `${qualifier ? `${qualifier}.` : ''}${quoteIdent(c)}::text AS k${i}`).join(', ');
}

/** Read `k0`, `k1`… of a row back into a key value. */
export function keyOfRow(key: KeyInfo, row: Record<string, unknown>): string[] {
  return key.columns.map((_, i) => String(row[`k${i}`]));
}

/** `{ id: '42' }` — a key value with its column names, for messages and the ledger. */
export function namedKey(key: KeyInfo, values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  key.columns.forEach((c, i) => {
    out[c] = values[i];
  });
  return out;
}

/** `id=42` or `(org_id, id)=(1, 42)`, for messages. */
export function showKey(key: KeyInfo, values: string[] | null): string {
  if (!values) return '(start)';
  if (key.columns.length === 1) return `${key.columns[0]}=${values[0]}`;
  return `(${key.columns.join(', ')})=(${values.join(', ')})`;
}
