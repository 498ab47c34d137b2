/**
 * `op.dropTable({ id, table })` — contract phase only. The table is not dropped: in one short
 * transaction it is renamed to a deterministic archived name and moved into schema
 * `tidemark_archive` (`ALTER TABLE … SET SCHEMA`, catalog changes only), with its indexes and owned
 * sequences renamed so they cannot collide there. `rollback` moves it back under its names, data,
 * indexes, constraints, defaults and grants intact. Tables that views read or that foreign keys
 * reference are refused, as a plain DROP TABLE would refuse them. See docs/steps/op-drop-table.md.
 */
import { z } from 'zod';
import type { Queryable } from '../db/connection.js';
import { common, relation } from '../kind/fields.js';
import type { Action, StepKind } from '../kind/step-kind.js';
import { StepFailedError } from '../model/errors.js';
import { displayRelation, quoteIdent } from '../sql/ident.js';
import {
  ARCHIVE_SCHEMA,
  activeArchive,
  activeArchiveIfAny,
  archiveName,
  ensureArchiveSchema,
  markArchiveRestored,
  recordArchive,
} from './archive.js';
import { foreignKeysInto, type RelationRef, resolveRef, viewsOnTable } from './archive-catalog.js';
import { announce } from './exec.js';

/** The options of `op.dropTable`, as a plan writes them. */
export const schema = z
  .object({
    ...common,
    table: relation,
  })
  .strict();

/** Validated options. */
export type Options = z.infer<typeof schema>;
/** Options as the builder accepts them. */
export type Input = z.input<typeof schema>;

/** One relation renamed on its way into the archive. */
interface Renamed {
  kind: 'INDEX' | 'SEQUENCE';
  name: string;
  archived: string;
}

/** What is recorded for an archived table. */
interface Archived {
  schema: string;
  name: string;
  archived: string;
  renamed: Renamed[];
}

const A = quoteIdent(ARCHIVE_SCHEMA);

/** The archive plan for a table: its archived name and the relations renamed with it. */
async function archivePlan(q: Queryable, planId: string, stepId: string, t: RelationRef): Promise<Archived> {
  const r = await q.query<{ relname: string; relkind: string }>(
    `SELECT c.relname, c.relkind::text AS relkind FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = $1
     UNION
     SELECT s.relname, s.relkind::text FROM pg_depend d JOIN pg_class s ON s.oid = d.objid
      WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid = $1 AND s.relkind = 'S' AND d.deptype IN ('a', 'i')
     ORDER BY 1`,
    [t.oid],
  );
  return {
    schema: t.schema,
    name: t.name,
    archived: archiveName(planId, stepId, [t.name]),
    renamed: r.rows.map((x) => ({
      kind: x.relkind === 'S' ? 'SEQUENCE' : 'INDEX',
      name: x.relname,
      archived: archiveName(planId, stepId, [x.relname]),
    })),
  };
}

function applyActions(d: Archived): Action[] {
  const s = quoteIdent(d.schema);
  return [
    { sql: `CREATE SCHEMA IF NOT EXISTS ${A}`, lock: 'none' },
    ...d.renamed.map(
      (x): Action => ({
        sql: `ALTER ${x.kind} ${s}.${quoteIdent(x.name)} RENAME TO ${quoteIdent(x.archived)}`,
        lock: 'ACCESS EXCLUSIVE',
        note: 'so it cannot collide in the archive schema',
      }),
    ),
    {
      sql: `ALTER TABLE ${s}.${quoteIdent(d.name)} RENAME TO ${quoteIdent(d.archived)}`,
      lock: 'ACCESS EXCLUSIVE',
      note: 'one short transaction: catalog changes only',
    },
    {
      sql: `ALTER TABLE ${s}.${quoteIdent(d.archived)} SET SCHEMA ${A}`,
      lock: 'ACCESS EXCLUSIVE',
      note: 'moves its indexes and owned sequences too',
    },
  ];
}

function restoreActions(d: Archived): Action[] {
  const s = quoteIdent(d.schema);
  return [
    {
      sql: `ALTER TABLE ${A}.${quoteIdent(d.archived)} SET SCHEMA ${s}`,
      lock: 'ACCESS EXCLUSIVE',
      note: 'one short transaction: catalog changes only',
    },
    { sql: `ALTER TABLE ${s}.${quoteIdent(d.archived)} RENAME TO ${quoteIdent(d.name)}`, lock: 'ACCESS EXCLUSIVE' },
    ...d.renamed.map(
      (x): Action => ({
        sql: `ALTER ${x.kind} ${s}.${quoteIdent(x.archived)} RENAME TO ${quoteIdent(x.name)}`,
        lock: 'ACCESS EXCLUSIVE',
      }),
    ),
  ];
}

