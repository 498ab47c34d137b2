/**
 * `op.addColumn({ id, table, column, type, default?, references? })` — adds a nullable column in a
 * short lock-safe transaction (no table rewrite: a volatile default or a NOT NULL is refused, the
 * latter belongs to `op.setNotNull` in contract). With `references`, the foreign key is added
 * `NOT VALID` in the same transaction, then validated on its own; a column type that does not match
 * the referenced column is refused before anything runs. Down: `DROP COLUMN`. See docs/steps/op-add-column.md.
 */
import { z } from 'zod';
import { resolveRelation } from '../db/catalog.js';
import { common, fkAction, ident, relation, sqlColumnDef, sqlExpr } from '../kind/fields.js';
import type { Action, Description, ReadContext, StepContext, StepKind } from '../kind/step-kind.js';
import { formatIssue, StepFailedError } from '../model/errors.js';
import { displayRelation, quoteIdent, quoteRelation } from '../sql/ident.js';
import { ensureParser, parseStatements } from '../sql/parse.js';
import { hasPhrase, sqlWords, volatileCalls } from '../sql/text.js';
import { existingTable, findColumn, resolveTypeName, typesMatch } from './catalog.js';
import { addConstraintNotValid, dropColumn, foreignKeyClause, validateConstraint } from './ddl.js';
import { completeInTx, progressOf, rollbackByDescription, singleStatements } from './exec.js';
import { foreignKeyName } from './names.js';
import { addNotValidThenValidate } from './not-valid.js';
import { plannedColumnType } from './planned-column-type.js';
import { orphanViolations } from './violations.js';

export const schema = z
  .object({
    ...common,
    table: relation,
    column: ident,
    type: sqlColumnDef,
    default: sqlExpr.optional(),
    references: z
      .object({ table: relation, column: ident, onDelete: fkAction.optional(), onUpdate: fkAction.optional() })
      .strict()
      .optional(),
  })
  .strict();

export type Options = z.infer<typeof schema>;
export type Input = z.input<typeof schema>;

const SERIAL = new Set(['SERIAL', 'SERIAL2', 'SERIAL4', 'SERIAL8', 'SMALLSERIAL', 'BIGSERIAL']);

/** What a `type` may not hold, and where it belongs instead. */
function typeIssues(type: string): string[] {
  const w = sqlWords(type);
  const out: string[] = [];
  if (hasPhrase(w, 'NOT', 'NULL'))
    out.push(
      'holds NOT NULL: addColumn always adds a nullable column; fill it with a backfill, then add op.setNotNull in the contract phase (it validates without a long lock)',
    );
  if (SERIAL.has(w[0]))
    out.push(
      `is ${w[0].toLowerCase()}: its nextval() default is volatile and rewrites the table under an exclusive lock; add a plain integer column, then set the default and backfill`,
    );
  if (w.includes('DEFAULT')) out.push('holds DEFAULT: give the default in `default`');
  if (hasPhrase(w, 'PRIMARY', 'KEY') || w.includes('UNIQUE'))
    out.push(
      'holds PRIMARY KEY or UNIQUE: that builds an index under an exclusive lock; use op.addUnique (built CONCURRENTLY)',
    );
  if (w.includes('REFERENCES'))
    out.push('holds REFERENCES: use `references` (added NOT VALID, then validated without blocking writes)');
  if (w.includes('CHECK')) out.push('holds CHECK: use op.addCheck (added NOT VALID, then validated)');
  if (w.includes('GENERATED'))
    out.push('holds GENERATED: a generated or identity column rewrites the table under an exclusive lock');
  return out;
}

function fkName(o: Options): string {
  return foreignKeyName(o.table, [o.column]);
}

function addColumnAction(o: Options): Action {
  const def = o.default ? ` DEFAULT ${o.default}` : '';
  return {
    sql: `ALTER TABLE ${quoteRelation(o.table)} ADD COLUMN ${quoteIdent(o.column)} ${o.type.trim()}${def}`,
    lock: 'ACCESS EXCLUSIVE',
    note: o.default ? 'no rewrite: nullable, non-volatile default' : 'no rewrite: nullable, no default',
  };
}

