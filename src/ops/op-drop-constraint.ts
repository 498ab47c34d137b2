/**
 * `op.dropConstraint({ id, table, name })` — contract phase only. Records the constraint's
 * `pg_get_constraintdef` (and its index's `pg_get_indexdef` for unique and primary keys) in the
 * ledger's `archives` in the same short transaction that drops it. `rollback` re-adds it without a
 * long lock: check and foreign key `NOT VALID` then `VALIDATE`; unique and primary key as a
 * concurrent unique index then `ADD CONSTRAINT … USING INDEX`. Exclusion constraints are refused
 * (they cannot be rebuilt without a long lock). See docs/steps/op-drop-constraint.md.
 */
import { z } from 'zod';
import { primaryKeyColumns } from '../db/catalog.js';
import type { Queryable } from '../db/connection.js';
import { common, ident, relation } from '../kind/fields.js';
import type { Action, StepKind } from '../kind/step-kind.js';
import { StepFailedError } from '../model/errors.js';
import { displayRelation, quoteIdent } from '../sql/ident.js';
import { activeArchive, activeArchiveIfAny, markArchiveRestored, recordArchive } from './archive.js';
import {
  type ConstraintDef,
  constraintDef,
  constraintOid,
  type RelationRef,
  refOf,
  resolveRef,
} from './archive-catalog.js';
import { constraintActions, restoreConstraint, unrestorableReason } from './archive-restore.js';
import { announce } from './exec.js';

/** The options of `op.dropConstraint`, as a plan writes them. */
export const schema = z
  .object({
    ...common,
    table: relation,
    name: ident,
  })
  .strict();

/** Validated options. */
export type Options = z.infer<typeof schema>;
/** Options as the builder accepts them. */
export type Input = z.input<typeof schema>;

/** What is recorded for a dropped constraint. */
interface Archived {
  table: { schema: string; name: string };
  constraint: ConstraintDef;
}

function dropAction(table: RelationRef, con: Pick<ConstraintDef, 'name' | 'type'>): Action {
  return {
    sql: `ALTER TABLE ${table.sql} DROP CONSTRAINT ${quoteIdent(con.name)}`,
    lock: 'ACCESS EXCLUSIVE',
    note:
      con.type === 'f'
        ? 'instant; also locks the referenced table (SHARE ROW EXCLUSIVE)'
        : 'instant: catalog change only',
  };
}

/** The table, the constraint and why it cannot be dropped restorably (if so). */
async function inspect(
  q: Queryable,
  o: Options,
): Promise<{ table: RelationRef | null; con: ConstraintDef | null; problems: string[] }> {
  const table = await resolveRef(q, o.table);
  if (!table) return { table, con: null, problems: [] };
  const oid = await constraintOid(q, table.oid, o.name);
  if (oid === null) return { table, con: null, problems: [] };
  const con = await constraintDef(q, oid);
  const problems: string[] = [];
  const why = unrestorableReason(con);
  if (why) problems.push(why);
  if (con.index) {
    const r = await q.query<{ d: string }>(
      `SELECT format('%I on %s', conname, conrelid::regclass) AS d FROM pg_constraint WHERE contype = 'f' AND conindid = $1 ORDER BY 1`,
      [con.index.oid],
    );
    if (r.rows.length)
      problems.push(`foreign keys depend on it: ${r.rows.map((x) => x.d).join(', ')} (drop them first)`);
  }
  return { table, con, problems };
}

/** The `op.dropConstraint` step kind. */
export const kind = {
  kind: 'op.dropConstraint',
  category: 'op',
  schema,
  phases: ['contract'],
  async describe(ctx, o) {
    const { table, con, problems } = await inspect(ctx.db.pool, o);
    if (!table || !con)
      return { actions: [], notes: [`constraint "${o.name}" on ${displayRelation(o.table)} does not exist (yet)`] };
    const notes = [`its definition is recorded in the same transaction, for rollback: ${con.def}`];
    if (problems.length) notes.push(`refused if it ran now (earlier steps may change that): ${problems.join('; ')}`);
    return { actions: [dropAction(table, con)], notes };
  },
  async describeDown(ctx, o) {
    const a = await activeArchiveIfAny(ctx.ledger, ctx.plan.id, o.id);
    if (!a) return { actions: [], notes: ['nothing archived yet: nothing to restore'] };
    const d = a.definition as unknown as Archived;
    const table =
      (await resolveRef(ctx.db.pool, { schema: d.table.schema, name: d.table.name })) ??
      refOf({ oid: 0, schema: d.table.schema, name: d.table.name, kind: 'r' });
    return { actions: constraintActions(table, d.constraint) };
  },
  async apply(ctx, o) {
    const archived = await activeArchive(ctx.ledger, ctx.plan.id, o.id);
    const { table, con, problems } = await inspect(ctx.db.pool, o);
    if (!table) throw new StepFailedError(o.id, `table ${displayRelation(o.table)} does not exist`);
    if (!con) {
      if (archived) return { notes: ['already dropped'] };
      throw new StepFailedError(o.id, `constraint "${o.name}" does not exist on ${table.display}`);
    }
    if (problems.length)
      throw new StepFailedError(
        o.id,
        `cannot drop constraint "${o.name}" on ${table.display} restorably: ${problems.join('; ')}`,
        'Nothing was changed.',
      );
    const drop = dropAction(table, con);
    announce(ctx, drop);
    await ctx.tx(`step "${o.id}": drop constraint ${o.name}`, async (c) => {
      const definition: Archived = { table: { schema: table.schema, name: table.name }, constraint: con };
      await recordArchive(ctx.ledger, c, {
        planId: ctx.plan.id,
        stepId: o.id,
        kind: 'constraint',
        object: `${table.display}.${con.name}`,
        archiveTable: null,
        definition: { ...definition },
      });
      await c.query(drop.sql);
      await ctx.markCompleted(c, { details: { definition: con.def } });
    });
    return { recorded: true, details: { definition: con.def } };
  },
  async rollback(ctx, o) {
    const a = await activeArchive(ctx.ledger, ctx.plan.id, o.id);
    if (!a) return { notes: ['nothing was archived: nothing to restore'] };
    const d = a.definition as unknown as Archived;
    const table = await resolveRef(ctx.db.pool, { schema: d.table.schema, name: d.table.name });
    if (!table)
      throw new StepFailedError(
        o.id,
        `cannot restore constraint "${d.constraint.name}": table ${d.table.schema}.${d.table.name} no longer exists`,
      );
    await restoreConstraint(ctx, table, d.constraint, await primaryKeyColumns(ctx.db.pool, table.oid));
    await ctx.db.transaction((c) => markArchiveRestored(ctx.ledger, c, a.id));
    return { notes: [`restored constraint ${d.constraint.name}: ${d.constraint.def}`] };
  },
} satisfies StepKind<Options>;
