/**
 * Changing a column's type without rewriting the table under an exclusive lock: a shadow column
 * kept equal by a trigger, filled through the backfill engine (adaptive batches, throttle, resumable from the
 * saved cursor), its indexes rebuilt `CONCURRENTLY`, NOT NULL proven by a validated check, then one
 * short transaction drops the old column and renames the shadow into its place, restoring its
 * default, NOT NULL, indexes and constraints. Readers never wait longer than lock_timeout: every
 * blocking statement runs under the lock-safe layer; the rest blocks no one. Each statement is
 * announced as a `step.statement` event (the batches as `step.progress`).
 */
import type pg from 'pg';
import { type KeyWalk, type WalkState, walkFinished, walkKeyRanges } from '../backfill/op-walk.js';
import type { Queryable } from '../db/connection.js';
import type { StepContext } from '../kind/step-kind.js';
import { StepFailedError } from '../model/errors.js';
import { keyOf, rangePredicate } from '../sql/key-range.js';
import { Params } from '../sql/params.js';
import { columnDef, columnDependents, dependencyFingerprint } from './archive-catalog.js';
import { withRange } from './archive-column-sql.js';
import { buildIndexConcurrently, renameNotNull } from './archive-restore.js';
import { announce } from './exec.js';
import { type ShadowSpec, type ShadowSql, shadowSql } from './shadow-sql.js';

/** What the engine saves between runs. */
export interface ShadowProgress {
  /** The fill's walk (the backfill engine's state). */
  fill?: WalkState;
  /** The last key filled (a copy of the walk's cursor). */
  cursor?: string[] | null;
  backfillDone?: boolean;
  rows?: number;
  swapped?: boolean;
  /** Constraint validations still due after the swap. */
  validate?: string[];
}

/** Where the engine keeps its progress (a slice of the step's progress). */
export interface ShadowStore {
  progress: ShadowProgress;
  save(p: ShadowProgress, client?: pg.PoolClient): Promise<void>;
  /** The step's `batch` and `throttle` options for the fill. */
  walk?: Pick<KeyWalk, 'batch' | 'throttle'>;
}

const names = (xs: { name: string }[]) => xs.map((x) => x.name).sort();

/**
 * Everything before the swap, resumable: the shadow column, its trigger, the fill through the
 * backfill engine, the twin indexes built `CONCURRENTLY`, the validated NOT NULL check. `p` is
 * updated in place and saved through `store`; returns the rows the fill wrote.
 */
export async function prepareShadow(
  ctx: StepContext,
  spec: ShadowSpec,
  q: ShadowSql,
  store: ShadowStore,
  p: ShadowProgress,
  label: string,
): Promise<number> {
  const { table } = spec;
  let rows = p.rows ?? 0;
  if (!(await columnDef(ctx.db.pool, table.oid, q.names.shadow))) {
    announce(ctx, { sql: q.addShadow });
    await ctx.tx(`${label}: add shadow column`, (c) => c.query(q.addShadow));
  }
  const trig = await ctx.db.rows(`SELECT 1 FROM pg_trigger WHERE tgrelid = $1 AND tgname = $2`, [
    table.oid,
    q.names.trigger,
  ]);
  if (!trig.length) {
    announce(ctx, { sql: q.createFunction });
    announce(ctx, { sql: q.createTrigger });
    await ctx.tx(`${label}: sync trigger`, async (c) => {
      await c.query(q.createFunction);
      await c.query(q.createTrigger);
    });
  }
  if (!p.backfillDone) {
    if (p.cursor)
      ctx.emit({
        type: 'notice',
        level: 'info',
        stepId: ctx.step.id,
        message: `resuming the shadow backfill after key ${JSON.stringify(p.cursor)}`,
      });
    const fill = await walkKeyRanges({
      ctx,
      table,
      key: keyOf(spec.key),
      state: p.fill,
      save: async (st, c) => {
        // The cursor is mirrored beside the engine's state: what `status` and an operator read.
        Object.assign(p, {
          fill: st,
          cursor: (st.cursor as string[] | null | undefined) ?? null,
          backfillDone: walkFinished(st),
          rows: Number(st.rows ?? 0),
        });
        await store.save({ ...p }, c);
      },
      run: async (c, range) => {
        const params = new Params();
        return (
          (await c.query(withRange(q.backfill, rangePredicate(keyOf(spec.key), range, params)), params.values))
            .rowCount ?? 0
        );
      },
      batch: store.walk?.batch,
      throttle: store.walk?.throttle,
      note: 'shadow backfill',
    });
    rows = fill.rows;
  }
  for (const ix of q.indexes) await buildIndexConcurrently(ctx, table.schema, ix.temp, ix.create);
  if (q.addNotNull && q.validateNotNull) {
    const chk = await ctx.db.rows<{ convalidated: boolean }>(
      `SELECT convalidated FROM pg_constraint WHERE conrelid = $1 AND conname = $2`,
      [table.oid, q.names.notNull],
    );
    if (!chk.length) {
      announce(ctx, { sql: q.addNotNull });
      await ctx.tx(`${label}: NOT NULL check on the shadow`, (c) => c.query(q.addNotNull!));
    }
    if (!chk[0]?.convalidated) {
      announce(ctx, { sql: q.validateNotNull });
      await ctx.waiting(`${label}: validate the shadow's NOT NULL check`, q.validateNotNull);
    }
  }
  return rows;
}

