/**
 * `check.sameTenant({ id, table, column, tenantColumn, references: { table, column, tenantColumn } })`
 * — no cross-tenant leakage: passes when no child row points (via `column`) at a parent row of
 * another tenant. Tenants compare with `IS DISTINCT FROM`, so a child without a tenant pointing at
 * a parent with one is reported too; children without a parent are not (that is `noOrphans`' job).
 * One join counts the offenders; only when there are some, a second query fetches up to 10 with
 * both tenants. See docs/checks/same-tenant.md.
 */
import { z } from 'zod';
import { ident, relation } from '../kind/fields.js';
import type { CheckKind, ReadContext } from '../kind/step-kind.js';
import { displayRelation, parseRelation, quoteIdent, quoteRelation } from '../sql/ident.js';
import { columnTypes, directlyComparable, eq } from './compare.js';
import { describeRead, onlyWhenItFails, readAction } from './describe.js';
import { freeName, SAMPLE_SIZE, sampleKey } from './sample.js';
import { tableCheckSchema } from './table-check.js';

/** The options of `check.sameTenant`, as a plan writes them (zod). */
export const schema = tableCheckSchema({
  column: ident,
  tenantColumn: ident,
  references: z.object({ table: relation, column: ident, tenantColumn: ident }).strict(),
});

/** Validated options of `check.sameTenant`. */
export type Options = z.infer<typeof schema>;
/** Options of `check.sameTenant` as the builder accepts them. */
export type Input = z.input<typeof schema>;

/** `FROM child c JOIN parent p ON … WHERE tenants differ`, types compared as text where needed. */
async function leakage(ctx: ReadContext, o: Options): Promise<string> {
  const ct = await columnTypes(ctx.db.pool, o.table, [o.column, o.tenantColumn]);
  const pt = await columnTypes(ctx.db.pool, o.references.table, [o.references.column, o.references.tenantColumn]);
  const join = eq(
    `p.${quoteIdent(o.references.column)}`,
    `c.${quoteIdent(o.column)}`,
    directlyComparable(ct.get(o.column)!, pt.get(o.references.column)!),
  );
  const direct = directlyComparable(ct.get(o.tenantColumn)!, pt.get(o.references.tenantColumn)!);
  const cten = `c.${quoteIdent(o.tenantColumn)}`;
  const pten = `p.${quoteIdent(o.references.tenantColumn)}`;
  const differ = direct ? `${cten} IS DISTINCT FROM ${pten}` : `${cten}::text IS DISTINCT FROM ${pten}::text`;
  return `${quoteRelation(o.table)} AS c JOIN ${quoteRelation(o.references.table)} AS p ON ${join} WHERE ${differ}`;
}

/** The statement that counts the offending rows of {@link leakage}. */
const leakageCount = (from: string): string => `SELECT count(*) AS n FROM ${from}`;

/** The `check.sameTenant` kind. */
export const kind = {
  kind: 'check.sameTenant',
  category: 'check',
  schema,
  phases: ['preconditions', 'validate'],
  describe: (ctx, o) =>
    describeRead(async () => ({
      actions: [readAction(leakageCount(await leakage(ctx, o)))],
      notes: [onlyWhenItFails(`up to ${SAMPLE_SIZE} offending rows with both tenants`)],
    })),
  async evaluate(ctx, o) {
    const from = await leakage(ctx, o);
    const n = Number((await ctx.db.rows<{ n: string }>(leakageCount(from)))[0].n);
    if (n === 0) return { status: 'pass', actual: 0, expected: 0, sample: [] };
    const key = await sampleKey(ctx.db.pool, o.table, 'c');
    const names = [...key.cols];
    const select = [key.select];
    for (const c of [o.column, o.tenantColumn]) {
      if (names.includes(c)) continue;
      names.push(c);
      select.push(`c.${quoteIdent(c)}`);
    }
    const parentAs = freeName(`${parseRelation(o.references.table).name}.${o.references.tenantColumn}`, names);
    select.push(`p.${quoteIdent(o.references.tenantColumn)} AS ${quoteIdent(parentAs)}`);
    const sample = await ctx.db.rows(
      `SELECT ${select.join(', ')} FROM ${from} ORDER BY ${key.order} LIMIT ${SAMPLE_SIZE}`,
    );
    return {
      status: 'fail',
      actual: n,
      expected: 0,
      sample,
      message: `${n} row(s) of ${displayRelation(o.table)} point at ${displayRelation(o.references.table)} rows of another ${o.tenantColumn}`,
    };
  },
} satisfies CheckKind<Options>;
