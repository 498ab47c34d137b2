/**
 * As root the embedded server runs as the `postgres` OS user, which cannot reach binaries inside a
 * private folder (a project under /root, mode 0700). Those binaries are copied once to a cache the
 * user can reach: root-owned, folders 0755, nothing writable by others, one folder per package
 * version and content, and checked on every use against the manifest written with it (every
 * file's size and SHA-256), so that a tampered or half-copied cache is copied again
 * (docs/embedded.md, "As root").
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, cp, lstat, mkdir, readdir, readFile, readlink, rename, rm, writeFile } from 'node:fs/promises';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ExitCode, TidemarkError } from '../model/errors.js';
import { binariesIn, type PgBinaries } from './pg-binaries.js';
import { closedFolderOnTheWay } from './postgres-user.js';

const MANIFEST = '.tidemark-manifest.json';

/** One entry of a tree: a folder, a file (size, mode, sha256) or a symlink (its target). */
interface Entry {
  path: string;
  type: 'dir' | 'file' | 'link';
  size?: number;
  exec?: boolean;
  sha256?: string;
  target?: string;
}

/**
 * Binaries the `postgres` OS user can execute: `bin` itself when the way to it is open to others,
 * otherwise a verified copy in `cacheDir` (default: see {@link defaultCacheDir}).
 */
export async function reachableBinaries(bin: PgBinaries, cacheDir = defaultCacheDir()): Promise<PgBinaries> {
  if (!closedFolderOnTheWay(bin.root) && (await openToOthers(bin))) return bin;
  await ensureCacheRoot(cacheDir);
  const source = await listTree(bin.root, false);
  const key = `postgresql-${bin.version || 'local'}-${platform()}-${arch()}-${digest(source).slice(0, 12)}`;
  const target = join(cacheDir, key);
  if (existsSync(target)) {
    if (await verify(target, source)) return binariesIn(target, bin.version);
    await rm(target, { recursive: true, force: true });
  }
  // Copy beside the target and rename: a crash mid-copy leaves only a `.tmp-` folder, never a
  // half-filled cache under the real name.
  const tmp = join(cacheDir, `.tmp-${key}-${randomBytes(4).toString('hex')}`);
  try {
    await cp(bin.root, tmp, { recursive: true, verbatimSymlinks: true, errorOnExist: true, force: false });
    await normaliseModes(tmp);
    const copied = await listTree(tmp, true);
    if (digest(copied) !== digest(source)) throw new Error('the copy differs from its source');
    await writeFile(join(tmp, MANIFEST), JSON.stringify(copied), { mode: 0o644 });
    try {
      await rename(tmp, target);
    } catch (e) {
      // Another process put its copy in place first: use that one when it checks out.
      if (!existsSync(target) || !(await verify(target, source))) throw e;
    }
  } catch (e) {
    throw new TidemarkError(
      'embedded_binaries',
      `could not copy the PostgreSQL binaries from ${bin.root} to ${target} for the OS user "postgres": ${(e as Error).message}`,
      ExitCode.failed,
      `Check that ${cacheDir} is writable by root, or run Tidemark from a folder others can enter.`,
    );
  } finally {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
  }
  return binariesIn(target, bin.version);
}

/**
 * `$XDG_CACHE_HOME/tidemark` when set and open to others, else /var/cache/tidemark, else a folder
 * in the temp folder. Never a folder under a private home (the point is that others reach it).
 */
export function defaultCacheDir(): string {
  const candidates = [
    process.env.XDG_CACHE_HOME ? join(process.env.XDG_CACHE_HOME, 'tidemark') : undefined,
    '/var/cache/tidemark',
    join(tmpdir(), 'tidemark-cache'),
  ];
  for (const c of candidates) if (c && existsSync(dirname(c)) && !closedFolderOnTheWay(dirname(c))) return c;
  return join(tmpdir(), 'tidemark-cache');
}

