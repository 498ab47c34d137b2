/**
 * The CLI entry: commander program with the global options (docs/cli.md) defined once on it, one file
 * per command, and the one error boundary that turns any error into its exit code and a message
 * that says what to do next.
 */
import { CommanderError } from 'commander';
import { ExitCode, TidemarkError } from '../model/errors.js';
import { TIDEMARK_VERSION } from '../model/version.js';
import { redactedJson, redactText } from '../sql/redact.js';
import { Program, reportError } from './action.js';
import { normaliseArgv } from './argv.js';
import { registerDemo } from './commands/demo.js';
import { registerFlag } from './commands/flag.js';
import { registerFleet } from './commands/fleet.js';
import { registerImport } from './commands/import.js';
import { registerInit } from './commands/init.js';
import { registerLint } from './commands/lint.js';
import { registerPlan } from './commands/plan.js';
import { registerReport } from './commands/report.js';
import { registerRollback } from './commands/rollback.js';
import { registerRun } from './commands/run.js';
import { registerStatus } from './commands/status.js';
import { registerVerify } from './commands/verify.js';
import { registerWork } from './commands/work.js';
import { addGlobalOptions } from './context.js';

export function buildProgram(): Program {
  const program = new Program('tidemark')
    .description('Phased, zero-downtime PostgreSQL migrations: expand → backfill → validate → contract.')
    .version(TIDEMARK_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    // Inherited by every command created below: their --help lists the global options too.
    .configureHelp({ showGlobalOptions: true })
    // A mistyped argument can be a connection string: commander's own error lines are redacted too.
    .configureOutput({ writeErr: (str) => process.stderr.write(redactText(str)) })
    .exitOverride();
  addGlobalOptions(program);
  program.addHelpText(
    'after',
    '\nGlobal options may stand before the command, after it, or after its arguments.\nExit codes: 0 done, 1 a step or check failed, 2 bad input, 3 plan locked by another runner, 4 drift, 5 stopped at a gate.',
  );
  registerInit(program);
  registerPlan(program);
  registerRun(program);
  registerWork(program);
  registerVerify(program);
  registerStatus(program);
  registerRollback(program);
  registerLint(program);
  registerImport(program);
  registerReport(program);
  registerFlag(program);
  registerFleet(program);
  registerDemo(program);
  for (const c of program.commands) c.exitOverride();
  return program;
}

/** `--json` on the command line (before any `--`), even when parsing failed. */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

/** Run the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(normaliseArgv(program, argv), { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help, `help [command]` and --version exit 0; usage shown because a command is missing exits 2.
      if (
        e.exitCode === 0 &&
        (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
      )
        return 0;
      // commander wrote the message to stderr; with --json, stdout still ends with an NDJSON line.
      if (wantsJson(argv))
        process.stdout.write(
          redactedJson({ type: 'error', message: e.message.replace(/^error: /, ''), exitCode: ExitCode.badInput }) +
            '\n',
        );
      return ExitCode.badInput;
    }
    return reportError(e, undefined, {});
  }
  return program.exitCode;
}

/**
 * The last resort behind the error boundary, for the process entry (`bin/tidemark.js`) to call on
 * an unhandled rejection or uncaught exception: such an error is a bug (every async path should end
 * in {@link main}'s boundary), but it still ends as a failure line (an `error` line with `--json`)
 * and exit 1, never a raw stack. The ledger's run is left `running`; the next run marks it crashed
 * and resumes (docs/reliability.md). Returns the exit code.
 */
export function lastResort(argv: readonly string[]): (e: unknown) => number {
  return (e) => {
    const cause = e instanceof Error ? e : new Error(String(e));
    const err = new TidemarkError(
      'internal',
      `unexpected failure: ${cause.message}`,
      ExitCode.failed,
      'Run again: committed work is kept, and the next run marks this one crashed and resumes. This is a bug in Tidemark: please report it with the output of TIDEMARK_DEBUG=1.',
    );
    err.stack = cause.stack;
    try {
      reportError(err, undefined, { json: wantsJson(argv) });
    } catch {
      // stdout or stderr is gone: the exit code still tells.
    }
    return ExitCode.failed;
  };
}
