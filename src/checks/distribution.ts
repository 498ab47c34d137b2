/**
 * `check.distribution({ id, table, column, where? })` — always passes; reports the count of rows
 * per value (seed 003: threads by number class). See docs/checks/distribution.md.
 */
import type { z } from 'zod';
import { ident, sqlExpr } from '../kind/fields.js';
import type { CheckKind } from '../kind/step-kind.js';
import { quoteIdent, quoteRelation } from '../sql/ident.js';
import { columnTypes } from './compare.js';
import { describeRead, readAction } from './describe.js';
import { fromWhere } from './sample.js';
import { tableCheckSchema } from './table-check.js';

/** The options of `check.distribution`, as a plan writes them (zod). */
export const schema = tableCheckSchema({
  column: ident,
  where: sqlExpr.optional(),
});

/** Validated options of `check.distribution`. */
export type Options = z.infer<typeof schema>;
/** Options of `check.distribution` as the builder accepts them. */
export type Input = z.input<typeof schema>;

/** At most this many distinct values are listed; the rest are summed as "(other)". */
const MAX_VALUES = 50;

/** The statement that counts the rows per value, most frequent first. */
function distributionSql(o: Options): string {
  return `SELECT ${quoteIdent(o.column)}::text AS value, count(*) AS n FROM ${fromWhere(quoteRelation(o.table), o.where)} GROUP BY 1 ORDER BY 2 DESC, 1 NULLS LAST`;
}

/** The `check.distribution` kind. */
export const kind = {
  kind: 'check.distribution',
  category: 'check',
  schema,
  phases: ['preconditions', 'validate'],
  describe: (ctx, o) =>
    describeRead(async () => {
      await columnTypes(ctx.db.pool, o.table, [o.column]);
      return {
        actions: [readAction(distributionSql(o))],
        notes: [`lists the ${MAX_VALUES} most frequent values, the rest summed as "(other)"; always passes`],
      };
    }),
  async evaluate(ctx, o) {
    const rows = await ctx.db.rows<{ value: unknown; n: string }>(distributionSql(o));
    const distribution = rows.slice(0, MAX_VALUES).map((r) => ({ value: r.value, count: Number(r.n) }));
    if (rows.length > MAX_VALUES) {
      distribution.push({ value: '(other)', count: rows.slice(MAX_VALUES).reduce((s, r) => s + Number(r.n), 0) });
    }
    const total = rows.reduce((s, r) => s + Number(r.n), 0);
    return {
      status: 'pass',
      actual: `${rows.length} value(s), ${total} row(s)`,
      expected: 'any',
      sample: [],
      distribution,
    };
  },
} satisfies CheckKind<Options>;