function fkActions(o: Options): { add: Action; validate: Action } {
  const r = o.references!;
  return {
    add: addConstraintNotValid(
      o.table,
      fkName(o),
      foreignKeyClause([o.column], r.table, [r.column], r.onDelete, r.onUpdate),
      'ACCESS EXCLUSIVE',
      `also SHARE ROW EXCLUSIVE on ${displayRelation(r.table)}; no scan`,
    ),
    validate: validateConstraint(o.table, fkName(o)),
  };
}

async function describe(ctx: ReadContext, o: Options): Promise<Description> {
  const actions = [addColumnAction(o)];
  if (o.references) {
    const fk = fkActions(o);
    actions.push(fk.add, fk.validate);
  }
  return singleStatements(ctx, { actions });
}

async function describeDown(ctx: ReadContext, o: Options): Promise<Description> {
  const p = await progressOf(ctx);
  if (p?.column !== o.column) return { actions: [], notes: ['the column was not added by this step: nothing to drop'] };
  return singleStatements(ctx, { actions: [dropColumn(o.table, o.column)] });
}

/** Volatile functions in the default, by the catalog (`provolatile = 'v'`), user functions included. */
async function volatileInDefault(ctx: StepContext, expr: string): Promise<string[]> {
  await ensureParser();
  const names = new Set<string>();
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (n && typeof n === 'object') {
      for (const [k, v] of Object.entries(n)) {
        if (k === 'FuncCall') {
          const parts = ((v as { funcname?: { String?: { sval?: string } }[] }).funcname ?? []).map(
            (x) => x.String?.sval ?? '',
          );
          names.add(parts[parts.length - 1]);
        }
        walk(v);
      }
    }
  };
  walk(parseStatements(`SELECT (${expr})`).map((s) => s.node));
  if (!names.size) return [];
  const r = await ctx.db.rows<{ proname: string }>(
    `SELECT DISTINCT proname FROM pg_proc WHERE proname = ANY($1::text[]) AND provolatile = 'v' ORDER BY 1`,
    [[...names]],
  );
  return r.map((x) => x.proname);
}

/** A refusal naming the plan, phase, step and field. */
function refusal(ctx: ReadContext, field: string, message: string, hint?: string): StepFailedError {
  return new StepFailedError(
    ctx.step.id,
    `plan "${ctx.plan.id}": ${formatIssue({ phase: ctx.step.phase, stepId: ctx.step.id, field, message })}`,
    hint,
  );
}

/**
 * Pre-flight, before the run's first step: refuse a column type that does not match the referenced
 * column's — as the database has it, or as the earlier step of the plan that creates it declares it
 * (seed 001: a text customer_id pointing at the uuid id of a table the same plan creates). When the
 * referenced type cannot be known yet (a raw `sql` step creates it), the check waits for the step.
 */
async function preflightReference(ctx: ReadContext, o: Options): Promise<void> {
  const r = o.references!;
  const ref = await plannedColumnType(ctx.db.pool, ctx.plan, ctx.step, r.table, r.column);
  if (!ref) return;
  const mine = await resolveTypeName(ctx.db.pool, o.type.trim());
  if (mine && !(await typesMatch(ctx.db.pool, mine.oid, ref.oid))) {
    const made = ref.stepId ? ` (as step "${ref.stepId}" creates it)` : '';
    throw refusal(
      ctx,
      'type',
      `${displayRelation(o.table)}.${o.column} would be ${mine.name} but references ${displayRelation(r.table)}.${r.column}, which is ${ref.type}${made}: the types must match`,
      `Declare the column as ${ref.type} (or convert one side first); nothing was applied: the run stopped before its first step.`,
    );
  }
}

