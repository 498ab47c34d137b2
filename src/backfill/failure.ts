/**
 * What a failed batch means. Errors caused by particular rows (bad data: class 22, constraint
 * violations: 23, RAISE in a trigger: P0, a transform that threw…) are bisected down to those rows.
 * Lock timeouts and serialization failures are retried; a statement timeout shrinks the batch.
 * Everything else (a wrong column name, permissions, a lost connection) fails the step at once:
 * it would fail on every row.
 */
import { isConnectionError, sqlState } from '../db/connection.js';
import { TidemarkError } from '../model/errors.js';

/** How the engine reacts to a failed batch. */
export type FailureKind = 'row' | 'timeout' | 'lock' | 'transient' | 'fatal';

/** A transform that threw on its rows: treated like a data error (bisected). */
export class TransformThrewError extends Error {
  constructor(override readonly cause: unknown) {
    super(`transform threw: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

const ROW_CLASSES = new Set(['21', '22', '23', '2F', '38', '39', '54', 'P0']);

/** Classify an error thrown while running a batch. */
export function classify(e: unknown): FailureKind {
  if (e instanceof TransformThrewError) return 'row';
  if (e instanceof TidemarkError) return 'fatal';
  if (isConnectionError(e)) return 'fatal';
  const code = sqlState(e);
  if (!code) return 'fatal';
  if (code === '55P03') return 'lock';
  if (code === '57014') return 'timeout';
  if (code === '40001' || code === '40P01') return 'transient';
  return ROW_CLASSES.has(code.slice(0, 2)) ? 'row' : 'fatal';
}

/** One line for an error: message and SQLSTATE. */
export function describeError(e: unknown): { message: string; sqlstate?: string } {
  const code = sqlState(e);
  const msg = e instanceof Error ? e.message : String(e);
  const detail = (e as { detail?: string }).detail;
  return { message: detail ? `${msg} (${detail})` : msg, sqlstate: code };
}
