/**
 * `tidemark plan <plan | dir> [--rollback]`: steps, status and the exact SQL each would run; a folder
 * covers each plan file in file-name order. Writes nothing.
 */
import type { Command } from 'commander';
import pc from 'picocolors';
import { UsageError } from '../../model/errors.js';
import type { Phase } from '../../model/plan.js';
import { action } from '../action.js';
import { connectOptions } from '../context.js';

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .argument('<plan>', 'plan file, or a folder of plan files')
    .description('print each step, its status and the SQL it would run (writes nothing)')
    .option('--rollback', 'print what `rollback` would run instead')
    .option('--to <step>', 'with --rollback: back to and including this step')
    .option('--phase <phase>', 'with --rollback: this phase and every later one')
    .action(
      action<{ rollback?: boolean; to?: string; phase?: string }>(async (ctx, [file], flags) => {
        if ((flags.to || flags.phase) && !flags.rollback)
          throw new UsageError('--to and --phase go with --rollback (what `rollback --to/--phase` would undo)');
        if (flags.to && flags.phase) throw new UsageError('give either --to or --phase, not both');
        const [{ isPlanFolder, loadPlans }, { describePlan }, { formatAction }] = await Promise.all([
          import('../../plan/load.js'),
          import('../../runner/describe.js'),
          import('../../kind/format-action.js'),
        ]);
        if (isPlanFolder(file) && flags.to) throw new UsageError('--to names a step of one plan: give the plan file');
        const plans = await loadPlans(file);
        const databaseUrl = await ctx.databaseUrl();
        for (const plan of plans) {
          if (plans.length > 1 && plan !== plans[0]) ctx.renderer.print('');
          const d = await describePlan(plan, {
            ...connectOptions(ctx, databaseUrl),
            rollback: flags.rollback,
            to: flags.to,
            phase: flags.phase as Phase | undefined,
          });
          ctx.renderer.json({ type: 'plan', ...d });
          const c = ctx.renderer.color ? pc : pc.createColors(false);
          ctx.renderer.print(
            c.bold(
              `${d.rollback ? 'Rollback of' : 'Plan'} "${d.planId}"${d.title !== d.planId ? ` — ${d.title}` : ''}`,
            ),
          );
          if (d.rollback && !d.steps.length) ctx.renderer.print('nothing is applied: nothing to roll back');
          // The lint `run` would act on, worded as `run --dry-run` prints it.
          for (const f of d.lint)
            ctx.renderer.print(f.level === 'error' ? c.red(`✗ ${f.text} (run refuses this)`) : c.yellow(`⚠ ${f.text}`));
          let phase = '';
          let irreversible = 0;
          for (const s of d.steps) {
            if (s.phase !== phase) {
              phase = s.phase;
              ctx.renderer.print(c.cyan(`\n── ${phase} ──`));
            }
            ctx.renderer.print(
              `${s.stepId} ${c.dim(`(${s.kind}) [${s.status}]`)}${s.title !== s.stepId ? c.dim(` — ${s.title}`) : ''}`,
            );
            if (s.irreversible) {
              irreversible++;
              ctx.renderer.print(c.red(`    irreversible: ${s.irreversible}`));
            }
            for (const a of s.actions) ctx.renderer.print(`    ${formatAction(a).replace(/\n/g, '\n    ')}`);
            for (const n of s.notes) ctx.renderer.print(c.dim(`    ${n}`));
          }
          if (d.rollback && irreversible)
            ctx.renderer.print(c.red(`\nrollback would refuse: ${irreversible} irreversible step(s) in range`));
          for (const r of plan.records ?? [])
            ctx.renderer.print(
              c.dim(
                `records: ${r.tool} migration "${r.migration}" ${
                  !d.rollback
                    ? "is written as applied in the ORM's history before the first step"
                    : flags.to || flags.phase
                      ? "stays in the ORM's history (only a whole-plan rollback removes it)"
                      : "is removed from the ORM's history"
                }`,
              ),
            );
        }
        return 0;
      }),
    );
}
