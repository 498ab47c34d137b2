/**
 * Database-aware linting against real tables: size thresholds (small and empty tables waive
 * findings, big ones keep them with a row count).
 * The rules long-running-transaction and rls-hides-rows have their own files in rules/.
 * Read-only and password-safe.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { active, lintSql, tty } from './helpers.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('lint_database');
  await query(
    url,
    `
    CREATE TABLE small_t (id int PRIMARY KEY, v text);
    INSERT INTO small_t SELECT g, 'x' FROM generate_series(1, 200) g;
    CREATE TABLE big_t (id int PRIMARY KEY, v text);
    INSERT INTO big_t SELECT g, 'x' FROM generate_series(1, 50000) g;
    ANALYZE big_t;
    CREATE TABLE empty_t (id int PRIMARY KEY);
    CREATE TABLE one_t (id int PRIMARY KEY);
    INSERT INTO one_t VALUES (1);
  `,
  );
});

describe('table sizes (--database-url)', () => {
  const sql =
    'CREATE INDEX small_v ON small_t(v);\nCREATE INDEX big_v ON big_t(v);\nCREATE INDEX missing_v ON not_yet_created(v);';

  it('without a database every index build is an error', async () => {
    const r = await lintSql(sql);
    expect(active(r, 'index-not-concurrent')).toHaveLength(3);
  });

  it('waives the 200-row table, keeps the 50,000-row one with its size, and keeps unknown tables', async () => {
    const r = await lintSql(sql, { databaseUrl: url, config: { smallTableRows: 10_000 } });
    const found = active(r, 'index-not-concurrent');
    expect(found.map((f) => f.table)).toEqual(['big_t', 'not_yet_created']);
    expect(found[0].message).toMatch(/~50,000 rows now/);
    expect(r.waived.map((f) => [f.table, f.waived])).toEqual([
      ['small_t', '"small_t" has 200 rows (below smallTableRows 10,000)'],
    ]);
    expect(r.counts.waived).toBe(1);
    expect(tty(r, 'index-not-concurrent')).toContain('~50,000 rows now');
  });

  it('the threshold is configurable', async () => {
    const r = await lintSql(sql, { databaseUrl: url, config: { smallTableRows: 100 } });
    expect(active(r, 'index-not-concurrent').map((f) => f.table)).toEqual(['small_t', 'big_t', 'not_yet_created']);
  });

  it('a NOT NULL column without default is waived only on an empty table', async () => {
    const r = await lintSql(
      'ALTER TABLE empty_t ADD COLUMN a int NOT NULL;\nALTER TABLE one_t ADD COLUMN a int NOT NULL;',
      { databaseUrl: url },
    );
    expect(active(r, 'add-column-not-null').map((f) => f.table)).toEqual(['one_t']);
    expect(r.waived.map((f) => f.waived)).toEqual(['"empty_t" is empty']);
  });

  it('never writes: no ledger schema, read-only session', async () => {
    await lintSql("UPDATE big_t SET v = 'y';", { databaseUrl: url });
    const schemas = await query(url, "SELECT nspname FROM pg_namespace WHERE nspname = 'tidemark'");
    expect(schemas).toEqual([]);
    expect((await query<{ n: number }>(url, "SELECT count(*)::int AS n FROM big_t WHERE v = 'y'"))[0].n).toBe(0);
  });

  it('refuses an unreachable database with the password removed', async () => {
    const bad = 'postgres://someone:s3cretpw@127.0.0.1:1/nope';
    await expect(lintSql('SELECT 1;', { databaseUrl: bad })).rejects.toThrow(
      /cannot connect to postgres:\/\/someone:\*\*\*@127\.0\.0\.1:1\/nope/,
    );
    await expect(lintSql('SELECT 1;', { databaseUrl: bad })).rejects.not.toThrow(/s3cretpw/);
  });
});

describe('partial data changes (--database-url): the planner estimates the rows touched', () => {
  it('an UPDATE whose WHERE touches few rows of a big table is waived; one touching most of it stands with its estimate', async () => {
    await query(url, `ALTER TABLE big_t ADD COLUMN n int; UPDATE big_t SET n = id % 100; ANALYZE big_t`);
    const sql =
      "UPDATE big_t SET v = 'y' WHERE n = 7 AND v = 'x';\nUPDATE big_t SET v = 'y' WHERE n > 3;\nUPDATE small_t SET v = 'y' WHERE v = 'x';";
    const offline = await lintSql(sql);
    expect(active(offline, 'unbatched-data-change').map((f) => f.line)).toEqual([1, 2, 3]);
    const r = await lintSql(sql, { databaseUrl: url, config: { smallTableRows: 10_000 } });
    const kept = active(r, 'unbatched-data-change');
    expect(kept.map((f) => f.line)).toEqual([2]);
    expect(kept[0].message).toMatch(/~4\d,\d{3} rows touched, by the planner\)$/);
    expect(r.waived.filter((f) => f.rule === 'unbatched-data-change').map((f) => [f.line, f.waived])).toEqual([
      [1, expect.stringMatching(/touches ~\d+ rows by the planner's estimate/)],
      [3, expect.stringMatching(/touches ~\d+ rows by the planner's estimate/)],
    ]);
    // Nothing ran: EXPLAIN only.
    expect(await query(url, `SELECT count(*)::int AS n FROM big_t WHERE v = 'y'`)).toEqual([{ n: 0 }]);
  });
});
