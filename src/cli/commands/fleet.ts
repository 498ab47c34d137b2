/**
 * `tidemark fleet run|work|status|report`: one plan across the databases of a targets file, queued
 * in a coordinator PostgreSQL (docs/fleet.md). The work is in src/fleet/; this file parses, opens
 * the coordinator and renders.
 */
import type { Command } from 'commander';
import { UsageError } from '../../model/errors.js';
import { action } from '../action.js';
import type { CliContext } from '../context.js';
import { collect, positiveInt } from './collect.js';
import { registerFleetReport } from './fleet-report.js';

interface CoordinatorFlags {
  coordinator?: string;
}

const COORDINATOR_HELP = 'coordinator PostgreSQL URL shared by every runner (default: embedded, in .tidemark/fleet/)';

async function coordinatorOf(ctx: CliContext, flags: CoordinatorFlags, maintenanceSeconds?: number) {
  const [{ openCoordinator }, { assertConnectionString }] = await Promise.all([
    import('../../fleet/location.js'),
    import('../../db/client-config.js'),
  ]);
  if (flags.coordinator) assertConnectionString(flags.coordinator, '--coordinator');
  else ctx.renderer.info('starting (or joining) the embedded coordinator in .tidemark/fleet/…');
  return openCoordinator(flags.coordinator, { maintenanceSeconds });
}

/** pg-boss offers a lost runner's target again at its first maintenance pass after the lease. */
const maintenanceOf = (leaseSeconds: number) => Math.max(1, Math.min(30, Math.ceil(leaseSeconds / 2)));

/** Final lines of a fleet run or work: one per target, then the count. */
async function printResult(ctx: CliContext, r: import('../../fleet/run.js').FleetRunResult): Promise<void> {
  const { targetLines, countLine } = await import('../render/fleet.js');
  ctx.renderer.json({
    type: 'fleet.result',
    fleetRun: r.run.id,
    planId: r.run.plan_id,
    exitCode: r.exitCode,
    targets: r.targets,
  });
  for (const l of targetLines(r.targets, ctx.renderer.color)) ctx.renderer.print(l);
  ctx.renderer.print(`fleet run ${r.run.id} of plan "${r.run.plan_id}": ${countLine(r.targets)} (exit ${r.exitCode})`);
}

