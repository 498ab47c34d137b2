/**
 * The statements the linter analyses in a script, the way real migration files need them:
 * - a syntax error does not hide the file: the script is split at statement boundaries by
 *   PostgreSQL's own scanner (quotes, dollar quotes and comments respected) and every statement
 *   that parses is still analysed — a templated file (`{{ .Namespace }}`) keeps its findings;
 * - `DO $$ … $$` blocks are looked into: the PL/pgSQL parser lists their static SQL and `EXECUTE`s
 *   of a literal string, which are analysed as statements in one transaction, with positions inside
 *   the block.
 * Inner SQL is parsed on its own and its node locations shifted by where it stands, so they stay
 * byte offsets of the whole script, as rules expect. See docs/lint.md.
 */
import { type ParsedStatement, pgParser, SqlSyntaxError } from '../sql/parse.js';
import { lineColumn, lineStartsOf, OffsetMap } from './ast.js';

/** A statement of the script; `inDoBlock` when it stands inside a `DO` block. */
export interface ScriptStatement extends ParsedStatement {
  inDoBlock?: boolean;
}

type RawTree = {
  stmts?: { stmt: Record<string, Record<string, unknown>>; stmt_location?: number; stmt_len?: number }[];
};

const byteLen = (s: string) => Buffer.byteLength(s, 'utf8');

/** Add `by` to every known `location` in a parse tree (in place). */
function shiftLocations(n: unknown, by: number): void {
  if (Array.isArray(n)) for (const x of n) shiftLocations(x, by);
  else if (n && typeof n === 'object') {
    const o = n as Record<string, unknown>;
    for (const [k, v] of Object.entries(o)) {
      if (k === 'location' && typeof v === 'number' && v >= 0) o[k] = v + by;
      else if (v && typeof v === 'object') shiftLocations(v, by);
    }
  }
}

/**
 * Parse `content`, which stands at `startChar` (`startByte`) of `text`. Statement offsets are
 * offsets of `text`; node locations are byte offsets of `text`.
 */
function parseAt(text: string, offsets: OffsetMap, content: string, startChar: number, startByte: number) {
  const local = new OffsetMap(content);
  let tree: RawTree;
  try {
    tree = pgParser().parseSync(content) as RawTree;
  } catch (e) {
    const err = e as { message: string; sqlDetails?: { cursorPosition?: number } };
    const at = startByte + Math.max(0, err.sqlDetails?.cursorPosition ?? 0);
    const off = offsets.charAt(at);
    const { line, column } = lineColumn(lineStartsOf(text), off);
    throw new SqlSyntaxError(err.message, line, column, off);
  }
  const out: ScriptStatement[] = [];
  const contentBytes = byteLen(content);
  for (const s of tree.stmts ?? []) {
    if (startByte) shiftLocations(s.stmt, startByte);
    const startB = s.stmt_location ?? 0;
    const endB = s.stmt_len ? startB + s.stmt_len : contentBytes;
    let start = local.charAt(startB);
    let end = local.charAt(endB);
    while (start < end && /\s/.test(content[start])) start++;
    while (end > start && /\s/.test(content[end - 1])) end--;
    const type = Object.keys(s.stmt)[0];
    out.push({
      text: content.slice(start, end),
      start: startChar + start,
      end: startChar + end,
      type,
      node: s.stmt[type],
    });
  }
  return out;
}

/** Split at top-level semicolons with PostgreSQL's scanner and parse each piece on its own. */
function recover(
  text: string,
  offsets: OffsetMap,
  first: SqlSyntaxError,
): { statements: ScriptStatement[]; errors: SqlSyntaxError[] } {
  let tokens: { start: number; end: number; text: string }[];
  try {
    tokens = (pgParser().scanSync(text) as { tokens: { start: number; end: number; text: string }[] }).tokens;
  } catch {
    return { statements: [], errors: [first] };
  }
  const bounds: number[] = [0];
  for (const t of tokens) if (t.text === ';') bounds.push(t.end);
  const total = byteLen(text);
  if (bounds[bounds.length - 1] < total) bounds.push(total);
  const statements: ScriptStatement[] = [];
  const errors: SqlSyntaxError[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const startChar = offsets.charAt(bounds[i]);
    const piece = text.slice(startChar, offsets.charAt(bounds[i + 1]));
    if (!piece.trim()) continue;
    try {
      statements.push(...parseAt(text, offsets, piece, startChar, bounds[i]));
    } catch (e) {
      if (!(e instanceof SqlSyntaxError)) throw e;
      errors.push(e);
    }
  }
  return { statements, errors: errors.length ? errors : [first] };
}

