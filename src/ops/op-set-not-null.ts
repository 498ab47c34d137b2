/**
 * `op.setNotNull({ id, table, column })` — makes a column NOT NULL without scanning the table under
 * an exclusive lock: `ADD CONSTRAINT … CHECK (col IS NOT NULL) NOT VALID` → `VALIDATE` (scans,
 * blocking nobody) → `SET NOT NULL` (PostgreSQL ≥ 12 sees the valid check and skips its scan) →
 * drop the check, the last two in one short transaction. NULL rows are counted and sampled (as
 * `check.noNulls` does) before failing. Down: `DROP NOT NULL`. See docs/steps/op-set-not-null.md.
 */
import { z } from 'zod';
import { common, ident, relation } from '../kind/fields.js';
import type { Action, Description, ReadContext, StepKind } from '../kind/step-kind.js';
import { StepFailedError } from '../model/errors.js';
import { displayRelation, quoteIdent, quoteRelation } from '../sql/ident.js';
import { existingTable, findColumn, findConstraint } from './catalog.js';
import { addConstraintNotValid, dropConstraint, validateConstraint } from './ddl.js';
import { completeInTx, inTx, progressOf, rollbackByDescription, singleStatements } from './exec.js';
import { notNullCheckName } from './names.js';
import { addNotValidThenValidate } from './not-valid.js';
import { nullViolations } from './violations.js';

export const schema = z
  .object({
    ...common,
    table: relation,
    column: ident,
  })
  .strict();

export type Options = z.infer<typeof schema>;
export type Input = z.input<typeof schema>;

function actions(o: Options) {
  const check = notNullCheckName(o.table, o.column);
  const t = quoteRelation(o.table);
  return {
    check,
    add: addConstraintNotValid(o.table, check, `CHECK (${quoteIdent(o.column)} IS NOT NULL)`),
    validate: validateConstraint(o.table, check),
    setNotNull: {
      sql: `ALTER TABLE ${t} ALTER COLUMN ${quoteIdent(o.column)} SET NOT NULL`,
      lock: 'ACCESS EXCLUSIVE',
      note: 'no scan: the valid check proves it',
    } as Action,
    dropCheck: dropConstraint(o.table, check, false),
    dropNotNull: {
      sql: `ALTER TABLE ${t} ALTER COLUMN ${quoteIdent(o.column)} DROP NOT NULL`,
      lock: 'ACCESS EXCLUSIVE',
      note: 'no scan',
    } as Action,
  };
}

async function describe(ctx: ReadContext, o: Options): Promise<Description> {
  const a = actions(o);
  return singleStatements(ctx, { actions: [a.add, a.validate, a.setNotNull, a.dropCheck] });
}

async function describeDown(ctx: ReadContext, o: Options): Promise<Description> {
  const p = await progressOf(ctx);
  const a = actions(o);
  if (p?.alreadyNotNull)
    return { actions: [], notes: [`${o.column} was already NOT NULL before this step: left as it is`] };
  if (p?.notNull) return singleStatements(ctx, { actions: [a.dropNotNull] });
  if (p?.constraint) return singleStatements(ctx, { actions: [dropConstraint(o.table, a.check)] });
  return { actions: [], notes: ['nothing was changed by this step'] };
}

export const kind = {
  kind: 'op.setNotNull',
  category: 'op',
  schema,
  phases: ['expand', 'contract'],
  describe,
  describeDown,
  async apply(ctx, o) {
    await describe(ctx, o);
    const a = actions(o);
    const table = await existingTable(ctx, o.table);
    const col = await findColumn(ctx.db.pool, table.oid, o.column);
    if (!col)
      throw new StepFailedError(
        ctx.step.id,
        `step "${ctx.step.id}": table ${displayRelation(o.table)} has no column "${o.column}"`,
      );
    const ours = ctx.progress?.constraint === a.check;
    if (col.notNull && !ours) {
      await inTx(ctx, [], async (client) => {
        await ctx.saveProgress({ alreadyNotNull: true }, client);
        await ctx.markCompleted(client, { details: { alreadyNotNull: true } });
      });
      return { recorded: true, notes: [`${o.column} is already NOT NULL: nothing to do (rollback leaves it so)`] };
    }
    if (!col.notNull) {
      await addNotValidThenValidate(ctx, {
        table: o.table,
        name: a.check,
        add: a.add,
        validate: a.validate,
        undo: [dropConstraint(o.table, a.check)],
        diagnose: () => nullViolations(ctx, o.table, o.column),
        what: `set ${o.column} NOT NULL`,
        hint: 'Fill the NULL rows (a backfill with `where: "<column> IS NULL"`), then run again: the temporary check was removed, nothing is half-applied.',
      });
    }
    const finish = col.notNull ? [] : [a.setNotNull];
    if (await findConstraint(ctx.db.pool, table.oid, a.check)) finish.push(a.dropCheck);
    return completeInTx(ctx, finish, { constraint: a.check, notNull: true });
  },
  rollback: rollbackByDescription(describeDown),
} satisfies StepKind<Options>;
