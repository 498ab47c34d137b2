/**
 * `initdb` and `postgres` as child processes of the embedded server. Every way they can fail —
 * the binary missing (ENOENT) or not executable by the user that runs it (EACCES), `initdb`
 * exiting non-zero, the server exiting before it is ready, no readiness in time — becomes a
 * TidemarkError that says what failed, why, and what to do; a child's 'error' event always has a
 * listener, so none of them can end the process as an unhandled event (docs/embedded.md).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode, TidemarkError } from '../model/errors.js';
import type { PgBinaries } from './pg-binaries.js';
import type { OsUser } from './postgres-user.js';

/** What both children need. */
export interface PgProcessOptions {
  bin: PgBinaries;
  dataDir: string;
  /** Run as this OS user (as root); otherwise as the current user. */
  user?: OsUser;
  onLog: (line: string) => void;
}

/** A running server. */
export interface ServerProcess {
  /** Fast shutdown (SIGINT), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

// Server messages are matched in English ("ready to accept connections"), so they are asked for in C.
const LOCALE_ENV = { LC_MESSAGES: 'C' };

function spawnChild(file: string, args: string[], o: PgProcessOptions): ChildProcess {
  return spawn(file, args, {
    // The children's working folder must be one the user they run as can enter (the caller's may be
    // a private home): the installation root is.
    cwd: o.bin.root,
    env: { ...process.env, ...LOCALE_ENV },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(o.user ? { uid: o.user.uid, gid: o.user.gid } : {}),
  });
}

/** The error for a child that could not be started at all. */
function spawnFailure(what: string, file: string, e: NodeJS.ErrnoException, user?: OsUser): TidemarkError {
  const who = user ? `the OS user "${user.name}"` : 'the current user';
  const why =
    e.code === 'EACCES'
      ? `${who} may not execute it or cannot enter a folder on the way to it (EACCES)`
      : e.code === 'ENOENT'
        ? 'it does not exist, or its working folder is missing (ENOENT)'
        : e.message;
  const hint =
    e.code === 'EACCES'
      ? `Make ${file} and every folder above it readable and enterable by ${who}, or let Tidemark copy the binaries to its cache (docs/embedded.md).`
      : 'Reinstall the dependencies (npm install), or point binDir at a PostgreSQL installation with bin/initdb and bin/postgres.';
  return new TidemarkError('embedded_start', `could not start ${what} (${file}): ${why}`, ExitCode.failed, hint);
}

function tail(text: string, lines = 8): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/**
 * Create a cluster in `dataDir` (empty or missing) with a `postgres` superuser whose password is
 * `password`. initdb reads it from a file: written 0600, owned by the user that runs initdb, and
 * removed however initdb ends.
 */
export async function initCluster(o: PgProcessOptions & { password: string; tmpDir: string }): Promise<void> {
  const pwfile = join(o.tmpDir, `pg-password-${randomBytes(8).toString('hex')}`);
  // 'wx' refuses an existing file or symlink of that name (the temp folder is shared).
  await writeFile(pwfile, `${o.password}\n`, { mode: 0o600, flag: 'wx' });
  try {
    if (o.user) await chown(pwfile, o.user.uid, o.user.gid);
    const args = [
      `--pgdata=${o.dataDir}`,
      '--auth=scram-sha-256',
      '--username=postgres',
      `--pwfile=${pwfile}`,
      '--lc-messages=C',
    ];
    await new Promise<void>((res, rej) => {
      const child = spawnChild(o.bin.initdb, args, o);
      let stderr = '';
      child.stdout?.on('data', (c: Buffer) => o.onLog(c.toString('utf8')));
      child.stderr?.on('data', (c: Buffer) => {
        stderr += c.toString('utf8');
        o.onLog(`[initdb] ${c.toString('utf8')}`);
      });
      child.once('error', (e) => rej(spawnFailure('initdb', o.bin.initdb, e, o.user)));
      child.once('close', (code, signal) => {
        if (code === 0) return res();
        rej(
          new TidemarkError(
            'embedded_start',
            `initdb failed (${signal ? `signal ${signal}` : `exit code ${code}`}) creating ${o.dataDir}${stderr.trim() ? `:\n${tail(stderr)}` : ''}`,
            ExitCode.failed,
            'Check the message above: the folder must be empty or missing, on a disk with space, and writable by the server user.',
          ),
        );
      });
    });
  } finally {
    await unlink(pwfile).catch(() => undefined);
  }
}

/** Start the server and wait until it accepts connections. */
export async function startServer(
  o: PgProcessOptions & { port: number; flags: string[]; readyTimeoutMs?: number },
): Promise<ServerProcess> {
  const child = spawnChild(o.bin.postgres, ['-D', o.dataDir, '-p', String(o.port), ...o.flags], o);
  let stderr = '';
  const exited = new Promise<void>((res) => {
    child.once('close', () => res());
    // A spawn failure emits 'error' and no 'close'.
    child.once('error', () => res());
  });
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(
        new TidemarkError(
          'embedded_start',
          `the embedded PostgreSQL did not accept connections within ${(o.readyTimeoutMs ?? 60_000) / 1000} s:\n${tail(stderr)}`,
          ExitCode.failed,
          'The machine may be overloaded; try again.',
        ),
      );
    }, o.readyTimeoutMs ?? 60_000);
    child.stderr?.on('data', (c: Buffer) => {
      const text = c.toString('utf8');
      // Only the tail is shown in errors; the server logs for as long as it runs.
      stderr = (stderr + text).slice(-16_384);
      o.onLog(text);
      if (stderr.includes('database system is ready to accept connections')) {
        clearTimeout(timer);
        res();
      }
    });
    child.stdout?.on('data', (c: Buffer) => o.onLog(c.toString('utf8')));
    child.once('error', (e) => {
      clearTimeout(timer);
      rej(spawnFailure('postgres', o.bin.postgres, e, o.user));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const inUse = /could not bind|already in use/i.test(stderr);
      rej(
        new TidemarkError(
          inUse ? 'embedded_port_in_use' : 'embedded_start',
          `the embedded PostgreSQL exited before accepting connections (${signal ? `signal ${signal}` : `exit code ${code}`}):\n${tail(stderr)}`,
          ExitCode.failed,
          inUse ? 'Another program took the port; try again.' : 'Check the server log above.',
        ),
      );
    });
  });
  // Later errors (the child gone when stop() signals it) must not become unhandled events.
  child.on('error', () => undefined);
  return {
    async stop(graceMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
