/**
 * `op.dropColumn`'s rollback: re-add the column (nullable, with its default: instant), refill it from
 * the archive through the backfill engine, give rows inserted after the drop the default they would have had,
 * then restore NOT NULL the lock-safe way, the indexes `CONCURRENTLY` and the constraints
 * `NOT VALID` + `VALIDATE`, and finally drop the archive. After a partial apply (the column was
 * never dropped) it only removes the trigger and the partial archive. Every stage checks the
 * catalog first, so a rollback that stopped half-way can be run again.
 */

import { type KeyWalk, type WalkedTable, type WalkResult, type WalkState, walkKeyRanges } from '../backfill/op-walk.js';
import type { Action, StepContext, StepOutcome } from '../kind/step-kind.js';
import { StepFailedError } from '../model/errors.js';
import { keyOf, rangePredicate, rangeShown } from '../sql/key-range.js';
import { Params } from '../sql/params.js';
import { ARCHIVE_SCHEMA, type ArchiveRecord, activeArchive, markArchiveRestored } from './archive.js';
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
export async function restoreColumn(
  ctx: StepContext,
  stepId: string,
  walk?: Pick<KeyWalk, 'batch' | 'throttle'>,
): Promise<StepOutcome> {
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

  // 2. Refill from the archive, batch by batch over the archive's key, through the backfill engine.
  const progress = (ctx.progress ?? {}) as {
    restore?: { refill?: WalkState; defaults?: WalkState };
  };
  const state = { ...(progress.restore ?? {}) };
  const key = keyOf(d.key);
  const walkOn = (
    t: WalkedTable,
    which: 'refill' | 'defaults',
    template: string,
    qualifier?: string,
  ): Promise<WalkResult> =>
    walkKeyRanges({
      ctx,
      table: t,
      key,
      state: state[which],
      save: async (st, c) => {
        state[which] = st;
        await ctx.saveProgress({ ...progress, restore: { ...state } }, c);
      },
      run: async (c, range) => {
        const p = new Params();
        return (await c.query(withRange(template, rangePredicate(key, range, p, qualifier)), p.values)).rowCount ?? 0;
      },
      batch: walk?.batch,
      throttle: walk?.throttle,
      note: which === 'refill' ? 'refilling from the archive' : 'defaults of rows added after the drop',
    });
  const archive = await resolveRef(ctx.db.pool, { schema: ARCHIVE_SCHEMA, name: d.archiveTable });
  if (!archive)
    throw new StepFailedError(
      stepId,
      `cannot restore ${table.display}.${d.column.name}: its archive ${ARCHIVE_SCHEMA}.${d.archiveTable} no longer exists`,
    );
  const refilled = (await walkOn(archive, 'refill', s.refill, 'a')).rows;
  if (d.column.default != null) await walkOn(table, 'defaults', s.fillDefault);

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
