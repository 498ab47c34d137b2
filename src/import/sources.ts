/**
 * The migrations an import reads, found the way each tool lays them out: Prisma's migration
 * folders (`<timestamp>_<name>/migration.sql`, or the `migrations` dir holding them), drizzle-kit's
 * out folder (`meta/_journal.json` lists the migrations, `<tag>.sql` each), or one SQL file.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { UsageError } from '../model/errors.js';
import type { SourceMigration } from './model.js';

function read(file: string): string {
  return readFileSync(file, 'utf8');
}

function missing(tool: string, path: string, what: string): never {
  throw new UsageError(`import ${tool}: ${path} does not exist`, `Give ${what}.`);
}

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

/** Prisma: a migration folder, its `migration.sql`, or the migrations dir (every folder in it, in name order). */
export function prismaMigrations(path: string): { migrations: SourceMigration[]; dir?: string } {
  const p = resolve(path);
  const what = 'a migration folder, its migration.sql, or the prisma/migrations dir';
  if (!existsSync(p)) missing('prisma', path, what);
  const one = (file: string): SourceMigration => {
    const folder = dirname(file);
    const inFolder = basename(file) === 'migration.sql';
    const name = inFolder ? basename(folder) : basename(file, extname(file));
    return {
      tool: 'prisma',
      name,
      file,
      sql: read(file),
      record: inFolder ? { tool: 'prisma', migration: name, dir: dirname(folder) } : undefined,
    };
  };
  if (!isDir(p)) return { migrations: [one(p)] };
  if (existsSync(join(p, 'migration.sql'))) return { migrations: [one(join(p, 'migration.sql'))] };
  const folders = readdirSync(p)
    .filter((f) => existsSync(join(p, f, 'migration.sql')))
    .sort();
  if (!folders.length)
    throw new UsageError(`import prisma: ${path} holds no migration.sql, nor folders holding one`, `Give ${what}.`);
  return { migrations: folders.map((f) => one(join(p, f, 'migration.sql'))), dir: p };
}

interface JournalEntry {
  idx: number;
  tag: string;
  when: number;
}

function journal(dir: string): JournalEntry[] | undefined {
  const f = join(dir, 'meta', '_journal.json');
  if (!existsSync(f)) return undefined;
  try {
    return ((JSON.parse(read(f)) as { entries?: JournalEntry[] }).entries ?? []).slice().sort((a, b) => a.idx - b.idx);
  } catch (e) {
    throw new UsageError(`import drizzle: ${f} is not valid JSON: ${(e as Error).message}`);
  }
}

/** A drizzle migration with the journal's `when` (drizzle's migrator compares it with `created_at`). */
export interface DrizzleMigration extends SourceMigration {
  when?: number;
}

/** Drizzle: the out folder (with `meta/_journal.json`), or one of its `.sql` files. */
export function drizzleMigrations(path: string): { migrations: DrizzleMigration[]; dir?: string } {
  const p = resolve(path);
  const what = 'the drizzle-kit out folder (with meta/_journal.json) or one of its .sql files';
  if (!existsSync(p)) missing('drizzle', path, what);
  if (!isDir(p)) {
    const dir = dirname(p);
    const tag = basename(p, extname(p));
    const entry = journal(dir)?.find((e) => e.tag === tag);
    return {
      migrations: [
        {
          tool: 'drizzle',
          name: tag,
          file: p,
          sql: read(p),
          when: entry?.when,
          record: entry ? { tool: 'drizzle', migration: tag, dir } : undefined,
        },
      ],
    };
  }
  const entries = journal(p);
  if (!entries) throw new UsageError(`import drizzle: ${path} has no meta/_journal.json`, `Give ${what}.`);
  return {
    dir: p,
    migrations: entries.map((e) => {
      const file = join(p, `${e.tag}.sql`);
      if (!existsSync(file))
        throw new UsageError(`import drizzle: the journal lists ${e.tag}, but ${file} does not exist`);
      return {
        tool: 'drizzle' as const,
        name: e.tag,
        file,
        sql: read(file),
        when: e.when,
        record: { tool: 'drizzle', migration: e.tag, dir: p },
      };
    }),
  };
}

/** Any other tool: one SQL file. */
export function sqlMigration(path: string): SourceMigration {
  const p = resolve(path);
  if (!existsSync(p)) missing('sql', path, 'a .sql file (for Alembic: the output of `alembic upgrade <rev> --sql`)');
  if (isDir(p)) throw new UsageError(`import sql: ${path} is a folder`, 'Give one .sql file.');
  return { tool: 'sql', name: basename(p, extname(p)), file: p, sql: read(p) };
}
