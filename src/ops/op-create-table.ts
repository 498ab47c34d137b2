/**
 * `op.createTable({ id, table, columns, primaryKey? })` — creates a table in one short lock-safe
 * transaction that also records the step's completion. `columns` maps each (quoted) name to its
 * SQL type and constraints, used as written; an inline `REFERENCES` whose type does not match the
 * referenced column is refused before the run's first step. Down: `DROP TABLE IF EXISTS`. See docs/steps/op-create-table.md.
 */
import { z } from 'zod';
import { resolveRelation } from '../db/catalog.js';
import { common, ident, identList, relation, sqlColumnDef } from '../kind/fields.js';
import type { Action, Description, ReadContext, StepKind } from '../kind/step-kind.js';
import { formatIssue, StepFailedError } from '../model/errors.js';
import { displayRelation, quoteIdent, quoteRelation } from '../sql/ident.js';
import { hasPhrase, sqlWords } from '../sql/text.js';
import { resolveTypeName, typesMatch } from './catalog.js';
import { parseColumnDef } from './column-def.js';
import { completeInTx, progressOf, rollbackByDescription, singleStatements } from './exec.js';
import { plannedColumnType } from './planned-column-type.js';

export const schema = z
  .object({
    ...common,
    table: relation,
    columns: z.record(ident, sqlColumnDef).refine((c) => Object.keys(c).length > 0, 'must define at least one column'),
    primaryKey: identList.optional(),
  })
  .strict();

export type Options = z.infer<typeof schema>;
export type Input = z.input<typeof schema>;

/** The CREATE TABLE statement. A column definition with REFERENCES also locks the referenced table. */
export function createAction(o: Options): Action {
  const defs = Object.entries(o.columns).map(([name, def]) => `${quoteIdent(name)} ${def.trim()}`);
  if (o.primaryKey) defs.push(`PRIMARY KEY (${o.primaryKey.map(quoteIdent).join(', ')})`);
  const refs = Object.values(o.columns).some((d) => sqlWords(d).includes('REFERENCES'));
  return {
    sql: `CREATE TABLE ${quoteRelation(o.table)} (${defs.join(', ')})`,
    lock: refs ? 'SHARE ROW EXCLUSIVE' : 'none',
    note: refs ? 'a new table; SHARE ROW EXCLUSIVE on the referenced tables, briefly' : 'a new table: blocks nobody',
  };
}

function dropAction(o: Options): Action {
  return {
    sql: `DROP TABLE IF EXISTS ${quoteRelation(o.table)}`,
    lock: 'ACCESS EXCLUSIVE',
    note: 'drops the table and the rows written to it since',
  };
}

async function describe(ctx: ReadContext, o: Options): Promise<Description> {
  return singleStatements(ctx, { actions: [createAction(o)] });
}

async function describeDown(ctx: ReadContext, o: Options): Promise<Description> {
  const p = await progressOf(ctx);
  if (!p?.created) return { actions: [], notes: ['the table was not created by this step: nothing to drop'] };
  return singleStatements(ctx, { actions: [dropAction(o)] });
}

/**
 * Pre-flight, before the run's first step: each column whose definition holds `REFERENCES` must have
 * the referenced column's type — as the database has it, or as the earlier step of the plan (or this
 * one, for a self-reference) declares it. Seed 001: a text `job_id REFERENCES "Job" (id)` with a
 * uuid id. A type that cannot be known yet (a raw `sql` step creates it) is left to PostgreSQL.
 */
async function preflightReferences(ctx: ReadContext, o: Options): Promise<void> {
  for (const [name, definition] of Object.entries(o.columns)) {
    if (!sqlWords(definition).includes('REFERENCES')) continue;
    const def = await parseColumnDef(definition);
    if (!def?.references) continue;
    const mine = await resolveTypeName(ctx.db.pool, def.type);
    const ref =
      mine && (await plannedColumnType(ctx.db.pool, ctx.plan, ctx.step, def.references.table, def.references.column));
    if (!mine || !ref || (await typesMatch(ctx.db.pool, mine.oid, ref.oid))) continue;
    const target = `${displayRelation(def.references.table)}.${ref.column}`;
    const made = ref.stepId && ref.stepId !== ctx.step.id ? ` (as step "${ref.stepId}" creates it)` : '';
    const message = `${displayRelation(o.table)}.${name} would be ${mine.name} but references ${target}, which is ${ref.type}${made}: the types must match`;
    throw new StepFailedError(
      ctx.step.id,
      `plan "${ctx.plan.id}": ${formatIssue({ phase: ctx.step.phase, stepId: ctx.step.id, field: `columns.${name}`, message })}`,
      `Declare "${name}" as ${ref.type} (or convert one side first); nothing was applied: the run stopped before its first step.`,
    );
  }
}

export const kind = {
  kind: 'op.createTable',
  category: 'op',
  schema,
  phases: ['expand', 'contract'],
  validate(o) {
    const issues: { field: string; message: string }[] = [];
    for (const c of o.primaryKey ?? []) {
      if (!(c in o.columns))
        issues.push({
          field: 'primaryKey',
          message: `"${c}" is not one of the columns (${Object.keys(o.columns).join(', ')})`,
        });
    }
    const inline = Object.entries(o.columns)
      .filter(([, d]) => hasPhrase(sqlWords(d), 'PRIMARY', 'KEY'))
      .map(([n]) => n);
    if (o.primaryKey && inline.length)
      issues.push({
        field: `columns.${inline[0]}`,
        message: 'declares PRIMARY KEY while `primaryKey` is also given: keep one',
      });
    if (inline.length > 1)
      issues.push({
        field: `columns.${inline[1]}`,
        message: 'a second column declares PRIMARY KEY: use `primaryKey: [...]` for a composite key',
      });
    return issues;
  },
  describe,
  describeDown,
  async preflight(ctx, o) {
    if ((await progressOf(ctx))?.created) return;
    await preflightReferences(ctx, o);
  },
  async apply(ctx, o) {
    const d = await describe(ctx, o);
    if (await resolveRelation(ctx.db.pool, o.table)) {
      throw new StepFailedError(
        ctx.step.id,
        `step "${ctx.step.id}": table ${displayRelation(o.table)} already exists and was not created by this step`,
        'Drop or rename it, or remove this step if the table is already what you need.',
      );
    }
    return completeInTx(ctx, d.actions, { created: true });
  },
  rollback: rollbackByDescription(describeDown),
} satisfies StepKind<Options>;
