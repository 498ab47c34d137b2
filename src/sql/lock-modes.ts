/** PostgreSQL's table lock modes, and which of them block traffic. */

/** PostgreSQL table lock modes, weakest first. */
export type LockMode =
  | 'none'
  | 'ACCESS SHARE'
  | 'ROW SHARE'
  | 'ROW EXCLUSIVE'
  | 'SHARE UPDATE EXCLUSIVE'
  | 'SHARE'
  | 'SHARE ROW EXCLUSIVE'
  | 'EXCLUSIVE'
  | 'ACCESS EXCLUSIVE';

/** Lock modes that block reads or writes: statements taking them run under the short lock_timeout. */
export const BLOCKING_LOCKS: ReadonlySet<LockMode> = new Set([
  'SHARE',
  'SHARE ROW EXCLUSIVE',
  'EXCLUSIVE',
  'ACCESS EXCLUSIVE',
]);
