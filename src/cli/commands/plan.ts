/** `tidemark plan <plan> [--rollback]`: steps, status and the exact SQL each would run. Writes nothing. */
import type { Command } from 'commander';
import pc from 'picocolors';
import { action } from '../action.js';
import { connectOptions } from '../context.js';

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .argument('<plan>', 'plan file')
    .description('print each step, its status and the SQL it would run (writes nothing)')
    .option('--rollback', 'print what `rollback` would run instead')
    .action(
      action<{ rollback?: boolean }>(async (ctx, [file], flags) => {
        const [{ loadPlan }, { describePlan }, { formatAction }] = await Promise.all([
          import('../../plan/load.js'),
          import('../../runner/describe.js'),
          import('../../kind/format-action.js'),
        ]);
        const plan = await loadPlan(file);
        const d = await describePlan(plan, {
          ...connectOptions(ctx, await ctx.databaseUrl()),
          rollback: flags.rollback,
        });
        ctx.renderer.json({ type: 'plan', ...d });
        const c = ctx.renderer.color ? pc : pc.createColors(false);
        ctx.renderer.print(
          c.bold(`${d.rollback ? 'Rollback of' : 'Plan'} "${d.planId}"${d.title !== d.planId ? ` — ${d.title}` : ''}`),
        );
        if (d.rollback && !d.steps.length) ctx.renderer.print('nothing is applied: nothing to roll back');
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
        return 0;
      }),
    );
}
