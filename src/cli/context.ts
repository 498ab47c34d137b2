/**
 * What every CLI command shares: the global options (SPEC §6), where the database comes from
 * (`--database-url`, then `tidemark.config.ts` in the working directory, then `$DATABASE_URL`, or
 * `--embedded [DIR]`), the renderer, and cleanup.
 */
import type { Command } from 'commander';
import { loadConfig, type TidemarkConfig } from '../config.js';
import { startEmbedded, type EmbeddedServer } from '../db/embedded.js';
import { UsageError } from '../errors.js';
import { createRenderer, type Renderer } from './render/renderer.js';

/** Global options, accepted before or after positional arguments of every command. */
export interface GlobalOptions {
  databaseUrl?: string;
  embedded?: string | boolean;
  ledgerSchema?: string;
  json?: boolean;
  quiet?: boolean;
  color?: boolean;
}

/** Add the global options to a command. */
export function withGlobals(cmd: Command): Command {
  return cmd
    .option('--database-url <url>', 'database to work on (default: tidemark.config.ts, then $DATABASE_URL)')
    .option('--embedded [dir]', 'run against an embedded PostgreSQL (kept in DIR when given)')
    .option('--ledger-schema <name>', 'schema of the ledger (default: tidemark)')
    .option('--json', 'NDJSON events on stdout')
    .option('--quiet', 'print only failures and the final result')
    .option('--no-color', 'no colours');
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
        embedded = await startEmbedded({ dir });
        url = await embedded.ensureDatabase('tidemark');
        return url;
      }
      url = opts.databaseUrl ?? config.databaseUrl ?? process.env.DATABASE_URL;
      if (!url) {
        throw new UsageError('no database given', 'Pass --database-url URL, set databaseUrl in tidemark.config.ts, set $DATABASE_URL, or use --embedded.');
      }
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
