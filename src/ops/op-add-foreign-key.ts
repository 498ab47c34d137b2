/**
 * `op.addForeignKey({ id, table, columns, references: { table, columns }, onDelete?, onUpdate?, name? })`
 * — `ADD CONSTRAINT … FOREIGN KEY … NOT VALID` in a short lock-safe transaction, then `VALIDATE
 * CONSTRAINT` on its own (no blocking lock). Column types that do not match are refused before
 * anything runs; orphans are counted and sampled, and the constraint removed, before failing.
 * Down: `DROP CONSTRAINT`. See docs/steps/op-add-foreign-key.md.
 */
import { z } from 'zod';
import { resolveRelation } from '../db/catalog.js';
import { common, fkAction, ident, identList, relation } from '../kind/fields.js';
import type { Description, ReadContext, StepKind } from '../kind/step-kind.js';
import { formatIssue, StepFailedError } from '../model/errors.js';
import { displayRelation } from '../sql/ident.js';
import { findColumn, typesMatch } from './catalog.js';
import { addConstraintNotValid, dropConstraint, foreignKeyClause, validateConstraint } from './ddl.js';
import { progressOf, rollbackByDescription, singleStatements } from './exec.js';
import { foreignKeyName } from './names.js';
import { addNotValidThenValidate } from './not-valid.js';
import { type KnownColumnType, plannedColumnType } from './planned-column-type.js';
import { orphanViolations } from './violations.js';

export const schema = z
  .object({
    ...common,
    table: relation,
    columns: identList,
    references: z.object({ table: relation, columns: identList }).strict(),
    onDelete: fkAction.optional(),
    onUpdate: fkAction.optional(),
    name: ident.optional(),
  })
  .strict();

export type Options = z.infer<typeof schema>;
export type Input = z.input<typeof schema>;

/** The constraint's name: `name`, or `<table>_<columns>_fkey`. */
export function constraintName(o: Options): string {
  return o.name ?? foreignKeyName(o.table, o.columns);
}

function actions(o: Options) {
  const name = constraintName(o);
  return {
    add: addConstraintNotValid(
      o.table,
      name,
      foreignKeyClause(o.columns, o.references.table, o.references.columns, o.onDelete, o.onUpdate),
      'SHARE ROW EXCLUSIVE',
      `on both tables, briefly; no scan`,
    ),
    validate: validateConstraint(o.table, name),
  };
}

async function describe(ctx: ReadContext, o: Options): Promise<Description> {
  const a = actions(o);
  return singleStatements(ctx, { actions: [a.add, a.validate] });
}

async function describeDown(ctx: ReadContext, o: Options): Promise<Description> {
  const p = await progressOf(ctx);
  if (p?.constraint !== constraintName(o))
    return { actions: [], notes: ['the foreign key was not added by this step: nothing to drop'] };
  return singleStatements(ctx, { actions: [dropConstraint(o.table, constraintName(o))] });
}

/** A refusal naming the plan, phase, step and field. */
function refusal(ctx: ReadContext, field: string, m: string, hint: string): StepFailedError {
  return new StepFailedError(
    ctx.step.id,
    `plan "${ctx.plan.id}": ${formatIssue({ phase: ctx.step.phase, stepId: ctx.step.id, field, message: m })}`,
    hint,
  );
}

/** The refusal of a pair of column types PostgreSQL would not accept for a foreign key. */
function mismatch(
  ctx: ReadContext,
  o: Options,
  i: number,
  mine: string,
  theirs: string,
  hint: string,
): StepFailedError {
  return refusal(
    ctx,
    'columns',
    `${displayRelation(o.table)}.${o.columns[i]} is ${mine} but ${displayRelation(o.references.table)}.${o.references.columns[i]} is ${theirs}: a foreign key needs matching types`,
    hint,
  );
}

