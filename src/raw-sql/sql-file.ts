/**
 * `sqlFile({ id, up, down?, transaction? })` — raw SQL read from files relative to the plan.
 * A first line `-- tidemark:no-transaction` means `transaction: false`. See docs/steps/sql-file.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { common } from '../kind/fields.js';
import type { StepKind } from '../kind/step-kind.js';
import { announceScripts } from './sql.js';
import { runScripts, scriptActions } from './sql-runner.js';

const paths = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

export const schema = z
  .object({
    ...common,
    up: paths,
    down: paths.optional(),
    transaction: z.boolean().optional(),
  })
  .strict();

export type Options = z.infer<typeof schema>;
export type Input = z.input<typeof schema>;

const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

/** Read the files; returns their text and whether they ask for no transaction. */
export function readScripts(dir: string, files: string | string[]): { texts: string[]; noTransaction: boolean } {
  const texts = list(files).map((f) => readFileSync(resolve(dir, f), 'utf8'));
  const noTransaction = texts.some((t) => /^\s*--\s*tidemark:no-transaction\b/.test(t));
  return { texts, noTransaction };
}

const tx = (o: Options, noTx: boolean) => o.transaction ?? !noTx;

export const kind = {
  kind: 'sqlFile',
  category: 'sql',
  schema,
  phases: ['expand', 'backfill', 'validate', 'contract'],
  validate(o, plan) {
    const issues = [];
    for (const field of ['up', 'down'] as const) {
      const v = o[field];
      if (!v) continue;
      for (const f of list(v))
        if (!existsSync(resolve(plan.dir, f)))
          issues.push({ field, message: `file not found: ${resolve(plan.dir, f)}` });
    }
    return issues;
  },
  fingerprint(o, dir) {
    return {
      up: readScripts(dir, o.up).texts,
      down: o.down ? readScripts(dir, o.down).texts : null,
      transaction: o.transaction ?? null,
    };
  },
  async describe(ctx, o) {
    const { texts, noTransaction } = readScripts(ctx.plan.dir, o.up);
    const actions = [];
    for (const s of texts) actions.push(...(await scriptActions(s, tx(o, noTransaction))));
    return { actions };
  },
  async describeDown(ctx, o) {
    if (!o.down) return { irreversible: true, reason: 'raw SQL without `down`' };
    const { texts, noTransaction } = readScripts(ctx.plan.dir, o.down);
    const actions = [];
    for (const s of texts) actions.push(...(await scriptActions(s, tx(o, noTransaction))));
    return { actions };
  },
  async apply(ctx, o) {
    const { texts, noTransaction } = readScripts(ctx.plan.dir, o.up);
    await announceScripts(ctx, texts, tx(o, noTransaction));
    return runScripts(ctx, texts, tx(o, noTransaction), `step "${o.id}"`);
  },
  rollback(ctx, o) {
    const { texts, noTransaction } = readScripts(ctx.plan.dir, o.down!);
    return runScripts(
      { ...ctx, progress: null, saveProgress: async () => undefined, markCompleted: async () => undefined },
      texts,
      tx(o, noTransaction),
      `rollback of step "${o.id}"`,
    );
  },
} satisfies StepKind<Options>;
