/**
 * Raw SQL through the real PostgreSQL parser (libpg-query): split a script into statements with
 * their positions, and classify the table lock each takes. Used by `sql` steps, `plan` and lint.
 */
import type * as LibPgQuery from 'libpg-query';
import type { LockMode } from './lock-modes.js';

/**
 * Importing `libpg-query` compiles its WebAssembly, so it is imported on first use rather than at
 * load: a command that parses no SQL (`--help`, `status`) does not pay for it (docs/architecture.md,
 * "Start-up"). `parser` stands for the static import it replaces, set once when the module is ready.
 * Module state on purpose: a load-once cache of an immutable module, the same for every caller and
 * never changed or reset once loaded — nothing a run, a test or a second invocation could see differ.
 */
let loaded: Promise<void> | undefined;
let parser: typeof LibPgQuery | undefined;
/** Load the parser's WebAssembly module once. */
export function ensureParser(): Promise<void> {
  loaded ??= import('libpg-query').then(async (m) => {
    await m.loadModule();
    parser = m;
  });
  return loaded;
}

/** libpg-query's synchronous functions (`parseSync`, `scanSync`, `parsePlPgSQLSync`). Requires {@link ensureParser} to have resolved. */
export function pgParser(): typeof LibPgQuery {
  if (!parser) throw new Error('the SQL parser is not loaded yet: await ensureParser() first');
  return parser;
}

/** One statement of a script. Offsets are character offsets into the script. */
export interface ParsedStatement {
  text: string;
  start: number;
  end: number;
  /** The node type, e.g. `IndexStmt`, and its body. */
  type: string;
  node: Record<string, unknown>;
}

/** A syntax error with its position (1-based line and column). */
export class SqlSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
    readonly offset: number,
  ) {
    super(message);
  }
}

/**
 * UTF-8 byte offsets (what the parser reports) → character offsets in the JS string, built in one
 * pass so splitting a large script stays linear. ASCII scripts map to themselves.
 */
function byteToChar(sql: string): (byteOffset: number) => number {
  const byteLength = Buffer.byteLength(sql, 'utf8');
  if (byteLength === sql.length) return (b) => b;
  const map = new Uint32Array(byteLength + 1);
  let b = 0;
  for (let i = 0; i < sql.length; i++) {
    const code = sql.codePointAt(i)!;
    const n = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    for (let k = 0; k < n; k++) map[b + k] = i;
    b += n;
    if (code >= 0x10000) i++; // a surrogate pair is one code point
  }
  map[byteLength] = sql.length;
  return (off) => map[Math.min(Math.max(off, 0), byteLength)];
}

