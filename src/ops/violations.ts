/**
 * When a constraint cannot be added because of the data, say which rows: how many violate it and
 * a sample of up to 10 (key + values), in the same shape the proof's checks use — NULLs through
 * `check.noNulls`, duplicates through `check.unique`, orphans through `check.noOrphans` (single
 * column; composite keys are counted here the same way).
 */

import * as noNulls from '../checks/no-nulls.js';
import * as noOrphans from '../checks/no-orphans.js';
import { SAMPLE_SIZE, sampleKey } from '../checks/sample.js';
import { columnRefs, loadSqlParser } from '../checks/sql-columns.js';
import * as uniqueCheck from '../checks/unique.js';
import { columnsOf } from '../db/catalog.js';
import type { CheckKind, CheckResult, ReadContext } from '../kind/step-kind.js';
import { StepFailedError } from '../model/errors.js';
import type { RelationName } from '../model/plan.js';
import { displayRelation, quoteIdent, quoteRelation } from '../sql/ident.js';

/** Rows that stop a constraint: how many, and a sample. */
export interface Violations {
  count: number;
  sample: Record<string, unknown>[];
  /** What is wrong, in one phrase: `3 row(s) have tenant_id NULL`. */
  message: string;
}

/** A check kind's `evaluate`, when that kind has one (the checks are built alongside the ops). */
function evaluator<O>(k: unknown): ((ctx: ReadContext, o: O) => Promise<CheckResult>) | undefined {
  const e = (k as Partial<CheckKind>).evaluate;
  return typeof e === 'function' ? (e as unknown as (ctx: ReadContext, o: O) => Promise<CheckResult>) : undefined;
}

function fromCheck(r: CheckResult, fallback: string): Violations | null {
  if (r.status === 'pass' || r.status === 'superseded') return null;
  return { count: Number(r.actual), sample: r.sample, message: r.message ?? fallback };
}

/** Rows whose `column` is NULL (via `check.noNulls`). */
export async function nullViolations(
  ctx: ReadContext,
  table: RelationName,
  column: string,
): Promise<Violations | null> {
  const r = await noNulls.kind.evaluate(ctx, { id: ctx.step.id, table, column });
  return fromCheck(r, `rows have ${column} NULL`);
}

/** Tuples of `columns` held by more than one row (matching `where`), via `check.unique` when available. */
export async function duplicateViolations(
  ctx: ReadContext,
  table: RelationName,
  columns: string[],
  where?: string,
): Promise<Violations | null> {
  const ev = evaluator<uniqueCheck.Options>(uniqueCheck.kind);
  if (ev) return fromCheck(await ev(ctx, { id: ctx.step.id, table, columns, where }), 'duplicate values');
  const cols = columns.map(quoteIdent).join(', ');
  const notNull = [...columns.map((c) => `${quoteIdent(c)} IS NOT NULL`), ...(where ? [`(${where})`] : [])].join(
    ' AND ',
  );
  const t = quoteRelation(table);
  const n = Number(
    (
      await ctx.db.rows<{ n: string }>(
        `SELECT count(*) AS n FROM (SELECT 1 FROM ${t} WHERE ${notNull} GROUP BY ${cols} HAVING count(*) > 1) d`,
      )
    )[0].n,
  );
  if (n === 0) return null;
  const key = await sampleKey(ctx.db.pool, table);
  const extra = columns.filter((c) => !key.cols.includes(c)).map(quoteIdent);
  const sample = await ctx.db.rows(
    `SELECT ${[key.select, ...extra].join(', ')} FROM ${t} WHERE (${cols}) IN (SELECT ${cols} FROM ${t} WHERE ${notNull} GROUP BY ${cols} HAVING count(*) > 1 ORDER BY ${cols} LIMIT ${SAMPLE_SIZE})
      ORDER BY ${cols} LIMIT ${SAMPLE_SIZE}`,
  );
  return {
    count: n,
    sample,
    message: `${n} value(s) of (${columns.join(', ')}) appear more than once in ${displayRelation(table)}`,
  };
}

