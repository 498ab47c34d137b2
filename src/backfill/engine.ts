/**
 * The backfill engine's entry point. A backfill kind (and an op that fills rows) hands it a
 * {@link BackfillRun}: a split backfill is worked range by range by every worker that joins
 * (ranged.ts, docs/work.md); any other is one walk of the key (key-walk.ts). Either way each batch
 * commits its rows with its cursor, so a row is written once across crashes, reruns and workers.
 */
import type { StepOutcome } from '../kind/step-kind.js';
import type { BackfillRun } from './batch-runner.js';
import { Engine } from './key-walk.js';
import { runRanged } from './ranged.js';

/** Run (or resume) a backfill to its end; a `tidemark work` worker returns when no range is left to lease. */
export async function runBackfill(r: BackfillRun): Promise<StepOutcome> {
  if (r.split && !r.perTenant) {
    const ranged = await runRanged(r);
    if (ranged) return ranged;
  }
  // A worker joins split backfills only: a single walk belongs to `run`.
  if (r.ctx.worker) return { rowsAffected: 0, recorded: true, details: { joined: false } };
  return new Engine(r).run();
}