/** The SQL a PL/pgSQL body runs: static statements and `EXECUTE '<literal>'`, with their line in the body. */
function plpgsqlStatements(body: string): { sql: string; line: number; literal: boolean }[] {
  let tag = 'tm_do';
  while (body.includes(`$${tag}$`)) tag += '_';
  let tree: unknown;
  try {
    tree = pgParser().parsePlPgSQLSync(
      `CREATE FUNCTION tidemark_do() RETURNS void LANGUAGE plpgsql AS $${tag}$${body}$${tag}$`,
    );
  } catch {
    return [];
  }
  const out: { sql: string; line: number; literal: boolean }[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) for (const x of n) walk(x);
    else if (n && typeof n === 'object') {
      for (const [k, v] of Object.entries(n as Record<string, unknown>)) {
        const s = v as { lineno?: number; sqlstmt?: { PLpgSQL_expr?: { query?: string } } };
        if (k === 'PLpgSQL_stmt_execsql' && s.sqlstmt?.PLpgSQL_expr?.query)
          out.push({ sql: s.sqlstmt.PLpgSQL_expr.query, line: s.lineno ?? 1, literal: false });
        else if (k === 'PLpgSQL_stmt_dynexecute') {
          const q = (v as { query?: { PLpgSQL_expr?: { query?: string } } }).query?.PLpgSQL_expr?.query ?? '';
          if (/^'(?:[^']|'')*'$/.test(q)) out.push({ sql: q, line: s.lineno ?? 1, literal: true });
        }
        walk(v);
      }
    }
  };
  walk(tree);
  return out;
}

/** The statements inside a `DO` block (PL/pgSQL, dollar-quoted body), positioned in `text`. */
function doBlockStatements(text: string, offsets: OffsetMap, st: ScriptStatement): ScriptStatement[] {
  const args = (st.node.args as { DefElem?: { defname?: string; arg?: { String?: { sval?: string } } } }[]) ?? [];
  const lang = args.find((a) => a.DefElem?.defname === 'language')?.DefElem?.arg?.String?.sval;
  const body = args.find((a) => a.DefElem?.defname === 'as')?.DefElem?.arg?.String?.sval;
  if (body === undefined || (lang && lang.toLowerCase() !== 'plpgsql')) return [];
  const open = /\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(st.text);
  if (!open || !st.text.startsWith(body, open.index + open[0].length)) return [];
  const bodyStart = st.start + open.index + open[0].length;
  const lineStarts = lineStartsOf(body);
  const out: ScriptStatement[] = [];
  for (const inner of plpgsqlStatements(body)) {
    const from = lineStarts[Math.min(inner.line, lineStarts.length) - 1] ?? 0;
    let at = body.indexOf(inner.sql, from);
    if (at < 0) at = body.indexOf(inner.sql);
    let sql = inner.sql;
    if (inner.literal) {
      sql = inner.sql.slice(1, -1).replace(/''/g, "'");
      at = at < 0 ? from : at + 1;
    } else if (at < 0) at = from;
    const startChar = bodyStart + at;
    try {
      for (const s of parseAt(text, offsets, sql, startChar, byteLen(text.slice(0, startChar))))
        out.push({ ...s, inDoBlock: true });
    } catch {
      // A statement the SQL parser cannot read on its own (it names PL/pgSQL variables): not analysed.
    }
  }
  return out;
}

/**
 * Every statement of `text`, `DO` blocks expanded in place, and the syntax errors met (empty when
 * the script parses). Requires the parser to be loaded (`ensureParser()`).
 */
export function readStatements(
  text: string,
  offsets: OffsetMap,
): { statements: ScriptStatement[]; errors: SqlSyntaxError[] } {
  let statements: ScriptStatement[];
  let errors: SqlSyntaxError[] = [];
  try {
    statements = parseAt(text, offsets, text, 0, 0);
  } catch (e) {
    if (!(e instanceof SqlSyntaxError)) throw e;
    ({ statements, errors } = recover(text, offsets, e));
  }
  const out: ScriptStatement[] = [];
  for (const st of statements) {
    out.push(st);
    if (st.type === 'DoStmt') out.push(...doBlockStatements(text, offsets, st));
  }
  return { statements: out, errors };
}