/** Why the table cannot be archived (views read it, foreign keys reference it, …). */
async function problems(q: Queryable, t: RelationRef): Promise<string[]> {
  const out: string[] = [];
  if (t.kind !== 'r')
    out.push(
      t.kind === 'p'
        ? `${t.display} is a partitioned table: archive its partitions and the parent with raw SQL`
        : `${t.display} is not a table`,
    );
  const views = await viewsOnTable(q, t.oid);
  if (views.length) out.push(`views or rules read it: ${views.join(', ')} (drop or redefine them first)`);
  const fks = await foreignKeysInto(q, t.oid);
  if (fks.length) out.push(`foreign keys reference it: ${fks.join(', ')} (drop them first with op.dropConstraint)`);
  return out;
}

async function exists(q: Queryable, schemaName: string, name: string): Promise<boolean> {
  const r = await q.query(
    `SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
    [schemaName, name],
  );
  return (r.rowCount ?? 0) > 0;
}

/** The `op.dropTable` step kind. */
export const kind = {
  kind: 'op.dropTable',
  category: 'op',
  schema,
  phases: ['contract'],
  async describe(ctx, o) {
    const t = await resolveRef(ctx.db.pool, o.table);
    if (!t)
      return {
        actions: [],
        notes: [`table ${displayRelation(o.table)} does not exist (yet): it will be moved into ${ARCHIVE_SCHEMA}`],
      };
    const p = await problems(ctx.db.pool, t);
    const notes = ['the data stays in the archive schema until you drop it there'];
    if (p.length) notes.push(`refused if it ran now (earlier steps may change that): ${p.join('; ')}`);
    return { actions: applyActions(await archivePlan(ctx.db.pool, ctx.plan.id, o.id, t)), notes };
  },
  async describeDown(ctx, o) {
    const a = await activeArchiveIfAny(ctx.ledger, ctx.plan.id, o.id);
    if (!a) return { actions: [], notes: ['nothing archived yet: nothing to restore'] };
    return { actions: restoreActions(a.definition as unknown as Archived) };
  },
  async apply(ctx, o) {
    const archived = await activeArchive(ctx.ledger, ctx.plan.id, o.id);
    const t = await resolveRef(ctx.db.pool, o.table);
    if (!t) {
      const d = archived?.definition as unknown as Archived | undefined;
      if (d && (await exists(ctx.db.pool, ARCHIVE_SCHEMA, d.archived)))
        return { notes: [`already archived as ${ARCHIVE_SCHEMA}.${d.archived}`] };
      throw new StepFailedError(o.id, `table ${displayRelation(o.table)} does not exist`);
    }
    const p = await problems(ctx.db.pool, t);
    if (p.length)
      throw new StepFailedError(o.id, `cannot drop ${t.display} restorably: ${p.join('; ')}`, 'Nothing was changed.');
    const d = await archivePlan(ctx.db.pool, ctx.plan.id, o.id, t);
    if (await exists(ctx.db.pool, ARCHIVE_SCHEMA, d.archived)) {
      throw new StepFailedError(
        o.id,
        `${ARCHIVE_SCHEMA}.${d.archived} already exists (an earlier archive of this step that was not restored)`,
        `Inspect it; drop it (DROP TABLE ${A}.${quoteIdent(d.archived)}) if it is no longer needed, then run again.`,
      );
    }
    for (const a of applyActions(d).slice(1)) announce(ctx, a);
    await ctx.tx(`step "${o.id}": archive table ${t.display}`, async (c) => {
      await ensureArchiveSchema(c);
      for (const a of applyActions(d).slice(1)) await c.query(a.sql);
      await recordArchive(ctx.ledger, c, {
        planId: ctx.plan.id,
        stepId: o.id,
        kind: 'table',
        object: t.display,
        archiveTable: d.archived,
        definition: { ...d },
      });
      await ctx.markCompleted(c, { details: { archivedAs: `${ARCHIVE_SCHEMA}.${d.archived}` } });
    });
    return { recorded: true, notes: [`moved to ${ARCHIVE_SCHEMA}.${d.archived}`] };
  },
  async rollback(ctx, o) {
    const a = await activeArchive(ctx.ledger, ctx.plan.id, o.id);
    if (!a) return { notes: ['nothing was archived: nothing to restore'] };
    const d = a.definition as unknown as Archived;
    for (const x of restoreActions(d)) announce(ctx, x);
    await ctx.tx(`rollback of step "${o.id}": restore table ${d.schema}.${d.name}`, async (c) => {
      if (await exists(c, ARCHIVE_SCHEMA, d.archived)) {
        if (await exists(c, d.schema, d.name)) {
          throw new StepFailedError(
            o.id,
            `cannot restore ${d.schema}.${d.name}: a relation of that name exists again`,
            `Rename or drop it, then roll back again (the archive is ${ARCHIVE_SCHEMA}.${d.archived}).`,
          );
        }
        for (const x of restoreActions(d)) await c.query(x.sql);
      } else if (!(await exists(c, d.schema, d.name))) {
        throw new StepFailedError(
          o.id,
          `cannot restore ${d.schema}.${d.name}: its archive ${ARCHIVE_SCHEMA}.${d.archived} no longer exists`,
        );
      }
      await markArchiveRestored(ctx.ledger, c, a.id);
    });
    return { notes: [`moved ${ARCHIVE_SCHEMA}.${d.archived} back to ${d.schema}.${d.name}`] };
  },
} satisfies StepKind<Options>;
