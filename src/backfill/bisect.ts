/**
 * Bisection of a failed batch. The batch's keys are split in halves, depth first and in key order;
 * each half that succeeds commits at once (its data with the cursor), each half that fails is split
 * again, down to single rows: the poison rows, recorded with their errors. The cursor therefore
 * only moves forward, and stopping at any point leaves a consistent ledger.
 */
import type { KeyRange } from '../sql/key-range.js';

/** The outcome of trying one sub-range. */
export type TryResult = { ok: true } | { ok: false; error: unknown };

/** What bisection needs from the engine. */
export interface BisectHooks {
  /** Run and commit one sub-range (data + cursor + batch record), or report its row failure. */
  tryRange(range: KeyRange, walked: number): Promise<TryResult>;
  /** Record a single failing row and move the cursor past it, in one transaction. */
  poison(key: string[], error: unknown): Promise<void>;
  /** Called before each attempt; return false to stop early (too many poison rows). */
  keepGoing(): boolean;
}

/**
 * Bisect `keys` (the rows of a failed range, in key order, starting after `lo`). The whole range is
 * known to fail with `error`, so it is split straight away.
 */
export async function bisect(lo: string[] | null, keys: string[][], error: unknown, hooks: BisectHooks): Promise<void> {
  await split(lo, keys, error, hooks);
}

async function split(lo: string[] | null, keys: string[][], error: unknown, hooks: BisectHooks): Promise<void> {
  if (!keys.length) return;
  if (keys.length === 1) {
    await hooks.poison(keys[0], error);
    return;
  }
  const mid = Math.ceil(keys.length / 2);
  const halves: [string[] | null, string[][]][] = [
    [lo, keys.slice(0, mid)],
    [keys[mid - 1], keys.slice(mid)],
  ];
  for (const [from, part] of halves) {
    if (!hooks.keepGoing()) return;
    const r = await hooks.tryRange({ lo: from, hi: part[part.length - 1] }, part.length);
    if (!r.ok) await split(from, part, r.error, hooks);
  }
}
