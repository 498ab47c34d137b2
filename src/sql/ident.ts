/**
 * Identifier quoting. Every table, column, type, index and constraint name Tidemark puts into SQL
 * goes through {@link quoteIdent}; values never do (they are passed as parameters).
 */

/** A table or type name: `'orders'`, `'billing.invoices'`, or `{ schema, name }` when the name holds a dot. */
export type RelationName = string | { schema?: string; name: string };

/** PostgreSQL's NAMEDATALEN - 1: longer names are silently truncated by the server, so we refuse them. */
export const MAX_IDENT_BYTES = 63;

/** Quote an identifier: `"…"` with embedded quotes doubled. Case is kept (`MessageThread` stays so). */
export function quoteIdent(name: string): string {
  if (name.includes('\u0000')) throw new Error('identifier contains a NUL byte');
  return `"${name.replace(/"/g, '""')}"`;
}

/** A relation split into schema and name. `schema` is undefined when the search_path decides. */
export interface QualifiedName {
  schema?: string;
  name: string;
}

/**
 * Parse a user-written relation name: `'orders'`, `'billing.invoices'` or `{ schema?, name }`.
 * A string with more than one dot is ambiguous and rejected; use the object form.
 */
export function parseRelation(rel: RelationName): QualifiedName {
  if (typeof rel !== 'string') return { schema: rel.schema, name: rel.name };
  const parts = rel.split('.');
  if (parts.length === 1) return { name: rel };
  if (parts.length === 2 && parts[0] && parts[1]) return { schema: parts[0], name: parts[1] };
  throw new Error(`ambiguous name "${rel}": write { schema, name } when a name contains a dot`);
}

/** `"schema"."name"` or `"name"`. */
export function quoteRelation(rel: RelationName | QualifiedName): string {
  const q = typeof rel === 'string' ? parseRelation(rel) : rel;
  return q.schema ? `${quoteIdent(q.schema)}.${quoteIdent(q.name)}` : quoteIdent(q.name);
}

/** A readable `schema.name` for messages. */
export function displayRelation(rel: RelationName | QualifiedName): string {
  const q = typeof rel === 'string' ? parseRelation(rel) : rel;
  return q.schema ? `${q.schema}.${q.name}` : q.name;
}

/** Problems with a name, or undefined when it is usable: empty, NUL, or over 63 bytes. */
export function identProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.includes('\u0000')) return 'must not contain a NUL byte';
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_IDENT_BYTES) {
    return `is ${bytes} bytes long; PostgreSQL would silently truncate it to ${MAX_IDENT_BYTES}`;
  }
  return undefined;
}

/**
 * A deterministic generated name (index, constraint, trigger) within 63 bytes: the readable parts
 * joined by `_`, shortened with a stable hash suffix when too long.
 */
export function generatedName(parts: string[], suffix: string, hash: (s: string) => string): string {
  const base = `${parts.join('_')}_${suffix}`;
  if (Buffer.byteLength(base, 'utf8') <= MAX_IDENT_BYTES) return base;
  const h = hash(base).slice(0, 8);
  const tail = `_${h}_${suffix}`;
  let head = parts.join('_');
  // Shorten by code points, never cutting a character (an emoji is two UTF-16 units) in half.
  let chars = Array.from(head);
  while (Buffer.byteLength(chars.join('') + tail, 'utf8') > MAX_IDENT_BYTES) chars = chars.slice(0, -1);
  head = chars.join('');
  return head + tail;
}
