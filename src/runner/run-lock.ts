/**
 * The run lock: one session-level advisory lock per (ledger schema, plan id), held on a dedicated
 * connection for the whole run. Ledger status is never a lock; this is. A second runner fails at
 * once (exit 3) naming the holder, or waits `--wait` seconds. A transaction-mode pooler (our lock
 * not held by our backend afterwards) is detected and refused.
 */
import pg from 'pg';
import { RunLockedError, UsageError } from '../errors.js';
import { hashInt } from '../ledger/install.js';
import { sleep } from '../db/lock-safe.js';

const LOCK_CLASS = 0x7d3a_4b2;

export interface RunLock {
  client: pg.Client;
  backendPid: number;
  release(): Promise<void>;
}

/** The lock key for a plan. */
export function runLockKey(ledgerSchema: string, planId: string): [number, number] {
  return [LOCK_CLASS, hashInt(`${ledgerSchema}:${planId}`)];
}

interface Holder {
  pid: number;
  application_name: string | null;
  backend_start: Date | null;
  client_addr: string | null;
}

async function holderOf(client: pg.Client, key: [number, number]): Promise<Holder | undefined> {
  const r = await client.query<Holder>(
    `SELECT a.pid, a.application_name, a.backend_start, a.client_addr::text
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.classid::int = $1 AND l.objid::int = $2 AND l.objsubid = 2 AND l.granted`,
    [key[0], key[1]],
  );
  return r.rows[0];
}

function describeHolder(h: Holder | undefined): string {
  if (!h) return 'a session that released the lock while we looked';
  const since = h.backend_start ? `, connected since ${h.backend_start.toISOString()}` : '';
  return `pid ${h.pid} (${h.application_name || 'no application_name'}${h.client_addr ? ` from ${h.client_addr}` : ''}${since})`;
}

/** Take the plan's run lock or throw {@link RunLockedError}. */
export async function acquireRunLock(url: string, ledgerSchema: string, planId: string, waitSeconds = 0, applicationName = `tidemark:${planId}`): Promise<RunLock> {
  const client = new pg.Client({ connectionString: url, application_name: applicationName.slice(0, 63) });
  client.on('error', () => undefined);
  await client.connect();
  const key = runLockKey(ledgerSchema, planId);
  const deadline = Date.now() + waitSeconds * 1000;
  try {
    for (;;) {
      const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', key);
      if (r.rows[0].ok) break;
      if (Date.now() >= deadline) throw new RunLockedError(planId, describeHolder(await holderOf(client, key)));
      await sleep(Math.min(500, Math.max(50, deadline - Date.now())));
    }
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const mine = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND classid::int = $1 AND objid::int = $2 AND objsubid = 2 AND granted AND pid = pg_backend_pid()`,
      key,
    );
    if (Number(mine.rows[0].n) === 0) {
      throw new UsageError(
        'the run lock was not held by our own database session: this connection goes through a transaction-mode pooler (e.g. PgBouncer pool_mode=transaction)',
        'Point Tidemark at the database directly or at a session-mode pool: session advisory locks and multi-step DDL need one server session.',
      );
    }
    return {
      client,
      backendPid: pid,
      async release() {
        await client.query('SELECT pg_advisory_unlock($1, $2)', key).catch(() => undefined);
        await client.end().catch(() => undefined);
      },
    };
  } catch (e) {
    await client.end().catch(() => undefined);
    throw e;
  }
}
