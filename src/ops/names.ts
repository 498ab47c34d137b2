/**
 * Generated names for the indexes and constraints `op.*` steps create: PostgreSQL's own
 * conventions (`<table>_<columns>_idx`, `_key`, `_fkey`), deterministic, readable and within 63
 * bytes (a stable hash replaces the tail of a name that would be longer).
 */

import type { RelationName } from '../model/plan.js';
import { sha256 } from '../sql/checksum.js';
import { generatedName, parseRelation } from '../sql/ident.js';

const hash = (s: string) => sha256(s);

/** The bare table name (no schema) of a relation, as generated names start with it. */
function tableName(table: RelationName): string {
  return parseRelation(table).name;
}

/** A UTF-16 surrogate left without its pair (a shortened name may cut an emoji in half). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * A generated name from readable parts and a suffix, at most 63 bytes. When shortening cuts a
 * character made of two UTF-16 units in half, the orphaned half is dropped: it would reach the
 * server as U+FFFD and the catalog name would no longer be the one we look up.
 */
export function opName(parts: string[], suffix: string): string {
  return generatedName(parts, suffix, hash).replace(LONE_SURROGATE, '');
}

/** `<table>_<columns>_idx`; `expr` for expressions, plus a short hash when the index is partial or has expressions. */
export function indexName(table: RelationName, columns: string[], distinguish?: string): string {
  const parts = [tableName(table), ...columns];
  if (distinguish) parts.push(hash(distinguish).slice(0, 8));
  return opName(parts, 'idx');
}

/** `<table>_<columns>_key`: a unique constraint (and the index behind it). */
export function uniqueName(table: RelationName, columns: string[]): string {
  return opName([tableName(table), ...columns], 'key');
}

/** `<table>_<columns>_fkey`: a foreign key. */
export function foreignKeyName(table: RelationName, columns: string[]): string {
  return opName([tableName(table), ...columns], 'fkey');
}

/**
 * `<table>_<column>_not_null_check`: the temporary CHECK that lets `SET NOT NULL` skip its scan.
 * Distinct from `<table>_<column>_not_null`, the name PostgreSQL 18 gives the NOT NULL constraint itself.
 */
export function notNullCheckName(table: RelationName, column: string): string {
  return opName([tableName(table), column], 'not_null_check');
}
