/**
 * `op.renameColumn({ id, table, from, to })` — expand only. Adds a copy of the column under `to`,
 * kept equal by a trigger on every write, filled through the backfill engine, with the column's
 * unique indexes repeated on it; then, in one short transaction, swaps the names: the original
 * column (its data, indexes, constraints, default, foreign keys) becomes `to` and the copy `from`.
 * Code using either name reads and writes the same values until the completion Tidemark adds to
 * contract (`op.renameColumn.complete`) drops the copy. Rollback before completion drops the copy
 * and gives the column its name back. See docs/steps/rename-column.md.
 */
import { z } from 'zod';
import { KeyProblem, resolveKey, resolveTable } from '../backfill/key.js';
import { estimatedRows, resolveRelation } from '../db/catalog.js';
import { common, ident, relation } from '../kind/fields.js';
import { formatAction } from '../kind/format-action.js';
import type { Action, Description, ReadContext, StepContext, StepKind } from '../kind/step-kind.js';
import { StepFailedError } from '../model/errors.js';
import { displayRelation, quoteIdent } from '../sql/ident.js';
import { announce, progressOf } from './exec.js';
import { otherTriggers, pairState, uniqueIndexes } from './rename-column-catalog.js';
import { columnPair, ensureCopy, type PairProgress, swap } from './rename-column-engine.js';
import { fillEstimate } from './rename-column-estimate.js';
import {
  addActions,
  type ColumnPair,
  dropCopyActions,
  fillSet,
  renameNames,
  swapActions,
  swapName,
} from './rename-column-sql.js';
import { badInput, completionId } from './rename-input.js';

/** The options of `op.renameColumn`, as a plan writes them. */
export const schema = z.object({ ...common, table: relation, from: ident, to: ident }).strict();

/** Validated options. */
export type Options = z.infer<typeof schema>;
/** Options as the builder accepts them. */
export type Input = z.input<typeof schema>;

/** Why the rename cannot start, as a plan problem; null when it can (or is under way). */
async function inputProblem(
  ctx: ReadContext,
  o: Options,
  p: PairProgress,
): Promise<{ field: string; message: string } | null> {
  const t = await resolveRelation(ctx.db.pool, o.table);
  if (!t) return { field: 'table', message: `table ${displayRelation(o.table)} does not exist` };
  if (p.added) return null;
  const st = await pairState(ctx.db.pool, t.oid, [o.from, o.to]);
  if (!st) return { field: 'table', message: `table ${displayRelation(o.table)} does not exist` };
  if (st.relkind !== 'r')
    return {
      field: 'table',
      message: `${t.schema}.${t.name} is ${st.relkind === 'p' ? 'a partitioned table' : 'not a table'}: rename its column with raw SQL in a maintenance window`,
    };
  if (st.inheritance)
    return { field: 'table', message: `${t.schema}.${t.name} inherits or is inherited: not supported` };
  if (o.from === o.to) return { field: 'to', message: 'is the name the column already has' };
  const col = st.columns.get(o.from);
  if (!col) return { field: 'from', message: `${t.schema}.${t.name} has no column "${o.from}"` };
  if (col.generated) return { field: 'from', message: `"${o.from}" is a generated column: it cannot be written` };
  if (st.columns.has(o.to)) return { field: 'to', message: `${t.schema}.${t.name} already has a column "${o.to}"` };
  const table = await resolveTable(ctx.db.pool, o.table);
  try {
    if (table) await resolveKey(ctx.db.pool, table);
  } catch (e) {
    if (e instanceof KeyProblem) return { field: 'table', message: `the copy is filled by key: ${e.message}` };
    throw e;
  }
  return null;
}

