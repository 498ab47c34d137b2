/** `tidemark run <plan>`: runs the pending steps; see docs/cli.md. */
import type { Command } from 'commander';
import type { Phase } from '../../model/plan.js';
import { action } from '../action.js';
import { connectOptions } from '../context.js';
import { collect, positiveInt } from './collect.js';

interface RunFlags {
  phase?: string;
  to?: string;
  dryRun?: boolean;
  approve?: string[];
  acceptChanged?: string[];
  redo?: string[];
  wait?: number;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .argument('<plan>', 'plan file')
    .description("run the plan's pending steps, phase by phase; resumes where the last run stopped")
    .option('--phase <phase>', 'run pending steps up to and including this phase')
    .option('--to <step>', 'run pending steps up to and including this step')
    .option('--dry-run', 'write nothing; show what each pending step would do')
    .option('--approve <gate>', 'approve a gate.approval (repeatable)', collect)
    .option('--accept-changed <step>', 'accept the changed definition of an applied step (repeatable)', collect)
    .option('--redo <step>', 'run a completed step again, e.g. a backfill catch-up pass (repeatable)', collect)
    .option('--wait <seconds>', "wait this long for another runner's lock", positiveInt)
    .action(
      action<RunFlags>(async (ctx, [file], flags) => {
        const [{ loadPlan }, { runPlan }] = await Promise.all([
          import('../../plan/load.js'),
          import('../../runner/run.js'),
        ]);
        const plan = await loadPlan(file);
        const { stoppable } = await import('../interrupt.js');
        const connect = connectOptions(ctx, await ctx.databaseUrl());
        const result = await stoppable(ctx.renderer, (signal) =>
          runPlan(plan, {
            ...connect,
            approvals: flags.approve,
            phase: flags.phase as Phase | undefined,
            to: flags.to,
            dryRun: flags.dryRun,
            acceptChanged: flags.acceptChanged,
            redo: flags.redo,
            waitSeconds: flags.wait,
            signal,
          }),
        );
        ctx.renderer.result(result);
        return result.exitCode;
      }),
    );
}
