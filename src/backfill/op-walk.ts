/**
 * The backfill engine for the bulk copies an operation makes inside its own step (a shadow
 * column's fill, an archive copy, a rollback's refill): the same walker as `backfill.update`, with
 * its adaptive batch sizes, throttle, lock monitor, bisection, exactly-once cursor, batch records
 * and progress events (docs/backfill.md). An operation has progress of its own besides the walk
 * (its stage, other walks), so the walk's state is kept in a slice the operation names: the engine
 * sees a step context whose progress is that slice, and whose "completion" only marks the slice
 * finished, in the same transaction as the walk's last progress.
 */
import type pg from 'pg';
import type { Relation } from '../db/catalog.js';
import type { Action, StepContext } from '../kind/step-kind.js';
import type { Key, KeyRange } from '../sql/key-range.js';
import { batchSettings } from './batch-runner.js';
import { runBackfill } from './engine.js';
import type { TableInfo } from './key.js';
import { rlsState } from './rls.js';
import type { ThrottleOptions } from './throttle.js';
import type { Concurrency } from './width.js';

/** The walk's saved state: the engine's progress plus whether the walk reached its end. */
export type WalkState = Record<string, unknown> & { finished?: boolean };

/** A table as the ops layer knows it (`RelationRef`): quoted, schema-qualified `sql`. */
export interface WalkedTable extends Relation {
  sql: string;
  display: string;
}

/** One bulk copy. */
export interface KeyWalk {
  ctx: StepContext;
  table: WalkedTable;
  key: Key;
  /** The batch's work on the rows of `range`, inside the batch's transaction; returns the rows changed. */
  run: (client: pg.PoolClient, range: KeyRange) => Promise<number>;
  /** The walk's state saved by an earlier attempt (null: start from the beginning). */
  state: WalkState | null | undefined;
  /** Save the walk's state in the step's progress (with the batch's transaction when given). */
  save: (state: WalkState, client?: pg.PoolClient) => Promise<void>;
  /** The step's `batch` and `throttle` options, when the operation has them. */
  batch?: { targetMs?: number; size?: number; pauseMs?: number; concurrency?: Concurrency };
  throttle?: ThrottleOptions;
  /** The note of its progress events (what is being copied), unless the engine has one of its own. */
  note?: string;
}

/** What a walk did. */
export interface WalkResult {
  /** Rows changed over every attempt of this walk. */
  rows: number;
  batches: number;
}

/** True when the saved state says the walk reached its end. */
export function walkFinished(state: WalkState | null | undefined): boolean {
  return state?.finished === true;
}

function totals(s: WalkState | null | undefined): WalkResult {
  return { rows: Number(s?.rows ?? 0), batches: Number(s?.batches ?? 0) };
}

/** Walk the table's key to its end through the backfill engine (or return at once when it already did). */
export async function walkKeyRanges(w: KeyWalk): Promise<WalkResult> {
  if (walkFinished(w.state)) return totals(w.state);
  const { ctx } = w;
  let last: WalkState = { ...(w.state ?? {}) };
  const sub: StepContext = {
    ...ctx,
    emit: (e) => ctx.emit(e.type === 'step.progress' && !e.note && w.note ? { ...e, note: w.note } : e),
    progress: w.state ?? null,
    async saveProgress(p, client) {
      last = { ...p };
      sub.progress = last;
      await w.save(last, client);
    },
    async markCompleted(client) {
      last = { ...last, finished: true };
      await w.save(last, client);
    },
  };
  const table: TableInfo = { ...w.table, qualified: w.table.sql };
  const rls = await rlsState(ctx.db.pool, table);
  await runBackfill({
    ctx: sub,
    work: {
      scope: { table, key: { columns: [...w.key.columns], types: [...w.key.types], index: '' } },
      run: (client, range) => w.run(client, range),
      template: (): Action[] => [],
    },
    ...batchSettings({ batch: w.batch }, ctx.settings.backfillTargetMs),
    throttle: w.throttle ?? {},
    rlsEnabled: rls.active,
  });
  return totals(last);
}
