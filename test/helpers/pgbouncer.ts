/**
 * A real PgBouncer in front of a test database, for the pooler tests. PgBouncer refuses to run as
 * root, so as root it is started as `nobody` (util-linux's setpriv). Returns null when no pgbouncer
 * binary is installed (Debian: `apt-get install -y pgbouncer`; `.ci/run` installs it).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const PGBOUNCER_CANDIDATES = [
  process.env.TIDEMARK_PGBOUNCER,
  '/usr/sbin/pgbouncer',
  '/usr/bin/pgbouncer',
].filter(Boolean) as string[];
export const pgbouncerPath = PGBOUNCER_CANDIDATES.find((p) => existsSync(p));

export interface Bouncer {
  /** The test database's URL, through the pooler. */
  url: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Start PgBouncer in `mode` in front of the database of `url`; resolves once it accepts a query. */
export async function startPgBouncer(url: string, mode: 'transaction' | 'session'): Promise<Bouncer> {
  if (!pgbouncerPath) throw new Error('no pgbouncer binary');
  const u = new URL(url);
  const db = decodeURIComponent(u.pathname.slice(1));
  const dir = mkdtempSync(join(tmpdir(), 'tm-pgbouncer-'));
  chmodSync(dir, 0o777);
  const port = await freePort();
  const target = [
    `host=${u.hostname}`,
    `port=${u.port || 5432}`,
    `dbname=${db}`,
    `user=${decodeURIComponent(u.username || 'postgres')}`,
  ];
  if (u.password) target.push(`password=${decodeURIComponent(u.password)}`);
  const ini = join(dir, 'pgbouncer.ini');
  writeFileSync(
    ini,
    [
      '[databases]',
      `${db} = ${target.join(' ')}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = any',
      `pool_mode = ${mode}`,
      'default_pool_size = 4',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      'ignore_startup_parameters = extra_float_digits,options',
      '',
    ].join('\n'),
  );
  chmodSync(ini, 0o644);
  const asRoot = process.getuid?.() === 0;
  const child: ChildProcess = asRoot
    ? spawn('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', pgbouncerPath, ini], { stdio: 'ignore' })
    : spawn(pgbouncerPath, [ini], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const through = new URL(url);
  through.host = `127.0.0.1:${port}`;
  through.password = '';
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i++) {
    const c = new pg.Client({ connectionString: through.toString() });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.query('SELECT 1');
      await c.end();
      return { url: through.toString(), stop };
    } catch {
      await c.end().catch(() => undefined);
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const log = existsSync(join(dir, 'pgbouncer.log')) ? readFileSync(join(dir, 'pgbouncer.log'), 'utf8') : '(no log)';
  await stop();
  throw new Error(`pgbouncer did not start:\n${log}`);
}
