/**
 * Who holds a plan's run lock, as the ledger knows it: the `runs` row of the running run whose
 * lock connection is the holder's backend (docs/lock-safety.md, "The run lock").
 */
import type { Queryable } from '../db/connection.js';
import { quoteIdent } from '../sql/ident.js';

/** The runner behind a run: who, where, which process, since when. */
export interface RunHolder {
  runId: number;
  command: string;
  runBy: string;
  host: string | null;
  pid: number | null;
  startedAt: Date;
}

/**
 * The running run of `planId` whose run-lock connection is server backend `backendPid`, or
 * undefined (no ledger yet, or the holder has not recorded its run yet).
 */
export async function runHolder(
  client: Queryable,
  schema: string,
  planId: string,
  backendPid: number,
): Promise<RunHolder | undefined> {
  const runs = `${quoteIdent(schema)}.runs`;
  const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [runs]);
  if (!exists.rows[0]?.t) return undefined;
  const r = await client.query<{
    run_id: string;
    command: string;
    run_by: string;
    host: string | null;
    pid: number | null;
    started_at: Date;
  }>(
    `SELECT run_id, command, run_by, host, pid, started_at FROM ${runs}
      WHERE plan_id = $1 AND backend_pid = $2 AND status = 'running' ORDER BY run_id DESC LIMIT 1`,
    [planId, backendPid],
  );
  const row = r.rows[0];
  return row
    ? {
        runId: Number(row.run_id),
        command: row.command,
        runBy: row.run_by,
        host: row.host,
        pid: row.pid,
        startedAt: row.started_at,
      }
    : undefined;
}
