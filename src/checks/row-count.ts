/**
 * `check.rowCount({ id, table, equals? | min? | max? | unchanged? })` — the table's exact row count
 * is in range. `unchanged: true` compares with the count taken by the plan's first real run, before
 * its first step. A per-row check: its `count(*)` fuses with the table's other per-row checks into
 * one scan (see fused.ts). See docs/checks/row-count.md.
 */
import { z } from 'zod';
import type { Db } from '../db/connection.js';
import { baselineOf } from '../ledger/records.js';
import { displayRelation, quoteRelation } from '../sql/ident.js';
import type { RowProbe } from './fused.js';
import { inRange, rangeIssues, rangeText } from './sample.js';
import { rowCheckKind, tableCheckSchema } from './table-check.js';

/** The options of `check.rowCount`, as a plan writes them (zod). */
export const schema = tableCheckSchema({
  equals: z.number().int().nonnegative().optional(),
  min: z.number().int().nonnegative().optional(),
  max: z.number().int().nonnegative().optional(),
  unchanged: z.boolean().optional(),
});

/** Validated options of `check.rowCount`. */
export type Options = z.infer<typeof schema>;
/** Options of `check.rowCount` as the builder accepts them. */
export type Input = z.input<typeof schema>;

/** Count a table exactly. */
export async function exactCount(db: Db, table: Options['table']): Promise<number> {
  const r = await db.rows<{ n: string }>(`SELECT count(*) AS n FROM ${quoteRelation(table)}`);
  return Number(r[0].n);
}

const probe: RowProbe<Options> = {
  table: (o) => o.table,
  async aggregates() {
    return { n: 'count(*)' };
  },
  async finish(ctx, o, values) {
    const n = Number(values.n ?? 0);
    if (o.unchanged) {
      const base = ctx.ledger ? await baselineOf(ctx.ledger, ctx.plan.id, displayRelation(o.table)) : undefined;
      if (base === undefined) {
        return {
          status: 'fail',
          actual: n,
          expected: 'unchanged (no baseline)',
          sample: [],
          message:
            'no baseline count: run the plan first (`npx tidemark run`) — the first real run counts the table before its first step',
        };
      }
      if (n !== base)
        return {
          status: 'fail',
          actual: n,
          expected: base,
          sample: [],
          message: `row count of ${displayRelation(o.table)} changed from ${base} to ${n}`,
        };
    }
    const hasRange = o.equals !== undefined || o.min !== undefined || o.max !== undefined;
    const expected = hasRange ? (o.equals ?? rangeText(o)) : n;
    if (hasRange && !inRange(n, o))
      return {
        status: 'fail',
        actual: n,
        expected,
        sample: [],
        message: `${displayRelation(o.table)} has ${n} row(s), expected ${rangeText(o)}`,
      };
    return { status: 'pass', actual: n, expected, sample: [] };
  },
  notes: (o) =>
    o.unchanged
      ? ["compared with the exact count the first real run takes before its first step (the ledger's baselines)"]
      : [],
};

/** The `check.rowCount` kind. */
export const kind = rowCheckKind('check.rowCount', schema, probe, {
  validate: (o: Options) => rangeIssues(o, ['unchanged']),
});
