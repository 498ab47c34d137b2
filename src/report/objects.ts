/**
 * What a step's DDL creates, alters and drops, read from its statements with the real PostgreSQL
 * parser (libpg-query) rather than from each kind's options: one reading covers `sql` steps and
 * every `op.*` alike. A step that creates and then drops the same object (the temporary CHECK of
 * `op.setNotNull`) leaves no trace: only the net effect is reported.
 */

import type { LockMode } from '../kind/step-kind.js';
import { ensureParser, type ParsedStatement, parseStatements, statementTraits } from '../sql/parse.js';
import type { ObjectChange, ReportAction } from './model.js';

type Node = Record<string, unknown>;
type RangeVar = { schemaname?: string; relname?: string };

const LOCK_ORDER: LockMode[] = [
  'ACCESS EXCLUSIVE',
  'EXCLUSIVE',
  'SHARE ROW EXCLUSIVE',
  'SHARE',
  'SHARE UPDATE EXCLUSIVE',
  'ROW EXCLUSIVE',
  'ROW SHARE',
  'ACCESS SHARE',
];

const rel = (r: RangeVar | undefined): string =>
  r ? (r.schemaname && r.schemaname !== 'public' ? `${r.schemaname}.${r.relname}` : String(r.relname)) : '?';
const names = (list: unknown): string[] =>
  ((list as { String?: { sval?: string } }[] | undefined) ?? []).map((x) => x.String?.sval ?? '').filter(Boolean);
const qualified = (parts: string[]): string =>
  parts.filter((p, i) => !(i === 0 && parts.length > 1 && (p === 'public' || p === 'pg_catalog'))).join('.');

const TYPE_ALIASES: Record<string, string> = {
  int2: 'smallint',
  int4: 'integer',
  int8: 'bigint',
  float4: 'real',
  float8: 'double precision',
  bool: 'boolean',
  bpchar: 'character',
  varchar: 'character varying',
  timestamptz: 'timestamp with time zone',
  timetz: 'time with time zone',
};

/** The type of a column definition as written: the statement text from the type to its constraints. */
function columnType(stmt: ParsedStatement, def: Node): string | null {
  const tn = def.typeName as { names?: unknown; location?: number } | undefined;
  if (!tn) return null;
  const bytes = Buffer.from(stmt.text, 'utf8');
  const start = tn.location;
  if (typeof start === 'number' && start >= 0 && start < bytes.length) {
    const cons = ((def.constraints as { Constraint?: { location?: number } }[] | undefined) ?? [])
      .map((c) => c.Constraint?.location ?? -1)
      .filter((l) => l > start);
    let text = bytes.subarray(start, cons.length ? Math.min(...cons) : bytes.length).toString('utf8');
    let depth = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch === '(') depth++;
      else if (ch === ')') {
        if (depth === 0) {
          text = text.slice(0, i);
          break;
        }
        depth--;
      } else if (ch === ',' && depth === 0) {
        text = text.slice(0, i);
        break;
      }
    }
    text = text.replace(/\s+/g, ' ').trim();
    if (text) return text;
  }
  const n = names(tn.names);
  const last = n[n.length - 1];
  return TYPE_ALIASES[last] ?? qualified(n);
}

function constraintKind(c: Node): string {
  const map: Record<string, string> = {
    CONSTR_CHECK: 'check',
    CONSTR_FOREIGN: 'foreign key',
    CONSTR_UNIQUE: 'unique',
    CONSTR_PRIMARY: 'primary key',
    CONSTR_EXCLUSION: 'exclusion',
    CONSTR_NOTNULL: 'not null',
  };
  const k = map[String(c.contype)] ?? String(c.contype ?? '').toLowerCase();
  return c.skip_validation ? `${k}, NOT VALID` : k;
}

