/**
 * Building an index so that it is valid at the end, or not there at all. Before building: an
 * INVALID index of the same name (left by a failed or killed `CREATE INDEX CONCURRENTLY`) is
 * dropped CONCURRENTLY — after checking `pg_stat_progress_create_index` that nobody is still
 * building it. After building: `indisvalid` is read back; success is never reported for an
 * invalid index. A failed build removes its INVALID leftover at once (and a rerun would too).
 */

import type { Relation } from '../db/catalog.js';
import { sqlState } from '../db/connection.js';
import type { Action, StepContext } from '../kind/step-kind.js';
import { StepFailedError } from '../model/errors.js';
import type { RelationName } from '../model/plan.js';
import { displayRelation, quoteIdent } from '../sql/ident.js';
import { findIndex, type IndexState, indexBuilder } from './catalog.js';
import { inTx, waiting } from './exec.js';
import { type Violations, violationError } from './violations.js';

/** `DROP INDEX CONCURRENTLY IF EXISTS "schema"."name"`. */
export function dropIndexAction(schema: string | undefined, name: string): Action {
  const q = schema ? `${quoteIdent(schema)}.${quoteIdent(name)}` : quoteIdent(name);
  return {
    sql: `DROP INDEX CONCURRENTLY IF EXISTS ${q}`,
    lock: 'SHARE UPDATE EXCLUSIVE',
    transaction: false,
    note: 'waits for older transactions',
  };
}

/** One index to build. */
export interface IndexBuild {
  table: RelationName;
  ref: Relation;
  name: string;
  /** `CREATE … INDEX [CONCURRENTLY] …`; transaction false for CONCURRENTLY. */
  create: Action;
  /** For a unique index: count and sample duplicates when the build fails on them. */
  duplicates?: () => Promise<Violations | null>;
  /** `add unique constraint "x"`, for messages. */
  what: string;
}

async function state(ctx: StepContext, b: IndexBuild): Promise<IndexState | null> {
  return findIndex(ctx.db.pool, b.ref.schema, b.name);
}

/** Drop an INVALID index of this name unless a build of it is still running elsewhere. */
export async function dropInvalidIndex(
  ctx: StepContext,
  schema: string,
  name: string,
  oid: number,
  on: string,
  down = false,
): Promise<void> {
  const builder = await indexBuilder(ctx.db.pool, oid);
  if (builder) {
    throw new StepFailedError(
      ctx.step.id,
      `step "${ctx.step.id}": index "${name}" on ${on} is still being built by backend pid ${builder.pid} (${builder.phase})`,
      'Wait for that build to finish, or cancel it (SELECT pg_cancel_backend(pid)), then run again.',
    );
  }
  ctx.emit({
    type: 'notice',
    level: 'warn',
    stepId: ctx.step.id,
    message: `index "${name}" is INVALID (left by an interrupted build): dropping it CONCURRENTLY before building it again`,
  });
  await waiting(ctx, dropIndexAction(schema, name), down);
}

/**
 * Run one index build; a failed build removes its INVALID leftover at once, and a build that
 * leaves the index anything but valid is refused.
 */
async function runBuild(ctx: StepContext, schema: string, name: string, create: Action, down: boolean): Promise<void> {
  try {
    if (create.transaction === false) await waiting(ctx, create, down);
    else await inTx(ctx, [create], undefined, down);
  } catch (e) {
    const left = await findIndex(ctx.db.pool, schema, name).catch(() => null);
    if (left && !left.valid) await waiting(ctx, dropIndexAction(schema, name), down).catch(() => undefined);
    throw e;
  }
  const after = await findIndex(ctx.db.pool, schema, name);
  if (!after?.valid) {
    throw new StepFailedError(
      ctx.step.id,
      `step "${ctx.step.id}": index "${name}" is ${after ? 'INVALID' : 'missing'} after its build`,
      'Run again: an INVALID index is dropped and rebuilt.',
    );
  }
}

/**
 * Build an index unless a valid one of that name exists (adopted: used by restores and shadow
 * conversions, whose index names are their own); an INVALID leftover is dropped first.
 */
export async function ensureIndex(
  ctx: StepContext,
  schema: string,
  name: string,
  create: Action,
  down = false,
): Promise<'built' | 'existed'> {
  const idx = await findIndex(ctx.db.pool, schema, name);
  if (idx?.valid) return 'existed';
  if (idx) await dropInvalidIndex(ctx, schema, name, idx.oid, `schema ${schema}`, down);
  await runBuild(ctx, schema, name, create, down);
  return 'built';
}

/**
 * Make sure the index exists and is valid. `ours` says the step's saved progress names it (a rerun
 * after a crash); an existing valid index that is not ours is refused rather than adopted, so
 * rollback never drops an index this step did not build.
 */
export async function buildIndex(ctx: StepContext, b: IndexBuild, ours: boolean): Promise<'built' | 'existed'> {
  let idx = await state(ctx, b);
  if (idx) {
    if ((idx.relkind !== 'i' && idx.relkind !== 'I') || idx.tableOid !== b.ref.oid) {
      throw new StepFailedError(
        ctx.step.id,
        `step "${ctx.step.id}": the name "${b.name}" is already taken in schema ${b.ref.schema} by another relation`,
        'Give the index another name.',
      );
    }
    if (!idx.valid) {
      await dropInvalidIndex(ctx, b.ref.schema, b.name, idx.oid, displayRelation(b.table));
      idx = null;
    } else if (!ours) {
      throw new StepFailedError(
        ctx.step.id,
        `step "${ctx.step.id}": index "${b.name}" already exists on ${displayRelation(b.table)} and was not built by this step`,
        'Drop it, or give this step another `name`.',
      );
    } else return 'existed';
  }
  await ctx.saveProgress({ ...(ctx.progress ?? {}), index: b.name });
  try {
    await runBuild(ctx, b.ref.schema, b.name, b.create, false);
  } catch (e) {
    // (when the state cannot be read, keep the progress: a rerun then adopts the index if it is there)
    if ((await state(ctx, b).catch(() => 'unknown' as const)) === null) {
      const { index: _gone, ...rest } = ctx.progress ?? {};
      await ctx.saveProgress(rest).catch(() => undefined);
    }
    if (sqlState(e) === '23505' && b.duplicates) {
      const v = await b.duplicates();
      if (v)
        throw violationError(
          ctx,
          v,
          b.what,
          'Remove the duplicates (the sample names them), then run again: no INVALID index is left behind.',
        );
    }
    throw e;
  }
  return 'built';
}
