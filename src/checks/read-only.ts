/**
 * Checks only read. Every statement of a check runs on one session inside a `READ ONLY`
 * transaction that is always rolled back, over the extended protocol (one statement per call, the
 * server refuses more): SQL a plan supplies can make a check fail, never change data or run a
 * second statement (docs/proof.md, "Checks only read").
 */
import type { ReadContext } from '../kind/step-kind.js';

/** Run `fn` with a context whose database is read-only (see `Db.readOnly`); nested calls share the session. */
export function readOnlyCheck<T>(ctx: ReadContext, fn: (ctx: ReadContext) => Promise<T>): Promise<T> {
  return ctx.db.readOnly((db) => fn(db === ctx.db ? ctx : { ...ctx, db }));
}
