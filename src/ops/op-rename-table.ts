/**
 * `op.renameTable({ id, table, to })` — expand only. In one short transaction the table takes its
 * new name and an automatically updatable view takes the old one, so code using either name reads
 * and writes the same rows; Tidemark adds the completion (`op.renameTable.complete`, which drops
 * the view) to the end of contract. Rollback before completion drops the view and renames the
 * table back. See docs/steps/rename-table.md.
 */
import { z } from 'zod';
import { resolveRelation } from '../db/catalog.js';
import { common, ident, relation } from '../kind/fields.js';
import type { ReadContext, StepContext, StepKind } from '../kind/step-kind.js';
import { StepFailedError } from '../model/errors.js';
import { displayRelation, parseRelation } from '../sql/ident.js';
import { announce } from './exec.js';
import { badInput, completionId } from './rename-input.js';
import {
  expandActions,
  followers,
  restoreActions,
  type TableRename,
  tableGrants,
  tableRenameState,
  viewActions,
} from './rename-table-sql.js';

/** The options of `op.renameTable`, as a plan writes them. */
export const schema = z.object({ ...common, table: relation, to: ident }).strict();

/** Validated options. */
export type Options = z.infer<typeof schema>;
/** Options as the builder accepts them. */
export type Input = z.input<typeof schema>;

/**
 * The schema, old and new name: the schema written, or the one the old name resolves in (the
 * table, or already its view), or the one the new name resolves in (after the completion).
 */
export async function resolveRename(
  ctx: Pick<ReadContext, 'db'>,
  o: { table: Options['table']; to: string },
): Promise<TableRename | null> {
  const name = parseRelation(o.table);
  if (name.schema) return { schema: name.schema, from: name.name, to: o.to };
  const rel = (await resolveRelation(ctx.db.pool, o.table)) ?? (await resolveRelation(ctx.db.pool, { name: o.to }));
  return rel ? { schema: rel.schema, from: name.name, to: o.to } : null;
}

/** Why the rename cannot start, as plan problems; [] when it can (or has already happened). */
async function inputProblem(ctx: ReadContext, o: Options): Promise<{ field: string; message: string } | null> {
  const r = await resolveRename(ctx, o);
  if (!r) return { field: 'table', message: `table ${displayRelation(o.table)} does not exist` };
  const s = await tableRenameState(ctx.db.pool, r);
  if (s.fromKind === null) return { field: 'table', message: `table ${displayRelation(o.table)} does not exist` };
  if (s.ourView && (s.toKind === 'r' || s.toKind === 'p')) return null;
  if (s.fromKind !== 'r' && s.fromKind !== 'p')
    return { field: 'table', message: `${r.schema}.${r.from} is not a table (a view, sequence or index)` };
  if (r.to === r.from) return { field: 'to', message: 'is the name the table already has' };
  if (s.toKind !== null) return { field: 'to', message: `${r.schema}.${r.to} already exists` };
  return null;
}

export const kind = {
  kind: 'op.renameTable',
  category: 'op',
  schema,
  phases: ['expand'],
  completion(o) {
    return {
      kind: 'op.renameTable.complete',
      options: {
        id: completionId(o.id),
        title: `complete the rename of ${displayRelation(o.table)} to ${o.to}: drop the view at the old name`,
        table: o.table,
        to: o.to,
      },
    };
  },
  async preflight(ctx, o) {
    const p = await inputProblem(ctx, o);
    if (p) throw badInput(ctx, p.field, p.message);
  },
  async describe(ctx, o) {
    const r = await resolveRename(ctx, o);
    const s = r && (await tableRenameState(ctx.db.pool, r));
    if (!r || !s || (s.fromKind === null && s.toKind === null))
      return { actions: [], notes: [`table ${displayRelation(o.table)} does not exist`] };
    if (s.ourView || s.fromKind === null)
      return { actions: [], notes: [`already renamed to ${r.to}; ${r.from} is its view`] };
    return {
      actions: expandActions(r, s.fromOid ? await tableGrants(ctx.db.pool, s.fromOid) : []),
      notes: [
        `until the completion in contract, ${r.from} (a view) and ${r.to} (the table) read and write the same rows`,
        'through the old name: INSERT … ON CONFLICT (columns) works, ON CONFLICT ON CONSTRAINT does not (PostgreSQL looks the constraint up on the view); COPY, TRUNCATE and ALTER TABLE need the new name',
        ...(s.fromOid
          ? (await followers(ctx.db.pool, s.fromOid)).map((f) => `follow the table, unchanged — ${f}`)
          : []),
      ],
    };
  },
  async describeDown(ctx, o) {
    const r = await resolveRename(ctx, o);
    if (!r) return { actions: [], notes: ['nothing to undo'] };
    const s = await tableRenameState(ctx.db.pool, r);
    if (s.toKind !== 'r' && s.toKind !== 'p')
      return { actions: [], notes: [`${r.to} does not exist: nothing to undo`] };
    return { actions: restoreActions(r, s.ourView) };
  },
  async apply(ctx, o) {
    const p = await inputProblem(ctx, o);
    if (p) throw new StepFailedError(o.id, `step "${o.id}": ${p.field}: ${p.message}`, 'Nothing was changed.');
    const r = (await resolveRename(ctx, o))!;
    const s = await tableRenameState(ctx.db.pool, r);
    if (s.ourView) return { notes: [`already renamed to ${r.to}`] };
    const actions = expandActions(r, await tableGrants(ctx.db.pool, s.fromOid!));
    for (const a of actions) announce(ctx, a);
    await ctx.tx(`step "${o.id}": rename ${r.schema}.${r.from} to ${r.to}`, async (c) => {
      for (const a of actions) await c.query(a.sql);
      await ctx.markCompleted(c, { details: { schema: r.schema, from: r.from, to: r.to } });
    });
    return { recorded: true, notes: [`renamed to ${r.to}; ${r.from} is a view until contract`] };
  },
  async rollback(ctx, o) {
    const r = await resolveRename(ctx, o);
    if (!r) return { notes: ['nothing to undo'] };
    const s = await tableRenameState(ctx.db.pool, r);
    if (s.toKind !== 'r' && s.toKind !== 'p') return { notes: [`${r.to} does not exist: nothing to undo`] };
    if (s.fromKind !== null && !s.ourView)
      throw new StepFailedError(
        o.id,
        `cannot rename ${r.schema}.${r.to} back: ${r.schema}.${r.from} exists and is not Tidemark's view`,
        'Rename or drop it, then roll back again.',
      );
    const actions = restoreActions(r, s.ourView);
    for (const a of actions) announce(ctx, a);
    await ctx.tx(`rollback of step "${o.id}"`, async (c) => {
      for (const a of actions) await c.query(a.sql);
    });
    return { notes: [`renamed ${r.to} back to ${r.from}`] };
  },
} satisfies StepKind<Options>;

/** Re-create the view at the old name (the completion's rollback); false when it is already there. */
export async function recreateView(ctx: StepContext, r: TableRename): Promise<boolean> {
  const s = await tableRenameState(ctx.db.pool, r);
  if (s.ourView || s.toOid === null) return false;
  const actions = viewActions(r, await tableGrants(ctx.db.pool, s.toOid));
  for (const a of actions) announce(ctx, a);
  await ctx.tx(`rollback of step "${ctx.step.id}"`, async (c) => {
    for (const a of actions) await c.query(a.sql);
  });
  return true;
}
