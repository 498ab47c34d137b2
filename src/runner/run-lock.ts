/**
 * The run lock: one session-level advisory lock per (ledger schema, plan id), held on a dedicated
 * connection for the whole run. Ledger status is never a lock; this is. A second runner fails at
 * once (exit 3) naming the holder, or waits `--wait` seconds. A transaction-mode pooler is detected
 * before anything is locked (two connections served by one backend, or one by two) and refused.
 */
import { hostname, userInfo } from 'node:os';
import pg from 'pg';
import { clientConfig } from '../db/client-config.js';
import { sleep } from '../db/lock-safe.js';
import { hashInt } from '../ledger/install.js';
import { runHolder } from '../ledger/run-holder.js';
import { RunLockedError, UsageError } from '../model/errors.js';

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
      WHERE l.locktype = 'advisory' AND l.classid::int = $1 AND l.objid::int = $2 AND l.objsubid = 2 AND l.granted
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [key[0], key[1]],
  );
  return r.rows[0];
}

/**
 * The runner holding the lock: from the ledger's row of its run (user, host, process, since), else
 * from the `application_name` its lock connection carries ({@link lockApplicationName}) — the
 * backend pid alone names no one an operator can find.
 */
async function describeHolder(
  client: pg.Client,
  ledgerSchema: string,
  planId: string,
  h: Holder | undefined,
): Promise<string> {
  if (!h) return 'a session that released the lock while we looked';
  const run = await runHolder(client, ledgerSchema, planId, h.pid).catch(() => undefined);
  const backend = `PostgreSQL backend pid ${h.pid}${h.client_addr ? ` from ${h.client_addr}` : ''}`;
  if (run) {
    const where = [run.host ? `host ${run.host}` : '', run.pid != null ? `pid ${run.pid}` : '']
      .filter(Boolean)
      .join(', ');
    return `${run.runBy}${where ? ` (${where})` : ''}, \`tidemark ${run.command}\` run #${run.runId} since ${fmtSince(run.startedAt)}; ${backend}`;
  }
  const since = h.backend_start ? ` since ${fmtSince(h.backend_start)}` : '';
  return `${h.application_name || 'a session without application_name'}${since}; ${backend}`;
}

const fmtSince = (d: Date) =>
  d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');

/**
 * `application_name` of the lock connection: the plan, then who runs it where (`user@host pid N`),
 * so even before its run is in the ledger a second runner can name it (63 bytes at most).
 */
export function lockApplicationName(planId: string): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    /* no passwd entry */
  }
  const who = ` ${user}@${hostname()} pid ${process.pid}`;
  return Buffer.from(`tidemark:${planId}${who}`)
    .subarray(0, 63)
    .toString()
    .replace(/\uFFFD$/, '');
}

/** Why a connection string that goes through a transaction-mode pooler is refused, and what to do. */
function poolerError(evidence: string): UsageError {
  return new UsageError(
    `this connection goes through a transaction-mode pooler (e.g. PgBouncer pool_mode=transaction): ${evidence}`,
    'Point Tidemark at the database directly or at a session-mode pool: its run lock, lock_timeout and multi-step DDL need one server session per connection.',
  );
}

const backendPid = async (c: pg.Client): Promise<number> =>
  (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;

/**
 * Before any lock is taken: a direct (or session-mode pooled) connection keeps one server backend
 * for its whole life and shares it with no other connection. A transaction-mode pooler hands each
 * transaction whichever backend is free — usually the one just released by another client.
 */
async function assertOwnSession(client: pg.Client, url: string): Promise<number> {
  const first = await backendPid(client);
  const probe = new pg.Client(clientConfig(url, { application_name: 'tidemark:probe' }));
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    const other = await backendPid(probe);
    const again = await backendPid(client);
    if (other === first)
      throw poolerError(`two separate connections were served by the same server backend (pid ${first})`);
    if (again !== first)
      throw poolerError(`one connection was served by two server backends (pids ${first} and ${again})`);
    return first;
  } finally {
    await probe.end().catch(() => undefined);
  }
}

/** While `--wait` waits for the lock: who holds it, said at once and then every {@link WAIT_REPORT_MS}. */
export interface LockWait {
  planId: string;
  holder: string;
  waitedMs: number;
  waitSeconds: number;
}

/** How often a runner waiting for the lock says who holds it. */
export const WAIT_REPORT_MS = 5_000;

export interface AcquireOptions {
  /** `application_name` of the lock connection (default {@link lockApplicationName}). */
  applicationName?: string;
  /** Called while waiting (`waitSeconds` > 0): at the first refusal, then every `reportEveryMs`. */
  onWait?: (w: LockWait) => void;
  reportEveryMs?: number;
}

/** Take the plan's run lock or throw {@link RunLockedError}. Refuses a transaction-mode pooler before locking anything. */
export async function acquireRunLock(
  url: string,
  ledgerSchema: string,
  planId: string,
  waitSeconds = 0,
  opts: AcquireOptions = {},
): Promise<RunLock> {
  const applicationName = opts.applicationName ?? lockApplicationName(planId);
  const client = new pg.Client(clientConfig(url, { application_name: applicationName.slice(0, 63) }));
  client.on('error', () => undefined);
  await client.connect();
  const key = runLockKey(ledgerSchema, planId);
  const started = Date.now();
  const deadline = started + waitSeconds * 1000;
  let nextReport = started;
  try {
    const pid = await assertOwnSession(client, url);
    for (;;) {
      const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', key);
      if (r.rows[0].ok) break;
      const now = Date.now();
      if (now >= deadline)
        throw new RunLockedError(
          planId,
          await describeHolder(client, ledgerSchema, planId, await holderOf(client, key)),
        );
      // A wait that says nothing looks like a hang: name the holder (and since when) now and then.
      if (opts.onWait && now >= nextReport) {
        nextReport = now + (opts.reportEveryMs ?? WAIT_REPORT_MS);
        const holder = await describeHolder(client, ledgerSchema, planId, await holderOf(client, key));
        opts.onWait({ planId, holder, waitedMs: now - started, waitSeconds });
      }
      await sleep(Math.min(500, Math.max(50, deadline - Date.now())));
    }
    const mine = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND classid::int = $1 AND objid::int = $2 AND objsubid = 2 AND granted AND pid = pg_backend_pid()`,
      key,
    );
    if (Number(mine.rows[0].n) === 0 || (await backendPid(client)) !== pid) {
      throw poolerError('the run lock was not held by our own server session after it was taken');
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
