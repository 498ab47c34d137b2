/**
 * `check.allowedValues({ id, table, column, values })` — passes when every non-NULL `column` value
 * is one of `values`. Numbers compare as numbers on numeric columns, booleans as booleans on boolean
 * columns, everything else as text — so the check still passes on a column `convertToEnum`
 * converted. A per-row check: it fuses with the table's other per-row checks into one scan (see
 * fused.ts). On failure the message lists the offending values with their counts and the sample
 * lists up to 10 rows holding them. See docs/checks/allowed-values.md.
 */
import { z } from 'zod';
import { ident } from '../kind/fields.js';
import type { ReadContext } from '../kind/step-kind.js';
import { displayRelation, quoteIdent, quoteRelation } from '../sql/ident.js';
import { type Bind, Params } from '../sql/params.js';
import { columnTypes } from './compare.js';
import { onlyWhenItFails } from './describe.js';
import type { RowProbe } from './fused.js';
import { andWhere, SAMPLE_SIZE, sampleKey } from './sample.js';
import { rowCheckKind, tableCheckSchema } from './table-check.js';

/** The options of `check.allowedValues`, as a plan writes them (zod). */
export const schema = tableCheckSchema({
  column: ident,
  values: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1, 'must list at least one value'),
});

/** Validated options of `check.allowedValues`. */
export type Options = z.infer<typeof schema>;
/** Options of `check.allowedValues` as the builder accepts them. */
export type Input = z.input<typeof schema>;

/**
 * PostgreSQL (14+) looks a value up in a hash table instead of comparing it with each element when
 * `= ANY(array)` has at least this many elements; repeating the last value is harmless and makes
 * lists of 3 or more hashed, which is cheaper per row than comparing one by one.
 */
const HASHED_ARRAY_MIN = 9;

/** The list as array elements, padded so PostgreSQL hashes it (see {@link HASHED_ARRAY_MIN}). */
function elements<T>(values: T[]): T[] {
  if (values.length < 3 || values.length >= HASHED_ARRAY_MIN) return values;
  return [...values, ...Array<T>(HASHED_ARRAY_MIN - values.length).fill(values[values.length - 1])];
}

/** The condition a row fails: a non-NULL value outside the list. */
async function outside(ctx: ReadContext, o: Options, bind: Bind): Promise<string> {
  const type = (await columnTypes(ctx.db.pool, o.table, [o.column])).get(o.column)!;
  const c = quoteIdent(o.column);
  let test: string;
  if (type.category === 'N' && o.values.every((v) => typeof v === 'number'))
    test = `${c} = ANY(${bind(elements(o.values.map(String)))}::numeric[])`;
  else if (type.category === 'B' && o.values.every((v) => typeof v === 'boolean'))
    test = `${c} = ANY(${bind(o.values)}::boolean[])`;
  else test = `${c}::text = ANY(${bind(elements(o.values.map(String)))}::text[])`;
  return `${c} IS NOT NULL AND NOT (${test})`;
}

const probe: RowProbe<Options> = {
  table: (o) => o.table,
  async aggregates(ctx, o, bind) {
    return { bad: `count(*) FILTER (WHERE ${await outside(ctx, o, bind)})` };
  },
  async finish(ctx, o, values) {
    const n = Number(values.bad ?? 0);
    if (n === 0) return { status: 'pass', actual: 0, expected: 0, sample: [] };
    const t = quoteRelation(o.table);
    const c = quoteIdent(o.column);
    const p = new Params();
    const where = andWhere(await outside(ctx, o, p.bind));
    const key = await sampleKey(ctx.db.pool, o.table);
    const extra = key.cols.includes(o.column) ? [] : [c];
    const sample = await ctx.db.rows(
      `SELECT ${[key.select, ...extra].join(', ')} FROM ${t} ${where} ORDER BY ${key.order} LIMIT ${SAMPLE_SIZE}`,
      p.values,
    );
    const top = await ctx.db.rows<{ v: string; n: string }>(
      `SELECT ${c}::text AS v, count(*) AS n FROM ${t} ${where} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ${SAMPLE_SIZE}`,
      p.values,
    );
    const listed = top.map((x) => `${JSON.stringify(x.v)} (${x.n})`).join(', ');
    return {
      status: 'fail',
      actual: n,
      expected: 0,
      sample,
      message: `${n} row(s) of ${displayRelation(o.table)} have ${o.column} outside the allowed values: ${listed}${top.length === SAMPLE_SIZE ? ', …' : ''}`,
    };
  },
  notes: () => [
    onlyWhenItFails(`up to ${SAMPLE_SIZE} offending rows and the ${SAMPLE_SIZE} most frequent offending values`, 2),
  ],
};

/** The `check.allowedValues` kind. */
export const kind = rowCheckKind('check.allowedValues', schema, probe);
