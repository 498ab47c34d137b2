/**
 * `check.query({ id, title, sql, expect })` — a hand-written proof query. `expect: 'empty'` or
 * `'nonEmpty'` looks at the rows; `{ equals | min | max }` at the single number it returns (one row,
 * one column), or else at the number of rows. See docs/checks/query.md.
 */
import { z } from 'zod';
import { common, severity, sqlQuery } from '../kind/fields.js';
import type { CheckKind } from '../kind/step-kind.js';
import { fragmentProblem } from '../sql/fragment.js';
import { ensureParser } from '../sql/parse.js';
import { readAction } from './describe.js';
import { readOnlyCheck } from './read-only.js';
import { SAMPLE_SIZE } from './sample.js';

const range = z
  .object({ equals: z.number().optional(), min: z.number().optional(), max: z.number().optional() })
  .strict()
  .refine((r) => r.equals !== undefined || r.min !== undefined || r.max !== undefined, 'give equals, min or max');

/** The options of `check.query`, as a plan writes them (zod). */
export const schema = z
  .object({
    ...common,
    title: z.string().min(1),
    severity: severity.optional(),
    sql: sqlQuery,
    expect: z.union([z.literal('empty'), z.literal('nonEmpty'), range]),
  })
  .strict();

/** Validated options of `check.query`. */
export type Options = z.infer<typeof schema>;
/** Options of `check.query` as the builder accepts them. */
export type Input = z.input<typeof schema>;

/** How the query runs: read-only, in a transaction that is always rolled back (checks/read-only.ts). */
const READ_ONLY = { begin: 'BEGIN READ ONLY', end: 'ROLLBACK' } as const;

/** The `check.query` kind. */
export const kind = {
  kind: 'check.query',
  category: 'check',
  schema,
  phases: ['preconditions', 'validate'],
  async describe(_ctx, o) {
    return {
      actions: [readAction(o.sql, undefined, `read-only: runs between ${READ_ONLY.begin} and ${READ_ONLY.end}`)],
    };
  },
  async evaluate(ctx, o) {
    // Exactly one query (plan validation says so; a direct call is held to it too), run read-only
    // over the extended protocol: a write in it fails with SQLSTATE 25006 and the check could not run.
    await ensureParser();
    const problem = fragmentProblem(o.sql, 'query');
    if (problem) throw new Error(`sql ${problem}`);
    const res = await readOnlyCheck(ctx, (ro) => ro.db.query(o.sql));
    const rows = res.rows as Record<string, unknown>[];
    const sample = rows.slice(0, SAMPLE_SIZE);
    if (o.expect === 'empty') {
      return rows.length === 0
        ? { status: 'pass', actual: '0 rows', expected: 'no rows', sample: [] }
        : { status: 'fail', actual: `${rows.length} row(s)`, expected: 'no rows', sample };
    }
    if (o.expect === 'nonEmpty') {
      return rows.length > 0
        ? { status: 'pass', actual: `${rows.length} row(s)`, expected: 'at least one row', sample: [] }
        : { status: 'fail', actual: '0 rows', expected: 'at least one row', sample: [] };
    }
    const single = rows.length === 1 && res.fields.length === 1 ? Number(Object.values(rows[0])[0]) : NaN;
    const n = Number.isFinite(single) ? single : rows.length;
    const e = o.expect;
    const expected =
      e.equals !== undefined
        ? e.equals
        : [e.min !== undefined ? `>= ${e.min}` : '', e.max !== undefined ? `<= ${e.max}` : '']
            .filter(Boolean)
            .join(' and ');
    const ok =
      (e.equals === undefined || n === e.equals) &&
      (e.min === undefined || n >= e.min) &&
      (e.max === undefined || n <= e.max);
    return {
      status: ok ? 'pass' : 'fail',
      actual: n,
      expected,
      sample: ok ? [] : Number.isFinite(single) ? [] : sample,
    };
  },
} satisfies CheckKind<Options>;
