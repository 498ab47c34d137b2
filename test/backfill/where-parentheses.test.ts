/**
 * A backfill `where` with unbalanced parentheses escaped the batch's key range: `done IS NULL) OR
 * (done` became `… AND "id" <= $2 AND (done IS NULL) OR (done)`, so every batch changed every
 * `done` row — rows incremented up to 8 times. Now such a fragment is refused (at validation, and by
 * the backfill's preflight when validation is bypassed), and a legitimate `a OR b` is embedded
 * parenthesised: a non-idempotent `set` changes each matching row exactly once.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { PlanInvalidError } from '../../src/model/errors.js';
import { backfill, definePlan } from '../../src/plan/define.js';
import { validatePlan } from '../../src/plan/validate.js';
import { runPlan } from '../../src/runner/run.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

const ESCAPE = 'done IS NULL) OR (done';
const ROWS = 5000;

let url: string;
beforeEach(async () => {
  url = await createTestDatabase('backfill_where_parentheses');
  // done: NULL for id % 3 = 0, true for id % 3 = 1, false for id % 3 = 2.
  await query(
    url,
    `CREATE TABLE wp (id int PRIMARY KEY, done boolean, counter int NOT NULL DEFAULT 0);
     INSERT INTO wp (id, done) SELECT g, CASE g % 3 WHEN 0 THEN NULL WHEN 1 THEN true ELSE false END FROM generate_series(1, ${ROWS}) g`,
  );
});

const counters = async () =>
  await query<{ counter: number; done: boolean | null; n: number }>(
    url,
    'SELECT counter, done, count(*)::int AS n FROM wp GROUP BY 1, 2 ORDER BY 2 NULLS FIRST, 1',
  );
const untouched = [
  { counter: 0, done: null, n: 1666 },
  { counter: 0, done: false, n: 1667 },
  { counter: 0, done: true, n: 1667 },
];

describe('a backfill where with unbalanced parentheses', () => {
  it('is refused at validation (exit 2) naming phase, step and field; nothing changes', async () => {
    const file = writePlan(
      tempDir(),
      `{ id: 'wp-escape', backfill: [backfill.update({ id: 'bump', table: 'wp', set: { counter: 'counter + 1' }, where: ${JSON.stringify(ESCAPE)}, batch: { size: 500 } })] }`,
    );
    const e = await runFile(file, { databaseUrl: url }).catch((x) => x);
    expect(e).toBeInstanceOf(PlanInvalidError);
    expect(e.exitCode).toBe(2);
    expect((e as PlanInvalidError).issues).toEqual([
      expect.objectContaining({
        phase: 'backfill',
        stepId: 'bump',
        field: 'where',
        message: expect.stringContaining('closes a ")" it did not open (column 13)'),
      }),
    ]);
    expect(await counters()).toEqual(untouched);
  });

  it('with validation bypassed, the preflight refuses it before any batch (exit 2); nothing changes', async () => {
    const plan = await validatePlan(
      definePlan({
        id: 'wp-bypass',
        backfill: [backfill.update({ id: 'bump', table: 'wp', set: { counter: 'counter + 1' }, where: 'true' })],
      }),
    );
    (plan.steps[0].options as { where?: string }).where = ESCAPE;
    const r = await runPlan(plan, { databaseUrl: url });
    expect(r.exitCode).toBe(2);
    expect(r.message).toMatch(/bump/);
    expect(r.message).toMatch(/where/);
    expect(await counters()).toEqual(untouched);
  });
});

describe('a legitimate where with OR', () => {
  it('is embedded parenthesised: each matching row is incremented exactly once, batch after batch', async () => {
    const file = writePlan(
      tempDir(),
      `{ id: 'wp-or', backfill: [backfill.update({ id: 'bump', table: 'wp', set: { counter: 'counter + 1' }, where: 'done IS NULL OR done', batch: { size: 500 } })] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode, r.message).toBe(0);
    expect(await counters()).toEqual([
      { counter: 1, done: null, n: 1666 },
      { counter: 0, done: false, n: 1667 },
      { counter: 1, done: true, n: 1667 },
    ]);
    const b = await query<{ n: number; rows: number }>(
      url,
      `SELECT count(*)::int AS n, sum(rows)::int AS rows FROM tidemark.batches WHERE plan_id = 'wp-or'`,
    );
    expect(b[0].n).toBeGreaterThanOrEqual(10);
    expect(b[0].rows).toBe(1666 + 1667);
  });

  it('backfill.insert copies each matching source row exactly once', async () => {
    await query(url, 'CREATE TABLE wp_copy (id int PRIMARY KEY, done boolean)');
    const file = writePlan(
      tempDir(),
      `{ id: 'wp-insert', backfill: [backfill.insert({ id: 'copy', from: 'wp', into: 'wp_copy', values: { id: 'id', done: 'done' }, where: 'done IS NULL OR done', batch: { size: 500 } })] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode, r.message).toBe(0);
    expect(await query(url, 'SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM wp_copy')).toEqual([
      { n: 1666 + 1667, ids: 1666 + 1667 },
    ]);
  });
});
