/**
 * The one error boundary of the CLI: every command's action runs through {@link action}, which
 * builds the context, runs it, and turns any error into its exit code (docs/cli.md) and a message that
 * says what to do next.
 */
import { Command } from 'commander';
import { ExitCode, TidemarkError } from '../model/errors.js';
import { redactedJson, redactText } from '../sql/redact.js';
import { type CliContext, createContext, type GlobalOptions } from './context.js';

/**
 * The program of one CLI invocation, which holds the exit code its action decided on: the code
 * lives with the invocation (main() may run several in one process), not in the module.
 */
export class Program extends Command {
  exitCode = 0;
}

/** The invocation's program: the root of the command an action runs for. */
function programOf(cmd: Command): Command {
  let root = cmd;
  while (root.parent) root = root.parent;
  return root;
}

/** Record the exit code an action decided on, on its invocation's program. */
function decide(cmd: Command, code: number): void {
  const program = programOf(cmd);
  if (program instanceof Program) program.exitCode = code;
}

/**
 * Wrap a command action: build the context from its options, run it with the positional arguments
 * and the command's options merged with the global ones (wherever they stood on the command line),
 * map errors to exit codes. The action returns the exit code.
 */
export function action<F>(fn: (ctx: CliContext, args: string[], flags: F & GlobalOptions) => Promise<number>) {
  return async (...raw: unknown[]) => {
    const cmd = raw[raw.length - 1] as Command;
    const opts = cmd.optsWithGlobals() as F & GlobalOptions;
    let ctx: CliContext | undefined;
    try {
      ctx = await createContext(opts);
      decide(cmd, await fn(ctx, cmd.args, opts));
    } catch (e) {
      decide(cmd, reportError(e, ctx, opts));
    } finally {
      await ctx?.close().catch(() => undefined);
    }
  };
}

export function reportError(e: unknown, ctx: CliContext | undefined, opts: GlobalOptions): number {
  const err = e instanceof Error ? e : new Error(String(e));
  if (ctx) ctx.renderer.error(err);
  else if (opts.json)
    process.stdout.write(
      `${redactedJson({ type: 'error', message: err.message, exitCode: (err as TidemarkError).exitCode ?? 1 })}\n`,
    );
  else {
    process.stderr.write(`${redactText(`error: ${err.message}`)}\n`);
    if ((err as TidemarkError).hint) process.stderr.write(`${redactText(`  next: ${(err as TidemarkError).hint}`)}\n`);
  }
  if (process.env.TIDEMARK_DEBUG && err.stack) process.stderr.write(`${redactText(err.stack)}\n`);
  return err instanceof TidemarkError ? err.exitCode : ExitCode.failed;
}
