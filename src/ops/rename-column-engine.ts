/**
 * The stages of `op.renameColumn`, each resumable after a kill -9: (1) add the copy and its
 * trigger in one short transaction, (2) fill the copy through the backfill engine (adaptive
 * batches, throttle, lock monitor, exactly-once cursor, batch records), (3) repeat the unique
 * indexes on the copy CONCURRENTLY, (4) swap the two names in one short transaction. The saved
 * progress says which stages are done; the catalog is read again before each, so a rerun repairs
 * rather than repeats. See docs/steps/rename-column.md.
 */
import type pg from 'pg';
import { applyUpdate } from '../backfill/update-backfill.js';
import type { StepContext, StepOutcome } from '../kind/step-kind.js';
import { StepFailedError } from '../model/errors.js';
import { ensureIndex } from './concurrent-index.js';
import { announce } from './exec.js';
import { pairState, uniqueIndexes } from './rename-column-catalog.js';
import { addActions, type ColumnPair, fillSet, renameNames, swapActions, swapName } from './rename-column-sql.js';

/** What a rename saves between stages. */
export interface PairProgress {
  added?: boolean;
  fill?: Record<string, unknown>;
  filled?: boolean;
  rows?: number;
  indexed?: string[];
  swapped?: boolean;
}

/** Where the progress lives (the step's own, or a part of it). */
export interface PairStore {
  progress: PairProgress;
  save(p: PairProgress, client?: pg.PoolClient): Promise<void>;
}

/** The names a rename works with. */
export interface RenameSpec {
  tableOid: number;
  from: string;
  to: string;
}

/** The pair with `real` holding the data and `compat` the copy, read from the catalog. */
export async function columnPair(ctx: StepContext, s: RenameSpec, real: string, compat: string): Promise<ColumnPair> {
  const st = await pairState(ctx.db.pool, s.tableOid, [real]);
  const col = st?.columns.get(real);
  if (!st || !col) throw new StepFailedError(ctx.step.id, `column "${real}" does not exist`);
  return {
    table: `"${st.schema.replace(/"/g, '""')}"."${st.name.replace(/"/g, '""')}"`,
    schema: st.schema,
    tableName: st.name,
    real,
    compat,
    type: col.type,
  };
}

/**
 * Stages 1–3: make `compat` a filled copy of `real`, kept in step, with the unique indexes
 * repeated on it. `names` is the rename's (from, to): trigger and function names derive from it.
 */
export async function ensureCopy(
  ctx: StepContext,
  p: ColumnPair,
  names: { tableName: string; from: string; to: string },
  store: PairStore,
  what: string,
): Promise<number> {
  const n = renameNames(names);
  if (!store.progress.added) {
    const actions = addActions(p, n);
    for (const a of actions) announce(ctx, a);
    await ctx.tx(what, async (c) => {
      for (const a of actions) await c.query(a.sql);
      store.progress = { ...store.progress, added: true };
      await store.save(store.progress, c);
    });
  }
  if (!store.progress.filled) await fill(ctx, p, store);
  const { copies } = await uniqueIndexes(ctx.db.pool, (await tableOid(ctx, p)) ?? 0, p.real, p.compat);
  for (const x of copies) {
    if (store.progress.indexed?.includes(x.name)) continue;
    await ensureIndex(ctx, p.schema, x.name, x.create);
    store.progress = { ...store.progress, indexed: [...(store.progress.indexed ?? []), x.name] };
    await store.save(store.progress);
  }
  return store.progress.rows ?? 0;
}

async function tableOid(ctx: StepContext, p: ColumnPair): Promise<number | null> {
  const r = await ctx.db.pool.query<{ oid: string | null }>(`SELECT to_regclass($1)::int8 AS oid`, [p.table]);
  return r.rows[0].oid == null ? null : Number(r.rows[0].oid);
}

/** Stage 2: the backfill engine walks the key and sets the copy from the real column. */
async function fill(ctx: StepContext, p: ColumnPair, store: PairStore): Promise<void> {
  const fillCtx: StepContext = {
    ...ctx,
    progress: store.progress.fill ?? null,
    async saveProgress(fp, client) {
      fillCtx.progress = fp;
      store.progress = { ...store.progress, fill: fp };
      await store.save(store.progress, client);
    },
    async markCompleted(client, outcome: StepOutcome) {
      store.progress = { ...store.progress, filled: true, rows: outcome.rowsAffected ?? 0 };
      await store.save(store.progress, client);
    },
  };
  const { set, where } = fillSet(p);
  await applyUpdate(
    fillCtx,
    { id: ctx.step.id, table: { schema: p.schema, name: p.tableName }, set, where },
    { split: false },
  );
}

/** Stage 4: the real column takes the new name and the copy the old one, in one short transaction. */
export async function swap(
  ctx: StepContext,
  p: ColumnPair,
  names: { tableName: string; from: string; to: string },
  store: PairStore,
  what: string,
  also?: (c: pg.PoolClient) => Promise<void>,
): Promise<void> {
  const actions = swapActions(p, renameNames(names), { from: names.from, to: names.to, tmp: swapName(names) });
  for (const a of actions) announce(ctx, a);
  await ctx.tx(what, async (c) => {
    for (const a of actions) await c.query(a.sql);
    store.progress = { ...store.progress, swapped: true };
    await store.save(store.progress, c);
    await also?.(c);
  });
}
