/**
 * drizzle's history: a `drizzle.__drizzle_migrations` row as drizzle-orm's migrator inserts it
 * (`pg-core/dialect.js`, `migrate`): `hash` (sha256 of the SQL file) and `created_at` (the journal's
 * `when`), the schema and table created as it creates them. `drizzle-kit migrate` applies only
 * journal entries newer than the newest `created_at`, so a record is refused while an older entry is
 * still unapplied: drizzle would skip it for ever.
 */
import type { Queryable } from '../db/connection.js';
import { OrmRecordError } from '../model/errors.js';
import type { OrmRecord } from '../model/plan.js';
import type { OrmWriter } from './orm-writer.js';

const TABLE = '"drizzle"."__drizzle_migrations"';

type Drizzle = Extract<OrmRecord, { tool: 'drizzle' }>;

async function exists(c: Queryable): Promise<boolean> {
  return (await c.query<{ r: string | null }>(`SELECT to_regclass($1)::text AS r`, [TABLE])).rows[0].r !== null;
}

export const drizzleWriter: OrmWriter<Drizzle> = {
  where: 'drizzle.__drizzle_migrations',
  async write(c, r) {
    await c.query(`CREATE SCHEMA IF NOT EXISTS "drizzle"`);
    await c.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (
				id SERIAL PRIMARY KEY,
				hash text NOT NULL,
				created_at bigint
			)`);
    const same = await c.query(`SELECT id FROM ${TABLE} WHERE created_at = $1 LIMIT 1`, [r.createdAt]);
    if (same.rows.length) return { detail: { existing: true }, wrote: false };
    const newest = Number(
      (await c.query<{ m: string | null }>(`SELECT max(created_at)::text AS m FROM ${TABLE}`)).rows[0].m ?? -1,
    );
    const skipped = r.earlier.filter((e) => e.when > newest);
    if (skipped.length)
      throw new OrmRecordError(
        `cannot record drizzle migration "${r.migration}" as applied: drizzle-kit has not applied ${skipped.map((e) => `"${e.tag}"`).join(', ')} yet, and \`drizzle-kit migrate\` never applies a migration older than the newest it recorded`,
        `Apply ${skipped.map((e) => e.tag).join(', ')} first (drizzle-kit migrate, or the plan that covers it), then run again.`,
      );
    const id = (
      await c.query<{ id: number }>(`INSERT INTO ${TABLE} ("hash", "created_at") VALUES ($1, $2) RETURNING id`, [
        r.hash,
        r.createdAt,
      ])
    ).rows[0].id;
    return { detail: { id }, wrote: true };
  },
  async remove(c, detail) {
    if (typeof detail.id !== 'number' || !(await exists(c))) return false;
    return ((await c.query(`DELETE FROM ${TABLE} WHERE id = $1`, [detail.id])).rowCount ?? 0) > 0;
  },
};
