/**
 * The names a plan's steps use, and the schema they will meet: the live catalog plus what earlier
 * steps of the plan create (`op.createTable`, `op.addColumn`, and the `CREATE TABLE` / `ADD
 * COLUMN` / renames of raw SQL, read with the PostgreSQL parser). Used before the first step so a
 * misspelt table or column in the fourth step is refused before the first one changes anything
 * (docs/plans.md, "Checked before the first step").
 */

import type { Queryable } from '../db/connection.js';
import { alterCmds, asColumnDef, type Node, type RangeVar } from '../lint/ast.js';
import { stepScripts } from '../lint/plan-model.js';
import type { Plan, PlannedStep, RelationName } from '../model/plan.js';
import { stepKind } from '../plan/registry.js';
import { parseRelation } from '../sql/ident.js';
import { ensureParser, parseStatements } from '../sql/parse.js';

/** A table, or one of its columns, named by a field of a step's options. */
export interface NameRef {
  field: string;
  table: RelationName;
  column?: string;
}

/** A SQL fragment of a step's options, over `table` (its FROM), prepared before the first step. */
export interface FragmentRef {
  field: string;
  /** The table the fragment is evaluated over; none for a whole query (`check.query`). */
  table?: RelationName;
  /** `expr`: a value (`set`, `values`); `where`: a condition; `query`: a whole statement. */
  as: 'expr' | 'where' | 'query';
  sql: string;
}

/** What a column of the planned schema is known by. */
export interface PlannedColumn {
  /** Its SQL type or column definition as the plan gives it; unknown for raw SQL. */
  def?: string;
  /** The step that creates it; absent for a live column. */
  by?: string;
  /** Created by raw SQL (its type is not read). */
  raw?: boolean;
}

/** One table of the planned schema. */
export interface PlannedTable {
  schema: string;
  name: string;
  live: boolean;
  columns: Map<string, PlannedColumn>;
  /** Created by this step (absent: it exists now). */
  createdBy?: string;
  /** A raw SQL step created or changed it in ways not read here: any column may exist. */
  opaqueBy?: string;
  /** The raw SQL step that created or changed it last. */
  rawBy?: string;
}

type Opts = Record<string, unknown>;
type Rel = RelationName | RangeVar;

