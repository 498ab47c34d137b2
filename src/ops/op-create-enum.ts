/**
 * `op.createEnum({ id, name, values })` — `CREATE TYPE … AS ENUM (…)` in one short transaction that
 * also records the step's completion (no table is locked). Down: `DROP TYPE`, refused by
 * PostgreSQL while a column still uses it. See docs/steps/op-create-enum.md.
 */
import { z } from 'zod';
import { sqlState } from '../db/connection.js';
import { common, relation } from '../kind/fields.js';
import type { Action, Description, ReadContext, StepKind } from '../kind/step-kind.js';
import { StepFailedError } from '../model/errors.js';
import { displayRelation, MAX_IDENT_BYTES, quoteRelation } from '../sql/ident.js';
import { quoteLiteral } from '../sql/text.js';
import { findType } from './catalog.js';
import { completeInTx, progressOf, runActions, singleStatements } from './exec.js';

export const schema = z
  .object({
    ...common,
    name: relation,
    values: z.array(z.string().min(1)).min(1, 'must list at least one value'),
  })
  .strict();

export type Options = z.infer<typeof schema>;
export type Input = z.input<typeof schema>;

/** Problems with an enum label: PostgreSQL refuses labels over 63 bytes and NUL bytes. */
export function labelProblem(v: string): string | undefined {
  if (v.includes('\u0000')) return 'must not contain a NUL byte';
  const n = Buffer.byteLength(v, 'utf8');
  return n > MAX_IDENT_BYTES ? `is ${n} bytes long; an enum label holds at most ${MAX_IDENT_BYTES}` : undefined;
}

function createAction(o: Options): Action {
  return {
    sql: `CREATE TYPE ${quoteRelation(o.name)} AS ENUM (${o.values.map(quoteLiteral).join(', ')})`,
    lock: 'none',
    note: 'a new type: blocks nobody',
  };
}

async function describe(ctx: ReadContext, o: Options): Promise<Description> {
  return singleStatements(ctx, { actions: [createAction(o)] });
}

async function describeDown(ctx: ReadContext, o: Options): Promise<Description> {
  const p = await progressOf(ctx);
  if (!p?.created) return { actions: [], notes: ['the type was not created by this step: nothing to drop'] };
  return singleStatements(ctx, {
    actions: [
      {
        sql: `DROP TYPE IF EXISTS ${quoteRelation(o.name)}`,
        lock: 'none',
        note: 'refused while a column still uses the type',
      },
    ],
  });
}

export const kind = {
  kind: 'op.createEnum',
  category: 'op',
  schema,
  phases: ['expand', 'contract'],
  validate(o) {
    const issues: { field: string; message: string }[] = [];
    const seen = new Set<string>();
    o.values.forEach((v, i) => {
      const p = labelProblem(v);
      if (p) issues.push({ field: `values[${i}]`, message: p });
      if (seen.has(v)) issues.push({ field: `values[${i}]`, message: `"${v}" is listed twice` });
      seen.add(v);
    });
    return issues;
  },
  describe,
  describeDown,
  async apply(ctx, o) {
    const d = await describe(ctx, o);
    const t = await findType(ctx.db.pool, o.name);
    if (t) {
      const what = t.typtype === 'e' ? `an enum (${t.labels.join(', ')})` : 'a type';
      throw new StepFailedError(
        ctx.step.id,
        `step "${ctx.step.id}": type ${displayRelation(o.name)} already exists as ${what} and was not created by this step`,
        'Drop or rename it, or remove this step if the type is already what you need (op.addEnumValue adds values).',
      );
    }
    return completeInTx(ctx, d.actions, { created: true });
  },
  async rollback(ctx, o) {
    try {
      await runActions(ctx, (await describeDown(ctx, o)).actions, true);
    } catch (e) {
      if (sqlState(e) !== '2BP01') throw e;
      throw new StepFailedError(
        ctx.step.id,
        `rollback of step "${ctx.step.id}": type ${displayRelation(o.name)} is still in use: ${(e as { detail?: string }).detail ?? (e as Error).message}`,
        'Roll back (or drop) what uses the type first; rollback undoes newest first, so a column converted outside this plan is the usual cause.',
      );
    }
    return {};
  },
} satisfies StepKind<Options>;
