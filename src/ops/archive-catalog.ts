/**
 * Catalog reads for the drops and the shadow conversion: a table's quoted names, a column's full
 * definition, the objects that depend on a column (sorted into what can be rebuilt and what must
 * be refused), and index and constraint definitions as
 * `pg_get_indexdef` / `pg_get_constraintdef` print them.
 */
import { qualifiedSql, type Relation, resolveRelation } from '../db/catalog.js';
import type { Queryable } from '../db/connection.js';
import type { RelationName } from '../model/plan.js';

/** A table (or index) as found in the catalog, with its quoted and readable names. */
export interface RelationRef extends Relation {
  /** `"schema"."name"`. */
  sql: string;
  /** `schema.name`. */
  display: string;
}

/** {@link resolveRelation} with the names the archive SQL and its messages use; null when absent. */
export async function resolveRef(q: Queryable, rel: RelationName): Promise<RelationRef | null> {
  const r = await resolveRelation(q, rel);
  return r && refOf(r);
}

/** A {@link RelationRef} of a relation. */
export function refOf(r: Relation): RelationRef {
  return { ...r, sql: qualifiedSql(r), display: `${r.schema}.${r.name}` };
}

/** A column's definition: everything `ADD COLUMN` + `SET DEFAULT` + `SET NOT NULL` need to rebuild it. */
export interface ColumnDef {
  attnum: number;
  name: string;
  /** `format_type`, e.g. `character varying(20)`. */
  type: string;
  /** Quoted collation name when it differs from the type's default, else null. */
  collation: string | null;
  notNull: boolean;
  /** `pg_get_expr` of the default, or null. */
  default: string | null;
  comment: string | null;
  /** `attidentity` ('' when none). */
  identity: string;
  /** `attgenerated` ('' when none). */
  generated: string;
  /** PostgreSQL ≥ 18: the name of the column's NOT NULL constraint. */
  notNullName: string | null;
}

/** A column's definition, or null when the table has no such column. */
export async function columnDef(q: Queryable, tableOid: number, column: string): Promise<ColumnDef | null> {
  const r = await q.query<{
    attnum: number;
    attname: string;
    type: string;
    coll: string | null;
    attnotnull: boolean;
    def: string | null;
    comment: string | null;
    attidentity: string;
    attgenerated: string;
    nn: string | null;
  }>(
    `SELECT a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) AS type,
            CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
                 THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END AS coll,
            a.attnotnull, pg_get_expr(d.adbin, d.adrelid) AS def, col_description(a.attrelid, a.attnum) AS comment,
            a.attidentity::text AS attidentity, a.attgenerated::text AS attgenerated,
            (SELECT c.conname FROM pg_constraint c WHERE c.conrelid = a.attrelid AND c.contype::text = 'n'
                AND c.conkey = ARRAY[a.attnum] LIMIT 1) AS nn
       FROM pg_attribute a
       JOIN pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_collation co ON co.oid = a.attcollation
       LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = $1 AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped`,
    [tableOid, column],
  );
  const x = r.rows[0];
  if (!x) return null;
  return {
    attnum: x.attnum,
    name: x.attname,
    type: x.type,
    collation: x.coll,
    notNull: x.attnotnull,
    default: x.def,
    comment: x.comment,
    identity: x.attidentity ?? '',
    generated: x.attgenerated ?? '',
    notNullName: x.nn,
  };
}

/** An index as `pg_get_indexdef` prints it. */
export interface IndexDef {
  oid: number;
  schema: string;
  name: string;
  /** `CREATE [UNIQUE] INDEX name ON schema.table USING …`. */
  def: string;
  valid: boolean;
  comment: string | null;
}

/** One index's definition. */
export async function indexDef(q: Queryable, indexOid: number): Promise<IndexDef> {
  const r = await q.query<{
    nspname: string;
    relname: string;
    def: string;
    indisvalid: boolean;
    comment: string | null;
  }>(
    `SELECT n.nspname, c.relname, pg_get_indexdef(c.oid) AS def, i.indisvalid, obj_description(c.oid, 'pg_class') AS comment
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_index i ON i.indexrelid = c.oid
      WHERE c.oid = $1`,
    [indexOid],
  );
  const x = r.rows[0];
  return { oid: indexOid, schema: x.nspname, name: x.relname, def: x.def, valid: x.indisvalid, comment: x.comment };
}

