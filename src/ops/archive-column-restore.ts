/**
 * `op.dropColumn`'s rollback: re-add the column (nullable, with its default: instant), refill it in
 * batches from the archive, give rows inserted after the drop the default they would have had,
 * then restore NOT NULL the lock-safe way, the indexes `CONCURRENTLY` and the constraints
 * `NOT VALID` + `VALIDATE`, and finally drop the archive. After a partial apply (the column was
 * never dropped) it only removes the trigger and the partial archive. Every stage checks the
 * catalog first, so a rollback that stopped half-way can be run again.
 */

import type { Action, StepContext, StepOutcome } from '../kind/step-kind.js';
import { StepFailedError } from '../model/errors.js';
import { keyOf, rangeShown } from '../sql/key-range.js';
import { type ArchiveRecord, activeArchive, markArchiveRestored } from './archive.js';
import { columnDef, type RelationRef, resolveRef } from './archive-catalog.js';
import { addColumnStatements, type ColumnArchiveDef, columnArchiveSql, withRange } from './archive-column-sql.js';
import {
  buildIndexConcurrently,
  concurrentIndexSql,
  constraintActions,
  indexActions,
  notNullActions,
  restoreConstraint,
  restoreNotNull,
} from './archive-restore.js';
import { walkKeys } from './shadow-batch.js';

/** Find the archived table again by its recorded schema and name. */
async function tableOf(ctx: StepContext, d: ColumnArchiveDef): Promise<RelationRef> {
  const r = await resolveRef(ctx.db.pool, { schema: d.table.schema, name: d.table.name });
  if (!r)
    throw new StepFailedError(
      ctx.step.id,
      `cannot restore column "${d.column.name}": table ${d.table.schema}.${d.table.name} no longer exists`,
    );
  return r;
}

/** The rollback as actions, for `tidemark plan --rollback`. */
export function restoreActions(d: ColumnArchiveDef, table: RelationRef): Action[] {
  const s = columnArchiveSql(d, table);
  const out: Action[] = [];
  if (!d.dropped) {
    out.push(
      { sql: s.dropTrigger, lock: 'ACCESS EXCLUSIVE' },
      { sql: s.dropFunction, lock: 'none' },
      { sql: s.dropArchive, lock: 'none', note: 'the column was never dropped: only the partial archive is removed' },
    );
    return out;
  }
  for (const sql of addColumnStatements(table, d.column))
    out.push({ sql, lock: 'ACCESS EXCLUSIVE', note: 'instant: no rewrite' });
  out.push({
    sql: withRange(s.refill, rangeShown(keyOf(d.key), 'a')),
    lock: 'ROW EXCLUSIVE',
    note: 'repeated per key range of the archive',
  });
  if (d.column.default != null)
    out.push({
      sql: withRange(s.fillDefault, rangeShown(keyOf(d.key))),
      lock: 'ROW EXCLUSIVE',
      note: 'rows inserted after the drop; repeated per key range',
    });
  if (d.column.notNull) out.push(...notNullActions(table, d.column.name));
  for (const ix of d.indexes) out.push(...indexActions(ix));
  for (const con of d.constraints) out.push(...constraintActions(table, con));
  out.push({ sql: s.dropArchive, lock: 'none' });
  return out;
}

/** Undo `op.dropColumn` (or a partial attempt of it). */
export async function restoreColumn(ctx: StepContext, stepId: string): Promise<StepOutcome> {
  const a: ArchiveRecord | undefined = await activeArchive(ctx.ledger, ctx.plan.id, stepId);
  if (!a) return { notes: ['nothing was archived: nothing to restore'] };
  const d = a.definition as unknown as ColumnArchiveDef;
  const table = await tableOf(ctx, d);
  const s = columnArchiveSql(d, table);
  const label = `rollback of step "${stepId}"`;
  if (!d.dropped) {
    await ctx.tx(`${label}: remove partial archive`, async (c) => {
      await c.query(s.dropTrigger);
      await c.query(s.dropFunction);
      await c.query(s.dropArchive);
      await markArchiveRestored(ctx.ledger, c, a.id);
    });
    return { notes: ['the column was never dropped: removed the trigger and the partial archive'] };
  }

  // 1. Re-add the column, nullable, with its default and comment.
  const existing = await columnDef(ctx.db.pool, table.oid, d.column.name);
  if (!existing) {
    await ctx.tx(`${label}: add column`, async (c) => {
      for (const sql of addColumnStatements(table, d.column)) await c.query(sql);
    });
  } else if (existing.type !== d.column.type) {
    throw new StepFailedError(
      stepId,
      `cannot restore ${table.display}.${d.column.name}: a column of that name now exists with type ${existing.type} (archived: ${d.column.type})`,
      'Rename or drop the new column, then run the rollback again.',
    );
  }

  // 2. Refill from the archive, batch by batch over the archive's key.
  const progress = (ctx.progress ?? {}) as {
    restore?: {
      refillDone?: boolean;
      cursor?: string[] | null;
      defaultsDone?: boolean;
      defaultsCursor?: string[] | null;
    };
  };
  const state = { ...(progress.restore ?? {}) };
  const save = (c: Parameters<typeof ctx.saveProgress>[1]) =>
    ctx.saveProgress({ ...progress, restore: { ...state } }, c);
  let refilled = 0;
  if (!state.refillDone) {
    await walkKeys({
      table: s.arch,
      key: d.key,
      after: state.cursor ?? null,
      targetMs: ctx.settings.backfillTargetMs,
      tx: ctx.tx,
      what: `${label} refill`,
      rangeQualifier: 'a',
      work: async (c, r) => (await c.query(withRange(s.refill, r.where), r.params)).rowCount ?? 0,
      save: async (c, cursor, rows) => {
        refilled += rows;
        state.cursor = cursor;
        state.refillDone = cursor === null;
        await save(c);
      },
      onBatch: () =>
        ctx.emit({ type: 'step.progress', stepId, done: refilled, total: null, note: 'refilling from the archive' }),
    });
  }
  if (d.column.default != null && !state.defaultsDone) {
    await walkKeys({
      table: table.sql,
      key: d.key,
      after: state.defaultsCursor ?? null,
      targetMs: ctx.settings.backfillTargetMs,
      tx: ctx.tx,
      what: `${label} defaults`,
      work: async (c, r) => (await c.query(withRange(s.fillDefault, r.where), r.params)).rowCount ?? 0,
      save: async (c, cursor) => {
        state.defaultsCursor = cursor;
        state.defaultsDone = cursor === null;
        await save(c);
      },
    });
  }

  // 3. NOT NULL, indexes and constraints, lock-safely.
  if (d.column.notNull) await restoreNotNull(ctx, table, d.column.name, d.key, d.column.notNullName);
  for (const ix of d.indexes)
    await buildIndexConcurrently(ctx, ix.schema, ix.name, concurrentIndexSql(ix.def), ix.comment);
  for (const con of d.constraints) await restoreConstraint(ctx, table, con, d.key);

  // 4. The archive has served its purpose.
  await ctx.tx(`${label}: drop archive`, async (c) => {
    await c.query(s.dropArchive);
    await markArchiveRestored(ctx.ledger, c, a.id);
  });
  return {
    rowsAffected: refilled,
    notes: [`restored ${table.display}.${d.column.name} (${refilled} row(s) refilled)`],
  };
}
