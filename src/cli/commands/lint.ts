/**
 * `tidemark lint <plan | file.sql | dir>... [--format tty|json|gcc|github]`: unsafe migrations, found
 * before they run. Connects to a database only when `--database-url` is given explicitly.
 * `--format json` prints one JSON document; the global `--json` prints NDJSON like every command:
 * one `lint.finding` line per finding, then a `lint.end` line.
 */
import type { Command } from 'commander';
import { UsageError } from '../../model/errors.js';
import { action } from '../action.js';

export function registerLint(program: Command): void {
  program
    .command('lint')
    .argument('<targets...>', 'plan files, .sql files, or folders of them')
    .description('lint plans and SQL migrations (files or folders) for unsafe operations')
    .option('--format <format>', 'tty | json | gcc | github (default: tty)')
    .action(
      action<{ format?: string }>(async (ctx, targets, flags) => {
        const [{ LINT_FORMATS, lint, render }, { renderNdjson }] = await Promise.all([
          import('../../lint/index.js'),
          import('../../lint/reporters/ndjson.js'),
        ]);
        if (flags.json && flags.format) {
          throw new UsageError(
            `lint: --json prints NDJSON and --format ${flags.format} asks for another output`,
            'Give one of them: --json (NDJSON events) or --format json (one JSON document).',
          );
        }
        if (flags.format && !(LINT_FORMATS as readonly string[]).includes(flags.format)) {
          throw new UsageError(`lint: unknown --format "${flags.format}"`, `Use one of ${LINT_FORMATS.join(', ')}.`);
        }
        const result = await lint(targets, { databaseUrl: flags.databaseUrl, config: ctx.config.lint });
        const format = flags.format ?? 'tty';
        const text = flags.json
          ? renderNdjson(result)
          : render(result, format, { color: ctx.renderer.color && format === 'tty' });
        if (text) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
        return result.exitCode;
      }),
    );
}
