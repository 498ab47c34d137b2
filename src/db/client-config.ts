/**
 * The options every connection of Tidemark's is opened with, from a connection string. The string is
 * parsed here, not by the driver, so that a string naming no database is refused before anything
 * leaves the machine, a libpq keyword/value string works, and the password the driver will send —
 * from the string, `$PGPASSWORD` or the password file (`$PGPASSFILE`, `~/.pgpass`), in node-postgres's
 * order — is registered for redaction before it can appear anywhere (docs/cli.md, "Passwords").
 */
import { createRequire } from 'node:module';
import type pg from 'pg';
import { UsageError } from '../model/errors.js';
import { CONNECTION_STRING_EXAMPLES, ConnectionStringError, parseConnectionString } from '../sql/conninfo.js';
import { registerSecret, registerSecretsOf } from '../sql/redact.js';

type PassFileLookup = (
  params: { host?: string; port?: number; database?: string; user?: string },
  cb: (password: string | undefined) => void,
) => void;

/** The password-file reader node-postgres itself uses (its `pgpass` dependency). */
const passFile = createRequire(import.meta.url)('pgpass') as PassFileLookup;

/**
 * Driver options for `url` plus `extra`, or a {@link UsageError} (exit 2) naming `source` when the
 * string names no database. As node-postgres does with `connectionString`, what the string says
 * overrides `extra`.
 */
export function clientConfig(url: string, extra: pg.ClientConfig = {}, source = 'the database URL'): pg.ClientConfig {
  let options: Record<string, unknown> & { password?: string };
  try {
    options = parseConnectionString(url).options;
  } catch (e) {
    if (!(e instanceof ConnectionStringError)) throw e;
    throw new UsageError(`${source}: ${e.message}`, `Give a connection string such as ${CONNECTION_STRING_EXAMPLES}.`);
  }
  registerSecretsOf(url);
  registerSecret(process.env.PGPASSWORD);
  const written = options.password;
  return {
    ...extra,
    ...(options as pg.ClientConfig),
    // Asked for only when the server wants a password; the same order as node-postgres's own lookup.
    password: async (params: pg.ClientConfig) => {
      const password = written || process.env.PGPASSWORD || (await fromPassFile(params));
      registerSecret(password);
      return password || undefined;
    },
  } as pg.ClientConfig;
}

/** Check a connection string without connecting: a {@link UsageError} naming `source` if it names no database. */
export function assertConnectionString(url: string, source: string): void {
  clientConfig(url, {}, source);
}

function fromPassFile(params: pg.ClientConfig): Promise<string | undefined> {
  return new Promise((resolve) =>
    passFile(
      {
        host: params.host,
        port: params.port,
        database: params.database,
        user: params.user,
      },
      resolve,
    ),
  );
}
