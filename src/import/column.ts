/**
 * A column definition as written: its name, its type's text, and each constraint's text, cut at
 * the constraints' positions in the parse tree (`"karma" integer DEFAULT 0 NOT NULL` → type
 * `integer`, default `0`, NOT NULL).
 */
import type { ColumnDefNode, ConstraintNode } from '../lint/ast.js';
import { columnConstraints, functionNames } from '../lint/ast.js';
import { volatileCalls } from '../sql/text.js';
import type { SourceText } from './source-text.js';

/** A column definition's parts. */
export interface ColumnParts {
  name: string;
  /** The type as written, collation included (`TIMESTAMP(3)`, `varchar(20) COLLATE "C"`). */
  type: string;
  /** Everything after the name (type and constraints), as written. */
  definition: string;
  constraints: { con: ConstraintNode; text: string }[];
}

/** Cut a column definition standing in bytes `[start, end)` of the statement. */
export function columnParts(src: SourceText, col: ColumnDefNode, start: number, end: number): ColumnParts {
  const at = src.tokenAt(Math.max(col.location ?? start, start));
  const afterName = at + 1 < src.tokens.length ? src.tokens[at + 1].start : end;
  const cons = columnConstraints(col)
    .filter((c) => typeof c.location === 'number' && c.location >= start && c.location < end)
    .sort((a, b) => (a.location ?? 0) - (b.location ?? 0));
  const bounds = [...cons.map((c) => c.location as number), end];
  return {
    name: col.colname ?? '',
    type: src.slice(afterName, Math.min(bounds[0], end)),
    definition: src.slice(afterName, end),
    constraints: cons.map((con, i) => ({ con, text: src.slice(bounds[i], bounds[i + 1]) })),
  };
}

/** The expression of a `DEFAULT expr` constraint's text. */
export function defaultExpression(text: string): string {
  return text.replace(/^DEFAULT\s+/i, '').trim();
}

/**
 * Functions whose value does not change within a statement: a default built only from these (and
 * constants) is stored once in the catalog and fills existing rows without a rewrite.
 */
const NON_VOLATILE = new Set(['now', 'transaction_timestamp', 'statement_timestamp', 'current_setting']);

/**
 * True when a default calls a function that may return a different value per row
 * (`gen_random_uuid()`, `nextval`): the known volatile ones, and any function not known to be stable.
 */
export function volatileDefault(con: ConstraintNode, text: string): boolean {
  return volatileCalls(text).length > 0 || functionNames(con.raw_expr).some((f) => !NON_VOLATILE.has(f));
}

/** The condition of a `[CONSTRAINT name] CHECK (expr) …` text: what stands inside its parentheses. */
export function checkExpression(src: SourceText, from: number, to: number): string | undefined {
  const i = src.find('CHECK', src.tokenAt(from));
  if (i < 0 || src.tokens[i].start >= to) return undefined;
  const open = i + 1;
  if (src.tokens[open]?.text !== '(') return undefined;
  const close = src.closing(open);
  return src.slice(src.tokens[open].end, src.tokens[close].start);
}