/** Object changes of one parsed statement, in order. */
function changesOf(stmt: ParsedStatement, stepId: string): ObjectChange[] {
  const n = stmt.node;
  const out: ObjectChange[] = [];
  const add = (
    change: ObjectChange['change'],
    type: ObjectChange['type'],
    name: string,
    table: string | null = null,
    detail: string | null = null,
  ) => out.push({ stepId, change, type, name, table, detail });
  switch (stmt.type) {
    case 'CreateStmt':
      add(
        'created',
        'table',
        rel(n.relation as RangeVar),
        null,
        `${((n.tableElts as unknown[]) ?? []).filter((e) => (e as Node).ColumnDef).length} columns`,
      );
      break;
    case 'CreateTableAsStmt':
      add('created', 'table', rel((n.into as Node | undefined)?.rel as RangeVar | undefined));
      break;
    case 'IndexStmt':
      add(
        'created',
        'index',
        String(n.idxname ?? `(unnamed index on ${rel(n.relation as RangeVar)})`),
        rel(n.relation as RangeVar),
        [
          n.unique ? 'unique' : null,
          n.accessMethod && n.accessMethod !== 'btree' ? String(n.accessMethod) : null,
          n.concurrent ? 'CONCURRENTLY' : null,
        ]
          .filter(Boolean)
          .join(', ') || null,
      );
      break;
    case 'CreateEnumStmt':
      add('created', 'enum', qualified(names(n.typeName)), null, names(n.vals).join(', '));
      break;
    case 'AlterEnumStmt':
      if (n.newVal) add('altered', 'enum value', qualified(names(n.typeName)), null, String(n.newVal));
      break;
    case 'CreateExtensionStmt':
      add('created', 'extension', String(n.extname));
      break;
    case 'CreateTrigStmt':
      add('created', 'trigger', String(n.trigname), rel(n.relation as RangeVar));
      break;
    case 'CreateFunctionStmt':
      add('created', 'function', qualified(names(n.funcname)));
      break;
    case 'ViewStmt':
      add('created', 'view', rel(n.view as RangeVar));
      break;
    case 'CreateSeqStmt':
      add('created', 'sequence', rel(n.sequence as RangeVar));
      break;
    case 'CreateSchemaStmt':
      add('created', 'schema', String(n.schemaname));
      break;
    case 'CompositeTypeStmt':
      add('created', 'type', rel(n.typevar as RangeVar));
      break;
    case 'RenameStmt':
      if (n.renameType === 'OBJECT_COLUMN')
        add('altered', 'column', String(n.newname), rel(n.relation as RangeVar), `renamed from ${String(n.subname)}`);
      else if (n.relation)
        add('altered', 'table', rel(n.relation as RangeVar), null, `renamed to ${String(n.newname)}`);
      break;
    case 'AlterTableStmt': {
      const table = rel(n.relation as RangeVar);
      for (const c of ((n.cmds as { AlterTableCmd: Node }[]) ?? []).map((x) => x.AlterTableCmd)) {
        const def = c.def as Node | undefined;
        switch (c.subtype) {
          case 'AT_AddColumn': {
            const cd = def?.ColumnDef as Node | undefined;
            if (cd) add('created', 'column', String(cd.colname), table, columnType(stmt, cd));
            break;
          }
          case 'AT_DropColumn':
            add('dropped', 'column', String(c.name), table);
            break;
          case 'AT_AddConstraint': {
            const con = def?.Constraint as Node | undefined;
            if (con)
              add(
                'created',
                'constraint',
                String(con.conname ?? `(${constraintKind(con)})`),
                table,
                constraintKind(con),
              );
            break;
          }
          case 'AT_DropConstraint':
            add('dropped', 'constraint', String(c.name), table);
            break;
          case 'AT_ValidateConstraint':
            add('altered', 'constraint', String(c.name), table, 'validated');
            break;
          case 'AT_SetNotNull':
            add('altered', 'column', String(c.name), table, 'SET NOT NULL');
            break;
          case 'AT_DropNotNull':
            add('altered', 'column', String(c.name), table, 'DROP NOT NULL');
            break;
          case 'AT_AlterColumnType': {
            const cd = def?.ColumnDef as Node | undefined;
            add(
              'altered',
              'column',
              String(c.name),
              table,
              cd ? `type ${columnType(stmt, cd) ?? '?'}` : 'type changed',
            );
            break;
          }
          case 'AT_ColumnDefault':
            add('altered', 'column', String(c.name), table, def ? 'default set' : 'default dropped');
            break;
        }
      }
      break;
    }
    case 'DropStmt': {
      const map: Record<string, ObjectChange['type']> = {
        OBJECT_TABLE: 'table',
        OBJECT_INDEX: 'index',
        OBJECT_TYPE: 'enum',
        OBJECT_EXTENSION: 'extension',
        OBJECT_TRIGGER: 'trigger',
        OBJECT_FUNCTION: 'function',
        OBJECT_VIEW: 'view',
        OBJECT_SEQUENCE: 'sequence',
        OBJECT_SCHEMA: 'schema',
      };
      const type = map[String(n.removeType)];
      if (!type) break;
      for (const o of (n.objects as Node[]) ?? []) {
        let parts: string[] = [];
        if (o.List) parts = names((o.List as Node).items);
        else if (o.TypeName) parts = names((o.TypeName as Node).names);
        else if (o.ObjectWithArgs) parts = names((o.ObjectWithArgs as Node).objname);
        else if (o.String) parts = [String((o.String as Node).sval)];
        if (type === 'trigger' && parts.length >= 2)
          add('dropped', 'trigger', parts[parts.length - 1], qualified(parts.slice(0, -1)));
        else add('dropped', type, qualified(parts));
      }
      break;
    }
  }
  return out;
}

