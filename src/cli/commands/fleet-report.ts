/**
 * `tidemark fleet report <plan> --targets FILE [--format md|html|json] [--out FILE]`: one summary
 * across the fleet's targets, read from each target's ledger (docs/fleet.md). Markdown to stdout
 * by default; `--out` writes the file and prints its path. Reads only, like `report`.
 */
import type { Command } from 'commander';
import { action } from '../action.js';
import { reportFormat } from './report.js';

export function registerFleetReport(fleet: Command): void {
  fleet
    .command('report')
    .argument('<plan>', 'plan file')
    .description("one summary across the targets: per-target rows, totals, failures first (from each target's ledger)")
    .requiredOption('--targets <file>', 'targets file: one "NAME URL" per line')
    .option('--format <format>', 'md | html | json (default: md, or the extension of --out)')
    .option('--out <file>', 'write to FILE and print its path')
    .action(
      action<{ targets: string; format?: string; out?: string }>(async (ctx, [file], flags) => {
        const format = reportFormat(flags.format, flags.out);
        const [{ loadPlan }, { readTargets }, { buildFleetReport }, { renderFleetReport }, fs, path] =
          await Promise.all([
            import('../../plan/load.js'),
            import('../../fleet/targets.js'),
            import('../../fleet/report.js'),
            import('../../fleet/report-render.js'),
            import('node:fs'),
            import('node:path'),
          ]);
        const targets = readTargets(flags.targets);
        const plan = await loadPlan(file);
        const report = await buildFleetReport(plan, targets, {
          ledgerSchema: ctx.opts.ledgerSchema,
          config: ctx.config,
        });
        const text = renderFleetReport(report, format);
        if (flags.out) {
          const out = path.resolve(flags.out);
          fs.mkdirSync(path.dirname(out), { recursive: true });
          fs.writeFileSync(out, text);
          ctx.renderer.json({ type: 'fleet.report', planId: plan.id, format, file: out, totals: report.totals });
          ctx.renderer.print(out);
          return 0;
        }
        if (ctx.renderer.mode === 'json')
          ctx.renderer.json({
            type: 'fleet.report',
            planId: plan.id,
            format,
            content: format === 'json' ? JSON.parse(text) : text,
          });
        else process.stdout.write(text);
        return 0;
      }),
    );
}
