/**
 * SQL fragments a plan supplies (`where`, the values of `set`, `expression`, `default`, a column's
 * type, a check's `sql`…) read by the real PostgreSQL parser: each must be exactly one thing of its
 * kind, so that embedding it — always between parentheses — can never add a statement, close a
 * parenthesis Tidemark opened, or comment out what follows it (docs/plans.md, "SQL fragments").
 * Requires {@link ensureParser} to have resolved (plan validation loads it first).
 */

import { parseStatements, pgParser, SqlSyntaxError } from './parse.js';

/**
 * What a fragment must be: one value expression, one query (SELECT, VALUES, TABLE or WITH … SELECT),
 * or one column definition (a type, optionally with column options).
 */
export type FragmentKind = 'expression' | 'query' | 'column definition';

interface Token {
  start: number;
  end: number;
  text: string;
  tokenName: string;
}

/** A query as a `throttle.when` may give one instead of an expression. */
export function looksLikeQuery(text: string): boolean {
  return /^\s*(select|with|values|table)\b/i.test(text);
}

/** The wrapper each kind is parsed in; the fragment starts at `prefix.length`. */
const WRAP: Record<Exclude<FragmentKind, 'query'>, { prefix: string; suffix: string }> = {
  expression: { prefix: 'SELECT (', suffix: ')' },
  'column definition': { prefix: 'CREATE TABLE _tidemark_probe (_c ', suffix: ')' },
};

/** 1-based column of a UTF-8 byte offset of `text`, for messages. */
function columnOf(text: string, byteOffset: number): number {
  const before = Buffer.from(text, 'utf8').subarray(0, byteOffset).toString('utf8');
  return before.length - before.lastIndexOf('\n');
}

/**
 * The tokens of the fragment on its own (strings, quoted names and comments are single tokens, so
 * a parenthesis inside them does not count); undefined when the scanner cannot read it (an
 * unterminated string or comment, which the parse then reports).
 */
function tokensOf(text: string): Token[] | undefined {
  try {
    return (pgParser().scanSync(text) as { tokens: Token[] }).tokens;
  } catch {
    return undefined;
  }
}

/** Why the brackets of the fragment do not close among themselves, if they do not. */
function bracketProblem(text: string, tokens: readonly Token[]): string | undefined {
  const open: string[] = [];
  for (const t of tokens) {
    if (t.text === '(' || t.text === '[') open.push(t.text);
    else if (t.text === ')' || t.text === ']') {
      const want = t.text === ')' ? '(' : '[';
      if (open.pop() !== want)
        return `closes a "${t.text}" it did not open (column ${columnOf(text, t.start)}): it would escape the parentheses Tidemark puts around it`;
    }
  }
  return open.length ? `leaves ${open.length} "${open[open.length - 1]}" unclosed` : undefined;
}

/** A statement type as people write it: `DeleteStmt` → `DELETE`. */
function statementName(type: string): string {
  const known: Record<string, string> = {
    InsertStmt: 'INSERT',
    UpdateStmt: 'UPDATE',
    DeleteStmt: 'DELETE',
    MergeStmt: 'MERGE',
    TransactionStmt: 'a transaction command',
    VariableSetStmt: 'SET',
  };
  return (
    known[type] ??
    type
      .replace(/Stmt$/, '')
      .replace(/([a-z])([A-Z])/g, '$1 $2')
      .toUpperCase()
  );
}

/** Parse `sql`; the syntax error's message (with its column in the fragment) when it does not parse. */
function parse(sql: string, offset: number): ReturnType<typeof parseStatements> | string {
  try {
    return parseStatements(sql);
  } catch (e) {
    if (!(e instanceof SqlSyntaxError)) throw e;
    const col = e.offset - offset;
    return `does not parse: ${e.message}${col >= 0 ? ` (column ${col + 1})` : ''}`;
  }
}

/**
 * Why `text` is not exactly one {@link FragmentKind}, or undefined when it is. An expression or a
 * column definition is parsed inside the statement it is embedded in (`SELECT (<text>)`), its
 * brackets must close among themselves, and it must not end in a `--` comment (which would swallow
 * the parenthesis Tidemark appends). A query is parsed alone and must be one SELECT-like statement.
 */
export function fragmentProblem(text: string, kind: FragmentKind): string | undefined {
  if (!text.trim()) return 'must not be empty';
  const tokens = tokensOf(text);
  if (kind === 'query') {
    const stmts = parse(text, 0);
    if (typeof stmts === 'string') return stmts;
    if (stmts.length !== 1)
      return `holds ${stmts.length} statements: it must be exactly one query (SELECT, VALUES, TABLE or WITH … SELECT)`;
    if (stmts[0].type !== 'SelectStmt')
      return `is ${statementName(stmts[0].type)}: it must be one query (SELECT, VALUES, TABLE or WITH … SELECT), which runs read-only`;
    return undefined;
  }
  if (tokens) {
    const b = bracketProblem(text, tokens);
    if (b) return b;
    const last = tokens[tokens.length - 1];
    const after = Buffer.from(text, 'utf8')
      .subarray(last?.end ?? 0)
      .toString('utf8');
    if (last?.tokenName === 'SQL_COMMENT' && !after.includes('\n'))
      return `ends in a "--" comment (column ${columnOf(text, last.start)}), which would swallow what Tidemark writes after it: end the comment with a line break or use /* … */`;
  }
  const { prefix, suffix } = WRAP[kind];
  const stmts = parse(`${prefix}${text}${suffix}`, prefix.length);
  if (typeof stmts === 'string') return stmts;
  const [s] = stmts;
  if (stmts.length !== 1) return `holds ${stmts.length} statements: it must be exactly one ${kind}`;
  if (kind === 'expression') {
    const n = s.node as { targetList?: unknown[] };
    const extra = Object.keys(n).filter((k) => !['targetList', 'limitOption', 'op'].includes(k));
    if (s.type !== 'SelectStmt' || n.targetList?.length !== 1 || extra.length)
      return 'must be exactly one SQL expression';
  } else {
    const n = s.node as { tableElts?: { ColumnDef?: unknown }[] };
    if (s.type !== 'CreateStmt' || n.tableElts?.length !== 1 || !n.tableElts[0].ColumnDef)
      return 'must be exactly one column definition (a type, optionally with column options)';
  }
  return undefined;
}
