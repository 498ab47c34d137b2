/**
 * `sql({ id, up, down?, transaction? })` — raw SQL. See docs/steps/sql.md.
 */
import { z } from 'zod';
import { common, sqlList } from '../kind/fields.js';
import type { StepContext, StepKind } from '../kind/step-kind.js';
import { runScripts, scriptActions } from './sql-runner.js';

export const schema = z
  .object({
    ...common,
    up: sqlList,
    down: sqlList.optional(),
    transaction: z.boolean().optional(),
  })
  .strict();

export type Options = z.infer<typeof schema>;
export type Input = z.input<typeof schema>;

const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

/**
 * Announce the statements of a transactional script as `step.statement` events before it runs (the
 * ledger records what a step ran from them; run statement by statement, `runScripts` announces each
 * itself). `count: 0`, as ops announce: the CLI lists only statements run one by one.
 */
export async function announceScripts(ctx: StepContext, scripts: string[], transaction: boolean): Promise<void> {
  if (!transaction) return;
  let index = 0;
  for (const s of scripts)
    for (const a of await scriptActions(s, true))
      ctx.emit({ type: 'step.statement', stepId: ctx.step.id, index: index++, count: 0, sql: a.sql });
}

export const kind = {
  kind: 'sql',
  category: 'sql',
  schema,
  phases: ['expand', 'backfill', 'validate', 'contract'],
  async describe(_ctx, o) {
    const actions = [];
    for (const s of list(o.up)) actions.push(...(await scriptActions(s, o.transaction !== false)));
    return { actions };
  },
  async describeDown(_ctx, o) {
    if (!o.down) return { irreversible: true, reason: 'raw SQL without `down`' };
    const actions = [];
    for (const s of list(o.down)) actions.push(...(await scriptActions(s, o.transaction !== false)));
    return { actions };
  },
  async apply(ctx, o) {
    await announceScripts(ctx, list(o.up), o.transaction !== false);
    return runScripts(ctx, list(o.up), o.transaction !== false, `step "${o.id}"`);
  },
  async rollback(ctx, o) {
    return runScripts(
      { ...ctx, progress: null, saveProgress: async () => undefined, markCompleted: async () => undefined },
      list(o.down!),
      o.transaction !== false,
      `rollback of step "${o.id}"`,
    );
  },
} satisfies StepKind<Options>;
