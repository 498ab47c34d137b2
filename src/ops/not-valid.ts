/**
 * Adding a constraint without a long lock: `ADD CONSTRAINT … NOT VALID` in a short lock-safe
 * transaction (it checks new writes from then on, but scans nothing), then `VALIDATE CONSTRAINT`
 * on its own (it scans under SHARE UPDATE EXCLUSIVE, which blocks neither reads nor writes). When
 * the data violates it, the rows are counted and sampled and what was added is removed again, so
 * nothing is left half-applied and a rerun after fixing the data starts clean. Resumable: the
 * saved progress says the constraint is ours; the catalog says how far it got.
 */
import { errorCodeLabel, sqlState } from '../db/connection.js';
import type { Action, StepContext } from '../kind/step-kind.js';
import { StepFailedError } from '../model/errors.js';
import type { RelationName } from '../model/plan.js';
import { displayRelation } from '../sql/ident.js';
import { existingTable, findConstraint } from './catalog.js';
import { inTx, waiting } from './exec.js';
import { type Violations, violationError } from './violations.js';

/** SQLSTATEs of a VALIDATE that found violating rows. */
const VIOLATION_STATES = new Set(['23503', '23514', '23502']);

/** One constraint to add NOT VALID, then validate. */
export interface NotValidConstraint {
  table: RelationName;
  name: string;
  /** Statements in the same transaction as `add`, before it (e.g. the ADD COLUMN it belongs to). */
  before?: Action[];
  /** `ALTER TABLE … ADD CONSTRAINT … NOT VALID`. */
  add: Action;
  /** `ALTER TABLE … VALIDATE CONSTRAINT …`. */
  validate: Action;
  /** Removes what `before` and `add` created, when validation fails. */
  undo: Action[];
  /** Counts and samples the violating rows. */
  diagnose: () => Promise<Violations | null>;
  /** `add foreign key "x"`, for the failure message. */
  what: string;
  hint: string;
}

/** Extra progress saved with the constraint (e.g. `{ column: true }`). */
export type Progress = Record<string, unknown>;

/**
 * Add and validate a constraint. Returns when it is valid; throws a {@link StepFailedError}
 * naming the rows when the data violates it (after removing what it added).
 */
export async function addNotValidThenValidate(
  ctx: StepContext,
  c: NotValidConstraint,
  progress: Progress = {},
): Promise<void> {
  const table = await existingTable(ctx, c.table);
  const existing = await findConstraint(ctx.db.pool, table.oid, c.name);
  const ours = ctx.progress?.constraint === c.name;
  if (existing && !ours) {
    throw new StepFailedError(
      ctx.step.id,
      `step "${ctx.step.id}": a constraint named "${c.name}" already exists on ${displayRelation(c.table)} (${existing.definition}) and was not added by this step`,
      'Drop it, or give this step another name.',
    );
  }
  if (!existing) {
    await inTx(ctx, [...(c.before ?? []), c.add], (client) =>
      ctx.saveProgress({ ...progress, constraint: c.name }, client),
    );
  }
  if (existing?.validated) return;
  try {
    await waiting(ctx, c.validate);
  } catch (e) {
    if (!VIOLATION_STATES.has(sqlState(e) ?? '')) throw e;
    const v = await c.diagnose();
    let hint = c.hint;
    try {
      await inTx(ctx, c.undo, (client) => ctx.saveProgress({}, client));
    } catch (undoError) {
      // The rows are what matters; the NOT VALID constraint stays (it is recorded: a rerun validates it again, rollback drops it).
      hint = `${c.hint} (Removing the NOT VALID constraint failed too: ${(undoError as Error).message.split('\n')[0]}; \`npx tidemark rollback\` removes it.)`;
    }
    if (v) throw violationError(ctx, v, c.what, hint);
    throw new StepFailedError(
      ctx.step.id,
      `step "${ctx.step.id}" (${ctx.step.kind}) cannot ${c.what}: ${(e as Error).message} [${errorCodeLabel(e)}] (the offending rows changed before they could be sampled)`,
      hint,
    );
  }
}
