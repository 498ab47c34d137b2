/** `tidemark rollback <plan> [--to STEP | --phase P]`: undo applied steps, newest first. */
import type { Command } from 'commander';
import { UsageError } from '../../model/errors.js';
import type { Phase } from '../../model/plan.js';
import { action } from '../action.js';
import { connectOptions } from '../context.js';
import { positiveInt } from './collect.js';

export function registerRollback(program: Command): void {
  program
    .command('rollback')
    .argument('<plan>', 'plan file')
    .description('undo applied steps, newest first; without --to or --phase, the whole plan')
    .option('--to <step>', 'undo back to and including this step')
    .option('--phase <phase>', 'undo this phase and every later one')
    .option('--wait <seconds>', "wait this long for another runner's lock", positiveInt)
    .action(
      action<{ to?: string; phase?: string; wait?: number }>(async (ctx, [file], flags) => {
        if (flags.to && flags.phase) throw new UsageError('give either --to or --phase, not both');
        const [{ loadPlan }, { rollbackPlan }] = await Promise.all([
          import('../../plan/load.js'),
          import('../../runner/rollback.js'),
        ]);
        const plan = await loadPlan(file);
        const result = await rollbackPlan(plan, {
          ...connectOptions(ctx, await ctx.databaseUrl()),
          to: flags.to,
          phase: flags.phase as Phase | undefined,
          waitSeconds: flags.wait,
        });
        ctx.renderer.result(result);
        return result.exitCode;
      }),
    );
}
