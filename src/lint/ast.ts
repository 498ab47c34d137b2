/**
 * Small readers over libpg-query parse trees: relation names, ALTER TABLE commands, constraints,
 * function calls and positions. Rules use these instead of poking at raw JSON.
 */

/** A parse-tree node: `{ NodeType: body }` or a body. */
export type Node = Record<string, unknown>;

/** A `RangeVar` (table reference). */
export interface RangeVar {
  schemaname?: string;
  relname: string;
  location?: number;
  inh?: boolean;
}

/** One `ALTER TABLE` sub-command. */
export interface AlterCmd {
  subtype: string;
  name?: string;
  def?: Node;
  missing_ok?: boolean;
}

/** A `Constraint` node body. */
export interface ConstraintNode {
  contype: string;
  conname?: string;
  location?: number;
  skip_validation?: boolean;
  initially_valid?: boolean;
  indexname?: string;
  raw_expr?: Node;
  keys?: Node[];
  fk_attrs?: Node[];
  pktable?: RangeVar;
  generated_kind?: string;
}

/** A `ColumnDef` node body. */
export interface ColumnDefNode {
  colname?: string;
  typeName?: { names?: Node[]; location?: number; arrayBounds?: unknown[] };
  constraints?: Node[];
  location?: number;
}

/** The table key used to match statements about the same table: `schema.name` (schema `public` when unqualified). */
export function tableKey(rv: Pick<RangeVar, 'schemaname' | 'relname'>): string {
  return `${rv.schemaname ?? 'public'}.${rv.relname}`;
}

/** A readable table name: `name` or `schema.name`, as written. */
export function displayTable(rv: Pick<RangeVar, 'schemaname' | 'relname'>): string {
  return rv.schemaname ? `${rv.schemaname}.${rv.relname}` : rv.relname;
}

/** The `sval`s of a list of `String` nodes (qualified names, column lists). */
export function strings(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  const out: string[] = [];
  for (const item of list as Node[]) {
    const s = (item.String as { sval?: string } | undefined)?.sval;
    if (s !== undefined) out.push(s);
  }
  return out;
}

/** `ALTER TABLE` commands of an `AlterTableStmt` body. */
export function alterCmds(node: Node): AlterCmd[] {
  return ((node.cmds as Node[] | undefined) ?? []).map((c) => c.AlterTableCmd as AlterCmd).filter(Boolean);
}

/** The constraint body of a node (`{ Constraint: … }`), if it is one. */
export function asConstraint(n: Node | undefined): ConstraintNode | undefined {
  return n?.Constraint as ConstraintNode | undefined;
}

/** The column definition body of a node (`{ ColumnDef: … }`), if it is one. */
export function asColumnDef(n: Node | undefined): ColumnDefNode | undefined {
  return n?.ColumnDef as ColumnDefNode | undefined;
}

/** Constraints of a column definition. */
export function columnConstraints(col: ColumnDefNode): ConstraintNode[] {
  return (col.constraints ?? []).map((c) => c.Constraint as ConstraintNode).filter(Boolean);
}

/**
 * The constraints one `ALTER TABLE` command adds, of the given kinds: `ADD CONSTRAINT …` (kept when
 * `keep` accepts it), or declared inline on an `ADD COLUMN` (with that column's name).
 */
export function addedConstraints(
  c: AlterCmd,
  kinds: readonly string[],
  keep: (con: ConstraintNode) => boolean = () => true,
): { con: ConstraintNode; column?: string }[] {
  if (c.subtype === 'AT_AddConstraint') {
    const con = asConstraint(c.def);
    return con && kinds.includes(con.contype) && keep(con) ? [{ con }] : [];
  }
  if (c.subtype === 'AT_AddColumn') {
    const col = asColumnDef(c.def);
    return (col ? columnConstraints(col) : [])
      .filter((con) => kinds.includes(con.contype))
      .map((con) => ({ con, column: col?.colname }));
  }
  return [];
}

/** The type name of a column definition, last part lowercased (`int4`, `serial`, `varchar`). */
export function typeNameOf(col: ColumnDefNode): string {
  const parts = strings(col.typeName?.names);
  return (parts[parts.length - 1] ?? '').toLowerCase();
}

/** Every `FuncCall` name (last part, lowercased) in an expression tree, plus `nextval` for serial-like defaults. */
export function functionNames(expr: unknown): string[] {
  const out: string[] = [];
  walk(expr, (key, value) => {
    if (key === 'FuncCall') {
      const names = strings((value as Node).funcname);
      if (names.length) out.push(names[names.length - 1].toLowerCase());
    }
  });
  return out;
}

/** Depth-first walk over every `{ key: value }` pair of a tree. */
export function walk(tree: unknown, visit: (key: string, value: unknown) => void): void {
  if (Array.isArray(tree)) {
    for (const x of tree) walk(x, visit);
    return;
  }
  if (!tree || typeof tree !== 'object') return;
  for (const [k, v] of Object.entries(tree as Node)) {
    visit(k, v);
    if (v && typeof v === 'object') walk(v, visit);
  }
}

/** Every `RangeVar` in a tree (tables read or written by a query). */
export function rangeVars(tree: unknown): RangeVar[] {
  const out: RangeVar[] = [];
  walk(tree, (k, v) => {
    if (k === 'RangeVar') out.push(v as RangeVar);
  });
  return out;
}