export function registerFleet(program: Command): void {
  const fleet = program
    .command('fleet')
    .description('one plan across many databases: fleet run, fleet work, fleet status, fleet report');
  fleet
    .command('run')
    .argument('<plan>', 'plan file')
    .description('run the plan on every target of the targets file; resumes: completed targets are no-ops')
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the file's own syntax, shown to the user
    .requiredOption('--targets <file>', 'targets file: one "NAME URL" per line, ${ENV_VAR} expanded, # comments')
    .option('--concurrency <n>', 'targets running at once, across every runner', positiveInt, 4)
    .option('--continue-on-error', 'keep starting targets after one failed')
    .option('--coordinator <url>', COORDINATOR_HELP)
    .option('--approve <gate>', 'approve a gate.approval on every target (repeatable)', collect)
    .option('--lease <seconds>', "seconds before a lost runner's target is offered again", positiveInt, 3600)
    .action(
      action<
        CoordinatorFlags & {
          targets: string;
          concurrency: number;
          continueOnError?: boolean;
          lease: number;
          approve?: string[];
        }
      >(async (ctx, [file], flags) => {
        if (flags.concurrency < 1) throw new UsageError('--concurrency must be at least 1');
        if (flags.lease < 1) throw new UsageError('--lease must be at least 1 second');
        const [{ loadPlan }, { readTargets }, { runFleet }, { fleetProgress }] = await Promise.all([
          import('../../plan/load.js'),
          import('../../fleet/targets.js'),
          import('../../fleet/run.js'),
          import('../render/fleet.js'),
        ]);
        const targets = readTargets(flags.targets);
        const plan = await loadPlan(file);
        const opened = await coordinatorOf(ctx, flags, maintenanceOf(flags.lease));
        const progress = fleetProgress(ctx.renderer);
        try {
          const r = await runFleet({
            coordinator: opened.coordinator,
            plan,
            planFile: file,
            targets,
            concurrency: flags.concurrency,
            continueOnError: !!flags.continueOnError,
            leaseSeconds: flags.lease,
            approvals: flags.approve,
            ledgerSchema: ctx.opts.ledgerSchema,
            config: ctx.config,
            events: progress.sink,
          });
          progress.close();
          await printResult(ctx, r);
          return r.exitCode;
        } finally {
          progress.close();
          await opened.close();
        }
      }),
    );
  fleet
    .command('work')
    .description('join the running fleet run from this machine; exits 0 when it has finished')
    .requiredOption('--targets <file>', "this runner's targets file (the same names; its own URLs)")
    .option('--coordinator <url>', COORDINATOR_HELP)
    .action(
      action<CoordinatorFlags & { targets: string }>(async (ctx, _args, flags) => {
        const [{ loadPlan }, { readTargets }, { joinFleet }, { fleetProgress }] = await Promise.all([
          import('../../plan/load.js'),
          import('../../fleet/targets.js'),
          import('../../fleet/run.js'),
          import('../render/fleet.js'),
        ]);
        const targets = readTargets(flags.targets);
        const opened = await coordinatorOf(ctx, flags, 5);
        const progress = fleetProgress(ctx.renderer);
        const stop = new AbortController();
        const onTerm = () => stop.abort();
        process.once('SIGTERM', onTerm);
        process.once('SIGINT', onTerm);
        try {
          const r = await joinFleet({
            coordinator: opened.coordinator,
            targets,
            loadPlan,
            ledgerSchema: ctx.opts.ledgerSchema,
            config: ctx.config,
            events: progress.sink,
            signal: stop.signal,
            onWaiting: () => ctx.renderer.info('waiting for a fleet run to join…'),
          });
          progress.close();
          if (stop.signal.aborted) ctx.renderer.info('stopped: targets in flight were handed back to the queue');
          else if (r) await printResult(ctx, r);
          return 0;
        } finally {
          process.off('SIGTERM', onTerm);
          process.off('SIGINT', onTerm);
          progress.close();
          await opened.close();
        }
      }),
    );
  fleet
    .command('status')
    .description('the latest fleet run: one line per target (state, phase, step, rows, error)')
    .option('--coordinator <url>', COORDINATOR_HELP)
    .action(
      action<CoordinatorFlags>(async (ctx, _args, flags) => {
        const [{ readFleetStatus }, { targetLines, countLine }] = await Promise.all([
          import('../../fleet/status.js'),
          import('../render/fleet.js'),
        ]);
        if (!flags.coordinator) {
          const [{ existsSync }, { embeddedCoordinatorDir }] = await Promise.all([
            import('node:fs'),
            import('../../fleet/location.js'),
          ]);
          if (!existsSync(embeddedCoordinatorDir())) {
            ctx.renderer.json({ type: 'fleet.status', run: null, targets: [] });
            ctx.renderer.print('no fleet run here (no .tidemark/fleet/; pass --coordinator URL for a shared one)');
            return 0;
          }
        }
        const opened = await coordinatorOf(ctx, flags);
        try {
          const s = await readFleetStatus(opened.coordinator);
          ctx.renderer.json({ type: 'fleet.status', ...s });
          if (!s.run) {
            ctx.renderer.print('no fleet run yet');
            return 0;
          }
          ctx.renderer.print(
            `fleet run ${s.run.id} of plan "${s.run.plan_id}" (${s.run.state}, concurrency ${s.run.concurrency}${s.run.continue_on_error ? ', continue on error' : ''}): ${countLine(s.targets)}`,
          );
          for (const l of targetLines(s.targets, ctx.renderer.color, false)) ctx.renderer.print(l);
          return 0;
        } finally {
          await opened.close();
        }
      }),
    );
  registerFleetReport(fleet);
}
