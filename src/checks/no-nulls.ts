/**
 * `check.noNulls({ id, table, column, where? })` — passes when no row (matching `where`) has
 * `column` NULL. The sample lists up to 10 such rows by key. A per-row check: it fuses with the
 * table's other per-row checks into one scan (see fused.ts). See docs/checks/no-nulls.md.
 */
import type { z } from 'zod';
import { ident, sqlExpr } from '../kind/fields.js';
import { displayRelation, quoteIdent, quoteRelation } from '../sql/ident.js';
import { columnTypes } from './compare.js';
import { onlyWhenItFails } from './describe.js';
import type { RowProbe } from './fused.js';
import { andWhere, SAMPLE_SIZE, sampleKey } from './sample.js';
import { rowCheckKind, tableCheckSchema } from './table-check.js';

/** The options of `check.noNulls`, as a plan writes them (zod). */
export const schema = tableCheckSchema({
  column: ident,
  where: sqlExpr.optional(),
});

/** Validated options of `check.noNulls`. */
export type Options = z.infer<typeof schema>;
/** Options of `check.noNulls` as the builder accepts them. */
export type Input = z.input<typeof schema>;

const probe: RowProbe<Options> = {
  table: (o) => o.table,
  async aggregates(ctx, o) {
    await columnTypes(ctx.db.pool, o.table, [o.column]);
    return { bad: `count(*) FILTER (${andWhere(`${quoteIdent(o.column)} IS NULL`, o.where)})` };
  },
  async finish(ctx, o, values) {
    const n = Number(values.bad ?? 0);
    if (n === 0) return { status: 'pass', actual: 0, expected: 0, sample: [] };
    const c = quoteIdent(o.column);
    const key = await sampleKey(ctx.db.pool, o.table);
    const extra = key.cols.includes(o.column) ? [] : [c];
    const sample = await ctx.db.rows(
      `SELECT ${[key.select, ...extra].join(', ')} FROM ${quoteRelation(o.table)} ${andWhere(`${c} IS NULL`, o.where)} ORDER BY ${key.order} LIMIT ${SAMPLE_SIZE}`,
    );
    return {
      status: 'fail',
      actual: n,
      expected: 0,
      sample,
      message: `${n} row(s) of ${displayRelation(o.table)} have ${o.column} NULL`,
    };
  },
  notes: (o) => [onlyWhenItFails(`up to ${SAMPLE_SIZE} rows with ${o.column} NULL, by key`)],
};

/** The `check.noNulls` kind. */
export const kind = rowCheckKind('check.noNulls', schema, probe);
