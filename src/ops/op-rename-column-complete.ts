/**
 * `op.renameColumn.complete` — the completion Tidemark adds to the end of contract for each
 * `op.renameColumn` (plans never write it): drops the copy's unique indexes CONCURRENTLY, then the
 * trigger, the copy (under the old name) and the function in one short transaction, leaving only
 * the new name. Its rollback makes the copy again (trigger, fill through the backfill engine,
 * unique indexes), so the rename's own rollback can then restore the original. See
 * docs/steps/rename-column.md.
 */
import { z } from 'zod';
import { resolveRelation } from '../db/catalog.js';
import { common, ident, relation } from '../kind/fields.js';
import type { Action, ReadContext, StepContext, StepKind } from '../kind/step-kind.js';
import { StepFailedError } from '../model/errors.js';
import { displayRelation, parseRelation, quoteIdent } from '../sql/ident.js';
import { announce, waiting } from './exec.js';
import { pairState, uniqueIndexes } from './rename-column-catalog.js';
import { columnPair, ensureCopy, type PairProgress } from './rename-column-engine.js';
import { dropCopyActions, dropIndexConcurrently, renameNames } from './rename-column-sql.js';

/** The options Tidemark gives the completion (those of the `op.renameColumn` it completes). */
export const schema = z
  .object({
    ...common,
    table: relation,
    from: ident,
    to: ident,
    /** The table's name when the rename ran, when an op.renameTable of the same plan renamed it since. */
    createdOn: relation.optional(),
  })
  .strict();
export type Options = z.infer<typeof schema>;
export type Input = z.input<typeof schema>;

/** The statements of the completion, and whether there is a copy to drop. */
async function plan(ctx: ReadContext, o: Options) {
  const t = await resolveRelation(ctx.db.pool, o.table);
  if (!t) return null;
  const table = `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
  // The trigger and function carry the name the table had when the rename made them.
  const n = renameNames({ tableName: o.createdOn ? parseRelation(o.createdOn).name : t.name, from: o.from, to: o.to });
  const st = await pairState(ctx.db.pool, t.oid, [o.from, o.to]);
  const trig = await ctx.db.pool.query(`SELECT 1 FROM pg_trigger WHERE tgrelid = $1::int8::oid AND tgname = $2`, [
    t.oid,
    n.trigger,
  ]);
  // Before the rename has run (plan), the copies are those the rename will make on the column's indexes.
  const { copies } = st?.columns.has(o.to)
    ? await uniqueIndexes(ctx.db.pool, t.oid, o.to, o.from)
    : await uniqueIndexes(ctx.db.pool, t.oid, o.from, o.to);
  const actions: Action[] = [
    ...copies.map((c) => dropIndexConcurrently(t.schema, c.name)),
    ...dropCopyActions({ table, schema: t.schema, compat: o.from }, n),
  ];
  return {
    t,
    n,
    actions,
    hasCopy: !!st?.columns.has(o.from),
    hasTo: !!st?.columns.has(o.to),
    ours: (trig.rowCount ?? 0) > 0,
  };
}

export const kind = {
  kind: 'op.renameColumn.complete',
  category: 'op',
  schema,
  phases: ['contract'],
  async describe(ctx, o) {
    const p = await plan(ctx, o);
    if (!p) return { actions: [], notes: [`table ${displayRelation(o.table)} does not exist`] };
    return { actions: p.actions, notes: [`leaves only ${o.to}: code must no longer use ${o.from}`] };
  },
  async describeDown(ctx, o) {
    const p = await plan(ctx, o);
    if (!p) return { actions: [], notes: ['nothing to undo'] };
    return {
      actions: [],
      notes: [
        `makes the copy ${o.from} again (trigger, fill through the backfill engine, unique indexes), as the rename did`,
      ],
    };
  },
  async apply(ctx, o) {
    const p = await plan(ctx, o);
    if (!p) throw new StepFailedError(o.id, `table ${displayRelation(o.table)} does not exist`);
    if (!p.hasTo) throw new StepFailedError(o.id, `${p.t.schema}.${p.t.name} has no column "${o.to}"`);
    if (p.hasCopy && !p.ours)
      throw new StepFailedError(
        o.id,
        `${p.t.schema}.${p.t.name}.${o.from} is not the copy Tidemark keeps for the rename (its trigger ${p.n.trigger} is gone): not dropping it`,
        'Drop it yourself if it is no longer needed, then run again.',
      );
    const conc = p.actions.filter((a) => a.transaction === false);
    for (const a of conc) await waiting(ctx, a);
    const rest = p.actions.filter((a) => a.transaction !== false);
    for (const a of rest) announce(ctx, a);
    await ctx.tx(`step "${o.id}"`, async (c) => {
      for (const a of rest) await c.query(a.sql);
      await ctx.saveProgress({}, c);
      await ctx.markCompleted(c, {});
    });
    return { recorded: true, notes: [`dropped the copy ${o.from}: only ${o.to} remains`] };
  },
  async rollback(ctx: StepContext, o) {
    const t = await resolveRelation(ctx.db.pool, o.table);
    if (!t) throw new StepFailedError(o.id, `table ${displayRelation(o.table)} does not exist`);
    const st = await pairState(ctx.db.pool, t.oid, [o.from, o.to]);
    if (!st?.columns.has(o.to)) return { notes: [`"${o.to}" does not exist: nothing to undo`] };
    const store = {
      progress: (ctx.progress ?? {}) as PairProgress,
      save: (sp: PairProgress, c?: Parameters<StepContext['saveProgress']>[1]) =>
        ctx.saveProgress(sp as Record<string, unknown>, c),
    };
    if (st.columns.has(o.from) && !store.progress.added) return { notes: ['the copy is there'] };
    const pair = await columnPair(ctx, { tableOid: t.oid, from: o.from, to: o.to }, o.to, o.from);
    const rows = await ensureCopy(
      ctx,
      pair,
      { tableName: t.name, from: o.from, to: o.to },
      store,
      `rollback of step "${o.id}"`,
    );
    await ctx.saveProgress({});
    return { rowsAffected: rows, notes: [`${o.from} is a copy of ${o.to} again (${rows} row(s) filled)`] };
  },
} satisfies StepKind<Options>;
