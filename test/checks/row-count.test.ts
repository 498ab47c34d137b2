import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kind, schema } from '../../src/checks/row-count.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { Db, readCtx } from './context.js';

let url: string;
let db: Db;
const run = (o: Record<string, unknown>) => kind.evaluate(readCtx(db), schema.parse({ id: 'c', ...o }));

beforeAll(async () => {
  url = await createTestDatabase('checks_row_count');
  db = new Db(url);
  await query(
    url,
    `CREATE SCHEMA "Crm"; CREATE TABLE "Crm"."Lead" (id int, note text); INSERT INTO "Crm"."Lead" SELECT g, NULL FROM generate_series(1, 5) g`,
  );
});
afterAll(() => db.close());

describe('check.rowCount', () => {
  it('passes in range and fails outside it (rows with NULLs count)', async () => {
    expect(await run({ table: 'Crm.Lead', equals: 5 })).toEqual({ status: 'pass', actual: 5, expected: 5, sample: [] });
    expect(await run({ table: 'Crm.Lead', min: 1, max: 5 })).toMatchObject({
      status: 'pass',
      expected: 'between 1 and 5',
    });
    expect(await run({ table: 'Crm.Lead', min: 6 })).toEqual({
      status: 'fail',
      actual: 5,
      expected: '>= 6',
      sample: [],
      message: 'Crm.Lead has 5 row(s), expected >= 6',
    });
  });

  it('without a ledger, unchanged says to run the plan first', async () => {
    const r = await run({ table: 'Crm.Lead', unchanged: true });
    expect(r.status).toBe('fail');
    expect(r.message).toMatch(/run the plan first/);
  });

  it('validates its options', () => {
    const v = (o: Record<string, unknown>) => kind.validate(schema.parse({ id: 'c', table: 't', ...o }));
    expect(v({})).toEqual([{ field: 'equals', message: 'give one of equals, min, max or unchanged' }]);
    expect(v({ equals: 1, min: 1 })[0].message).toBe('equals cannot be combined with min or max');
    expect(v({ min: 3, max: 1 })[0].message).toBe('min (3) is greater than max (1)');
  });
});
