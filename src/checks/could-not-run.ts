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

/** A missing table, column, schema, function or type, as PostgreSQL words it (SQLSTATE 42P01, 42703, …). */
const MISSING_OBJECT = /\bdoes not exist\b/;

/**
 * What to do about failing checks that could not run, from their messages: there are no rows to
 * fix. A missing table or column is a wrong name in the plan, or the step that creates it has not
 * run (docs/proof.md).
 */
export function couldNotRunAdvice(messages: readonly string[]): string {
  if (messages.some((m) => MISSING_OBJECT.test(m)))
    return 'a table or column the check names does not exist: check the names in the plan, or run the step that creates it first (it must be in an earlier phase), then run again';
  return 'fix the check (its message says why: bad SQL, a permission, a lock it could not get), then run again';
}
