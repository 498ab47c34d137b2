/**
 * `backfill.insert` — rows of a new table from rows of a legacy one (seed 001: Lead → Customer),
 * batched over `from`'s key in short resumable transactions (see docs/steps/backfill-insert.md).
 * `values` gives SQL expressions over `from`, or `transform` returns any number of rows per source
 * row (seed 004 expands JSON arrays into events); `onConflict` handles rows already there.
 */
import { z } from 'zod';
import { backfillCommon, common, ident, identList, relation, sqlExpr } from '../kind/fields.js';
import type { StepKind } from '../kind/step-kind.js';
import type { PlanIssue } from '../model/plan.js';
import { displayRelation } from '../sql/ident.js';
import { applyInsert, describeInsert, dryRunInsert } from './insert-backfill.js';
import { describeBackfillDown, rollbackBackfill } from './rollback.js';

export const schema = z
  .object({
    ...common,
    ...backfillCommon,
    from: relation,
    into: relation,
    values: z.record(ident, sqlExpr).optional(),
    onConflict: z.union([z.literal('ignore'), z.object({ target: identList, update: identList }).strict()]).optional(),
  })
  .strict();

export type Options = z.infer<typeof schema>;
export type Input = z.input<typeof schema>;

type Issue = Omit<PlanIssue, 'phase' | 'stepId'>;

/** Problems the schema cannot see. */
export function validateInsert(o: Options): Issue[] {
  const issues: Issue[] = [];
  if (!o.values === !o.transform)
    issues.push({
      field: o.values ? 'transform' : 'values',
      message:
        'give exactly one of `values` (SQL expressions over `from`) or `transform` (a function returning the rows to insert)',
    });
  if (o.values && !Object.keys(o.values).length)
    issues.push({ field: 'values', message: 'must give at least one column' });
  if (o.select && !o.transform)
    issues.push({
      field: 'select',
      message: 'is only used with `transform` (the columns handed to it); `values` expressions name columns directly',
    });
  if (displayRelation(o.from) === displayRelation(o.into))
    issues.push({
      field: 'into',
      message: '`from` and `into` are the same table: use backfill.update to change rows in place',
    });
  if (o.values && o.onConflict && o.onConflict !== 'ignore') {
    for (const c of o.onConflict.update)
      if (!(c in o.values))
        issues.push({
          field: 'onConflict.update',
          message: `"${c}" is not one of \`values\`: there is no new value to update it with`,
        });
  }
  return issues;
}

export const kind = {
  kind: 'backfill.insert',
  category: 'backfill',
  schema,
  phases: ['backfill'],
  validate: (o) => validateInsert(o),
  describe: (ctx, o) => describeInsert(ctx, o),
  describeDown: (ctx, o) => describeBackfillDown(ctx, o),
  apply: (ctx, o) => applyInsert(ctx, o),
  rollback: (ctx, o) => rollbackBackfill(ctx, o),
  dryRun: (ctx, o) => dryRunInsert(ctx, o),
} satisfies StepKind<Options>;
