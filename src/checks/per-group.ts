/**
 * `check.perGroup({ id, table, groupBy, where?, equals? | min? | max?, groupsFrom? })` — passes when
 * every group's row count (rows matching `where`, grouped by `groupBy`) is in range. Without
 * `groupsFrom` the groups are the values found in the table (NULL forms a group, as in GROUP BY).
 * With `groupsFrom: { table, column }` the groups are the non-NULL values of that column, so a group
 * with no rows at all counts as 0 (seed 003: exactly one front-desk number per org, including orgs
 * with none); rows whose group is not in `groupsFrom` are ignored (that is `noOrphans`' job).
 * One grouped aggregate counts groups out of range; only when there are some, a second query
 * fetches up to 10 of them with their counts. See docs/checks/per-group.md.
 */
import { z } from 'zod';
import { ident, identList, relation, sqlExpr } from '../kind/fields.js';
import type { CheckKind, ReadContext } from '../kind/step-kind.js';
import { displayRelation, quoteIdent, quoteRelation } from '../sql/ident.js';
import { type Bind, Params } from '../sql/params.js';
import { columnTypes, directlyComparable, eq, isUniqueColumn } from './compare.js';
import { describeRead, onlyWhenItFails, readAction } from './describe.js';
import { freeName, fromWhere, rangeIssues, rangeText, SAMPLE_SIZE } from './sample.js';
import { tableCheckSchema } from './table-check.js';

/** The options of `check.perGroup`, as a plan writes them (zod). */
export const schema = tableCheckSchema({
  groupBy: z.union([ident, identList]),
  where: sqlExpr.optional(),
  equals: z.number().int().nonnegative().optional(),
  min: z.number().int().nonnegative().optional(),
  max: z.number().int().nonnegative().optional(),
  groupsFrom: z.object({ table: relation, column: ident }).strict().optional(),
});

/** Validated options of `check.perGroup`. */
export type Options = z.infer<typeof schema>;
/** Options of `check.perGroup` as the builder accepts them. */
export type Input = z.input<typeof schema>;

/** The groupBy columns as a list. */
function groupCols(o: Options): string[] {
  return Array.isArray(o.groupBy) ? o.groupBy : [o.groupBy];
}

/** SQL true when count `n` is outside the range (bounds bound as parameters). */
function outOfRange(n: string, o: Options, bind: Bind): string {
  if (o.equals !== undefined) return `${n} <> ${bind(o.equals)}`;
  const parts: string[] = [];
  if (o.min !== undefined) parts.push(`${n} < ${bind(o.min)}`);
  if (o.max !== undefined) parts.push(`${n} > ${bind(o.max)}`);
  return parts.join(' OR ');
}

/**
 * The relation of groups with their counts: `(g0, …, n)`. With `groupsFrom`, every value of that
 * column is a group, joined to the counts (0 when absent).
 */
async function groupsRelation(ctx: ReadContext, o: Options): Promise<{ sql: string; groupCols: string[] }> {
  const cols = groupCols(o);
  const t = quoteRelation(o.table);
  const types = await columnTypes(ctx.db.pool, o.table, cols);
  const g = cols.map((c, i) => `${quoteIdent(c)} AS g${i}`).join(', ');
  const counts = `SELECT ${g}, count(*) AS n FROM ${fromWhere(t, o.where)} GROUP BY ${cols.map((_, i) => i + 1).join(', ')}`;
  if (!o.groupsFrom) return { sql: counts, groupCols: cols.map((_, i) => `g${i}`) };
  const gf = o.groupsFrom;
  const gt = (await columnTypes(ctx.db.pool, gf.table, [gf.column])).get(gf.column)!;
  const direct = directlyComparable(types.get(cols[0])!, gt);
  const gc = quoteIdent(gf.column);
  const unique = await isUniqueColumn(ctx.db.pool, gf.table, gf.column);
  const all = `SELECT ${unique ? '' : 'DISTINCT '}${gc} AS g FROM ${quoteRelation(gf.table)} WHERE ${gc} IS NOT NULL`;
  return {
    sql: `SELECT grp.g AS g0, coalesce(cnt.n, 0) AS n FROM (${all}) AS grp LEFT JOIN (${counts}) AS cnt ON ${eq('cnt.g0', 'grp.g', direct)}`,
    groupCols: ['g0'],
  };
}

/** The statement that counts the groups and those out of range, with its parameters (the bounds). */
function groupCount(o: Options, rel: { sql: string }): { sql: string; params: unknown[] } {
  const p = new Params();
  return {
    sql: `SELECT count(*) AS groups, count(*) FILTER (WHERE ${outOfRange('x.n', o, p.bind)}) AS bad FROM (${rel.sql}) AS x`,
    params: p.values,
  };
}

/** The `check.perGroup` kind. */
export const kind = {
  kind: 'check.perGroup',
  category: 'check',
  schema,
  phases: ['preconditions', 'validate'],
  validate(o) {
    const issues = rangeIssues(o);
    if (o.groupsFrom && groupCols(o).length !== 1)
      issues.push({
        field: 'groupsFrom',
        message: 'needs groupBy to name exactly one column (the one that refers to groupsFrom.column)',
      });
    return issues;
  },
  describe: (ctx, o) =>
    describeRead(async () => {
      const st = groupCount(o, await groupsRelation(ctx, o));
      return {
        actions: [readAction(st.sql, st.params)],
        notes: [onlyWhenItFails(`up to ${SAMPLE_SIZE} groups out of range with their counts`)],
      };
    }),
  async evaluate(ctx, o) {
    const cols = groupCols(o);
    const label = cols.length === 1 ? cols[0] : `(${cols.join(', ')})`;
    const expected = `${rangeText(o)} row(s) per ${label}`;
    const rel = await groupsRelation(ctx, o);
    const count = groupCount(o, rel);
    const r = (await ctx.db.rows<{ groups: string; bad: string }>(count.sql, count.params))[0];
    const groups = Number(r.groups);
    const bad = Number(r.bad);
    if (bad === 0) return { status: 'pass', actual: `${groups} group(s), all in range`, expected, sample: [] };
    const s = new Params();
    const countAs = quoteIdent(freeName('count', cols));
    const sample = await ctx.db.rows(
      `SELECT ${rel.groupCols.map((g, i) => `x.${g} AS ${quoteIdent(cols[i])}`).join(', ')}, x.n::int AS ${countAs}
         FROM (${rel.sql}) AS x WHERE ${outOfRange('x.n', o, s.bind)} ORDER BY ${rel.groupCols.map((g) => `x.${g}`).join(', ')} LIMIT ${SAMPLE_SIZE}`,
      s.values,
    );
    return {
      status: 'fail',
      actual: `${bad} of ${groups} group(s) out of range`,
      expected,
      sample,
      message: `${bad} ${label} group(s) of ${displayRelation(o.table)} have a row count other than ${rangeText(o)}`,
    };
  },
} satisfies CheckKind<Options>;
