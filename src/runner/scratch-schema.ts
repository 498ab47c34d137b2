/**
 * A scratch copy of the tables a plan changes, where its SQL fragments are prepared before the
 * first step runs. Inside one transaction that is always rolled back, each table the plan creates
 * or adds columns to gets a temporary table of the same name (`CREATE TEMP TABLE t (LIKE live)`
 * plus the planned columns); unqualified names in a fragment resolve to it, since PostgreSQL
 * searches `pg_temp` first. Fragments are planned with `EXPLAIN` (never executed) under a short
 * `lock_timeout`; nothing of the live schema is locked beyond ACCESS SHARE (docs/plans.md).
 */

import type pg from 'pg';
import type { PlannedStep } from '../model/plan.js';
import { parseRelation, quoteIdent, type RelationName } from '../sql/ident.js';
import { quoteLiteral } from '../sql/text.js';
import type { FragmentRef, PlannedSchema, PlannedTable } from './plan-names.js';

/** A fragment could not be prepared: the database's error, or why it was not tried. */
export type Prepared = { ok: true } | { error: pg.DatabaseError } | { skipped: string };

/** Constraint words that end a column's type in a column definition (`int REFERENCES t (id)` → `int`). */
const CONSTRAINT_WORD =
  /\s+(?:CONSTRAINT|NOT|NULL|DEFAULT|PRIMARY|UNIQUE|CHECK|REFERENCES|GENERATED|COLLATE|COMPRESSION|STORAGE)\b.*$/is;

export class ScratchSchema {
  /** Per planned table (`schema.name`): prepared as a temp table, or why its fragments are not prepared. */
  private readonly state = new Map<string, { temp: true } | { reason: string }>();
  private n = 0;

  constructor(private readonly client: pg.PoolClient) {}

  async begin(): Promise<void> {
    await this.client.query('BEGIN');
    await this.client.query("SET LOCAL lock_timeout = '2s'");
    await this.client.query("SET LOCAL statement_timeout = '20s'");
  }

  async end(): Promise<void> {
    await this.client.query('ROLLBACK');
  }

  /** Run `sql` under a savepoint; the database's error when it fails. */
  private async attempt(sql: string): Promise<pg.DatabaseError | undefined> {
    const sp = `tidemark_probe_${++this.n}`;
    await this.client.query(`SAVEPOINT ${sp}`);
    try {
      await this.client.query(sql);
      await this.client.query(`RELEASE SAVEPOINT ${sp}`);
      return undefined;
    } catch (e) {
      await this.client.query(`ROLLBACK TO SAVEPOINT ${sp}`);
      if ((e as pg.DatabaseError).code) return e as pg.DatabaseError;
      throw e;
    }
  }

  private keyOf(t: PlannedTable): string {
    return `${t.schema}.${t.name}`;
  }

  /** Mirror what step `st` did to the planned schema (call after {@link PlannedSchema.apply}). */
  async apply(st: PlannedStep, schema: PlannedSchema): Promise<void> {
    const o = st.options as Record<string, unknown>;
    // An enum an earlier step creates, so that columns and casts naming it can be prepared: in
    // pg_temp, which PostgreSQL searches for type names first (an unqualified name finds it).
    if (st.kind === 'op.createEnum') {
      const { schema: qualified, name } = parseRelation(o.name as RelationName);
      const values = (o.values as string[]).map(quoteLiteral).join(', ');
      if (!qualified && (await this.attempt(`CREATE TYPE pg_temp.${quoteIdent(name)} AS ENUM (${values})`)))
        schema.objectsBy ??= st.id;
    }
    if (st.kind === 'op.createTable' || st.kind === 'op.addColumn') {
      const t = schema.table(o.table as string);
      if (!t) return;
      const cols = st.kind === 'op.createTable' ? [...t.columns.keys()] : [o.column as string];
      await this.mirror(t, cols);
    }
    for (const t of schema.tables.values())
      if (t.rawBy === st.id) this.state.set(this.keyOf(t), { reason: `raw SQL step "${st.id}" creates or changes it` });
  }

  /** Create the temp table for `t` (once), then add `columns` with their planned types. */
  private async mirror(t: PlannedTable, columns: string[]): Promise<void> {
    const key = this.keyOf(t);
    const st = this.state.get(key);
    if (st && 'reason' in st) return;
    const taken = [...this.state.entries()].some(
      ([k, v]) => k !== key && 'temp' in v && k.slice(k.indexOf('.') + 1) === t.name,
    );
    if (taken) {
      this.state.set(key, { reason: `another planned table is also named "${t.name}"` });
      return;
    }
    if (!st) {
      const like = t.live ? `LIKE ${quoteIdent(t.schema)}.${quoteIdent(t.name)}` : '';
      const err = await this.attempt(`CREATE TEMP TABLE ${quoteIdent(t.name)} (${like})`);
      if (err) {
        this.state.set(key, { reason: `no scratch copy: ${err.message}` });
        return;
      }
      this.state.set(key, { temp: true });
    }
    for (const c of columns) {
      const def = t.columns.get(c)?.def;
      if (def === undefined) continue;
      const add = (d: string) => `ALTER TABLE pg_temp.${quoteIdent(t.name)} ADD COLUMN ${quoteIdent(c)} ${d}`;
      const err = (await this.attempt(add(def))) && (await this.attempt(add(def.replace(CONSTRAINT_WORD, ''))));
      if (err) {
        this.state.set(key, { reason: `column "${c}" (${def}) cannot be made before its step runs: ${err.message}` });
        return;
      }
    }
  }

  /** Prepare one fragment over the planned schema as it stands (EXPLAIN: planned, never executed). */
  async prepare(f: FragmentRef, schema: PlannedSchema): Promise<Prepared> {
    let from = '';
    if (f.table) {
      const t = schema.table(f.table);
      if (!t) return { skipped: 'its table does not exist' };
      if (t.opaqueBy) return { skipped: `raw SQL step "${t.opaqueBy}" creates or changes its table` };
      const st = this.state.get(this.keyOf(t));
      if (st && 'reason' in st) return { skipped: st.reason };
      from = st ? `pg_temp.${quoteIdent(t.name)}` : `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
    }
    const sql =
      f.as === 'query'
        ? `EXPLAIN (COSTS OFF) ${f.sql.trim().replace(/;\s*$/, '')}`
        : f.as === 'where'
          ? `EXPLAIN (COSTS OFF) SELECT 1 FROM ${from} WHERE (${f.sql})`
          : `EXPLAIN (COSTS OFF) SELECT (${f.sql}) FROM ${from}`;
    const err = await this.attempt(sql);
    return err ? { error: err } : { ok: true };
  }
}
