/**
 * `tidemark lint <plan | file.sql | dir>... [--format tty|json|gcc|github]`: unsafe migrations, found
 * before they run. Connects to a database only when `--database-url` is given explicitly.
 */
import type { Command } from 'commander';
import { lint, render } from '../../lint/index.js';
import { withGlobals } from '../context.js';
import { action } from '../action.js';

export function registerLint(program: Command): void {
  withGlobals(
    program
      .command('lint <targets...>')
      .description('lint plans and SQL migrations (files or folders) for unsafe operations')
      .option('--format <format>', 'tty | json | gcc | github', 'tty'),
  ).action(action<{ format: string }>(async (ctx, targets, flags) => {
    const result = await lint(targets, { databaseUrl: flags.databaseUrl, config: ctx.config.lint });
    const format = flags.json ? 'json' : flags.format;
    const text = render(result, format, { color: ctx.renderer.color && format === 'tty' });
    if (text) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    return result.exitCode;
  }));
}
