/**
 * What every CLI command shares: the global options (docs/cli.md), where the database comes from
 * (`--database-url`, then `tidemark.config.ts` in the working directory, then `$DATABASE_URL`, or
 * `--embedded [DIR]`), the renderer, and cleanup.
 */
import type { Command } from 'commander';
import type { TidemarkConfig } from '../config/config.js';
import type { EmbeddedServer } from '../db/embedded.js';
import { UsageError } from '../model/errors.js';
import type { Renderer } from './render/renderer.js';

/** Global options (docs/cli.md), accepted before the command, after it, and after its positional arguments. */
export interface GlobalOptions {
  databaseUrl?: string;
  /** `true` without DIR; the directory with one. */
  embedded?: string | boolean;
  ledgerSchema?: string;
  json?: boolean;
  quiet?: boolean;
  color?: boolean;
}

/** Heading of the global options in `--help`, the program's and every command's. */
export const GLOBAL_OPTIONS_HEADING = 'Global Options:';

/**
 * Define the global options, once, on the program. Commander recognises a program option anywhere
 * on the command line (positional options are not enabled); commands read them with
 * `optsWithGlobals()`.
 */
export function addGlobalOptions(program: Command): Command {
  return (
    program
      .optionsGroup(GLOBAL_OPTIONS_HEADING)
      .option('--database-url <url>', 'database to work on (default: tidemark.config.ts, then $DATABASE_URL)')
      // `--embedded=` (what a bare `--embedded` before a command name becomes, see argv.ts) means no DIR.
      .option(
        '--embedded [dir]',
        'run against an embedded PostgreSQL (kept in DIR when given)',
        (v: string) => v || true,
      )
      .option('--ledger-schema <name>', 'schema of the ledger (default: tidemark)')
      .option('--json', 'NDJSON events on stdout, nothing else')
      .option('--quiet', 'print only failures and the final result')
      .option('--no-color', 'no colours')
      .optionsGroup('Options:')
  );
}

/** The resolved environment of one command invocation. */
export interface CliContext {
  config: TidemarkConfig;
  renderer: Renderer;
  opts: GlobalOptions;
  /** The database URL (resolved lazily: `plan` without a database still fails clearly). */
  databaseUrl(): Promise<string>;
  close(): Promise<void>;
}

export async function createContext(opts: GlobalOptions, cwd = process.cwd()): Promise<CliContext> {
  // Loaded here, when a command runs, so `--help` and `--version` do not (docs/architecture.md, "Start-up").
  const [{ loadConfig }, { createRenderer }] = await Promise.all([
    import('../config/config.js'),
    import('./render/renderer.js'),
  ]);
  const config = await loadConfig(cwd);
  const renderer = createRenderer({
    mode: opts.json ? 'json' : process.stdout.isTTY && !process.env.CI ? 'tty' : 'plain',
    color: opts.color !== false && !process.env.NO_COLOR && !opts.json && !!process.stdout.isTTY,
    quiet: !!opts.quiet,
  });
  let embedded: EmbeddedServer | undefined;
  let url: string | undefined;
  return {
    config,
    renderer,
    opts,
    async databaseUrl() {
      if (url) return url;
      if (opts.embedded) {
        const dir = typeof opts.embedded === 'string' ? opts.embedded : undefined;
        renderer.info(`starting an embedded PostgreSQL${dir ? ` in ${dir}` : ''}…`);
        const { startEmbedded } = await import('../db/embedded.js');
        embedded = await startEmbedded({ dir });
        url = await embedded.ensureDatabase('tidemark');
        return url;
      }
      const given = opts.databaseUrl ?? config.databaseUrl ?? process.env.DATABASE_URL;
      if (!given) {
        throw new UsageError(
          'no database given',
          'Pass --database-url URL, set databaseUrl in tidemark.config.ts, set $DATABASE_URL, or use --embedded.',
        );
      }
      // Refused here, before any connection: the driver would read `garbage` as a database on the
      // host "base" and send a DNS query for it.
      const { assertConnectionString } = await import('../db/client-config.js');
      assertConnectionString(
        given,
        opts.databaseUrl !== undefined
          ? '--database-url'
          : config.databaseUrl !== undefined
            ? 'databaseUrl in tidemark.config.ts'
            : '$DATABASE_URL',
      );
      url = given;
      return url;
    },
    async close() {
      renderer.close();
      await embedded?.stop();
    },
  };
}

/** Options shared by commands that open a database session. */
export function connectOptions(ctx: CliContext, url: string) {
  return {
    databaseUrl: url,
    ledgerSchema: ctx.opts.ledgerSchema,
    config: ctx.config,
    events: ctx.renderer.sink,
  };
}
