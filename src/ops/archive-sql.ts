/**
 * Small SQL-text helpers shared by the archive and shadow-column machinery: dollar quoting for
 * function bodies, key-tuple fragments for key-range batches, and `quoteLiteral` (re-exported)
 * for the DDL that takes no parameters. Identifiers still go through `quoteIdent`; every value
 * that can be a parameter is one.
 */
import { quoteIdent } from '../sql/ident.js';

/** A SQL string literal for DDL that takes no parameters (PostgreSQL's quote_literal). */
export { quoteLiteral } from '../sql/text.js';

/** Wrap a function body in a dollar quote whose tag does not occur inside it. */
export function dollarQuote(body: string): string {
  let tag = '$tm$';
  for (let i = 0; body.includes(tag); i++) tag = `$tm${i}$`;
  return `${tag}${body}${tag}`;
}

/** A key column: its name and its SQL type (`format_type`), for casting text cursors back. */
export interface KeyColumn {
  name: string;
  type: string;
}

/** `"a", "b"` — the key columns, optionally qualified by an alias or quoted table. */
export function keyList(key: readonly KeyColumn[], qualifier?: string): string {
  return key.map((k) => (qualifier ? `${qualifier}.${quoteIdent(k.name)}` : quoteIdent(k.name))).join(', ');
}

/** `("a", "b")` or `"a"` for a single column: the left side of a key comparison. */
export function keyTuple(key: readonly KeyColumn[], qualifier?: string): string {
  const l = keyList(key, qualifier);
  return key.length === 1 ? l : `(${l})`;
}

/** `($1::int, $2::text)`: the right side of a key comparison, from text parameters starting at `first`. */
export function paramTuple(key: readonly KeyColumn[], first: number): string {
  const p = key.map((k, i) => `$${first + i}::${k.type}`).join(', ');
  return key.length === 1 ? p : `(${p})`;
}

/** `"a"::text, "b"::text`: the key as text, for cursors that survive JSON and any key type. */
export function keyAsText(key: readonly KeyColumn[], qualifier?: string): string {
  return key.map((k, i) => `${qualifier ? `${qualifier}.` : ''}${quoteIdent(k.name)}::text AS k${i}`).join(', ');
}
