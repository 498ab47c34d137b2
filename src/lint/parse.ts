/**
 * Splitting a script into statements for the linter, in linear time: one call to the real
 * PostgreSQL parser (libpg-query), byte offsets mapped to string offsets once per script.
 * (`sql/parse.ts` re-encodes the script for every statement, which is quadratic on the
 * multi-thousand-statement files linters meet, such as schema dumps.)
 */
import { type ParsedStatement, pgParser, SqlSyntaxError } from '../sql/parse.js';
import { lineColumn, lineStartsOf, type OffsetMap } from './ast.js';

type RawTree = {
  stmts?: { stmt: Record<string, Record<string, unknown>>; stmt_location?: number; stmt_len?: number }[];
};

/** Parse `text` into statements (offsets are string offsets). Requires `ensureParser()` to have resolved. */
export function parseScript(text: string, offsets: OffsetMap, byteLength: number): ParsedStatement[] {
  let tree: RawTree;
  try {
    tree = pgParser().parseSync(text) as RawTree;
  } catch (e) {
    const err = e as { message: string; sqlDetails?: { cursorPosition?: number } };
    const off = offsets.charAt(Math.max(0, err.sqlDetails?.cursorPosition ?? 0));
    const { line, column } = lineColumn(lineStartsOf(text), off);
    throw new SqlSyntaxError(err.message, line, column, off);
  }
  const out: ParsedStatement[] = [];
  for (const s of tree.stmts ?? []) {
    const startB = s.stmt_location ?? 0;
    const endB = s.stmt_len ? startB + s.stmt_len : byteLength;
    let start = offsets.charAt(startB);
    let end = offsets.charAt(endB);
    while (start < end && /\s/.test(text[start])) start++;
    while (end > start && /\s/.test(text[end - 1])) end--;
    const type = Object.keys(s.stmt)[0];
    out.push({ text: text.slice(start, end), start, end, type, node: s.stmt[type] });
  }
  return out;
}
