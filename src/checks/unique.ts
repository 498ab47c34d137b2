/**
 * `check.unique({ id, table, columns, where? })` — passes when no two rows (matching `where`) share
 * the same tuple of `columns`. Rows with a NULL in any of the columns are never duplicates, as in a
 * unique index. One grouped aggregate finds the duplicates; only when there are some, a second
 * query fetches the rows that share the first duplicated tuples. See docs/checks/unique.md.
 */
import type { z } from 'zod';
import { identList, sqlExpr } from '../kind/fields.js';
import type { CheckKind } from '../kind/step-kind.js';
import { displayRelation, quoteIdent, quoteRelation } from '../sql/ident.js';
import { columnTypes } from './compare.js';
import { describeRead, onlyWhenItFails, readAction } from './describe.js';
import { andWhere, fromWhere, SAMPLE_SIZE, sampleKey } from './sample.js';
import { tableCheckSchema } from './table-check.js';

/** The options of `check.unique`, as a plan writes them (zod). */
export const schema = tableCheckSchema({
  columns: identList,
  where: sqlExpr.optional(),
});

/** Validated options of `check.unique`. */
export type Options = z.infer<typeof schema>;
/** Options of `check.unique` as the builder accepts them. */
export type Input = z.input<typeof schema>;

/** The statement that counts duplicated tuples and the rows holding them. */
export function uniqueCountSql(o: Options): string {
  const cols = o.columns.map(quoteIdent).join(', ');
  // NULLs are tested once per group (in HAVING), not once per row: the rows with a NULL key gather in groups that are dropped.
  const having = ['count(*) > 1', ...o.columns.map((c) => `${quoteIdent(c)} IS NOT NULL`)].join(' AND ');
  return `SELECT count(*) AS groups, coalesce(sum(n), 0) AS rows FROM (SELECT count(*) AS n FROM ${fromWhere(quoteRelation(o.table), o.where)} GROUP BY ${cols} HAVING ${having}) d`;
}

/** The `check.unique` kind. */
export const kind = {
  kind: 'check.unique',
  category: 'check',
  schema,
  phases: ['preconditions', 'validate'],
  describe: (ctx, o) =>
    describeRead(async () => {
      await columnTypes(ctx.db.pool, o.table, o.columns);
      return {
        actions: [readAction(uniqueCountSql(o))],
        notes: [onlyWhenItFails(`the rows of up to ${SAMPLE_SIZE} duplicated values`)],
      };
    }),
  async evaluate(ctx, o) {
    await columnTypes(ctx.db.pool, o.table, o.columns);
    const r = (await ctx.db.rows<{ groups: string; rows: string }>(uniqueCountSql(o)))[0];
    const groups = Number(r.groups);
    if (groups === 0) return { status: 'pass', actual: 0, expected: 0, sample: [] };
    const rows = Number(r.rows);
    const t = quoteRelation(o.table);
    // The table keeps its own name (no alias): `where` may name its columns qualified by it.
    const key = await sampleKey(ctx.db.pool, o.table, t);
    const notNull = o.columns.map((c) => `${quoteIdent(c)} IS NOT NULL`);
    const cols = o.columns.map(quoteIdent).join(', ');
    const join = o.columns.map((c, i) => `${t}.${quoteIdent(c)} = tidemark_dups.tidemark_dup_${i}`).join(' AND ');
    const extra = o.columns.filter((c) => !key.cols.includes(c)).map((c) => `${t}.${quoteIdent(c)}`);
    const sample = await ctx.db.rows(
      `WITH tidemark_dups(${o.columns.map((_, i) => `tidemark_dup_${i}`).join(', ')}) AS (SELECT ${cols} FROM ${t} ${andWhere(o.where)} GROUP BY ${cols} HAVING ${['count(*) > 1', ...notNull].join(' AND ')} ORDER BY ${cols} LIMIT ${SAMPLE_SIZE})
       SELECT ${[key.select, ...extra].join(', ')} FROM ${t} JOIN tidemark_dups ON ${join} ${andWhere(o.where)}
       ORDER BY ${o.columns.map((c) => `${t}.${quoteIdent(c)}`).join(', ')}, ${key.order} LIMIT ${SAMPLE_SIZE}`,
    );
    const what = o.columns.length === 1 ? o.columns[0] : `(${o.columns.join(', ')})`;
    return {
      status: 'fail',
      actual: groups,
      expected: 0,
      sample,
      message: `${groups} value(s) of ${what} appear more than once in ${displayRelation(o.table)} (${rows} rows)`,
    };
  },
} satisfies CheckKind<Options>;