/** Column names a CHECK expression proves NOT NULL (`a IS NOT NULL AND b IS NOT NULL` → a, b). */
export function notNullColumns(expr: Node | undefined): string[] {
  if (!expr) return [];
  const nt = expr.NullTest as { arg?: Node; nulltesttype?: string } | undefined;
  if (nt) {
    const fields = strings((nt.arg?.ColumnRef as Node | undefined)?.fields);
    return nt.nulltesttype === 'IS_NOT_NULL' && fields.length ? [fields[fields.length - 1]] : [];
  }
  const be = expr.BoolExpr as { boolop?: string; args?: Node[] } | undefined;
  if (be?.boolop === 'AND_EXPR') return (be.args ?? []).flatMap((a) => notNullColumns(a));
  return [];
}

/**
 * Converts libpg-query byte offsets (UTF-8) into JS string offsets. Pure-ASCII scripts, the
 * common case, map one to one without allocating.
 */
export class OffsetMap {
  private readonly ascii: boolean;
  private table?: Int32Array;
  constructor(private readonly text: string) {
    // eslint-disable-next-line no-control-regex
    this.ascii = !/[^\u0000-\u007f]/.test(text);
  }

  /** Character offset of a byte offset. */
  charAt(byteOffset: number): number {
    if (this.ascii || byteOffset <= 0) return Math.max(0, byteOffset);
    if (!this.table) {
      const bytes = Buffer.byteLength(this.text, 'utf8');
      const t = new Int32Array(bytes + 1);
      let b = 0;
      for (let i = 0; i < this.text.length; i++) {
        const cp = this.text.codePointAt(i)!;
        const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        for (let j = 0; j < n; j++) t[b + j] = i;
        b += n;
        if (cp >= 0x10000) i++;
      }
      t[bytes] = this.text.length;
      this.table = t;
    }
    return this.table[Math.min(byteOffset, this.table.length - 1)];
  }
}

/** 1-based line and column of a character offset, using precomputed line starts. */
export function lineColumn(lineStarts: readonly number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - lineStarts[lo] + 1 };
}

/** Character offsets where each line starts. */
export function lineStartsOf(text: string): number[] {
  const out = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) out.push(i + 1);
  return out;
}

/** A `[schema, name]` or `[name]` list as a table reference. */
export function rangeVarOf(names: string[]): RangeVar {
  return names.length > 1
    ? { schemaname: names[names.length - 2], relname: names[names.length - 1] }
    : { relname: names[0] ?? '' };
}

/** Tables a statement acts on directly (DDL target, DML target), in the order written. */
export function statementTables(type: string, n: Node): RangeVar[] {
  switch (type) {
    case 'AlterTableStmt':
    case 'IndexStmt':
    case 'ReindexStmt':
    case 'ClusterStmt':
    case 'RenameStmt':
    case 'CreateTrigStmt':
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'InsertStmt':
    case 'RefreshMatViewStmt':
    case 'AlterObjectSchemaStmt':
      return n.relation ? [n.relation as RangeVar] : [];
    case 'VacuumStmt':
      return ((n.rels as Node[] | undefined) ?? [])
        .map((r) => (r.VacuumRelation as Node | undefined)?.relation as RangeVar)
        .filter(Boolean);
    case 'LockStmt':
    case 'TruncateStmt':
      return ((n.relations as Node[] | undefined) ?? []).map((r) => r.RangeVar as RangeVar).filter(Boolean);
    case 'DropStmt':
      if (n.removeType !== 'OBJECT_TABLE') return [];
      return ((n.objects as Node[] | undefined) ?? []).map((o) =>
        rangeVarOf(strings((o.List as Node | undefined)?.items)),
      );
    default:
      return [];
  }
}

/** Index of the first token at or after `from`, skipping whitespace and `--`/`/* *\/` comments. */
export function skipTrivia(text: string, from: number, to = text.length): number {
  let i = from;
  while (i < to) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12) i++;
    else if (c === 45 && text.charCodeAt(i + 1) === 45) {
      const nl = text.indexOf('\n', i);
      i = nl === -1 ? to : nl + 1;
    } else if (c === 47 && text.charCodeAt(i + 1) === 42) {
      let depth = 1;
      i += 2;
      while (i < to && depth > 0) {
        if (text.charCodeAt(i) === 47 && text.charCodeAt(i + 1) === 42) depth++, (i += 2);
        else if (text.charCodeAt(i) === 42 && text.charCodeAt(i + 1) === 47) depth--, (i += 2);
        else i++;
      }
    } else break;
  }
  return Math.min(i, to);
}

/** The volatility a `CREATE FUNCTION` declares; none declared means VOLATILE. */
export function volatilityOf(n: Node): 'volatile' | 'stable' | 'immutable' {
  for (const o of (n.options as Node[] | undefined) ?? []) {
    const d = o.DefElem as { defname?: string; arg?: unknown } | undefined;
    if (d?.defname !== 'volatility') continue;
    const v = strings([d.arg])[0]?.toLowerCase();
    if (v === 'stable' || v === 'immutable') return v;
  }
  return 'volatile';
}

/** The view or materialized view a statement creates, if any. */
export function createdView(st: { type: string; node: Node }): { kind: 'view' | 'matview'; rv: RangeVar } | undefined {
  if (st.type === 'ViewStmt') return { kind: 'view', rv: st.node.view as RangeVar };
  if (st.type === 'CreateTableAsStmt' && st.node.objtype === 'OBJECT_MATVIEW')
    return { kind: 'matview', rv: (st.node.into as Node).rel as RangeVar };
  return undefined;
}