/** Rows whose (non-NULL) `columns` have no matching row in the referenced table. */
export async function orphanViolations(
  ctx: ReadContext,
  table: RelationName,
  columns: string[],
  refTable: RelationName,
  refColumns: string[],
): Promise<Violations | null> {
  const ev = evaluator<noOrphans.Options>(noOrphans.kind);
  if (ev && columns.length === 1) {
    return fromCheck(
      await ev(ctx, {
        id: ctx.step.id,
        table,
        column: columns[0],
        references: { table: refTable, column: refColumns[0] },
      }),
      'rows have no parent',
    );
  }
  const t = quoteRelation(table);
  const p = quoteRelation(refTable);
  const notNull = columns.map((c) => `child.${quoteIdent(c)} IS NOT NULL`).join(' AND ');
  const match = columns.map((c, i) => `parent.${quoteIdent(refColumns[i])} = child.${quoteIdent(c)}`).join(' AND ');
  const where = `WHERE ${notNull} AND NOT EXISTS (SELECT 1 FROM ${p} AS parent WHERE ${match})`;
  const n = Number((await ctx.db.rows<{ n: string }>(`SELECT count(*) AS n FROM ${t} AS child ${where}`))[0].n);
  if (n === 0) return null;
  const key = await sampleKey(ctx.db.pool, table);
  const keySel =
    key.cols[0] === 'ctid' ? 'child.ctid::text AS ctid' : key.cols.map((c) => `child.${quoteIdent(c)}`).join(', ');
  const extra = columns.filter((c) => !key.cols.includes(c)).map((c) => `child.${quoteIdent(c)}`);
  const order = key.cols[0] === 'ctid' ? 'child.ctid' : key.cols.map((c) => `child.${quoteIdent(c)}`).join(', ');
  const sample = await ctx.db.rows(
    `SELECT ${[keySel, ...extra].join(', ')} FROM ${t} AS child ${where} ORDER BY ${order} LIMIT ${SAMPLE_SIZE}`,
  );
  return {
    count: n,
    sample,
    message: `${n} row(s) of ${displayRelation(table)} reference a missing row of ${displayRelation(refTable)} (${columns.join(', ')} → ${refColumns.join(', ')})`,
  };
}

/** Column names an expression mentions that are columns of the table, for the sample. */
async function columnsIn(ctx: ReadContext, table: RelationName, expression: string): Promise<string[]> {
  await loadSqlParser();
  const cols = await columnsOf(ctx.db.pool, table);
  return columnRefs(expression).filter((c) => cols.has(c));
}

/** Rows for which a CHECK expression is false (NULL passes a CHECK, as in PostgreSQL). */
export async function checkViolations(
  ctx: ReadContext,
  table: RelationName,
  name: string,
  expression: string,
): Promise<Violations | null> {
  const t = quoteRelation(table);
  const where = `WHERE NOT (${expression})`;
  const n = Number((await ctx.db.rows<{ n: string }>(`SELECT count(*) AS n FROM ${t} ${where}`))[0].n);
  if (n === 0) return null;
  const key = await sampleKey(ctx.db.pool, table);
  const extra = (await columnsIn(ctx, table, expression)).filter((c) => !key.cols.includes(c)).map(quoteIdent);
  const order = key.cols[0] === 'ctid' ? 'ctid' : key.cols.map(quoteIdent).join(', ');
  const sample = await ctx.db.rows(
    `SELECT ${[key.select, ...extra].join(', ')} FROM ${t} ${where} ORDER BY ${order} LIMIT ${SAMPLE_SIZE}`,
  );
  return {
    count: n,
    sample,
    message: `${n} row(s) of ${displayRelation(table)} violate check "${name}" (${expression})`,
  };
}

/** One line per sample row: `{"id":3,"tenant_id":null}`. */
export function formatSample(sample: Record<string, unknown>[]): string {
  return sample
    .map((r) => `    ${JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`)
    .join('\n');
}

/** The failure of a step stopped by data: what, how many, which rows, and what to do. */
export function violationError(ctx: ReadContext, v: Violations, what: string, hint: string): StepFailedError {
  const shown = Math.min(v.sample.length, SAMPLE_SIZE);
  const lines = [`step "${ctx.step.id}" (${ctx.step.kind}) cannot ${what}: ${v.message}`];
  if (shown)
    lines.push(
      `  sample (${shown} row${shown === 1 ? '' : 's'}, key and values):`,
      formatSample(v.sample.slice(0, SAMPLE_SIZE)),
    );
  return new StepFailedError(ctx.step.id, lines.join('\n'), hint, {
    violations: v.count,
    sample: v.sample.slice(0, SAMPLE_SIZE),
  });
}
