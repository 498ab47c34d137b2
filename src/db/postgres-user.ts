/**
 * PostgreSQL refuses to run as root, so as root the embedded server runs as the `postgres` OS user
 * (created when missing). That user can only use what it can reach: every folder above a binary or
 * the data directory must let others enter it (docs/embedded.md, "As root").
 */
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ExitCode, TidemarkError } from '../model/errors.js';

const run = promisify(execFile);

/** The ids the server's processes run as. */
export interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

async function ids(name: string): Promise<OsUser> {
  const [u, g] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
  return { name, uid: Number.parseInt(u.stdout, 10), gid: Number.parseInt(g.stdout, 10) };
}

/** The `postgres` OS user, created (with its group) when it does not exist yet. */
export async function postgresUser(): Promise<OsUser> {
  try {
    return await ids('postgres');
  } catch {
    // Missing: create it. groupadd fails when only the group exists, which is fine.
  }
  try {
    await run('groupadd', ['postgres']).catch(() => undefined);
    await run('useradd', ['-g', 'postgres', '-M', '-s', '/usr/sbin/nologin', 'postgres']);
    return await ids('postgres');
  } catch (e) {
    throw new TidemarkError(
      'embedded_user',
      `could not create the OS user "postgres" that runs the embedded PostgreSQL as root: ${(e as Error).message}`,
      ExitCode.failed,
      'Create it yourself (useradd postgres), or run Tidemark as a normal user.',
    );
  }
}

/**
 * The first folder on the way to `path` (itself included when it is a folder) that others may not
 * enter (no `o+x`), or undefined when the whole way is open.
 */
export function closedFolderOnTheWay(path: string): string | undefined {
  const folders: string[] = [];
  for (let p = resolve(path); ; p = dirname(p)) {
    folders.unshift(p);
    if (p === dirname(p)) break;
  }
  for (const p of folders) {
    if (!existsSync(p)) return undefined;
    const st = statSync(p);
    if (st.isDirectory() && (st.mode & 0o001) === 0) return p;
  }
  return undefined;
}
