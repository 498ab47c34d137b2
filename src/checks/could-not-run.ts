/**
 * A check that could not run (bad SQL, a missing table or column, a read lock it could not get) is
 * not a fifth status: it is `fail` (or `warn` under `severity: 'warn'`) with `error: true` and a
 * message beginning with {@link COULD_NOT_RUN}. The ledger stores only status and message, so
 * readers of `check_results` (reports, `status`) recognise such a result by that prefix — and by
 * the status `error` of rows written before it was folded into `fail`.
 */

/** How the message of a check that could not run begins. */
export const COULD_NOT_RUN = 'the check could not run: ';

/** The message of a check that could not run, from the reason (a database error's text). */
export function couldNotRunMessage(reason: string): string {
  return `${COULD_NOT_RUN}${reason}`;
}

/** True when a stored result (status and message from `check_results`) is one of a check that could not run. */
export function isCouldNotRun(status: unknown, message: unknown): boolean {
  return status === 'error' || (typeof message === 'string' && message.startsWith(COULD_NOT_RUN));
}