/** Run (or resume) a shadow conversion to the end; returns the rows the backfill wrote. */
export async function runShadow(
  ctx: StepContext,
  spec: ShadowSpec,
  store: ShadowStore,
  label: string,
): Promise<number> {
  const q = await shadowSql(spec);
  const { table } = spec;
  const p = { ...store.progress };
  let rows = p.rows ?? 0;
  if (!p.swapped) {
    rows = await prepareShadow(ctx, spec, q, store, p, label);
    // Verify outside the lock, then only a fingerprint under it: the lock is held for one round trip of DDL.
    const attnum = await assertUnchanged(ctx.db.pool, spec, ctx.step.id);
    const f0 = await dependencyFingerprint(ctx.db.pool, table.oid, attnum);
    for (const a of q.swap) announce(ctx, a);
    const started = performance.now();
    await ctx.tx(`${label}: swap`, async (c) => {
      await c.query(q.swap[0].sql);
      if ((await dependencyFingerprint(c, table.oid, attnum)) !== f0) {
        throw new StepFailedError(
          ctx.step.id,
          `the indexes, constraints, default or NOT NULL of ${table.display}.${spec.column.name} changed during the conversion`,
          'Nothing was swapped. Run again: the conversion picks up the new definition and resumes.',
        );
      }
      await c.query(
        q.swap
          .slice(1)
          .map((a) => a.sql)
          .join(';\n'),
      );
      Object.assign(p, { swapped: true, validate: q.validate });
      await store.save({ ...p }, c);
    });
    ctx.emit({
      type: 'notice',
      level: 'info',
      stepId: ctx.step.id,
      message: `swapped ${table.display}.${spec.column.name} in ${Math.round(performance.now() - started)} ms`,
    });
  }
  for (const v of p.validate ?? []) {
    announce(ctx, { sql: v });
    await ctx.waiting(`${label}: validate`, v);
  }
  if (spec.column.notNullName) await renameNotNull(ctx, table, spec.column.name, spec.column.notNullName);
  return rows;
}

/** Before the swap: the indexes and constraints to carry over are still exactly those planned. Returns the column's attnum. */
export async function assertUnchanged(q: Queryable, spec: ShadowSpec, stepId: string): Promise<number> {
  const col = await columnDef(q, spec.table.oid, spec.column.name);
  if (!col)
    throw new StepFailedError(
      stepId,
      `column "${spec.column.name}" disappeared from ${spec.table.display} during the conversion`,
    );
  const deps = await columnDependents(q, spec.table.oid, col.attnum);
  const before = JSON.stringify([names(spec.indexes), names(spec.constraints)]);
  const now = JSON.stringify([names(deps.indexes), names(deps.constraints)]);
  if (before !== now || col.default !== spec.column.default || col.notNull !== spec.column.notNull) {
    throw new StepFailedError(
      stepId,
      `the indexes, constraints, default or NOT NULL of ${spec.table.display}.${spec.column.name} changed during the conversion`,
      'Nothing was swapped. Run again: the conversion picks up the new definition and resumes.',
    );
  }
  return col.attnum;
}

/** Remove a conversion that never swapped: trigger, shadow column (its indexes and check go with it), function. */
export async function cleanupShadow(ctx: StepContext, spec: ShadowSpec, label: string): Promise<void> {
  const q = await shadowSql(spec);
  await ctx.tx(`${label}: remove the shadow column`, async (c) => {
    for (const s of q.cleanup) await c.query(s);
  });
}
