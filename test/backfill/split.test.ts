/**
 * Splitting a backfill's key into ranges for its workers (docs/work.md): contiguous ranges from the
 * start of the key to its open end, every row in exactly one of them, composite keys included, and
 * one range for a small table.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveKey, resolveTable } from '../../src/backfill/key.js';
import { rangesFor, splitKey } from '../../src/backfill/split.js';
import { keyBetween } from '../../src/sql/key-range.js';
import { Params } from '../../src/sql/params.js';
import { createTestDatabase } from '../helpers/db.js';

let c: pg.Client;

beforeAll(async () => {
  c = new pg.Client({ connectionString: await createTestDatabase('backfill_split') });
  await c.connect();
});
afterAll(async () => {
  await c.end();
});

async function coverage(table: string, key?: string[]) {
  const t = (await resolveTable(c, table))!;
  const k = await resolveKey(c, t, key);
  const rows = Number((await c.query(`SELECT count(*) AS n FROM ${t.sql}`)).rows[0].n);
  const ranges = await splitKey(c, { table: t, key: k }, rows);
  const counts: number[] = [];
  for (const r of ranges) {
    const p = new Params();
    counts.push(
      Number(
        (await c.query(`SELECT count(*) AS n FROM ${t.sql} WHERE ${keyBetween(k, r.lo, r.hi, p)}`, p.values)).rows[0].n,
      ),
    );
  }
  return { ranges, counts, rows };
}

describe('splitting the key into ranges', () => {
  it('a 50k-row table on a composite key: 5 contiguous ranges holding every row once', async () => {
    await c.query(`CREATE TABLE pairs (org int, id int, PRIMARY KEY (org, id))`);
    await c.query(`INSERT INTO pairs SELECT g % 7, g FROM generate_series(1, 50000) g`);
    await c.query(`ANALYZE pairs`);
    const { ranges, counts, rows } = await coverage('pairs');
    expect(ranges.length).toBe(rangesFor(rows));
    expect(ranges.length).toBe(5);
    expect(ranges[0].lo).toBeNull();
    expect(ranges.at(-1)!.hi).toBeNull();
    for (let i = 1; i < ranges.length; i++) expect(ranges[i].lo).toEqual(ranges[i - 1].hi);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(50000);
    for (const n of counts) expect(n).toBeGreaterThan(5000);
  });

  it('a small table is one range, from the start to the open end', async () => {
    await c.query(`CREATE TABLE few (id bigint PRIMARY KEY)`);
    await c.query(`INSERT INTO few SELECT generate_series(1, 500)`);
    const { ranges, counts } = await coverage('few');
    expect(ranges).toEqual([{ lo: null, hi: null }]);
    expect(counts).toEqual([500]);
  });

  it('rangesFor: about 10,000 rows per range, at most 64', () => {
    expect(rangesFor(0)).toBe(1);
    expect(rangesFor(19_999)).toBe(1);
    expect(rangesFor(200_000)).toBe(20);
    expect(rangesFor(1e9)).toBe(64);
  });
});
