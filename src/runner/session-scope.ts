/**
 * The frame every command that works on a plan's database shares: take the run lock when the
 * command writes (docs/reliability.md: one runner per plan), open the session, run the command, and
 * whatever happens release the lock and close the session's connections — so no command can leave
 * a pool or a lock behind on a failure path. A command that returns a result for every failure
 * (the runner never throws for expected failures) turns the error into one with its own `failed`,
 * which is given the session when it got that far (to close the ledger's run or end the event
 * stream it started).
 */

import { ledgerSchemaOf } from '../ledger/open.js';
import type { Plan } from '../model/plan.js';
import { type ConnectOptions, openSession } from './open.js';
import { type AcquireOptions, acquireRunLock, type RunLock } from './run-lock.js';

/** A session as {@link openSession} returns it. */
export type OpenedSession = Awaited<ReturnType<typeof openSession>>;

export interface ScopeOptions {
  /** Create or upgrade the ledger (a real run); otherwise use it only if it exists. */
  install: boolean;
  /** Hold the plan's run lock (waiting up to `waitSeconds`) while the command runs. */
  runLock?: { waitSeconds?: number; onWait?: AcquireOptions['onWait'] };
}

/**
 * Run `body` with an open session (and the run lock when asked), closing both whatever happens.
 * Without `failed`, an error is thrown on to the caller.
 */
export async function inSession<T>(
  o: ConnectOptions,
  plan: Plan,
  scope: ScopeOptions,
  body: (session: OpenedSession, lock: RunLock | undefined) => Promise<T>,
  failed?: (e: unknown, session: OpenedSession | undefined) => Promise<T> | T,
): Promise<T> {
  let lock: RunLock | undefined;
  let session: OpenedSession | undefined;
  try {
    if (scope.runLock)
      lock = await acquireRunLock(o.databaseUrl, ledgerSchemaOf(o), plan.id, scope.runLock.waitSeconds ?? 0, {
        onWait: scope.runLock.onWait,
      });
    session = await openSession(o, plan, scope.install);
    return await body(session, lock);
  } catch (e) {
    if (!failed) throw e;
    return await failed(e, session);
  } finally {
    await lock?.release();
    await session?.db.close();
  }
}