/** A table constraint as `pg_get_constraintdef` prints it. */
export interface ConstraintDef {
  oid: number;
  name: string;
  /** `c` check, `f` foreign key, `u` unique, `p` primary key, `x` exclusion, `n` not null (PostgreSQL ≥ 18), `t` trigger. */
  type: string;
  /** e.g. `CHECK ((qty > 0))`, `FOREIGN KEY (a) REFERENCES p(id) NOT VALID`. */
  def: string;
  validated: boolean;
  deferrable: boolean;
  deferred: boolean;
  /** Column names of `conkey`. */
  columns: string[];
  comment: string | null;
  /** The backing index (unique, primary key, exclusion). */
  index: IndexDef | null;
}

/** One constraint's definition. */
export async function constraintDef(q: Queryable, conOid: number): Promise<ConstraintDef> {
  const r = await q.query<{
    conname: string;
    contype: string;
    def: string;
    convalidated: boolean;
    condeferrable: boolean;
    condeferred: boolean;
    conindid: number;
    cols: string[] | null;
    comment: string | null;
  }>(
    `SELECT c.conname, c.contype::text AS contype, pg_get_constraintdef(c.oid) AS def, c.convalidated, c.condeferrable, c.condeferred,
            c.conindid::int8 AS conindid, obj_description(c.oid, 'pg_constraint') AS comment,
            (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) AS cols
       FROM pg_constraint c WHERE c.oid = $1`,
    [conOid],
  );
  const x = r.rows[0];
  const withIndex = ['u', 'p', 'x'].includes(x.contype) && Number(x.conindid) !== 0;
  return {
    oid: conOid,
    name: x.conname,
    type: x.contype,
    def: x.def,
    validated: x.convalidated,
    deferrable: x.condeferrable,
    deferred: x.condeferred,
    columns: x.cols ?? [],
    comment: x.comment,
    index: withIndex ? await indexDef(q, Number(x.conindid)) : null,
  };
}

/** The oid of a table's constraint by name, or null. */
export async function constraintOid(q: Queryable, tableOid: number, name: string): Promise<number | null> {
  const r = await q.query<{ oid: string }>(
    `SELECT oid::int8 AS oid FROM pg_constraint WHERE conrelid = $1 AND conname = $2`,
    [tableOid, name],
  );
  return r.rows[0] ? Number(r.rows[0].oid) : null;
}

/** What depends on a column, sorted into what Tidemark rebuilds and what it must refuse. */
export interface ColumnDependents {
  /** Indexes on the table involving the column (keys, INCLUDE, expressions, predicate), not backing a constraint. */
  indexes: IndexDef[];
  /** The table's own constraints involving the column (check, foreign key, unique, …), not-null ones excluded. */
  constraints: ConstraintDef[];
  /** Views and rules reading the column. */
  views: string[];
  /** Foreign keys of other tables (or of this one) referencing the column. */
  referencedBy: string[];
  /** Everything else that would stop a DROP COLUMN or a type change: triggers with column lists, policies, generated columns, owned sequences, statistics… */
  others: string[];
}

