/**
 * `op.enableExtension({ id, name, schema?, keepOnRollback? })` — `CREATE EXTENSION IF NOT EXISTS`
 * in one short transaction with the step's completion. Rollback drops it only when this step
 * installed it and `keepOnRollback` is not set (seed 002: pgvector stays installed). See
 * docs/steps/op-enable-extension.md.
 */
import { z } from 'zod';
import { common, ident } from '../kind/fields.js';
import type { Action, Description, ReadContext, StepKind } from '../kind/step-kind.js';
import { StepFailedError } from '../model/errors.js';
import { quoteIdent } from '../sql/ident.js';
import { extensionAvailable, extensionVersion } from './catalog.js';
import { inTx, progressOf, rollbackByDescription, singleStatements } from './exec.js';

export const schema = z
  .object({
    ...common,
    name: z.string().min(1),
    schema: ident.optional(),
    keepOnRollback: z.boolean().optional(),
  })
  .strict();

export type Options = z.infer<typeof schema>;
export type Input = z.input<typeof schema>;

function createAction(o: Options): Action {
  const where = o.schema ? ` WITH SCHEMA ${quoteIdent(o.schema)}` : '';
  return {
    sql: `CREATE EXTENSION IF NOT EXISTS ${quoteIdent(o.name)}${where}`,
    lock: 'none',
    note: 'new objects only: blocks nobody',
  };
}

async function describe(ctx: ReadContext, o: Options): Promise<Description> {
  return singleStatements(ctx, { actions: [createAction(o)] });
}

async function describeDown(ctx: ReadContext, o: Options): Promise<Description> {
  if (o.keepOnRollback) return { actions: [], notes: [`extension "${o.name}" is kept (keepOnRollback)`] };
  const p = await progressOf(ctx);
  if (!p?.installed)
    return { actions: [], notes: [`extension "${o.name}" was not installed by this step: left as it is`] };
  return singleStatements(ctx, {
    actions: [
      {
        sql: `DROP EXTENSION IF EXISTS ${quoteIdent(o.name)}`,
        lock: 'none',
        note: 'refused while objects still use it',
      },
    ],
  });
}

export const kind = {
  kind: 'op.enableExtension',
  category: 'op',
  schema,
  phases: ['expand', 'contract'],
  validate(o) {
    const n = Buffer.byteLength(o.name, 'utf8');
    return n > 63 ? [{ field: 'name', message: `is ${n} bytes long; an extension name holds at most 63` }] : [];
  },
  describe,
  describeDown,
  async apply(ctx, o) {
    const d = await describe(ctx, o);
    const before = await extensionVersion(ctx.db.pool, o.name);
    if (!before && !(await extensionAvailable(ctx.db.pool, o.name))) {
      throw new StepFailedError(
        ctx.step.id,
        `step "${ctx.step.id}": extension "${o.name}" is not available on this server (no control file in pg_available_extensions)`,
        `Install it on the database server first (e.g. the postgresql-<version>-${o.name === 'vector' ? 'pgvector' : o.name} package), then run again.`,
      );
    }
    await inTx(ctx, d.actions, async (client) => {
      await ctx.saveProgress(before ? { preexisting: before } : { installed: true }, client);
      await ctx.markCompleted(client, { details: before ? { preexisting: before } : { installed: true } });
    });
    return {
      recorded: true,
      notes: before ? [`extension "${o.name}" ${before} was already installed: rollback leaves it`] : undefined,
    };
  },
  rollback: rollbackByDescription(describeDown),
} satisfies StepKind<Options>;
