/**
 * An embedded server that cannot start fails with a clear TidemarkError (what failed, why, what to
 * do), never an unhandled 'error' event, and leaves nothing behind: no `pg-password-*` file in the
 * temp folder (written 0600 while it exists), no data directory. Each case points `binDir` at a
 * small fake installation; TMPDIR is a fresh folder so whatever is left behind can be seen.
 */
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmbedded } from '../../src/db/embedded.js';
import { TidemarkError } from '../../src/model/errors.js';

let scratch: string;
let tmp: string;
let cacheDir: string;
const savedTmp = process.env.TMPDIR;

beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'tidemark-failstart-'));
  await chmod(scratch, 0o755);
  tmp = join(scratch, 'tmp');
  cacheDir = join(scratch, 'cache');
  // Open to others like /tmp, so that as root the postgres user can read its password file there.
  await mkdir(tmp, { mode: 0o755 });
  await chmod(tmp, 0o755);
  process.env.TMPDIR = tmp;
});

afterEach(async () => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
  await rm(scratch, { recursive: true, force: true });
});

/** A fake installation whose bin/initdb is `script` with `mode`. */
async function fakeInstall(script: string, mode: number): Promise<string> {
  const root = join(scratch, 'pg');
  await mkdir(join(root, 'bin'), { recursive: true, mode: 0o755 });
  await writeFile(join(root, 'bin', 'initdb'), script, { mode });
  await chmod(join(root, 'bin', 'initdb'), mode);
  await writeFile(join(root, 'bin', 'postgres'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
  return root;
}

async function failure(binDir: string, onLog?: (l: string) => void): Promise<TidemarkError> {
  const e = await startEmbedded({ binDir, cacheDir, onLog }).then(
    async (s) => {
      await s.stop();
      throw new Error('the server started');
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(TidemarkError);
  return e as TidemarkError;
}

describe('a failed embedded start', () => {
  it('spawn initdb ENOENT: a missing installation says what is missing and leaves nothing', async () => {
    const e = await failure(join(scratch, 'no-such-postgres'));
    expect(e.code).toBe('embedded_start');
    expect(e.message).toMatch(/could not start initdb \(.*no-such-postgres\/bin\/initdb\).*ENOENT/);
    expect(e.hint).toMatch(/npm install|binDir/);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('spawn initdb EACCES: a binary that may not be executed is an error, not an unhandled event', async () => {
    const e = await failure(await fakeInstall('#!/bin/sh\nexit 0\n', 0o644));
    expect(e.code).toBe('embedded_start');
    expect(e.message).toContain('EACCES');
    expect(e.message).toContain(userInfo().uid === 0 ? 'the OS user "postgres"' : 'the current user');
    expect(e.hint).toMatch(/readable and enterable/);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('a crashing initdb: its output in the error; the password file was 0600 and is gone, so is the data dir', async () => {
    const script = [
      '#!/bin/sh',
      'for a in "$@"; do',
      '  case "$a" in',
      '    --pwfile=*) f=$(printf %s "$a" | cut -d= -f2-); echo "pwfile $f mode $(stat -c %a "$f")" >&2 ;;',
      '    --pgdata=*) echo "pgdata $(printf %s "$a" | cut -d= -f2-)" >&2 ;;',
      '  esac',
      'done',
      'echo "initdb: simulated crash" >&2',
      'exit 3',
    ].join('\n');
    const logs: string[] = [];
    const e = await failure(await fakeInstall(script, 0o755), (l) => logs.push(l));
    expect(e.code).toBe('embedded_start');
    expect(e.message).toMatch(/initdb failed \(exit code 3\)/);
    expect(e.message).toContain('simulated crash');
    const text = logs.join('');
    const pwfile = /pwfile (\S+) mode (\d+)/.exec(text);
    const pgdata = /pgdata (\S+)/.exec(text);
    expect(pwfile?.[2], 'the password file is readable by its owner only').toBe('600');
    expect(pwfile?.[1].startsWith(tmp)).toBe(true);
    expect(existsSync(pwfile![1]), 'no pg-password-* file is left').toBe(false);
    expect(existsSync(pgdata![1]), 'no data dir is left').toBe(false);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('a kept directory created for the failed start is removed; an existing one is left alone', async () => {
    const bin = await fakeInstall('#!/bin/sh\nexit 1\n', 0o755);
    const fresh = join(scratch, 'kept-new');
    await startEmbedded({ binDir: bin, cacheDir, dir: fresh }).catch(() => undefined);
    expect(existsSync(fresh)).toBe(false);
    const mine = join(scratch, 'kept-existing');
    await mkdir(mine, { mode: 0o755 });
    await writeFile(join(mine, 'notes.txt'), 'mine');
    await startEmbedded({ binDir: bin, cacheDir, dir: mine }).catch(() => undefined);
    expect(readdirSync(mine)).toContain('notes.txt');
  });
});
