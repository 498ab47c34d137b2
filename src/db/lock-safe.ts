/**
 * Lock safety in one place. DDL that takes a traffic-blocking lock runs in a short transaction
 * under `lock_timeout`, retried with exponential backoff and jitter on SQLSTATE 55P03. While a
 * statement waits, a second connection samples who blocks it (after the timeout fires,
 * `pg_blocking_pids` is already empty), so exhaustion names the blocker. Statements that must wait
 * for older transactions (CONCURRENTLY, VALIDATE) run outside a transaction without the short
 * timeout, bounded by `concurrentTimeoutMs`, and report what they wait for.
 */
import type pg from 'pg';
import { type BlockerInfo, LockTimeoutError } from '../model/errors.js';
import { redactText } from '../sql/redact.js';
import type { Db } from './connection.js';
import { sqlState } from './connection.js';
import { backoffDelay, type LockPolicy } from './lock-policy.js';

/** Events the lock-safe layer reports. */
export type LockEvent =
  | { type: 'lock.retry'; what: string; attempt: number; delayMs: number; blockers: BlockerInfo[] }
  | { type: 'lock.waiting'; what: string; waitedMs: number; blockers: BlockerInfo[] };

export type LockEventSink = (e: LockEvent) => void;

const BLOCKERS_SQL = `
SELECT a.pid, a.application_name, a.state, left(a.query, 300) AS query,
       extract(epoch FROM (clock_timestamp() - a.xact_start))::float8 AS xact_seconds
  FROM pg_stat_activity a
 WHERE a.pid = ANY (pg_blocking_pids($1) || $2::int[])
 ORDER BY a.xact_start NULLS LAST`;

/** Sessions currently blocking `pid`, and the sessions `also` names (an index build's current locker). */
export async function blockersOf(db: Db, pid: number, also: number[] = []): Promise<BlockerInfo[]> {
  const rows = await db.rows<{
    pid: number;
    application_name: string;
    state: string;
    query: string;
    xact_seconds: number | null;
  }>(BLOCKERS_SQL, [pid, also]);
  return rows.map((r) => ({
    pid: r.pid,
    applicationName: r.application_name || null,
    state: r.state,
    query: r.query ? redactText(r.query.replace(/\s+/g, ' ').trim()) : null,
    transactionSeconds: r.xact_seconds,
  }));
}

/**
 * A connection's server pid never changes, so it is asked once per client; weakly keyed, the entry
 * goes with the client. Module state on purpose: a cache of a fact about each client, not state.
 */
const pidCache = new WeakMap<object, number>();
/** The server pid of a pooled client (asked once per client). */
export async function backendPid(client: pg.PoolClient): Promise<number> {
  let pid = pidCache.get(client);
  if (pid === undefined) {
    pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    pidCache.set(client, pid);
  }
  return pid;
}

/** Samples blockers of `pid` every `everyMs` until stopped; keeps the latest non-empty sample. */
export function startSampler(
  db: Db,
  pid: number,
  everyMs: number,
  onSample?: (b: BlockerInfo[], waitedMs: number) => void,
) {
  let last: BlockerInfo[] = [];
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();
  const started = Date.now();
  const tick = () => {
    inFlight = blockersOf(db, pid)
      .then((b) => {
        if (b.length) {
          last = b;
          onSample?.(b, Date.now() - started);
        }
      })
      .catch(() => undefined) // sampling is best effort
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, everyMs);
      });
  };
  let timer: NodeJS.Timeout | undefined = setTimeout(tick, everyMs);
  return {
    get last() {
      return last;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Options for one lock-safe unit of work. */
export interface LockSafeOptions {
  /** What is being done, for messages: `step "add-tenant" (ALTER TABLE "leads" …)`. */
  what: string;
  onEvent?: LockEventSink;
  /** Random source for jitter (tests pin it). */
  random?: () => number;
}

/**
 * Run `fn` in a transaction with `SET LOCAL lock_timeout`, retrying the whole transaction on a lock
 * timeout. `fn` must be safe to re-run (it is: a failed transaction changed nothing).
 */
export async function withLockRetry<T>(
  db: Db,
  policy: LockPolicy,
  opts: LockSafeOptions,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  let lastBlockers: BlockerInfo[] = [];
  for (let attempt = 1; ; attempt++) {
    const result = await db.withClient(async (client) => {
      const pid = await backendPid(client);
      const sampler = startSampler(db, pid, Math.max(20, Math.min(100, Math.floor(policy.lockTimeoutMs / 4))));
      await client.query('BEGIN');
      try {
        await client.query(`SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true)`, [
          `${policy.lockTimeoutMs}ms`,
          `${policy.statementTimeoutMs}ms`,
        ]);
        const value = await fn(client);
        await client.query('COMMIT');
        return { ok: true as const, value };
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        if (sqlState(e) === '55P03') return { ok: false as const, error: e };
        throw e;
      } finally {
        await sampler.stop();
        if (sampler.last.length) lastBlockers = sampler.last;
      }
    });
    if (result.ok) return result.value;
    if (attempt >= policy.retries) {
      throw new LockTimeoutError(opts.what, attempt, policy.lockTimeoutMs, lastBlockers);
    }
    const delayMs = backoffDelay(policy, attempt, opts.random);
    opts.onEvent?.({ type: 'lock.retry', what: opts.what, attempt, delayMs, blockers: lastBlockers });
    await sleep(delayMs);
  }
}