/** The pair as it stands before the swap (for describing), or null when the table is missing. */
async function plannedPair(ctx: ReadContext, o: Options): Promise<{ pair: ColumnPair; oid: number } | null> {
  const t = await resolveRelation(ctx.db.pool, o.table);
  if (!t) return null;
  const st = await pairState(ctx.db.pool, t.oid, [o.from]);
  const type = st?.columns.get(o.from)?.type ?? '<type of the column>';
  const table = `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
  return {
    oid: t.oid,
    pair: { table, schema: t.schema, tableName: t.name, real: o.from, compat: o.to, type },
  };
}

async function describe(ctx: ReadContext, o: Options): Promise<Description> {
  const p = ((await progressOf(ctx)) ?? {}) as PairProgress;
  const planned = await plannedPair(ctx, o);
  if (!planned) return { actions: [], notes: [`table ${displayRelation(o.table)} does not exist`] };
  if (p.swapped) return { actions: [], notes: [`already renamed: ${o.to} holds the data, ${o.from} is its copy`] };
  const { pair, oid } = planned;
  const n = renameNames({ tableName: pair.tableName, from: o.from, to: o.to });
  const { set, where } = fillSet(pair);
  const { copies, skipped } = await uniqueIndexes(ctx.db.pool, oid, o.from, o.to);
  const actions: Action[] = [
    ...addActions(pair, n),
    {
      sql: `UPDATE ${pair.table} SET ${quoteIdent(o.to)} = (${set[o.to]}) WHERE <key range of the batch> AND (${where})`,
      lock: 'ROW EXCLUSIVE',
      note: 'through the backfill engine: adaptive batches, throttle, resumable cursor',
    },
    ...copies.map((c) => c.create),
    ...swapActions(pair, n, { from: o.from, to: o.to, tmp: swapName({ tableName: pair.tableName, ...o }) }),
  ];
  const notes = [
    `${o.from} and ${o.to} read and write the same values until the completion in contract drops the copy (${o.from})`,
    `touches ${pair.schema}.${pair.tableName}: column ${o.to} (copy), trigger ${n.trigger}, function ${n.fn}${copies.length ? `, unique indexes ${copies.map((c) => c.name).join(', ')}` : ''}`,
  ];
  if (skipped.length)
    notes.push(
      `not repeated on the copy (expression or partial): ${skipped.join(', ')} — ON CONFLICT naming them works through ${o.to} only`,
    );
  const others = await otherTriggers(ctx.db.pool, oid, n.trigger);
  if (others.length)
    notes.push(
      `other triggers on the table (${others.join(', ')}): a PL/pgSQL body that names ${o.from} sees the copy after the swap`,
    );
  const rows = await estimatedRows(ctx.db.pool, oid);
  if (rows !== null) notes.push(`fill: about ${rows} row(s) (--dry-run times a sample to estimate how long)`);
  return { actions, notes };
}

async function describeDown(ctx: ReadContext, o: Options): Promise<Description> {
  const p = ((await progressOf(ctx)) ?? {}) as PairProgress;
  const planned = await plannedPair(ctx, o);
  if (!planned || !p.added) return { actions: [], notes: ['nothing to undo'] };
  return { actions: restoreActions(planned.pair, o, !!p.swapped) };
}

/** Drop the copy (and, after the swap, give the column its name back) in one transaction. */
function restoreActions(pair: ColumnPair, o: Options, swapped: boolean): Action[] {
  const n = renameNames({ tableName: pair.tableName, from: o.from, to: o.to });
  const drop = dropCopyActions({ ...pair, compat: swapped ? o.from : o.to }, n);
  if (!swapped) return drop;
  return [
    drop[0],
    drop[1],
    {
      sql: `ALTER TABLE ${pair.table} RENAME COLUMN ${quoteIdent(o.to)} TO ${quoteIdent(o.from)}`,
      lock: 'ACCESS EXCLUSIVE',
      note: 'the column takes its old name back',
    },
    drop[2],
  ];
}

/** The rename's progress, stored as the step's own. */
function stepStore(ctx: StepContext) {
  return {
    progress: (ctx.progress ?? {}) as PairProgress,
    save: (p: PairProgress, c?: Parameters<StepContext['saveProgress']>[1]) =>
      ctx.saveProgress(p as Record<string, unknown>, c),
  };
}

export const kind = {
  kind: 'op.renameColumn',
  category: 'op',
  schema,
  phases: ['expand'],
  completion(o) {
    return {
      kind: 'op.renameColumn.complete',
      options: {
        id: completionId(o.id),
        title: `complete the rename of ${displayRelation(o.table)}.${o.from} to ${o.to}: drop the copy`,
        table: o.table,
        from: o.from,
        to: o.to,
      },
    };
  },
  async preflight(ctx, o) {
    const p = await inputProblem(ctx, o, ((await progressOf(ctx)) ?? {}) as PairProgress);
    if (p) throw badInput(ctx, p.field, p.message);
  },
  describe,
  describeDown,
  async dryRun(ctx, o) {
    const d = await describe(ctx, o);
    const lines = [...d.actions.map(formatAction), ...(d.notes ?? []).filter((n) => !n.startsWith('fill: about'))];
    const t = d.actions.length ? await resolveRelation(ctx.db.pool, o.table) : null;
    const est = t && (await fillEstimate(ctx.db, t.oid, o.from));
    if (est) lines.push(est.text);
    return { lines };
  },
  async apply(ctx, o) {
    const store = stepStore(ctx);
    const bad = await inputProblem(ctx, o, store.progress);
    if (bad) throw new StepFailedError(o.id, `step "${o.id}": ${bad.field}: ${bad.message}`, 'Nothing was changed.');
    if (store.progress.swapped) return { notes: [`already renamed to ${o.to}`] };
    const t = (await resolveRelation(ctx.db.pool, o.table))!;
    const names = { tableName: t.name, from: o.from, to: o.to };
    const pair = await columnPair(ctx, { tableOid: t.oid, from: o.from, to: o.to }, o.from, o.to);
    const label = `step "${o.id}"`;
    const rows = await ensureCopy(ctx, pair, names, store, label);
    await swap(ctx, pair, names, store, `${label}: swap the names`, (c) =>
      ctx.markCompleted(c, { rowsAffected: rows, details: { copied: rows } }),
    );
    return {
      recorded: true,
      rowsAffected: rows,
      notes: [`${o.to} holds the data; ${o.from} is a copy until contract`],
    };
  },
  async rollback(ctx, o) {
    const p = (ctx.progress ?? {}) as PairProgress;
    const planned = await plannedPair(ctx, o);
    if (!planned || !p.added) return { notes: ['nothing to undo'] };
    const st = await pairState(ctx.db.pool, planned.oid, [o.from, o.to]);
    if (p.swapped && st?.columns.has(o.from) && !st.columns.has(o.to))
      return { notes: [`${o.from} already has its name back`] };
    const actions = restoreActions(planned.pair, o, !!p.swapped);
    for (const a of actions) announce(ctx, a);
    await ctx.tx(`rollback of step "${o.id}"`, async (c) => {
      for (const a of actions) await c.query(a.sql);
      await ctx.saveProgress({}, c);
    });
    return { notes: [p.swapped ? `${o.to} is ${o.from} again; the copy is gone` : 'the copy is gone'] };
  },
} satisfies StepKind<Options>;
