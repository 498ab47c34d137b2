/**
 * `check.noOrphans({ id, table, column, references: { table, column } })` — passes when every
 * non-NULL `column` value has a parent row whose `references.column` equals it. One anti-join
 * (`NOT EXISTS`) counts the orphans and the distinct missing parents; only when there are some, a
 * second query fetches up to 10 orphan rows. Columns of different type families (an enum against
 * text, a uuid against varchar) are compared as text. See docs/checks/no-orphans.md.
 */
import { z } from 'zod';
import { ident, relation } from '../kind/fields.js';
import type { CheckKind, ReadContext } from '../kind/step-kind.js';
import { displayRelation, quoteIdent, quoteRelation } from '../sql/ident.js';
import { columnTypes, directlyComparable, eq } from './compare.js';
import { describeRead, onlyWhenItFails, readAction } from './describe.js';
import { SAMPLE_SIZE, sampleKey } from './sample.js';
import { tableCheckSchema } from './table-check.js';

/** The options of `check.noOrphans`, as a plan writes them (zod). */
export const schema = tableCheckSchema({
  column: ident,
  references: z.object({ table: relation, column: ident }).strict(),
});

/** Validated options of `check.noOrphans`. */
export type Options = z.infer<typeof schema>;
/** Options of `check.noOrphans` as the builder accepts them. */
export type Input = z.input<typeof schema>;

/** The anti-join condition: rows of `c` whose `column` has no parent in `p`. */
async function orphanCondition(ctx: ReadContext, o: Options): Promise<string> {
  const ct = (await columnTypes(ctx.db.pool, o.table, [o.column])).get(o.column)!;
  const pt = (await columnTypes(ctx.db.pool, o.references.table, [o.references.column])).get(o.references.column)!;
  const c = `c.${quoteIdent(o.column)}`;
  const match = eq(`p.${quoteIdent(o.references.column)}`, c, directlyComparable(ct, pt));
  return `${c} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${quoteRelation(o.references.table)} AS p WHERE ${match})`;
}

/** The orphan rows (`… AS c WHERE <no parent>`) and the statement that counts them and their missing parents. */
async function orphanCount(ctx: ReadContext, o: Options): Promise<{ from: string; sql: string }> {
  const from = `${quoteRelation(o.table)} AS c WHERE ${await orphanCondition(ctx, o)}`;
  return { from, sql: `SELECT count(*) AS n, count(DISTINCT c.${quoteIdent(o.column)}) AS parents FROM ${from}` };
}

/** The `check.noOrphans` kind. */
export const kind = {
  kind: 'check.noOrphans',
  category: 'check',
  schema,
  phases: ['preconditions', 'validate'],
  describe: (ctx, o) =>
    describeRead(async () => ({
      actions: [readAction((await orphanCount(ctx, o)).sql)],
      notes: [onlyWhenItFails(`up to ${SAMPLE_SIZE} orphan rows, by key`)],
    })),
  async evaluate(ctx, o) {
    const { from, sql } = await orphanCount(ctx, o);
    const r = (await ctx.db.rows<{ n: string; parents: string }>(sql))[0];
    const n = Number(r.n);
    if (n === 0) return { status: 'pass', actual: 0, expected: 0, sample: [] };
    const key = await sampleKey(ctx.db.pool, o.table, 'c');
    const extra = key.cols.includes(o.column) ? [] : [`c.${quoteIdent(o.column)}`];
    const sample = await ctx.db.rows(
      `SELECT ${[key.select, ...extra].join(', ')} FROM ${from} ORDER BY ${key.order} LIMIT ${SAMPLE_SIZE}`,
    );
    const ref = `${displayRelation(o.references.table)}.${o.references.column}`;
    return {
      status: 'fail',
      actual: n,
      expected: 0,
      sample,
      message: `${n} row(s) of ${displayRelation(o.table)} point at ${Number(r.parents)} missing ${ref} value(s)`,
    };
  },
} satisfies CheckKind<Options>;
