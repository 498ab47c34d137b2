/**
 * `check.columnsMatch({ id, table, column, equals, where? })` — backfill fidelity: passes when
 * `column IS NOT DISTINCT FROM (equals)` on every row (matching `where`). `equals` is SQL over the
 * table's row, written as in a hand-written `UPDATE` (bare or table-qualified column names). When
 * `column` and `equals` are of type families PostgreSQL cannot compare (an enum against text),
 * both compare as text. A per-row check: it fuses with the table's other per-row checks into one
 * scan (see fused.ts). The sample shows each offending row's key, its value and the expected value.
 * See docs/checks/columns-match.md.
 */
import type { z } from 'zod';
import { ident, sqlExpr } from '../kind/fields.js';
import type { ReadContext } from '../kind/step-kind.js';
import { displayRelation, quoteIdent, quoteRelation } from '../sql/ident.js';
import { columnTypes, directlyComparable, typeCategory } from './compare.js';
import { onlyWhenItFails } from './describe.js';
import type { RowProbe } from './fused.js';
import { andWhere, freeName, SAMPLE_SIZE, sampleKey } from './sample.js';
import { rowCheckKind, tableCheckSchema } from './table-check.js';

/** The options of `check.columnsMatch`, as a plan writes them (zod). */
export const schema = tableCheckSchema({
  column: ident,
  equals: sqlExpr,
  where: sqlExpr.optional(),
});

/** Validated options of `check.columnsMatch`. */
export type Options = z.infer<typeof schema>;
/** Options of `check.columnsMatch` as the builder accepts them. */
export type Input = z.input<typeof schema>;

/** The condition a row fails; the types of both sides are read from a plan-only `LIMIT 0` query. */
async function mismatch(ctx: ReadContext, o: Options): Promise<string> {
  const col = (await columnTypes(ctx.db.pool, o.table, [o.column])).get(o.column)!;
  // `equals` is SQL by contract: validated as exactly one expression (docs/plans.md, "SQL fragments")
  // and embedded parenthesised; the table is a quoted identifier.
  const probe = await ctx.db.query(`SELECT (${o.equals}) AS e FROM ${quoteRelation(o.table)} LIMIT 0`);
  const oid = probe.fields[0].dataTypeID;
  const c = quoteIdent(o.column);
  const direct =
    oid === col.oid ||
    oid === 705 /* unknown: a bare literal */ ||
    directlyComparable(col, { oid, category: await typeCategory(ctx.db.pool, oid) });
  return direct ? `${c} IS DISTINCT FROM (${o.equals})` : `${c}::text IS DISTINCT FROM (${o.equals})::text`;
}

const probe: RowProbe<Options> = {
  table: (o) => o.table,
  async aggregates(ctx, o) {
    return { bad: `count(*) FILTER (${andWhere(await mismatch(ctx, o), o.where)})` };
  },
  async finish(ctx, o, values) {
    const n = Number(values.bad ?? 0);
    if (n === 0) return { status: 'pass', actual: 0, expected: 0, sample: [] };
    const key = await sampleKey(ctx.db.pool, o.table);
    const cols = key.cols.includes(o.column) ? [...key.cols] : [...key.cols, o.column];
    const expectedAs = quoteIdent(freeName('expected', cols));
    const select = [
      key.select,
      ...(key.cols.includes(o.column) ? [] : [quoteIdent(o.column)]),
      `(${o.equals}) AS ${expectedAs}`,
    ];
    const sample = await ctx.db.rows(
      `SELECT ${select.join(', ')} FROM ${quoteRelation(o.table)} ${andWhere(await mismatch(ctx, o), o.where)} ORDER BY ${key.order} LIMIT ${SAMPLE_SIZE}`,
    );
    return {
      status: 'fail',
      actual: n,
      expected: 0,
      sample,
      message: `${n} row(s) of ${displayRelation(o.table)} have ${o.column} different from ${o.equals}`,
    };
  },
  notes: (o) => [onlyWhenItFails(`up to ${SAMPLE_SIZE} offending rows with ${o.column} and the expected value`)],
};

/** The `check.columnsMatch` kind. */
export const kind = rowCheckKind('check.columnsMatch', schema, probe);