/** Objects that depend on column `attnum` of table `tableOid`, via `pg_depend`. */
export async function columnDependents(q: Queryable, tableOid: number, attnum: number): Promise<ColumnDependents> {
  const r = await q.query<{
    cls: string;
    objid: string;
    objsubid: number;
    descr: string;
    relkind: string | null;
    conrelid: string | null;
    contype: string | null;
    conkey_has: boolean | null;
    backing: boolean | null;
    own_default: boolean | null;
    view: string | null;
  }>(
    `SELECT d.classid::regclass::text AS cls, d.objid::int8 AS objid, d.objsubid, pg_describe_object(d.classid, d.objid, d.objsubid) AS descr,
            rc.relkind::text AS relkind, con.conrelid::int8 AS conrelid, con.contype::text AS contype,
            ($2 = ANY (con.conkey)) AS conkey_has,
            EXISTS (SELECT 1 FROM pg_constraint b WHERE b.conindid = d.objid AND b.contype IN ('p', 'u', 'x') AND b.conrelid = $1) AS backing,
            (ad.adrelid = $1 AND ad.adnum = $2) AS own_default,
            rw.ev_class::regclass::text AS view
       FROM pg_depend d
       LEFT JOIN pg_class rc ON d.classid = 'pg_class'::regclass AND rc.oid = d.objid
       LEFT JOIN pg_constraint con ON d.classid = 'pg_constraint'::regclass AND con.oid = d.objid
       LEFT JOIN pg_attrdef ad ON d.classid = 'pg_attrdef'::regclass AND ad.oid = d.objid
       LEFT JOIN pg_rewrite rw ON d.classid = 'pg_rewrite'::regclass AND rw.oid = d.objid
      WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = $1 AND d.refobjsubid = $2 AND d.deptype IN ('n', 'a')
      ORDER BY d.objid`,
    [tableOid, attnum],
  );
  const out: ColumnDependents = { indexes: [], constraints: [], views: [], referencedBy: [], others: [] };
  const seen = new Set<string>();
  for (const x of r.rows) {
    const key = `${x.cls}:${x.objid}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (x.cls === 'pg_class' && (x.relkind === 'i' || x.relkind === 'I')) {
      if (!x.backing) out.indexes.push(await indexDef(q, Number(x.objid)));
    } else if (x.cls === 'pg_constraint') {
      if (Number(x.conrelid) === tableOid && x.conkey_has) {
        if (x.contype !== 'n') out.constraints.push(await constraintDef(q, Number(x.objid)));
      } else out.referencedBy.push(x.descr);
    } else if (x.cls === 'pg_rewrite') {
      out.views.push(x.view ?? x.descr);
    } else if (x.cls === 'pg_attrdef' && x.own_default) {
    } else {
      out.others.push(x.descr);
    }
  }
  // Constraint-backed indexes are reached through their constraint; make sure none is missed.
  const extra = await q.query<{ oid: string }>(
    `SELECT c.oid::int8 AS oid FROM pg_constraint c
      WHERE c.conrelid = $1 AND $2 = ANY (c.conkey) AND c.contype::text <> 'n'`,
    [tableOid, attnum],
  );
  for (const e of extra.rows) {
    if (!out.constraints.some((c) => c.oid === Number(e.oid)))
      out.constraints.push(await constraintDef(q, Number(e.oid)));
  }
  return out;
}

/** Views (and rules) that read a table, by name. */
export async function viewsOnTable(q: Queryable, tableOid: number): Promise<string[]> {
  const r = await q.query<{ v: string }>(
    `SELECT DISTINCT rw.ev_class::regclass::text AS v FROM pg_depend d JOIN pg_rewrite rw ON rw.oid = d.objid
      WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid = $1 AND rw.ev_class <> $1 ORDER BY 1`,
    [tableOid],
  );
  return r.rows.map((x) => x.v);
}

/** Foreign keys of other tables that reference this table, as `constraint on table`. */
export async function foreignKeysInto(q: Queryable, tableOid: number): Promise<string[]> {
  const r = await q.query<{ d: string }>(
    `SELECT format('%I on %s', conname, conrelid::regclass) AS d FROM pg_constraint WHERE contype = 'f' AND confrelid = $1 AND conrelid <> $1 ORDER BY 1`,
    [tableOid],
  );
  return r.rows.map((x) => x.d);
}

/**
 * One value that changes whenever what depends on a column changes (indexes, constraints, views,
 * triggers… recreated or added), or its type, NOT NULL or default: computed before taking a lock
 * and again under it, so the work under the lock stays a single query.
 */
export async function dependencyFingerprint(q: Queryable, tableOid: number, attnum: number): Promise<string> {
  const r = await q.query<{ f: string }>(
    `SELECT coalesce((SELECT string_agg(d.classid::text || ':' || d.objid::text || ':' || d.objsubid::text, ',' ORDER BY d.classid, d.objid, d.objsubid)
                        FROM pg_depend d WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = $1 AND d.refobjsubid = $2), '')
         || '|' || coalesce((SELECT a.attnotnull::text || ':' || a.atttypid::text || ':' || a.atttypmod::text FROM pg_attribute a WHERE a.attrelid = $1 AND a.attnum = $2 AND NOT a.attisdropped), 'gone')
         || '|' || coalesce((SELECT pg_get_expr(ad.adbin, ad.adrelid) FROM pg_attrdef ad WHERE ad.adrelid = $1 AND ad.adnum = $2), '')
         || '|' || coalesce((SELECT string_agg(c.oid::text, ',' ORDER BY c.oid) FROM pg_constraint c WHERE c.conrelid = $1 AND $2 = ANY (c.conkey)), '') AS f`,
    [tableOid, attnum],
  );
  return r.rows[0].f;
}
