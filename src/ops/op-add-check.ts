/**
 * `op.addCheck({ id, table, name, expression })` — `ADD CONSTRAINT … CHECK (…) NOT VALID` in a
 * short lock-safe transaction, then `VALIDATE CONSTRAINT` on its own. Rows for which the
 * expression is false are counted and sampled, and the constraint removed, before failing.
 * Down: `DROP CONSTRAINT`. See docs/steps/op-add-check.md.
 */
import { z } from 'zod';
import { common, ident, relation, sqlExpr } from '../kind/fields.js';
import type { Description, ReadContext, StepKind } from '../kind/step-kind.js';
import { addConstraintNotValid, dropConstraint, validateConstraint } from './ddl.js';
import { progressOf, rollbackByDescription, singleStatements } from './exec.js';
import { addNotValidThenValidate } from './not-valid.js';
import { checkViolations } from './violations.js';

export const schema = z
  .object({
    ...common,
    table: relation,
    name: ident,
    expression: sqlExpr,
  })
  .strict();

export type Options = z.infer<typeof schema>;
export type Input = z.input<typeof schema>;

function actions(o: Options) {
  return {
    add: addConstraintNotValid(o.table, o.name, `CHECK (${o.expression.trim()})`),
    validate: validateConstraint(o.table, o.name),
  };
}

async function describe(ctx: ReadContext, o: Options): Promise<Description> {
  const a = actions(o);
  return singleStatements(ctx, { actions: [a.add, a.validate] });
}

async function describeDown(ctx: ReadContext, o: Options): Promise<Description> {
  const p = await progressOf(ctx);
  if (p?.constraint !== o.name)
    return { actions: [], notes: ['the check was not added by this step: nothing to drop'] };
  return singleStatements(ctx, { actions: [dropConstraint(o.table, o.name)] });
}

export const kind = {
  kind: 'op.addCheck',
  category: 'op',
  schema,
  phases: ['expand', 'contract'],
  describe,
  describeDown,
  async apply(ctx, o) {
    await describe(ctx, o);
    const a = actions(o);
    await addNotValidThenValidate(ctx, {
      table: o.table,
      name: o.name,
      add: a.add,
      validate: a.validate,
      undo: [dropConstraint(o.table, o.name)],
      diagnose: () => checkViolations(ctx, o.table, o.name, o.expression),
      what: `add check "${o.name}"`,
      hint: 'Fix the rows (the sample names them), then run again: the constraint was removed, nothing is half-applied.',
    });
    return {};
  },
  rollback: rollbackByDescription(describeDown),
} satisfies StepKind<Options>;
