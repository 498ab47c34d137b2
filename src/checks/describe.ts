/**
 * What `tidemark plan` prints for a check: the statements its evaluation runs, built by the same
 * functions `evaluate` uses (never a second copy of the SQL), each a read under ACCESS SHARE.
 *
 * - Per-row checks (those with a {@link RowProbe}) are described together: the single fused
 *   statement of their group, on the group's first check; the others name the step that carries it
 *   ({@link describeScan}).
 * - Set checks, `query`, `distribution` and `migrationApplied` describe their main query in their
 *   own `describe`; the sample query that runs only when they fail is a note.
 * - A table or column that does not exist yet (an earlier step of the plan creates it) is a note,
 *   not an error ({@link describeRead}).
 */

import { resolveRelation } from '../db/catalog.js';
import { type Queryable, sqlState } from '../db/connection.js';
import type { Action, Description } from '../kind/step-kind.js';
import type { RelationName } from '../model/plan.js';
import { fragmentProblem } from '../sql/fragment.js';
import { displayRelation } from '../sql/ident.js';
import { MissingObjectError } from './compare.js';
import { fusedStatement, type ScanMember } from './fused.js';
import { SAMPLE_SIZE } from './sample.js';

/**
 * A statement a check runs: a read, under ACCESS SHARE. It is labelled read-only only when the
 * parser reads it as exactly one query; anything else is said to be refused, as the check's
 * read-only session refuses it (checks/read-only.ts), so `plan` never calls a write a read.
 */
export function readAction(sql: string, params?: unknown[], note = 'read-only'): Action {
  let problem: string | undefined;
  try {
    problem = fragmentProblem(sql, 'query');
  } catch {
    problem = 'could not be read by the SQL parser';
  }
  const said = problem ? `NOT a single read-only query (it ${problem}): the check refuses to run it` : note;
  return { sql, ...(params?.length ? { params } : {}), lock: 'ACCESS SHARE', note: said };
}

/** The note for queries that run only when the check fails: `only when it fails: one more query fetches …`. */
export function onlyWhenItFails(fetches = `up to ${SAMPLE_SIZE} offending rows`, queries: 1 | 2 = 1): string {
  return `only when it fails: ${queries === 1 ? 'one more query fetches' : 'two more queries fetch'} ${fetches}`;
}

/** SQLSTATEs of a missing table, column, schema or function: what an earlier step may still create. */
const NOT_YET = new Set(['42P01', '42703', '3F000', '42883', '42704']);

/**
 * The note for an error met while building a check's SQL, or undefined when it is not one of
 * those: a missing object (an earlier step of the plan may create it), or SQL of the check's own
 * options the database refuses (the check could not run as the database is now).
 */
export function notBuildable(e: unknown): string | undefined {
  const msg = (e as Error)?.message;
  if (e instanceof MissingObjectError || NOT_YET.has(sqlState(e) ?? '')) {
    return `${msg} yet (an earlier step of the plan must create it): the SQL is built when the check runs`;
  }
  if (sqlState(e))
    return `its SQL cannot be built against the database as it is: ${msg} (run now, the check could not run)`;
  return undefined;
}

/**
 * A check's description from `build`, or a note saying why its SQL cannot be built yet: a table or
 * column it names does not exist (an earlier step creates it), or the database refuses SQL it was
 * given. Other errors are thrown.
 */
export async function describeRead(build: () => Promise<Description>): Promise<Description> {
  try {
    return await build();
  } catch (e) {
    const why = notBuildable(e);
    if (why === undefined) throw e;
    return { actions: [], notes: [why] };
  }
}

/** True when the (possibly qualified) relation exists. */
async function relationExists(db: Queryable, table: RelationName): Promise<boolean> {
  return (await resolveRelation(db, table)) !== null;
}

/**
 * The description of per-row check `self` of a fused scan over `members` (the group the runner
 * computes in one pass, in plan order). The group's first member carries the one statement, with
 * its parameters as the runner sends them; the others say which step carries it. Each member adds
 * its probe's notes (what runs only when it fails).
 */
export async function describeScan(
  db: Queryable,
  self: ScanMember,
  members: readonly ScanMember[],
): Promise<Description> {
  const first = members[0] ?? self;
  const group = members.length ? members : [self];
  const table = first.probe.table(first.options) as RelationName;
  const own = self.probe.notes?.(self.options) ?? [];
  if (first.id !== self.id) {
    return {
      actions: [],
      notes: [
        `fused into the scan of ${first.id} (one pass over ${displayRelation(table)} for ${group.length} checks)`,
        ...own,
      ],
    };
  }
  const d = await describeRead(async () => {
    if (!(await relationExists(db, table)))
      throw new MissingObjectError(`table "${displayRelation(table)}" does not exist`);
    const st = await fusedStatement(table, group);
    const note =
      group.length > 1
        ? `read-only; one scan for ${group.length} checks: ${group.map((m) => m.id).join(', ')}`
        : 'read-only';
    return { actions: [readAction(st.sql, st.params, note)] };
  });
  return { actions: d.actions, notes: [...(d.notes ?? []), ...own] };
}