/** When the step runs: the referenced table and column exist, and the types match. */
async function checkReferenceType(ctx: ReadContext, o: Options): Promise<void> {
  const r = o.references!;
  const parent = await resolveRelation(ctx.db.pool, r.table);
  if (!parent) throw refusal(ctx, 'references.table', `referenced table ${displayRelation(r.table)} does not exist`);
  const pc = await findColumn(ctx.db.pool, parent.oid, r.column);
  if (!pc)
    throw refusal(ctx, 'references.column', `referenced table ${displayRelation(r.table)} has no column "${r.column}"`);
  const mine = await resolveTypeName(ctx.db.pool, o.type.trim());
  if (mine && !(await typesMatch(ctx.db.pool, mine.oid, pc.baseTypeOid))) {
    throw refusal(
      ctx,
      'type',
      `${displayRelation(o.table)}.${o.column} would be ${mine.name} but references ${displayRelation(r.table)}.${r.column}, which is ${pc.type}: the types must match`,
      `Declare the column as ${pc.type} (or convert one side first), then run again; this step changed nothing.`,
    );
  }
}

export const kind = {
  kind: 'op.addColumn',
  category: 'op',
  schema,
  phases: ['expand', 'contract'],
  validate(o) {
    const issues = typeIssues(o.type).map((message) => ({ field: 'type', message }));
    if (o.default) {
      const v = volatileCalls(o.default);
      if (v.length) {
        issues.push({
          field: 'default',
          message: `calls ${v.map((f) => `${f}()`).join(', ')}, which is volatile: every existing row would need its own value, so PostgreSQL rewrites the table under an ACCESS EXCLUSIVE lock. Add the column without \`default\`, set it for new rows with sql(\`ALTER TABLE … ALTER COLUMN … SET DEFAULT …\`), and fill existing rows with backfill.update`,
        });
      }
    }
    return issues;
  },
  describe,
  describeDown,
  async preflight(ctx, o) {
    if (o.references) await preflightReference(ctx, o);
  },
  async apply(ctx, o) {
    const d = await describe(ctx, o);
    if (o.default) {
      const v = await volatileInDefault(ctx, o.default);
      if (v.length) {
        throw new StepFailedError(
          ctx.step.id,
          `step "${ctx.step.id}": the default calls ${v.map((f) => `${f}()`).join(', ')}, which PostgreSQL marks volatile: adding it would rewrite ${displayRelation(o.table)} under an ACCESS EXCLUSIVE lock`,
          'Add the column without `default`, set the default for new rows with raw SQL, and fill existing rows with backfill.update. Nothing was changed.',
        );
      }
    }
    const table = await existingTable(ctx, o.table);
    const ours = ctx.progress?.column === o.column;
    const existing = await findColumn(ctx.db.pool, table.oid, o.column);
    if (existing && !ours) {
      throw new StepFailedError(
        ctx.step.id,
        `step "${ctx.step.id}": column ${displayRelation(o.table)}.${o.column} already exists (${existing.type}) and was not added by this step`,
        'Drop it, or remove this step if the column is already what you need.',
      );
    }
    if (!o.references) {
      return completeInTx(ctx, d.actions, { column: o.column });
    }
    await checkReferenceType(ctx, o);
    const fk = fkActions(o);
    await addNotValidThenValidate(
      ctx,
      {
        table: o.table,
        name: fkName(o),
        before: existing ? [] : [addColumnAction(o)],
        add: fk.add,
        validate: fk.validate,
        undo: [dropColumn(o.table, o.column)],
        diagnose: () => orphanViolations(ctx, o.table, [o.column], o.references!.table, [o.references!.column]),
        what: `add column "${o.column}" referencing ${displayRelation(o.references.table)}`,
        hint: 'Every row got the default, which has no matching row in the referenced table: fix the default or add that row, then run again (the column was removed; nothing is half-applied).',
      },
      { column: o.column },
    );
    return {};
  },
  rollback: rollbackByDescription(describeDown),
} satisfies StepKind<Options>;
