/**
 * The lock policy: how long DDL may wait for a lock, how often it retries, and the bounds for
 * statements that must wait (CONCURRENTLY, VALIDATE). Defaults are those of docs/lock-safety.md.
 */

export interface LockPolicy {
  /** lock_timeout for statements whose locks block reads or writes. */
  lockTimeoutMs: number;
  /** Attempts before giving up (the first included). */
  retries: number;
  baseDelayMs: number;
  factor: number;
  maxDelayMs: number;
  /** ±fraction of random jitter on each delay. */
  jitter: number;
  /** statement_timeout for ordinary statements; 0 = none. */
  statementTimeoutMs: number;
  /** Bound for CONCURRENTLY builds and VALIDATE CONSTRAINT, which wait for older transactions. */
  concurrentTimeoutMs: number;
}

export const DEFAULT_LOCK_POLICY: LockPolicy = {
  lockTimeoutMs: 500,
  retries: 10,
  baseDelayMs: 200,
  factor: 2,
  maxDelayMs: 5000,
  jitter: 0.5,
  statementTimeoutMs: 0,
  concurrentTimeoutMs: 60 * 60 * 1000,
};

/** Delay before attempt `attempt + 1` (attempt is 1-based), with ±jitter. */
export function backoffDelay(policy: LockPolicy, attempt: number, random: () => number = Math.random): number {
  const raw = Math.min(policy.maxDelayMs, policy.baseDelayMs * policy.factor ** (attempt - 1));
  const j = 1 + policy.jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(raw * j));
}
