/**
 * What `op.renameTable` and its completion run: the rename, and the view that keeps the old name
 * working until contract — a single-table `SELECT *` view, which PostgreSQL makes automatically
 * updatable (INSERT … RETURNING, UPDATE, DELETE, `ON CONFLICT (columns)` go through to the table),
 * with `security_invoker` so privileges and row-level security stay the caller's, and the
 * table's grants copied onto it. See docs/steps/rename-table.md.
 */
import type { Queryable } from '../db/connection.js';
import type { Action } from '../kind/step-kind.js';
import { quoteIdent } from '../sql/ident.js';
import { quoteLiteral } from '../sql/text.js';

/** The table being renamed: its schema, the old and the new name. */
export interface TableRename {
  schema: string;
  from: string;
  to: string;
}

/** The comment that marks the view as Tidemark's (rollback and completion drop only that view). */
export function viewMarker(r: TableRename): string {
  return `tidemark: the old name of ${r.schema}.${r.to} until the rename's completion in contract`;
}

const q = (r: TableRename, name: string) => `${quoteIdent(r.schema)}.${quoteIdent(name)}`;

/** One privilege granted on the table, to re-grant on the view. */
export interface Grant {
  privilege: string;
  grantee: string | null;
  grantable: boolean;
}

/** The table's privileges (relacl), as GRANTs to repeat on the view. */
export async function tableGrants(db: Queryable, oid: number): Promise<Grant[]> {
  const r = await db.query<{ privilege_type: string; grantee: string | null; is_grantable: boolean }>(
    `SELECT a.privilege_type, CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee) END AS grantee, a.is_grantable
       FROM pg_class c, aclexplode(c.relacl) a
      WHERE c.oid = $1::int8::oid AND a.grantee <> c.relowner
      ORDER BY 2 NULLS FIRST, 1`,
    [oid],
  );
  return r.rows.map((x) => ({ privilege: x.privilege_type, grantee: x.grantee, grantable: x.is_grantable }));
}

/** `CREATE VIEW old AS SELECT * FROM new`, its marker comment and the table's grants. */
export function viewActions(r: TableRename, grants: readonly Grant[]): Action[] {
  return [
    {
      sql: `CREATE VIEW ${q(r, r.from)} WITH (security_invoker = true) AS SELECT * FROM ${q(r, r.to)}`,
      lock: 'ACCESS SHARE',
      note: 'automatically updatable: reads and writes through the old name reach the table',
    },
    { sql: `COMMENT ON VIEW ${q(r, r.from)} IS ${quoteLiteral(viewMarker(r))}`, lock: 'ACCESS EXCLUSIVE' },
    ...grants.map(
      (g): Action => ({
        sql: `GRANT ${g.privilege} ON TABLE ${q(r, r.from)} TO ${g.grantee === null ? 'PUBLIC' : quoteIdent(g.grantee)}${g.grantable ? ' WITH GRANT OPTION' : ''}`,
        lock: 'none',
      }),
    ),
  ];
}

/** The expand: rename the table, then the view at the old name — one short transaction. */
export function expandActions(r: TableRename, grants: readonly Grant[]): Action[] {
  return [
    {
      sql: `ALTER TABLE ${q(r, r.from)} RENAME TO ${quoteIdent(r.to)}`,
      lock: 'ACCESS EXCLUSIVE',
      note: 'catalog change only; indexes, constraints, sequences and foreign keys follow the table',
    },
    ...viewActions(r, grants),
  ];
}

/** Drop the view at the old name (the completion; the first half of a rollback). */
export function dropViewAction(r: TableRename): Action {
  return { sql: `DROP VIEW ${q(r, r.from)}`, lock: 'ACCESS EXCLUSIVE', note: 'the view only: no data' };
}

/** Rollback before completion: the view goes, the table takes its old name back. */
export function restoreActions(r: TableRename, viewPresent: boolean): Action[] {
  return [
    ...(viewPresent ? [dropViewAction(r)] : []),
    { sql: `ALTER TABLE ${q(r, r.to)} RENAME TO ${quoteIdent(r.from)}`, lock: 'ACCESS EXCLUSIVE' },
  ];
}

/** Where a rename stands in the database. */
export interface TableRenameState {
  /** The relation at the old name: `r`/`p` a table, `v` a view, null none. */
  fromKind: string | null;
  fromOid: number | null;
  /** The old name is Tidemark's view for this rename. */
  ourView: boolean;
  toKind: string | null;
  toOid: number | null;
}

/** Look both names up in the schema. */
export async function tableRenameState(db: Queryable, r: TableRename): Promise<TableRenameState> {
  const rows = (
    await db.query<{ relname: string; relkind: string; oid: string; comment: string | null }>(
      `SELECT c.relname, c.relkind::text AS relkind, c.oid::int8 AS oid, obj_description(c.oid, 'pg_class') AS comment
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = ANY($2::text[])`,
      [r.schema, [r.from, r.to]],
    )
  ).rows;
  const from = rows.find((x) => x.relname === r.from);
  const to = rows.find((x) => x.relname === r.to);
  return {
    fromKind: from?.relkind ?? null,
    fromOid: from ? Number(from.oid) : null,
    ourView: from?.relkind === 'v' && from.comment === viewMarker(r),
    toKind: to?.relkind ?? null,
    toOid: to ? Number(to.oid) : null,
  };
}

/** What follows the table through the rename (by oid), for `tidemark plan`: indexes, sequences, foreign keys in. */
export async function followers(db: Queryable, oid: number): Promise<string[]> {
  const r = await db.query<{ what: string; names: string[] }>(
    `SELECT 'indexes' AS what, array_agg(c.relname::text ORDER BY 1) AS names
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = $1::int8::oid
     UNION ALL
     SELECT 'constraints', array_agg(conname::text ORDER BY 1) FROM pg_constraint WHERE conrelid = $1::int8::oid AND contype <> 'n'
     UNION ALL
     SELECT 'owned sequences', array_agg(s.relname::text ORDER BY 1) FROM pg_depend d JOIN pg_class s ON s.oid = d.objid
      WHERE d.classid = 'pg_class'::regclass AND d.refobjid = $1::int8::oid AND s.relkind = 'S' AND d.deptype IN ('a', 'i')
     UNION ALL
     SELECT 'foreign keys from other tables', array_agg(conname || ' (' || conrelid::regclass::text || ')' ORDER BY 1)
       FROM pg_constraint WHERE confrelid = $1::int8::oid AND contype = 'f' AND conrelid <> $1::int8::oid`,
    [oid],
  );
  return r.rows.filter((x) => x.names?.length).map((x) => `${x.what}: ${x.names.join(', ')}`);
}
