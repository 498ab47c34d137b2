/**
 * The data change a backfill makes per batch, whatever its flavour (`backfill.update` with `set` or
 * `transform`, `backfill.insert` with `values` or `transform`). The engine walks key ranges and
 * owns transactions, cursor and retries; a {@link BatchWork} only changes the rows of one range,
 * inside the transaction it is given.
 */
import type pg from 'pg';
import type { Action } from '../kind/step-kind.js';
import { StepFailedError } from '../model/errors.js';
import type { KeyRange } from '../sql/key-range.js';
import type { Params } from '../sql/params.js';
import type { WalkScope } from './bounds.js';
import { TransformThrewError } from './failure.js';

/** An extra condition on the walked rows (the tenant of a perTenant pass). */
export type ScopeFilter = (p: Params) => string;

/** One flavour of backfill. */
export interface BatchWork {
  /** The walked table and key (update: the target table; insert: the source table). */
  readonly scope: WalkScope;
  /** Change the rows of `range` inside the open transaction; returns the rows changed (updated or inserted). */
  run(client: pg.PoolClient, range: KeyRange, filter?: ScopeFilter): Promise<number>;
  /** The per-batch statement with placeholders, for `tidemark plan`. */
  template(): Action[];
}

/** A transform's user function, as the plan gives it. */
export type TransformFn = (rows: Record<string, unknown>[]) => unknown;

/** An error in what a transform returned: a mistake in the plan, not in a row, so it is never bisected. */
export class TransformShapeError extends StepFailedError {}

/** Call a transform and check it returned an array of objects (null/undefined = nothing). */
export async function callTransform(
  stepId: string,
  fn: TransformFn,
  rows: Record<string, unknown>[],
): Promise<Record<string, unknown>[]> {
  if (!rows.length) return [];
  let out: unknown;
  try {
    out = await fn(rows);
  } catch (e) {
    throw new TransformThrewError(e);
  }
  if (out == null) return [];
  if (!Array.isArray(out)) {
    throw new TransformShapeError(
      stepId,
      `step "${stepId}": transform must return an array of rows (or nothing), got ${typeof out}`,
    );
  }
  out.forEach((r, i) => {
    if (!r || typeof r !== 'object' || Array.isArray(r)) {
      throw new TransformShapeError(
        stepId,
        `step "${stepId}": transform returned a non-object at index ${i}: ${JSON.stringify(r)?.slice(0, 100)}`,
      );
    }
  });
  return out as Record<string, unknown>[];
}

/** `WHERE` conditions joined: the range, the scope filter, the user's `where`. */
export function conditions(parts: (string | undefined)[]): string {
  const c = parts.filter((x): x is string => !!x);
  return c.length ? `WHERE ${c.join(' AND ')}` : '';
}
