/**
 * The CLI entry: commander program, one file per command, and the one error boundary that turns
 * any error into its exit code (SPEC §6) and a message that says what to do next.
 */
import { Command, CommanderError } from 'commander';
import { ExitCode } from '../errors.js';
import { TIDEMARK_VERSION } from '../version.js';
import { registerDemo } from './commands/demo.js';
import { registerFlag } from './commands/flag.js';
import { registerInit } from './commands/init.js';
import { registerLint } from './commands/lint.js';
import { registerPlan } from './commands/plan.js';
import { registerReport } from './commands/report.js';
import { registerRollback } from './commands/rollback.js';
import { registerRun } from './commands/run.js';
import { registerStatus } from './commands/status.js';
import { registerVerify } from './commands/verify.js';
import { lastExitCode, reportError, resetExitCode } from './action.js';

export function buildProgram(): Command {
  const program = new Command('tidemark')
    .description('Phased, zero-downtime PostgreSQL migrations: expand → backfill → validate → contract.')
    .version(TIDEMARK_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerInit(program);
  registerPlan(program);
  registerRun(program);
  registerVerify(program);
  registerStatus(program);
  registerRollback(program);
  registerLint(program);
  registerReport(program);
  registerFlag(program);
  registerDemo(program);
  for (const c of program.commands) c.exitOverride();
  return program;
}

/** Run the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  resetExitCode();
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return ExitCode.badInput;
    }
    return reportError(e, undefined, {});
  }
  return lastExitCode();
}
