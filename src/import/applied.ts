/**
 * Which migrations the ORM has applied already, read from its own history, so an import of a
 * migrations dir takes only the rest — the same rule the ORM's deploy follows:
 * - Prisma: `_prisma_migrations` rows that finished and were not rolled back, by folder name;
 * - drizzle: its migrator applies every journal entry whose `when` is later than the newest
 *   `created_at` in `drizzle.__drizzle_migrations`.
 */
import { Db } from '../db/connection.js';
import { UsageError } from '../model/errors.js';
import type { SourceMigration } from './model.js';
import type { DrizzleMigration } from './sources.js';

async function withDb<T>(url: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = new Db(url, { applicationName: 'tidemark import', max: 1 });
  try {
    return await fn(db);
  } catch (e) {
    throw new UsageError(
      `import: cannot read the ORM's history in ${db.displayUrl}: ${(e as Error).message}`,
      'Check --database-url, or import without it to take every migration.',
    );
  } finally {
    await db.close();
  }
}

/** The Prisma migrations `_prisma_migrations` does not show as applied. */
export async function unappliedPrisma(url: string, all: SourceMigration[]): Promise<SourceMigration[]> {
  const applied = await withDb(url, async (db) => {
    const t = await db.rows<{ r: string | null }>(`SELECT to_regclass('_prisma_migrations')::text AS r`);
    if (!t[0].r) return new Set<string>();
    const rows = await db.rows<{ migration_name: string }>(
      `SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    return new Set(rows.map((r) => r.migration_name));
  });
  return all.filter((m) => !applied.has(m.name));
}

/** The drizzle migrations its migrator would still apply. */
export async function unappliedDrizzle(url: string, all: DrizzleMigration[]): Promise<DrizzleMigration[]> {
  const last = await withDb(url, async (db) => {
    const t = await db.rows<{ r: string | null }>(`SELECT to_regclass('drizzle.__drizzle_migrations')::text AS r`);
    if (!t[0].r) return undefined;
    const rows = await db.rows<{ m: string | null }>(
      `SELECT max(created_at)::text AS m FROM drizzle.__drizzle_migrations`,
    );
    return rows[0].m === null ? undefined : Number(rows[0].m);
  });
  return last === undefined ? all : all.filter((m) => m.when === undefined || m.when > last);
}