/** Net object changes of a step's actions: a create undone by a later drop in the same step disappears. */
export async function objectChanges(
  stepId: string,
  actions: readonly Pick<ReportAction, 'sql'>[],
): Promise<ObjectChange[]> {
  await ensureParser();
  const all: ObjectChange[] = [];
  for (const a of actions) {
    let stmts: ParsedStatement[];
    try {
      stmts = parseStatements(a.sql);
    } catch {
      continue;
    }
    for (const s of stmts) all.push(...changesOf(s, stepId));
  }
  const key = (c: ObjectChange) => `${c.type}\u0000${c.table ?? ''}\u0000${c.name}`;
  const out: ObjectChange[] = [];
  for (const c of all) {
    if (c.change === 'dropped') {
      const i = out.findIndex((x) => x.change === 'created' && key(x) === key(c));
      if (i >= 0) {
        out.splice(i, 1);
        continue;
      }
    }
    const created = c.change === 'altered' ? out.find((x) => x.change === 'created' && key(x) === key(c)) : undefined;
    if (created) {
      if (c.detail === 'validated' && created.detail?.endsWith(', NOT VALID'))
        created.detail = `${created.detail.slice(0, -', NOT VALID'.length)}, added NOT VALID then validated`;
      continue;
    }
    out.push(c);
  }
  return out;
}

/** Distinct table locks taken by the actions, strongest first (`none` left out). */
export function locksOf(actions: readonly Pick<ReportAction, 'lock'>[]): string[] {
  const seen = new Set(actions.map((a) => a.lock).filter((l): l is string => !!l && l !== 'none'));
  return [...LOCK_ORDER.filter((l) => seen.has(l)), ...[...seen].filter((l) => !LOCK_ORDER.includes(l as LockMode))];
}

/** The lock of a raw statement, for actions that do not say. */
export async function lockOfSql(sql: string): Promise<string | null> {
  await ensureParser();
  try {
    const stmts = parseStatements(sql);
    const locks: string[] = stmts.map((s) => statementTraits(s).lock).filter((l) => l !== 'none');
    return LOCK_ORDER.find((l) => locks.includes(l)) ?? null;
  } catch {
    return null;
  }
}

const last = (name: string): string => name.split('.').pop() ?? name;

/**
 * The net object changes of a wave, over its completed steps in plan order: an object a step
 * created and a later step dropped (by name, or with its table) is neither created nor dropped —
 * it is listed in `createdThenDropped` — so "created" counts what exists at the end.
 */
export function netChanges(changes: readonly ObjectChange[]): {
  kept: ObjectChange[];
  createdThenDropped: ObjectChange[];
} {
  const kept: ObjectChange[] = [];
  const gone: ObjectChange[] = [];
  const take = (pred: (c: ObjectChange) => boolean): boolean => {
    let hit = false;
    for (let i = kept.length - 1; i >= 0; i--) {
      if (pred(kept[i])) {
        gone.unshift(...kept.splice(i, 1));
        hit = true;
      }
    }
    return hit;
  };
  for (const c of changes) {
    if (c.change !== 'dropped') {
      kept.push(c);
      continue;
    }
    const created = (x: ObjectChange) => x.change === 'created' && x.type === c.type;
    let hit: boolean;
    if (c.type === 'table') {
      hit = take((x) => created(x) && x.name === c.name);
      if (hit) take((x) => x.change === 'created' && x.table === c.name);
    } else if (c.type === 'index') hit = take((x) => created(x) && last(x.name) === last(c.name));
    else if (c.type === 'column' || c.type === 'constraint' || c.type === 'trigger')
      hit = take((x) => created(x) && x.name === c.name && (!c.table || x.table === c.table));
    else hit = take((x) => created(x) && x.name === c.name);
    if (!hit) kept.push(c);
  }
  return { kept, createdThenDropped: gone };
}
