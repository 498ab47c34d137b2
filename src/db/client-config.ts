/**
 * The options every connection of Tidemark's is opened with, from a connection string. The string is
 * parsed here, not by the driver, so that a string naming no database is refused before anything
 * leaves the machine, a libpq keyword/value string works, and the password the driver will send —
 * from the string, `$PGPASSWORD` or the password file (`$PGPASSFILE`, `~/.pgpass`), in node-postgres's
 * order — is registered for redaction before it can appear anywhere (docs/cli.md, "Passwords").
 */
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import pg from 'pg';
import { UsageError } from '../model/errors.js';
import { CONNECTION_STRING_EXAMPLES, ConnectionStringError, parseConnectionString } from '../sql/conninfo.js';
import { registerSecret, registerSecretsOf } from '../sql/redact.js';

type PassFileLookup = (
  params: { host?: string; port?: number; database?: string; user?: string },
  cb: (password: string | undefined) => void,
) => void;

type PassEntry = Record<'host' | 'port' | 'database' | 'user' | 'password', string>;
type PassFileHelper = {
  getFileName(): string;
  parseLine(line: string): PassEntry | null;
  isValidEntry(entry: PassEntry): boolean;
  match(info: Record<string, string | number | undefined>, entry: PassEntry): boolean;
};

/** The password-file reader node-postgres itself uses (its `pgpass` dependency), and its line parser. */
const require = createRequire(import.meta.url);
const passFile = require('pgpass') as PassFileLookup;
const passFileHelper = require('pgpass/lib/helper.js') as PassFileHelper;

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
  // Registered now, not only when the server asks for it: a server that trusts the connection never
  // asks, yet the password can still turn up in an error message that quotes the data.
  if (!written && process.env.PGPASSWORD === undefined) registerSecret(passFileEntry(options));
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

/**
 * The password file's entry for the connection `options` describe, read at once with `pgpass`'s own
 * parser (host, port, database and user defaulted as node-postgres defaults them); undefined when the
 * file is missing, not private (node-postgres ignores it then), or has no matching line.
 */
function passFileEntry(options: Record<string, unknown>): string | undefined {
  const file = passFileHelper.getFileName();
  try {
    const stat = statSync(file);
    if (!stat.isFile() || (process.platform !== 'win32' && stat.mode & 0o077)) return undefined;
    const user = (options.user as string | undefined) ?? process.env.PGUSER ?? pg.defaults.user;
    const info = {
      host: (options.host as string | undefined) ?? process.env.PGHOST ?? 'localhost',
      port: (options.port as string | number | undefined) ?? process.env.PGPORT ?? 5432,
      database: (options.database as string | undefined) ?? process.env.PGDATABASE ?? user,
      user,
    };
    for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
      const entry = passFileHelper.parseLine(line);
      if (entry && passFileHelper.isValidEntry(entry) && passFileHelper.match(info, entry)) return entry.password;
    }
  } catch {
    /* unreadable: node-postgres will not use it either */
  }
  return undefined;
}
