/**
 * `backfill.update` — fill columns of existing rows in short, resumable batches that walk the key
 * (see docs/steps/backfill-update.md and docs/backfill.md). `set` gives SQL expressions, or
 * `transform` TypeScript logic over `select`ed columns; `where` makes it idempotent; `keepInSync`
 * keeps rows old code writes in step until the contract phase.
 */
import { z } from 'zod';
import { backfillCommon, common, ident, relation, sqlExpr } from '../kind/fields.js';
import type { StepKind } from '../kind/step-kind.js';
import type { PlanIssue } from '../model/plan.js';
import { describeBackfillDown, rollbackBackfill } from './rollback.js';
import { applyUpdate, describeUpdate, dryRunUpdate } from './update-backfill.js';

export const schema = z
  .object({
    ...common,
    ...backfillCommon,
    table: relation,
    set: z.record(ident, sqlExpr).optional(),
    keepInSync: z.union([z.boolean(), z.object({ reverse: z.record(ident, sqlExpr) }).strict()]).optional(),
  })
  .strict();

export type Options = z.infer<typeof schema>;
export type Input = z.input<typeof schema>;

type Issue = Omit<PlanIssue, 'phase' | 'stepId'>;

/** Problems the schema cannot see: exactly one of set/transform, and options that only fit one of them. */
export function validateUpdate(o: Options): Issue[] {
  const issues: Issue[] = [];
  if (!o.set === !o.transform)
    issues.push({
      field: o.set ? 'transform' : 'set',
      message: 'give exactly one of `set` (SQL expressions) or `transform` (a function)',
    });
  if (o.set && !Object.keys(o.set).length) issues.push({ field: 'set', message: 'must set at least one column' });
  if (o.transform && o.keepInSync)
    issues.push({
      field: 'keepInSync',
      message:
        'cannot be used with `transform`: the trigger runs in the database and cannot call TypeScript; use `set`',
    });
  if (o.select && !o.transform)
    issues.push({
      field: 'select',
      message: 'is only used with `transform` (the columns handed to it); `set` expressions name columns directly',
    });
  if (o.key && o.set)
    for (const k of o.key)
      if (k in o.set)
        issues.push({
          field: `set.${k}`,
          message: `"${k}" is the key the backfill walks; a backfill cannot change it`,
        });
  if (typeof o.keepInSync === 'object') {
    const rev = Object.keys(o.keepInSync.reverse);
    if (!rev.length)
      issues.push({
        field: 'keepInSync.reverse',
        message: 'must fill at least one legacy column (or use keepInSync: true)',
      });
    for (const c of rev)
      if (o.set && c in o.set)
        issues.push({
          field: `keepInSync.reverse.${c}`,
          message: `"${c}" is also in \`set\`: reverse fills the legacy columns from the new ones`,
        });
  }
  return issues;
}

export const kind = {
  kind: 'backfill.update',
  category: 'backfill',
  schema,
  phases: ['backfill'],
  validate: (o) => validateUpdate(o),
  describe: (ctx, o) => describeUpdate(ctx, o),
  describeDown: (ctx, o) => describeBackfillDown(ctx, o),
  apply: (ctx, o) => applyUpdate(ctx, o),
  rollback: (ctx, o) => rollbackBackfill(ctx, o),
  dryRun: (ctx, o) => dryRunUpdate(ctx, o),
} satisfies StepKind<Options>;