/** Line and column (1-based) of a character offset. */
export function lineCol(sql: string, offset: number): { line: number; column: number } {
  const before = sql.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

/** Parse a script into statements. Requires {@link ensureParser} to have resolved. */
export function parseStatements(sql: string): ParsedStatement[] {
  let tree: { stmts?: { stmt: Record<string, Record<string, unknown>>; stmt_location?: number; stmt_len?: number }[] };
  try {
    tree = pgParser().parseSync(sql) as typeof tree;
  } catch (e) {
    const err = e as { message: string; sqlDetails?: { cursorPosition?: number } };
    // PostgreSQL reports error positions in characters (code points), 0-based here; JS strings
    // count UTF-16 units, so walk code points to find the offset.
    const pos = Math.max(0, err.sqlDetails?.cursorPosition ?? 0);
    const off = Array.from(sql).slice(0, pos).join('').length;
    const { line, column } = lineCol(sql, off);
    throw new SqlSyntaxError(err.message, line, column, off);
  }
  const bytes = Buffer.from(sql, 'utf8');
  const toChar = byteToChar(sql);
  const out: ParsedStatement[] = [];
  for (const s of tree.stmts ?? []) {
    const startB = s.stmt_location ?? 0;
    const endB = s.stmt_len ? startB + s.stmt_len : bytes.length;
    const raw = bytes.subarray(startB, endB).toString('utf8');
    const lead = raw.length - raw.trimStart().length;
    const start = toChar(startB) + lead;
    const text = raw.trim();
    const type = Object.keys(s.stmt)[0];
    out.push({ text, start, end: start + text.length, type, node: s.stmt[type] });
  }
  return out;
}

/** How a statement must be run. */
export interface StatementTraits {
  lock: LockMode;
  /** Cannot run inside a transaction block (CONCURRENTLY, VACUUM, …). */
  nonTransactional: boolean;
  /** Blocks neither reads nor writes but waits for older transactions: no short lock_timeout. */
  waits: boolean;
}

const AE: StatementTraits = { lock: 'ACCESS EXCLUSIVE', nonTransactional: false, waits: false };

/** Classify a parsed statement's lock and transaction needs (conservative: unknown DDL = ACCESS EXCLUSIVE). */
export function statementTraits(st: Pick<ParsedStatement, 'type' | 'node'>): StatementTraits {
  const n = st.node as Record<string, unknown>;
  switch (st.type) {
    case 'SelectStmt':
      return { lock: 'ACCESS SHARE', nonTransactional: false, waits: false };
    case 'InsertStmt':
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'MergeStmt':
      return { lock: 'ROW EXCLUSIVE', nonTransactional: false, waits: false };
    case 'IndexStmt':
      return n.concurrent
        ? { lock: 'SHARE UPDATE EXCLUSIVE', nonTransactional: true, waits: true }
        : { lock: 'SHARE', nonTransactional: false, waits: false };
    case 'ReindexStmt': {
      const params = (n.params as { DefElem?: { defname?: string } }[] | undefined) ?? [];
      const conc = params.some((p) => p.DefElem?.defname === 'concurrently');
      return conc ? { lock: 'SHARE UPDATE EXCLUSIVE', nonTransactional: true, waits: true } : AE;
    }
    case 'DropStmt':
      return n.concurrent ? { lock: 'SHARE UPDATE EXCLUSIVE', nonTransactional: true, waits: true } : AE;
    case 'VacuumStmt':
      return { lock: 'SHARE UPDATE EXCLUSIVE', nonTransactional: !!n.is_vacuumcmd, waits: true };
    case 'CreateStmt':
    case 'CreateEnumStmt':
    case 'CompositeTypeStmt':
    case 'CreateSeqStmt':
    case 'CreateSchemaStmt':
    case 'CreateFunctionStmt':
    case 'CreateExtensionStmt':
    case 'ViewStmt':
    case 'CommentStmt':
    case 'VariableSetStmt':
    case 'CreateTableAsStmt':
      return { lock: 'none', nonTransactional: false, waits: false };
    case 'CreatedbStmt':
    case 'DropdbStmt':
    case 'AlterSystemStmt':
      return { lock: 'none', nonTransactional: true, waits: false };
    case 'CreateTrigStmt':
      return { lock: 'SHARE ROW EXCLUSIVE', nonTransactional: false, waits: false };
    case 'AlterEnumStmt':
      return { lock: 'ACCESS EXCLUSIVE', nonTransactional: false, waits: false };
    case 'LockStmt': {
      const modes: LockMode[] = [
        'none',
        'ACCESS SHARE',
        'ROW SHARE',
        'ROW EXCLUSIVE',
        'SHARE UPDATE EXCLUSIVE',
        'SHARE',
        'SHARE ROW EXCLUSIVE',
        'EXCLUSIVE',
        'ACCESS EXCLUSIVE',
      ];
      return { lock: modes[(n.mode as number) ?? 8] ?? 'ACCESS EXCLUSIVE', nonTransactional: false, waits: false };
    }
    case 'AlterTableStmt': {
      const cmds = ((n.cmds as { AlterTableCmd: Record<string, unknown> }[]) ?? []).map((c) => c.AlterTableCmd);
      if (cmds.length && cmds.every((c) => c.subtype === 'AT_ValidateConstraint')) {
        return { lock: 'SHARE UPDATE EXCLUSIVE', nonTransactional: false, waits: true };
      }
      const onlyFk =
        cmds.length > 0 &&
        cmds.every((c) => {
          const con = (c.def as { Constraint?: { contype?: string } } | undefined)?.Constraint;
          return c.subtype === 'AT_AddConstraint' && con?.contype === 'CONSTR_FOREIGN';
        });
      return onlyFk ? { lock: 'SHARE ROW EXCLUSIVE', nonTransactional: false, waits: false } : AE;
    }
    default:
      return AE;
  }
}
