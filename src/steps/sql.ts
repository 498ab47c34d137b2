/**
 * `sql({ id, up, down?, transaction? })` — raw SQL. See docs/steps/sql.md.
 */
import { z } from 'zod';
import { common, sqlList } from '../plan/fields.js';
import { runScripts, scriptActions } from './sql-runner.js';
import type { StepKind } from './step-kind.js';

export const schema = z.object({
  ...common,
  up: sqlList,
  down: sqlList.optional(),
  transaction: z.boolean().optional(),
}).strict();

export type Options = z.infer<typeof schema>;
export type Input = z.input<typeof schema>;

const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

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
  apply: (ctx, o) => runScripts(ctx, list(o.up), o.transaction !== false, `step "${o.id}"`),
  async rollback(ctx, o) {
    return runScripts({ ...ctx, progress: null, saveProgress: async () => undefined, markCompleted: async () => undefined }, list(o.down!), o.transaction !== false, `rollback of step "${o.id}"`);
  },
} satisfies StepKind<Options>;
