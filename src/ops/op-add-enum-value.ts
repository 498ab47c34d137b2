/**
 * `op.addEnumValue({ id, enum, value, after?, before? })` — `ALTER TYPE … ADD VALUE IF NOT EXISTS`
 * in its own short transaction, committed before any later step may use the new value (PostgreSQL
 * refuses a value added in the same transaction). Irreversible: PostgreSQL cannot drop an enum
 * value, and rollback says so before undoing anything. See docs/steps/op-add-enum-value.md.
 */
import { z } from 'zod';
import { common, relation } from '../kind/fields.js';
import type { Action, Description, ReadContext, StepKind } from '../kind/step-kind.js';
import { StepFailedError } from '../model/errors.js';
import { displayRelation, quoteRelation } from '../sql/ident.js';
import { quoteLiteral } from '../sql/text.js';
import { findType } from './catalog.js';
import { inTx, singleStatements } from './exec.js';
import { labelProblem } from './op-create-enum.js';

export const schema = z
  .object({
    ...common,
    enum: relation,
    value: z.string().min(1),
    after: z.string().min(1).optional(),
    before: z.string().min(1).optional(),
  })
  .strict();

export type Options = z.infer<typeof schema>;
export type Input = z.input<typeof schema>;

function addAction(o: Options): Action {
  let sql = `ALTER TYPE ${quoteRelation(o.enum)} ADD VALUE IF NOT EXISTS ${quoteLiteral(o.value)}`;
  if (o.after) sql += ` AFTER ${quoteLiteral(o.after)}`;
  if (o.before) sql += ` BEFORE ${quoteLiteral(o.before)}`;
  return { sql, lock: 'none', note: 'locks the type, not the tables using it; usable once committed' };
}

async function describe(ctx: ReadContext, o: Options): Promise<Description> {
  return singleStatements(ctx, {
    actions: [addAction(o)],
    notes: ['irreversible: PostgreSQL cannot drop an enum value'],
  });
}

export const kind = {
  kind: 'op.addEnumValue',
  category: 'op',
  schema,
  phases: ['expand', 'contract'],
  validate(o) {
    const issues: { field: string; message: string }[] = [];
    const p = labelProblem(o.value);
    if (p) issues.push({ field: 'value', message: p });
    if (o.after && o.before) issues.push({ field: 'before', message: 'give `after` or `before`, not both' });
    if (o.after === o.value) issues.push({ field: 'after', message: 'names the value being added' });
    if (o.before === o.value) issues.push({ field: 'before', message: 'names the value being added' });
    return issues;
  },
  describe,
  async describeDown() {
    return { irreversible: true as const, reason: 'PostgreSQL cannot drop an enum value' };
  },
  async apply(ctx, o) {
    const d = await describe(ctx, o);
    const t = await findType(ctx.db.pool, o.enum);
    if (t?.typtype !== 'e') {
      throw new StepFailedError(
        ctx.step.id,
        `step "${ctx.step.id}": ${t ? `type ${displayRelation(o.enum)} is not an enum` : `enum ${displayRelation(o.enum)} does not exist`}`,
      );
    }
    const anchor = o.after ?? o.before;
    const existed = t.labels.includes(o.value);
    if (anchor && !existed && !t.labels.includes(anchor)) {
      throw new StepFailedError(
        ctx.step.id,
        `step "${ctx.step.id}": enum ${displayRelation(o.enum)} has no value "${anchor}" to add "${o.value}" ${o.after ? 'after' : 'before'} (it has: ${t.labels.join(', ')})`,
      );
    }
    await inTx(ctx, d.actions, async (client) => {
      await ctx.saveProgress({ existed }, client);
      await ctx.markCompleted(client, { details: { existed } });
    });
    return {
      recorded: true,
      notes: existed ? [`"${o.value}" was already a value of ${displayRelation(o.enum)}`] : undefined,
    };
  },
} satisfies StepKind<Options>;
