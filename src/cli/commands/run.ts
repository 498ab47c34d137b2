/**
 * `tidemark run <plan | dir>`: runs the pending steps; a folder runs each plan file in file-name
 * order and stops at the first that does not end 0 (a failure, a closed gate). See docs/cli.md.
 */
import type { Command } from 'commander';
import { ExitCode, UsageError } from '../../model/errors.js';
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
    .argument('<plan>', 'plan file, or a folder of plan files (run in file-name order)')
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
        const [{ isPlanFolder, loadPlans }, { runPlan }] = await Promise.all([
          import('../../plan/load.js'),
          import('../../runner/run.js'),
        ]);
        const folder = isPlanFolder(file);
        if (folder && (flags.to || flags.redo?.length || flags.acceptChanged?.length))
          throw new UsageError(
            '--to, --redo and --accept-changed name steps of one plan: give the plan file, not the folder',
          );
        const plans = await loadPlans(file);
        const { stoppable } = await import('../interrupt.js');
        const connect = connectOptions(ctx, await ctx.databaseUrl());
        for (const plan of plans) {
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
          if (result.exitCode !== ExitCode.ok) {
            const left = plans.slice(plans.indexOf(plan) + 1);
            if (folder && left.length)
              ctx.renderer.print(`stopped at plan "${plan.id}": not run: ${left.map((p) => p.id).join(', ')}`);
            return result.exitCode;
          }
        }
        return ExitCode.ok;
      }),
    );
}
