/**
 * `tidemark work <plan> [--step ID] [--lease SECONDS]`: one more worker on the plan's running
 * backfill, from any machine with the same database URL (docs/work.md, docs/cli.md). It waits for
 * `run` to start the backfill, leases key ranges and exits 0 when none is left to lease.
 * SIGTERM/SIGINT: the batches in flight commit (or roll back), the range is released, exit 0.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { action } from '../action.js';
import { connectOptions } from '../context.js';

interface WorkFlags {
  step?: string;
  lease?: number;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`"${value}" is not a positive number of seconds`);
  return n;
}

export function registerWork(program: Command): void {
  program
    .command('work')
    .argument('<plan>', 'plan file (the same one `run` runs)')
    .description("join the plan's running backfill as one more worker; exits when no key range is left to lease")
    .option('--step <id>', 'join only this backfill step')
    .option(
      '--lease <seconds>',
      "a lease's lifetime without a heartbeat: a stopped worker's range is taken over after it (default 30)",
      seconds,
    )
    .action(
      action<WorkFlags>(async (ctx, [file], flags) => {
        const [{ loadPlan }, { workPlan }] = await Promise.all([
          import('../../plan/load.js'),
          import('../../runner/work.js'),
        ]);
        const plan = await loadPlan(file);
        const stop = new AbortController();
        const onSignal = () => stop.abort();
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
        try {
          const result = await workPlan(plan, {
            ...connectOptions(ctx, await ctx.databaseUrl()),
            step: flags.step,
            leaseMs: flags.lease === undefined ? undefined : Math.round(flags.lease * 1000),
            signal: stop.signal,
          });
          ctx.renderer.result(result);
          return result.exitCode;
        } finally {
          process.removeListener('SIGTERM', onSignal);
          process.removeListener('SIGINT', onSignal);
        }
      }),
    );
}
