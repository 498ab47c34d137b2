/**
 * `tidemark report <plan> [--format md|html|json] [--out FILE]`: the wave's summary, written from
 * the ledger and the catalog. Markdown to stdout by default; `--out` writes the file (its extension
 * picks the format when `--format` is not given) and prints its path. Reads only: it never creates
 * the ledger, and a plan that never ran says so (exit 1).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../model/errors.js';
import { REPORT_FORMATS, type ReportFormat } from '../../report/formats.js';
import { action } from '../action.js';

/** The format asked for: `--format`, else the extension of `--out`, else Markdown. */
export function reportFormat(format: string | undefined, out: string | undefined): ReportFormat {
  if (format) {
    const f = format.toLowerCase() === 'markdown' ? 'md' : format.toLowerCase();
    if (!(REPORT_FORMATS as readonly string[]).includes(f))
      throw new UsageError(`--format "${format}": expected one of ${REPORT_FORMATS.join(', ')}`);
    return f as ReportFormat;
  }
  const ext = out ? extname(out).slice(1).toLowerCase() : '';
  if (ext === 'htm') return 'html';
  return (REPORT_FORMATS as readonly string[]).includes(ext) ? (ext as ReportFormat) : 'md';
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .argument('<plan>', 'plan file')
    .description("write the wave's summary from the ledger: Markdown, HTML with charts, or JSON")
    .option('--format <format>', 'md | html | json (default: md, or the extension of --out)')
    .option('--out <file>', 'write to FILE and print its path')
    .action(
      action<{ format?: string; out?: string }>(async (ctx, [file], flags) => {
        const format = reportFormat(flags.format, flags.out);
        const [{ loadPlan }, { buildReport }, { renderReport }] = await Promise.all([
          import('../../plan/load.js'),
          import('../../report/build.js'),
          import('../../report/write-files.js'),
        ]);
        const plan = await loadPlan(file);
        const model = await buildReport({
          databaseUrl: await ctx.databaseUrl(),
          ledgerSchema: ctx.opts.ledgerSchema,
          plan,
          config: ctx.config,
        });
        const text = renderReport(model, format);
        if (flags.out) {
          const out = resolve(flags.out);
          mkdirSync(dirname(out), { recursive: true });
          writeFileSync(out, text);
          ctx.renderer.json({ type: 'report', planId: plan.id, format, file: out, status: model.status.state });
          ctx.renderer.print(out);
          return 0;
        }
        if (ctx.renderer.mode === 'json')
          ctx.renderer.json({
            type: 'report',
            planId: plan.id,
            format,
            status: model.status.state,
            content: format === 'json' ? JSON.parse(text) : text,
          });
        else process.stdout.write(text);
        return 0;
      }),
    );
}
