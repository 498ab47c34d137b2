/**
 * Prisma's history: a `_prisma_migrations` row like the one `prisma migrate resolve --applied`
 * writes (prisma-engines `sql_migration_persistence.rs`, `mark_migration_applied_impl`): a new uuid,
 * the checksum of `migration.sql`, empty logs, `started_at` = `finished_at` = now. The table is
 * created with Prisma's own definition when absent (`flavour/postgres.rs`, `create_migrations_table`)
 * — `prisma migrate deploy` refuses a non-empty database without it. docs/decisions.md cites both.
 */
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db/connection.js';
import type { OrmRecord } from '../model/plan.js';
import type { OrmWriter } from './orm-writer.js';

/** Prisma's table, as its schema engine creates it on PostgreSQL (search_path schema). */
export const PRISMA_MIGRATIONS_DDL = `CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
)`;

type Prisma = Extract<OrmRecord, { tool: 'prisma' }>;

async function exists(c: Queryable): Promise<boolean> {
  return (
    (await c.query<{ r: string | null }>(`SELECT to_regclass('_prisma_migrations')::text AS r`)).rows[0].r !== null
  );
}

export const prismaWriter: OrmWriter<Prisma> = {
  where: '_prisma_migrations',
  async write(c, r) {
    if (!(await exists(c))) await c.query(PRISMA_MIGRATIONS_DDL);
    const applied = await c.query(
      `SELECT id FROM _prisma_migrations
        WHERE migration_name = $1 AND finished_at IS NOT NULL AND rolled_back_at IS NULL LIMIT 1`,
      [r.migration],
    );
    if (applied.rows.length) return { detail: { existing: true }, wrote: false };
    const id = randomUUID();
    await c.query(
      `INSERT INTO _prisma_migrations (id, checksum, logs, started_at, finished_at, migration_name)
       VALUES ($1, $2, '', now(), now(), $3)`,
      [id, r.checksum, r.migration],
    );
    return { detail: { id }, wrote: true };
  },
  async remove(c, detail) {
    if (typeof detail.id !== 'string' || !(await exists(c))) return false;
    return ((await c.query(`DELETE FROM _prisma_migrations WHERE id = $1`, [detail.id])).rowCount ?? 0) > 0;
  },
};
