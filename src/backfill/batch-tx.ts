/**
 * One batch transaction: short `lock_timeout` (a batch never queues behind a long row lock while
 * holding its own), a `statement_timeout` that bounds a batch that runs far over its target, the
 * marker that tells the step's keepInSync trigger to leave the batch's writes alone, and for a
 * perTenant pass `SET LOCAL <setting> = <tenant>` (via `set_config`, a parameter, never SQL text).
 * Batches commit with `synchronous_commit = off`: data and cursor still commit atomically, so a
 * server crash can only lose the last few batches together with their cursor (the rerun redoes
 * them, exactly once); a batch no longer waits for its WAL flush. The step's completion is
 * recorded in an ordinary (synchronous) transaction, which flushes every batch before it.
 * While it runs, a second connection watches who waits on it.
 */
import type pg from 'pg';
import type { Db } from '../db/connection.js';
import type { LockMonitor, LockWaitSample } from './lock-monitor.js';
import { BACKFILL_SETTING } from './sync-trigger.js';

/** Session settings of a batch transaction. */
export interface TxSettings {
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  /** Value of `tidemark.backfill` for this step. */
  marker: string;
  tenant?: { setting: string; value: string };
}

/** Run `fn` in one transaction with the batch settings; returns its value and the lock waits it caused. */
export async function batchTx<T>(
  db: Db,
  s: TxSettings,
  monitor: LockMonitor | null,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<{ value: T; waits: LockWaitSample }> {
  return db.withClient(async (client) => {
    // A checked-out pg client that loses its connection emits 'error' besides failing its query;
    // without a listener that would crash the process (the query's rejection reports it).
    client.on('error', swallow);
    await client.query('BEGIN');
    let stop: (() => LockWaitSample) | undefined;
    try {
      const params: unknown[] = [`${s.lockTimeoutMs}ms`, `${s.statementTimeoutMs}ms`, BACKFILL_SETTING, s.marker];
      let extra = '';
      if (s.tenant) {
        params.push(s.tenant.setting, s.tenant.value);
        extra = ', set_config($5, $6, true)';
      }
      const r = await client.query<{ pid: number }>(
        `SELECT pg_backend_pid() AS pid, set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true), set_config($3, $4, true), set_config('synchronous_commit', 'off', true)${extra}`,
        params,
      );
      stop = monitor?.watch(r.rows[0].pid);
      const value = await fn(client);
      await client.query('COMMIT');
      return { value, waits: stop ? stop() : { maxWaitMs: 0, sessions: 0 } };
    } catch (e) {
      stop?.();
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.removeListener('error', swallow);
    }
  });
}

function swallow(): void {
  /* reported by the failing query */
}
