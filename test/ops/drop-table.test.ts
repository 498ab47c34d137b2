/**
 * op.dropTable: the table moves into tidemark_archive (renamed, with its indexes and sequences) and
 * back on rollback with the same data and catalog; apply → rollback → apply; two archived tables
 * with the same index names do not collide; views and foreign keys into it are refused; a lock held
 * by another session is waited for within lock_timeout and retried, and on exhaustion the error
 * names the holder.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load.js';
import { rollbackPlan } from '../../src/runner/rollback.js';
import { connect, createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('ops_drop_table');
});

async function rollbackFile(file: string) {
  return rollbackPlan(await loadPlan(file), { databaseUrl: url });
}

/** Everything about a table that must come back: columns, defaults, indexes, constraints, comment, grants, data. */
async function snapshot(table: string) {
  const cols = await query(
    url,
    `SELECT attname, format_type(atttypid, atttypmod) AS type, attnotnull, pg_get_expr(d.adbin, d.adrelid) AS def
    FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY attnum`,
    [table],
  );
  const idx = await query(
    url,
    `SELECT c.relname, pg_get_indexdef(c.oid) AS def FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = $1::regclass ORDER BY 1`,
    [table],
  );
  const cons = await query(
    url,
    `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass ORDER BY 1`,
    [table],
  );
  const meta = await query(
    url,
    `SELECT obj_description($1::regclass, 'pg_class') AS comment, relacl::text AS acl FROM pg_class WHERE oid = $1::regclass`,
    [table],
  );
  const data = await query(
    url,
    `SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS h, count(*)::int AS n FROM ${table} t`,
  );
  const seq = await query(url, `SELECT pg_get_serial_sequence($1, 'id') AS s`, [table]);
  return { cols, idx, cons, meta, data, seq };
}

const SETUP = `
  DROP SCHEMA IF EXISTS app CASCADE;
  DROP TABLE IF EXISTS legacy_leads, customers CASCADE;
  CREATE TABLE customers (id int PRIMARY KEY);
  INSERT INTO customers SELECT g FROM generate_series(1, 10) g;
  CREATE TABLE legacy_leads (
    id serial PRIMARY KEY,
    email text NOT NULL UNIQUE,
    "Score" int DEFAULT 0 CHECK ("Score" >= 0),
    customer_id int REFERENCES customers (id)
  );
  CREATE INDEX legacy_leads_score_idx ON legacy_leads ("Score") WHERE "Score" > 0;
  COMMENT ON TABLE legacy_leads IS 'pre-2026 leads';
  GRANT SELECT ON legacy_leads TO PUBLIC;
  INSERT INTO legacy_leads (email, "Score", customer_id) SELECT 'l' || g || '@x', g % 7, 1 + g % 10 FROM generate_series(1, 500) g;
`;

