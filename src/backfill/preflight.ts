/**
 * Preflight: before a backfill writes anything (its trigger included), every SQL fragment of the
 * step is planned with EXPLAIN (never executed) on its own, so a wrong column or a type mismatch is
 * reported against the field that holds it (`set.primaryIntent`, `where`, `keepInSync.reverse.model`)
 * as a plan problem (exit 2), with every problem at once. Each fragment is first read by the parser
 * as exactly one expression, as plan validation does, so a plan built without validation cannot
 * escape the parentheses of a batch either (docs/plans.md, "SQL fragments").
 */
import type pg from 'pg';
import type { Db } from '../db/connection.js';
import { PlanInvalidError } from '../model/errors.js';
import type { Phase, PlanIssue } from '../model/plan.js';
import { fragmentProblem } from '../sql/fragment.js';
import { quoteIdent } from '../sql/ident.js';
import { ensureParser } from '../sql/parse.js';
import type { TableInfo } from './key.js';
import { whenQuery } from './throttle.js';

/** One fragment to check: the field it comes from and the statement to plan. */
export interface Probe {
  field: string;
  sql: string;
  /** Said after the error, when the statement is not the obvious one. */
  context?: string;
  /** The plan's expression embedded in `sql`: it must be exactly one expression before `sql` is planned. */
  expression?: string;
}

/** Column problems found from the catalog alone. */
export function missingColumns(
  field: string,
  table: TableInfo,
  columns: Iterable<string>,
  have: ReadonlyMap<string, unknown>,
): Omit<PlanIssue, 'phase' | 'stepId'>[] {
  const out: Omit<PlanIssue, 'phase' | 'stepId'>[] = [];
  for (const c of columns)
    if (!have.has(c))
      out.push({
        field: field.includes('*') ? field.replace('*', c) : field,
        message: `${table.display} has no column "${c}"`,
      });
  return out;
}

/** Plan each probe; collect the errors as issues. */
export async function runProbes(db: Db, probes: Probe[]): Promise<Omit<PlanIssue, 'phase' | 'stepId'>[]> {
  const issues: Omit<PlanIssue, 'phase' | 'stepId'>[] = [];
  await ensureParser();
  const planned: Probe[] = [];
  for (const p of probes) {
    const problem = p.expression === undefined ? undefined : fragmentProblem(p.expression, 'expression');
    if (!problem) planned.push(p);
    else if (!issues.some((i) => i.field === p.field)) issues.push({ field: p.field, message: problem });
  }
  await db.withClient(async (client: pg.PoolClient) => {
    await client.query('BEGIN');
    try {
      for (const p of planned) {
        await client.query('SAVEPOINT tidemark_probe');
        try {
          // Extended protocol: one statement, whatever the fragment holds.
          await client.query({ text: `EXPLAIN ${p.sql}`, queryMode: 'extended' } as pg.QueryConfig);
          await client.query('RELEASE SAVEPOINT tidemark_probe');
        } catch (e) {
          await client.query('ROLLBACK TO SAVEPOINT tidemark_probe');
          const err = e as { message?: string; hint?: string };
          const msg = `${err.message ?? String(e)}${err.hint ? ` (hint: ${err.hint})` : ''}${p.context ? `, ${p.context}` : ''}`;
          if (!issues.some((i) => i.field === p.field)) issues.push({ field: p.field, message: msg });
        }
      }
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
    }
  });
  return issues;
}

/**
 * Probes for an update backfill's `set`, `where`, `keepInSync.reverse` and `throttle.when`. With
 * keepInSync, each expression is also planned the way the trigger evaluates it — against the row
 * under the table's bare name — so a form the trigger cannot run is refused before old code hits it.
 */
export function updateProbes(
  table: TableInfo,
  o: {
    set?: Record<string, string>;
    where?: string;
    reverse?: Record<string, string>;
    when?: string;
    keepInSync?: boolean;
  },
): Probe[] {
  const probes: Probe[] = [];
  const asTrigger = (e: string) => `SELECT (${e}) FROM (SELECT * FROM ${table.qualified}) AS ${quoteIdent(table.name)}`;
  for (const [c, e] of Object.entries(o.set ?? {})) {
    probes.push({
      field: `set.${c}`,
      sql: `UPDATE ${table.sql} SET ${quoteIdent(c)} = (${e}) WHERE false`,
      expression: e,
    });
    if (o.keepInSync)
      probes.push({
        field: `set.${c}`,
        sql: asTrigger(e),
        context: `as the keepInSync trigger evaluates it (against the written row, named ${table.name})`,
      });
  }
  for (const [c, e] of Object.entries(o.reverse ?? {})) {
    probes.push({
      field: `keepInSync.reverse.${c}`,
      sql: `UPDATE ${table.sql} SET ${quoteIdent(c)} = (${e}) WHERE false`,
      expression: e,
    });
    probes.push({
      field: `keepInSync.reverse.${c}`,
      sql: asTrigger(e),
      context: `as the keepInSync trigger evaluates it (against the written row, named ${table.name})`,
    });
  }
  if (o.where)
    probes.push({ field: 'where', sql: `SELECT 1 FROM ${table.sql} WHERE (${o.where})`, expression: o.where });
  if (o.when) probes.push({ field: 'throttle.when', sql: whenQuery(o.when) });
  return probes;
}

/** Probes for an insert backfill's `values`, `where` and `onConflict`. */
export function insertProbes(
  from: TableInfo,
  into: TableInfo,
  o: { values?: Record<string, string>; where?: string; conflict: string; conflictColumns?: string[] },
): Probe[] {
  const probes: Probe[] = [];
  for (const [c, e] of Object.entries(o.values ?? {}))
    probes.push({
      field: `values.${c}`,
      sql: `INSERT INTO ${into.sql} (${quoteIdent(c)}) SELECT (${e}) FROM ${from.sql} WHERE false`,
      expression: e,
    });
  if (o.where)
    probes.push({ field: 'where', sql: `SELECT 1 FROM ${from.sql} WHERE (${o.where})`, expression: o.where });
  // The probe inserts only the columns the batches insert: `SELECT *` would name a `GENERATED
  // ALWAYS` identity or generated column, which PostgreSQL refuses at analysis even for no rows
  // (docs/steps/backfill-insert.md). A bare `ON CONFLICT DO NOTHING` over a transform names nothing
  // to check.
  const cols = o.conflictColumns ?? [];
  if (o.conflict && cols.length) {
    const list = cols.map(quoteIdent).join(', ');
    probes.push({
      field: 'onConflict',
      sql: `INSERT INTO ${into.sql} (${list}) SELECT ${list} FROM ${into.sql} WHERE false${o.conflict}`,
    });
  }
  return probes;
}

/** Throw the issues as a plan problem naming the step and its fields. */
export function refuse(
  planId: string,
  phase: Phase,
  stepId: string,
  issues: Omit<PlanIssue, 'phase' | 'stepId'>[],
): never {
  throw new PlanInvalidError(
    issues.map((i) => ({ phase, stepId, ...i })),
    planId,
  );
}