/**
 * Pre-flight, before the run's first step: each pair of column types matches, the types taken from
 * the database or, for a table or column an earlier step of the plan creates, from that step's
 * definition. A pair whose type cannot be known yet (a raw `sql` step creates it) waits for the step.
 */
async function preflightColumns(ctx: ReadContext, o: Options): Promise<void> {
  for (let i = 0; i < o.columns.length; i++) {
    const c = await plannedColumnType(ctx.db.pool, ctx.plan, ctx.step, o.table, o.columns[i]);
    const p =
      c && (await plannedColumnType(ctx.db.pool, ctx.plan, ctx.step, o.references.table, o.references.columns[i]));
    if (!c || !p || (await typesMatch(ctx.db.pool, c.oid, p.oid))) continue;
    const made = (t: KnownColumnType) => (t.stepId ? ` (as step "${t.stepId}" creates it)` : '');
    throw mismatch(
      ctx,
      o,
      i,
      c.type + made(c),
      p.type + made(p),
      `Declare both columns with the same type (or convert one side first); nothing was applied: the run stopped before its first step.`,
    );
  }
}

/** When the step runs: both tables and columns exist, and each pair of column types matches. */
async function checkColumns(ctx: ReadContext, o: Options): Promise<void> {
  const fail = (field: string, m: string) =>
    refusal(ctx, field, m, 'Create it first (or fix the name), then run again; this step changed nothing.');
  const child = await resolveRelation(ctx.db.pool, o.table);
  if (!child) throw fail('table', `table ${displayRelation(o.table)} does not exist`);
  const parent = await resolveRelation(ctx.db.pool, o.references.table);
  if (!parent) throw fail('references.table', `referenced table ${displayRelation(o.references.table)} does not exist`);
  for (let i = 0; i < o.columns.length; i++) {
    const c = await findColumn(ctx.db.pool, child.oid, o.columns[i]);
    const p = await findColumn(ctx.db.pool, parent.oid, o.references.columns[i]);
    if (!c) throw fail('columns', `table ${displayRelation(o.table)} has no column "${o.columns[i]}"`);
    if (!p)
      throw fail(
        'references.columns',
        `referenced table ${displayRelation(o.references.table)} has no column "${o.references.columns[i]}"`,
      );
    if (!(await typesMatch(ctx.db.pool, c.baseTypeOid, p.baseTypeOid))) {
      throw mismatch(
        ctx,
        o,
        i,
        c.type,
        p.type,
        'Convert one side first (e.g. a backfill into a new column of the right type), then run again; this step changed nothing.',
      );
    }
  }
}

export const kind = {
  kind: 'op.addForeignKey',
  category: 'op',
  schema,
  phases: ['expand', 'contract'],
  validate(o) {
    if (o.columns.length !== o.references.columns.length) {
      return [
        {
          field: 'references.columns',
          message: `lists ${o.references.columns.length} column(s) for ${o.columns.length} in \`columns\`: they pair up one to one`,
        },
      ];
    }
    return [];
  },
  describe,
  describeDown,
  async preflight(ctx, o) {
    // Resumed after the constraint was added: apply does not check again, neither does this.
    if ((await progressOf(ctx))?.constraint !== constraintName(o)) await preflightColumns(ctx, o);
  },
  async apply(ctx, o) {
    await describe(ctx, o);
    const name = constraintName(o);
    if (ctx.progress?.constraint !== name) await checkColumns(ctx, o);
    const a = actions(o);
    await addNotValidThenValidate(ctx, {
      table: o.table,
      name,
      add: a.add,
      validate: a.validate,
      undo: [dropConstraint(o.table, name)],
      diagnose: () => orphanViolations(ctx, o.table, o.columns, o.references.table, o.references.columns),
      what: `add foreign key "${name}"`,
      hint: 'Fix the orphans (delete them, set them NULL, or add the missing parents), then run again: the constraint was removed, nothing is half-applied.',
    });
    return {};
  },
  rollback: rollbackByDescription(describeDown),
} satisfies StepKind<Options>;
