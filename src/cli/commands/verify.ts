/** `tidemark verify <plan>`: preconditions + validate checks printed as a proof; exit 1 on any failure. */
import type { Command } from 'commander';
import { loadPlan } from '../../plan/load.js';
import { verifyPlan } from '../../runner/verify.js';
import { action } from '../action.js';
import { connectOptions } from '../context.js';

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .argument('<plan>', 'plan file')
    .description('run the preconditions and validate checks and print the proof')
    .action(
      action(async (ctx, [file]) => {
        const plan = await loadPlan(file);
        const result = await verifyPlan(plan, connectOptions(ctx, await ctx.databaseUrl()));
        ctx.renderer.result(result);
        return result.exitCode;
      }),
    );
}
