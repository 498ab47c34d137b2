/** `tidemark verify <plan>`: preconditions + validate checks printed as a proof; exit 1 on any failure. */
import type { Command } from 'commander';
import { action } from '../action.js';
import { connectOptions } from '../context.js';

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .argument('<plan>', 'plan file')
    .description('run the preconditions and validate checks and print the proof')
    .action(
      action(async (ctx, [file]) => {
        const [{ loadPlan }, { verifyPlan }] = await Promise.all([
          import('../../plan/load.js'),
          import('../../runner/verify.js'),
        ]);
        const plan = await loadPlan(file);
        const result = await verifyPlan(plan, connectOptions(ctx, await ctx.databaseUrl()));
        ctx.renderer.result(result);
        return result.exitCode;
      }),
    );
}