/** The names (tables, columns) and SQL fragments a step's options use. */
export function stepRefs(st: PlannedStep): { names: NameRef[]; fragments: FragmentRef[] } {
  const o = st.options as Opts;
  const names: NameRef[] = [];
  const fragments: FragmentRef[] = [];
  const table = (field: string, t: unknown) => t && names.push({ field, table: t as RelationName });
  const col = (field: string, t: unknown, c: unknown) =>
    t && typeof c === 'string' && names.push({ field, table: t as RelationName, column: c });
  const cols = (field: string, t: unknown, cs: unknown) => {
    for (const c of Array.isArray(cs) ? cs : typeof cs === 'string' ? [cs] : []) col(field, t, c);
  };
  const frag = (field: string, t: unknown, as: FragmentRef['as'], sql: unknown) =>
    typeof sql === 'string' && fragments.push({ field, table: t as RelationName | undefined, as, sql });
  const sub = (k: string) => (o[k] && typeof o[k] === 'object' ? (o[k] as Opts) : undefined);
  switch (st.kind) {
    case 'op.addColumn':
      table('table', o.table);
      col('references.column', sub('references')?.table, sub('references')?.column);
      break;
    case 'op.setNotNull':
    case 'op.dropColumn':
    case 'op.convertToEnum':
      table('table', o.table);
      col('column', o.table, o.column);
      break;
    case 'op.addUnique':
      table('table', o.table);
      cols('columns', o.table, o.columns);
      break;
    case 'op.addForeignKey':
      table('table', o.table);
      cols('columns', o.table, o.columns);
      table('references.table', sub('references')?.table);
      cols('references.columns', sub('references')?.table, sub('references')?.columns);
      break;
    case 'op.createIndex':
      table('table', o.table);
      for (const c of (o.columns as unknown[]) ?? []) {
        if (typeof c === 'string') col('columns', o.table, c);
        else if ((c as Opts).column) col('columns', o.table, (c as Opts).column);
        else frag('columns', o.table, 'expr', (c as Opts).expression);
      }
      cols('include', o.table, o.include);
      frag('where', o.table, 'where', o.where);
      break;
    case 'op.addCheck':
      table('table', o.table);
      frag('expression', o.table, 'where', o.expression);
      break;
    case 'op.dropConstraint':
    case 'op.dropTable':
      table('table', o.table);
      break;
    case 'backfill.update': {
      table('table', o.table);
      for (const [c, e] of Object.entries((o.set as Opts) ?? {})) {
        col(`set.${c}`, o.table, c);
        frag(`set.${c}`, o.table, 'expr', e);
      }
      const reverse = (sub('keepInSync')?.reverse as Opts | undefined) ?? {};
      for (const [c, e] of Object.entries(reverse)) {
        col(`keepInSync.reverse.${c}`, o.table, c);
        frag(`keepInSync.reverse.${c}`, o.table, 'expr', e);
      }
      cols('select', o.table, o.select);
      cols('key', o.table, o.key);
      col('perTenant.column', o.table, sub('perTenant')?.column);
      frag('where', o.table, 'where', o.where);
      break;
    }
    case 'backfill.insert': {
      table('from', o.from);
      table('into', o.into);
      for (const [c, e] of Object.entries((o.values as Opts) ?? {})) {
        col(`values.${c}`, o.into, c);
        frag(`values.${c}`, o.from, 'expr', e);
      }
      cols('select', o.from, o.select);
      cols('key', o.from, o.key);
      col('perTenant.column', o.from, sub('perTenant')?.column);
      if (o.onConflict && typeof o.onConflict === 'object') {
        cols('onConflict.target', o.into, (o.onConflict as Opts).target);
        cols('onConflict.update', o.into, (o.onConflict as Opts).update);
      }
      frag('where', o.from, 'where', o.where);
      break;
    }
    default:
      // A check under `severity: 'warn'` that cannot run is a warning and the run goes on, and
      // `check.query`'s SQL failing is the check's own "could not run" (docs/proof.md): neither is refused here.
      if (stepKind(st.kind)?.category === 'check' && o.severity !== 'warn') {
        table('table', o.table);
        col('column', o.table, o.column);
        cols('columns', o.table, o.columns);
        cols('groupBy', o.table, o.groupBy);
        col('tenantColumn', o.table, o.tenantColumn);
        const ref = sub('references');
        if (ref) {
          table('references.table', ref.table);
          col('references.column', ref.table, ref.column);
          col('references.tenantColumn', ref.table, ref.tenantColumn);
        }
        const from = sub('groupsFrom');
        if (from) col('groupsFrom.column', from.table, from.column);
        frag('where', o.table, 'where', o.where);
        if (typeof o.equals === 'string') frag('equals', o.table, 'expr', o.equals);
      }
  }
  return { names, fragments };
}

/** `"orders"` or `"billing"."invoices"`, as the plan names it. */
export function showTable(rel: Rel): string {
  const q = qualified(rel);
  return q.schema ? `"${q.schema}"."${q.name}"` : `"${q.name}"`;
}

/**
 * The schema a plan's steps meet, step by step: the live catalog of every table the plan names,
 * then each step's effects applied in plan order by {@link PlannedSchema.apply}.
 */
export class PlannedSchema {
  readonly tables = new Map<string, PlannedTable>();
  /** A raw SQL step whose effects cannot be read (a syntax the parser refuses, a DO block). */
  opaqueBy?: string;
  /** The first step that creates types, functions or extensions (a fragment may use them). */
  objectsBy?: string;