/** The cache root exists, is root's, opens to others and lets nobody else write (an attacker's folder is refused). */
async function ensureCacheRoot(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const st = await lstat(dir);
  if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0) {
    throw new TidemarkError(
      'embedded_binaries',
      `the binary cache ${dir} is not a folder owned by root and writable by root only`,
      ExitCode.failed,
      `Remove ${dir} (or set XDG_CACHE_HOME to another folder) and try again.`,
    );
  }
  await chmod(dir, 0o755);
  const closed = closedFolderOnTheWay(dir);
  if (closed) {
    throw new TidemarkError(
      'embedded_binaries',
      `the binary cache ${dir} is inside ${closed}, which the OS user "postgres" cannot enter`,
      ExitCode.failed,
      'Set XDG_CACHE_HOME to a folder others can enter (e.g. /var/cache).',
    );
  }
}

/** Whether the binaries and every folder below `root` let others read and enter them. */
async function openToOthers(bin: PgBinaries): Promise<boolean> {
  for (const f of [bin.initdb, bin.postgres]) {
    const st = await lstat(f).catch(() => undefined);
    if (st && (st.mode & 0o005) !== 0o005) return false;
  }
  for (const sub of ['', 'bin', 'lib', 'share']) {
    const st = await lstat(join(bin.root, sub)).catch(() => undefined);
    if (st?.isDirectory() && (st.mode & 0o005) !== 0o005) return false;
  }
  return true;
}

/** Folders 0755, executables 0755, other files 0644: readable by all, writable by root only. */
async function normaliseModes(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const name of await readdir(dir)) {
    const p = join(dir, name);
    const st = await lstat(p);
    if (st.isSymbolicLink()) continue;
    if (st.isDirectory()) await normaliseModes(p);
    else await chmod(p, st.mode & 0o111 ? 0o755 : 0o644);
  }
}

/** Every entry below `root`, sorted, with checksums when `hash` (the source is listed by size only). */
async function listTree(root: string, hash: boolean): Promise<Entry[]> {
  const out: Entry[] = [];
  const walk = async (rel: string) => {
    for (const name of (await readdir(join(root, rel))).sort()) {
      if (rel === '' && name === MANIFEST) continue;
      const path = rel ? `${rel}/${name}` : name;
      const st = await lstat(join(root, path));
      if (st.isSymbolicLink()) out.push({ path, type: 'link', target: await readlink(join(root, path)) });
      else if (st.isDirectory()) {
        out.push({ path, type: 'dir' });
        await walk(path);
      } else {
        const e: Entry = { path, type: 'file', size: st.size, exec: (st.mode & 0o100) !== 0 };
        if (hash)
          e.sha256 = createHash('sha256')
            .update(await readFile(join(root, path)))
            .digest('hex');
        out.push(e);
      }
    }
  };
  await walk('');
  return out;
}

/** A digest of a tree's shape: paths, kinds, sizes, executable bits and link targets (not contents). */
function digest(entries: Entry[]): string {
  const shape = entries.map((e) => [e.path, e.type, e.size ?? null, e.exec ?? null, e.target ?? null]);
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex');
}

/**
 * The cached copy is whole and untouched: its manifest describes the source's shape, the folder has
 * exactly the manifest's entries and sizes, root owns everything with no write for others, and
 * every file has the manifest's SHA-256 (checked last, stopping at the first difference).
 */
async function verify(dir: string, source: Entry[]): Promise<boolean> {
  let manifest: Entry[];
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as Entry[];
  } catch {
    return false;
  }
  if (digest(manifest) !== digest(source)) return false;
  const shape = await listTree(dir, false).catch(() => undefined);
  if (!shape || digest(shape) !== digest(manifest)) return false;
  for (const p of ['', MANIFEST, ...manifest.filter((e) => e.type !== 'link').map((e) => e.path)]) {
    const st = await lstat(join(dir, p));
    if (st.uid !== 0 || (st.mode & 0o022) !== 0) return false;
  }
  for (const e of manifest) {
    if (e.type !== 'file') continue;
    const sum = createHash('sha256')
      .update(await readFile(join(dir, e.path)))
      .digest('hex');
    if (sum !== e.sha256) return false;
  }
  return true;
}
