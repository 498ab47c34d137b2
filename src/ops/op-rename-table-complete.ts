/**
 * `op.renameTable.complete` — the completion Tidemark adds to the end of contract for each
 * `op.renameTable` (plans never write it): drops the view at the old name, leaving only the new
 * one. Its rollback puts the view back. See docs/steps/rename-table.md.
 */
import { z } from 'zod';
import { common, ident, relation } from '../kind/fields.js';
import type { StepKind } from '../kind/step-kind.js';
import { StepFailedError } from '../model/errors.js';
import { displayRelation } from '../sql/ident.js';
import { announce } from './exec.js';
import { recreateView, resolveRename } from './op-rename-table.js';
import { dropViewAction, tableGrants, tableRenameState, viewActions } from './rename-table-sql.js';

/** The options Tidemark gives the completion (those of the `op.renameTable` it completes). */
export const schema = z.object({ ...common, table: relation, to: ident }).strict();
export type Options = z.infer<typeof schema>;
export type Input = z.input<typeof schema>;

export const kind = {
  kind: 'op.renameTable.complete',
  category: 'op',
  schema,
  phases: ['contract'],
  async describe(ctx, o) {
    const r = await resolveRename(ctx, o);
    if (!r) return { actions: [], notes: [`${displayRelation(o.table)} does not exist: nothing to complete`] };
    return { actions: [dropViewAction(r)], notes: [`leaves only ${r.to}: code must no longer use ${r.from}`] };
  },
  async describeDown(ctx, o) {
    const r = await resolveRename(ctx, o);
    const s = r && (await tableRenameState(ctx.db.pool, r));
    if (!r || !s?.toOid) return { actions: [], notes: [`${o.to} does not exist: nothing to undo`] };
    if (s.ourView) return { actions: [], notes: ['the view is there: nothing to undo'] };
    return { actions: viewActions(r, await tableGrants(ctx.db.pool, s.toOid)) };
  },
  async apply(ctx, o) {
    const r = await resolveRename(ctx, o);
    const s = r && (await tableRenameState(ctx.db.pool, r));
    if (!r || !s || (s.fromKind === null && s.toKind !== null)) return { notes: ['the view is already gone'] };
    if (!s.ourView)
      throw new StepFailedError(
        o.id,
        `${r.schema}.${r.from} is not the view Tidemark made for the rename to ${r.to}: not dropping it`,
        'Drop or rename it yourself, then run again.',
      );
    const a = dropViewAction(r);
    announce(ctx, a);
    await ctx.tx(`step "${o.id}"`, async (c) => {
      await c.query(a.sql);
      await ctx.markCompleted(c, {});
    });
    return { recorded: true, notes: [`dropped the view ${r.from}: only ${r.to} remains`] };
  },
  async rollback(ctx, o) {
    const r = await resolveRename(ctx, o);
    if (!r) throw new StepFailedError(o.id, `cannot put the view back: ${o.to} does not exist`);
    const made = await recreateView(ctx, r);
    return { notes: [made ? `the view ${r.from} reads and writes ${r.to} again` : 'the view is already there'] };
  },
} satisfies StepKind<Options>;
