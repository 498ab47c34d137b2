/**
 * Alembic's history: `alembic_version` holds one row per head, so a record moves the row from the
 * migration's down revision to the migration, as `alembic upgrade` does, and its removal moves it
 * back. The table is created as Alembic creates it when absent (`version_num VARCHAR(32)`, primary
 * key `alembic_version_pkc`). A database not at the down revision is refused: moving it would tell
 * Alembic that revisions between were applied.
 */
import type { Queryable } from '../db/connection.js';
import { OrmRecordError } from '../model/errors.js';
import type { OrmRecord } from '../model/plan.js';
import type { OrmWriter } from './orm-writer.js';

type Alembic = Extract<OrmRecord, { tool: 'alembic' }>;

export const ALEMBIC_VERSION_DDL = `CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
)`;

async function heads(c: Queryable): Promise<string[] | undefined> {
  if ((await c.query<{ r: string | null }>(`SELECT to_regclass('alembic_version')::text AS r`)).rows[0].r === null)
    return undefined;
  return (await c.query<{ v: string }>(`SELECT version_num AS v FROM alembic_version ORDER BY 1`)).rows.map((x) => x.v);
}

export const alembicWriter: OrmWriter<Alembic> = {
  where: 'alembic_version',
  async write(c, r) {
    let now = await heads(c);
    if (!now) {
      await c.query(ALEMBIC_VERSION_DDL);
      now = [];
    }
    if (now.includes(r.migration)) return { detail: { existing: true }, wrote: false };
    if (r.down === null ? now.length === 0 : now.includes(r.down)) {
      if (r.down === null) await c.query(`INSERT INTO alembic_version (version_num) VALUES ($1)`, [r.migration]);
      else await c.query(`UPDATE alembic_version SET version_num = $1 WHERE version_num = $2`, [r.migration, r.down]);
      return { detail: { from: r.down, to: r.migration }, wrote: true };
    }
    throw new OrmRecordError(
      `cannot record Alembic revision "${r.migration}" as applied: alembic_version is at ${now.length ? now.join(', ') : 'base (empty)'}, not at its down revision ${r.down ?? 'base'}`,
      `Bring the database to ${r.down ?? 'base'} first (alembic upgrade ${r.down ?? 'base'}, or the plan that covers it), then run again.`,
    );
  },
  async remove(c, detail, migration) {
    if (!('from' in detail)) return false;
    const now = await heads(c);
    if (!now?.includes(migration)) return false;
    const from = detail.from as string | null;
    if (from === null) await c.query(`DELETE FROM alembic_version WHERE version_num = $1`, [migration]);
    else await c.query(`UPDATE alembic_version SET version_num = $1 WHERE version_num = $2`, [from, migration]);
    return true;
  },
};