  private constructor(
    private readonly resolved: Map<string, { schema: string; name: string }>,
    private readonly currentSchema: string,
  ) {}

  /** Load the live tables (and their columns) that `plan` names, in options or raw SQL. */
  static async load(db: Queryable, plan: Plan): Promise<PlannedSchema> {
    await ensureParser();
    const rels: Rel[] = [];
    for (const st of plan.steps) {
      for (const r of stepRefs(st).names) rels.push(r.table);
      if (st.kind === 'op.createTable' || st.kind === 'op.addColumn')
        rels.push((st.options as Opts).table as RelationName);
      for (const s of rawStatements(plan, st) ?? []) rels.push(...rawTables(s.type, s.node));
    }
    const current = (await db.query<{ s: string }>('SELECT current_schema() AS s')).rows[0].s;
    const resolved = new Map<string, { schema: string; name: string }>();
    const schema = new PlannedSchema(resolved, current);
    for (const rel of rels) {
      const raw = rawKey(rel);
      if (resolved.has(raw)) continue;
      const q = qualified(rel);
      const live = await db.query<{ schema: string; name: string; oid: number }>(
        `SELECT n.nspname AS schema, c.relname AS name, c.oid::int AS oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.oid = to_regclass($1)`,
        [
          q.schema
            ? `"${q.schema.replace(/"/g, '""')}"."${q.name.replace(/"/g, '""')}"`
            : `"${q.name.replace(/"/g, '""')}"`,
        ],
      );
      const at = live.rows[0] ?? { schema: q.schema ?? current, name: q.name };
      resolved.set(raw, { schema: at.schema, name: at.name });
      const key = `${at.schema}.${at.name}`;
      if (schema.tables.has(key) || !live.rows[0]) continue;
      const c = await db.query<{ attname: string }>(
        'SELECT attname FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped',
        [live.rows[0].oid],
      );
      schema.tables.set(key, {
        schema: at.schema,
        name: at.name,
        live: true,
        columns: new Map(c.rows.map((r) => [r.attname, {}])),
      });
    }
    return schema;
  }

  /** The table `rel` names, as the schema stands now. */
  table(rel: Rel): PlannedTable | undefined {
    return this.tables.get(this.key(rel));
  }

  private key(rel: Rel): string {
    const r = this.resolved.get(rawKey(rel));
    if (r) return `${r.schema}.${r.name}`;
    const q = qualified(rel);
    return `${q.schema ?? this.currentSchema}.${q.name}`;
  }

  private create(rel: Rel, by: string, columns: [string, PlannedColumn][]): PlannedTable {
    const k = this.key(rel);
    const [schema, ...rest] = k.split('.');
    const t: PlannedTable = { schema, name: rest.join('.'), live: false, columns: new Map(columns), createdBy: by };
    this.tables.set(k, t);
    return t;
  }

  /** Apply what step `st` creates. Removals are not modelled: a later step may still name what one drops. */
  apply(plan: Plan, st: PlannedStep): void {
    const o = st.options as Opts;
    // An unqualified op.createEnum is mirrored by the scratch schema, which sets this itself when it cannot.
    const mirrored = st.kind === 'op.createEnum' && parseRelation(o.name as RelationName).schema === undefined;
    if (!mirrored && ['op.createEnum', 'op.convertToEnum', 'op.addEnumValue', 'op.enableExtension'].includes(st.kind))
      this.objectsBy ??= st.id;
    if (st.kind === 'op.createTable') {
      const defs = Object.entries((o.columns as Record<string, string>) ?? {});
      this.create(
        o.table as RelationName,
        st.id,
        defs.map(([c, def]) => [c, { def, by: st.id }]),
      );
    } else if (st.kind === 'op.addColumn') {
      this.table(o.table as RelationName)?.columns.set(o.column as string, { def: o.type as string, by: st.id });
    } else if (st.kind === 'sql' || st.kind === 'sqlFile') {
      const statements = rawStatements(plan, st);
      if (!statements) {
        this.opaqueBy ??= st.id;
        return;
      }
      for (const s of statements) this.applyRaw(st.id, s.type, s.node);
    }
  }