describe('op.dropTable', () => {
  it('archives the table and restores the same data and catalog; apply → rollback → apply', async () => {
    await query(url, SETUP);
    const before = await snapshot('legacy_leads');
    const file = writePlan(
      tempDir(),
      `{ id: 'drop-legacy', contract: [op.dropTable({ id: 'drop-leads', table: 'legacy_leads' })] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.message).toBeUndefined();
    expect(r.exitCode).toBe(0);
    expect((await query(url, `SELECT to_regclass('legacy_leads') AS r`))[0].r).toBeNull();
    const arch = await query<{ archive_table: string; definition: { renamed: unknown[] } }>(
      url,
      `SELECT archive_table, definition FROM tidemark.archives WHERE plan_id = 'drop-legacy'`,
    );
    expect(arch[0].archive_table).toMatch(/^legacy_leads_[0-9a-f]{8}$/);
    const moved = await query(url, `SELECT count(*)::int AS n FROM tidemark_archive.${arch[0].archive_table}`);
    expect(moved[0].n).toBe(500);
    // its indexes and sequence went with it, renamed so they cannot collide
    const inArchive = await query(
      url,
      `SELECT relname FROM pg_class WHERE relnamespace = 'tidemark_archive'::regnamespace ORDER BY 1`,
    );
    expect(inArchive.length).toBe(1 + before.idx.length + 1); // the table, its indexes, its sequence
    expect(inArchive.every((x) => /_[0-9a-f]{8}$/.test(String(x.relname)))).toBe(true);

    const rb = await rollbackFile(file);
    expect(rb.exitCode).toBe(0);
    expect(await snapshot('legacy_leads')).toEqual(before);
    await query(url, `INSERT INTO legacy_leads (email) VALUES ('after@x')`); // the sequence works again
    await query(url, `DELETE FROM legacy_leads WHERE email = 'after@x'`);

    const again = await runFile(file, { databaseUrl: url });
    expect(again.exitCode).toBe(0);
    expect((await query(url, `SELECT to_regclass('legacy_leads') AS r`))[0].r).toBeNull();
    expect((await rollbackFile(file)).exitCode).toBe(0);
    expect((await snapshot('legacy_leads')).data).toEqual(before.data);
  });

  it('archives two tables with the same index and sequence names without collision', async () => {
    await query(
      url,
      `DROP SCHEMA IF EXISTS a CASCADE; DROP SCHEMA IF EXISTS b CASCADE; CREATE SCHEMA a; CREATE SCHEMA b;
      CREATE TABLE a.items (id serial PRIMARY KEY, v text); CREATE TABLE b.items (id serial PRIMARY KEY, v text);
      INSERT INTO a.items (v) VALUES ('a'); INSERT INTO b.items (v) VALUES ('b');`,
    );
    const file = writePlan(
      tempDir(),
      `{ id: 'drop-items', contract: [
      op.dropTable({ id: 'drop-a', table: 'a.items' }),
      op.dropTable({ id: 'drop-b', table: { schema: 'b', name: 'items' } }),
    ] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.message).toBeUndefined();
    expect((await rollbackFile(file)).exitCode).toBe(0);
    expect(await query(url, `SELECT (SELECT v FROM a.items) AS a, (SELECT v FROM b.items) AS b`)).toEqual([
      { a: 'a', b: 'b' },
    ]);
    expect((await query(url, `SELECT pg_get_serial_sequence('b.items', 'id') AS s`))[0].s).toBe('b.items_id_seq');
  });

  it('refuses a table a view reads or a foreign key references; nothing changes', async () => {
    await query(url, `${SETUP}CREATE VIEW recent_leads AS SELECT * FROM legacy_leads;`);
    const f1 = writePlan(
      tempDir(),
      `{ id: 'drop-viewed', contract: [op.dropTable({ id: 'drop-leads', table: 'legacy_leads' })] }`,
    );
    const r1 = await runFile(f1, { databaseUrl: url });
    expect(r1.exitCode).toBe(1);
    expect(r1.message).toMatch(/views or rules read it: recent_leads/);
    const f2 = writePlan(
      tempDir(),
      `{ id: 'drop-referenced', contract: [op.dropTable({ id: 'drop-customers', table: 'customers' })] }`,
    );
    const r2 = await runFile(f2, { databaseUrl: url });
    expect(r2.exitCode).toBe(1);
    expect(r2.message).toMatch(/foreign keys reference it: legacy_leads_customer_id_fkey on legacy_leads/);
    expect(
      (
        await query(
          url,
          `SELECT count(*)::int AS n FROM tidemark.archives WHERE plan_id IN ('drop-viewed', 'drop-referenced')`,
        )
      )[0].n,
    ).toBe(0);
    await query(url, `DROP VIEW recent_leads`);
  });

  it('waits for a lock held by another session, retries, and names the holder when it never lets go', async () => {
    await query(url, SETUP);
    const holder = await connect(url);
    try {
      await holder.query(`BEGIN; SELECT count(*) FROM legacy_leads`);
      const pid = (await holder.query(`SELECT pg_backend_pid() AS p`)).rows[0].p;
      const file = writePlan(
        tempDir(),
        `{ id: 'drop-locked', contract: [op.dropTable({ id: 'drop-leads', table: 'legacy_leads' })] }`,
      );
      const failed = await runFile(file, { databaseUrl: url, config: { lockTimeoutMs: 100, lockRetries: 3 } });
      expect(failed.exitCode).toBe(1);
      expect(failed.message).toMatch(
        new RegExp(`could not acquire its lock after 3 attempts .* Blocked by pid ${pid}`),
      );
      expect((await query(url, `SELECT to_regclass('legacy_leads') AS r`))[0].r).not.toBeNull();

      const run = runFile(file, { databaseUrl: url, config: { lockTimeoutMs: 100, lockRetries: 20 } });
      // commit only once the runner has been seen queued behind the holder
      for (let i = 0; i < 1000; i++) {
        const w = await query(
          url,
          `SELECT 1 FROM pg_locks WHERE relation = 'legacy_leads'::regclass AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND NOT granted`,
        );
        if (w.length) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 300));
      await holder.query('COMMIT');
      const ok = await run;
      expect(ok.message).toBeUndefined();
      expect(ok.events.some((e) => e.type === 'lock.retry')).toBe(true);
      expect((await query(url, `SELECT to_regclass('legacy_leads') AS r`))[0].r).toBeNull();
      expect((await rollbackFile(file)).exitCode).toBe(0);
    } finally {
      await holder.end();
    }
  });
});
