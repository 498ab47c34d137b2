/**
 * Rollback of a backfill: its keepInSync trigger is removed (it would keep writing the new columns),
 * then its `down` SQL runs, lock-safely, when given. Without `down` nothing of the data is undone
 * (the expand rollback usually removes what the backfill filled), and `plan --rollback` says so.
 */
import type { Action, Description, ReadContext, StepContext, StepOutcome } from '../kind/step-kind.js';
import type { RelationName } from '../model/plan.js';
import { resolveTable } from './key.js';
import { removeActions, removeSyncTriggers } from './sync-trigger.js';

/** The options rollback reads. */
export interface DownOptions {
  id: string;
  down?: string | string[];
}

const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Remove the step's trigger (if any), then run `down`. */
export async function rollbackBackfill(ctx: StepContext, o: DownOptions): Promise<StepOutcome> {
  const removed = await removeSyncTriggers(ctx, ctx.plan.id, o.id);
  const notes = removed.map((r) => `removed the keepInSync trigger "${r.trigger}" from ${r.table}`);
  let rows = 0;
  const down = list(o.down);
  if (down.length) {
    await ctx.tx(`rollback of step "${o.id}"`, async (client) => {
      rows = 0;
      for (const s of down) rows += (await client.query(s)).rowCount ?? 0;
    });
  } else notes.push('no `down`: the rows it changed are left as they are');
  return { rowsAffected: down.length ? rows : null, notes };
}

/** What `plan --rollback` shows. */
export async function describeBackfillDown(
  ctx: ReadContext,
  o: DownOptions & { table?: RelationName; keepInSync?: unknown },
): Promise<Description> {
  const actions: Action[] = [];
  if (o.keepInSync && o.table) {
    const t = await resolveTable(ctx.db.pool, o.table);
    if (t) actions.push(...removeActions({ planId: ctx.plan.id, stepId: o.id, table: t }));
  }
  for (const s of list(o.down)) actions.push({ sql: s, lock: 'ROW EXCLUSIVE' });
  return {
    actions,
    notes: o.down
      ? []
      : [
          'no `down`: rollback leaves the rows this backfill changed as they are (rolling back the expand step that added the column removes them)',
        ],
  };
}