  private applyRaw(by: string, type: string, n: Node): void {
    const rel = n.relation as RangeVar | undefined;
    switch (type) {
      case 'CreateStmt': {
        const cols = ((n.tableElts as Node[] | undefined) ?? [])
          .map((e) => asColumnDef(e)?.colname)
          .filter((c): c is string => !!c);
        const t = this.table(rel!) ?? this.create(rel!, by, []);
        for (const c of cols) if (!t.columns.has(c)) t.columns.set(c, { by, raw: true });
        t.rawBy = by;
        if (n.inhRelations || n.ofTypename) t.opaqueBy = by;
        return;
      }
      case 'AlterTableStmt': {
        const t = rel && this.table(rel);
        if (!t) return;
        t.rawBy = by;
        for (const c of alterCmds(n)) {
          const name = asColumnDef(c.def)?.colname;
          if (c.subtype === 'AT_AddColumn' && name) t.columns.set(name, { by, raw: true });
        }
        return;
      }
      case 'RenameStmt': {
        if (!rel) return;
        const t = this.table(rel);
        if (n.renameType === 'OBJECT_COLUMN' && t) {
          t.columns.set(n.newname as string, { by, raw: true });
          t.rawBy = by;
        } else if (n.renameType === 'OBJECT_TABLE' && typeof n.newname === 'string') {
          const moved = this.create({ schemaname: rel.schemaname, relname: n.newname }, by, [...(t?.columns ?? [])]);
          moved.rawBy = by;
          if (!t) moved.opaqueBy = by;
        }
        return;
      }
      case 'CreateTableAsStmt':
      case 'ViewStmt':
      case 'CreateForeignTableStmt': {
        const into = (n.into as Node | undefined)?.rel as RangeVar | undefined;
        const target = (n.view as RangeVar | undefined) ?? into ?? ((n.base as Node | undefined)?.relation as RangeVar);
        if (!target) return;
        const t = this.table(target) ?? this.create(target, by, []);
        t.opaqueBy = by;
        t.rawBy = by;
        return;
      }
      case 'CreateEnumStmt':
      case 'CompositeTypeStmt':
      case 'CreateDomainStmt':
      case 'CreateExtensionStmt':
      case 'CreateSchemaStmt':
      case 'CreateSeqStmt':
      case 'DefineStmt':
      case 'AlterEnumStmt':
        this.objectsBy ??= by;
        return;
      case 'DoStmt':
      case 'CreateFunctionStmt':
      case 'CallStmt':
      case 'ExecuteStmt':
        this.opaqueBy ??= by;
        return;
    }
  }
}

/** The parsed `up` statements of a raw SQL step; undefined when they cannot be read (then its effects are unknown). */
function rawStatements(plan: Plan, st: PlannedStep): { type: string; node: Node }[] | undefined {
  if (st.kind !== 'sql' && st.kind !== 'sqlFile') return [];
  try {
    return (stepScripts(plan, st)?.texts ?? []).flatMap((t) => parseStatements(t.text));
  } catch {
    return undefined;
  }
}

/** The tables a raw statement creates or changes, for loading their live columns. */
function rawTables(type: string, n: Node): RangeVar[] {
  const rel = n.relation as RangeVar | undefined;
  if (type === 'CreateStmt' || type === 'AlterTableStmt' || type === 'RenameStmt') return rel ? [rel] : [];
  return [];
}

function qualified(rel: Rel): { schema?: string; name: string } {
  if (typeof rel === 'object' && 'relname' in rel) return { schema: rel.schemaname, name: rel.relname };
  return parseRelation(rel as RelationName);
}

function rawKey(rel: Rel): string {
  const q = qualified(rel);
  return JSON.stringify([q.schema ?? null, q.name]);
}
