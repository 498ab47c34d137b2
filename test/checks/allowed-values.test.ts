import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kind, schema } from '../../src/checks/allowed-values.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { Db, readCtx } from './context.js';

let url: string;
let db: Db;
const run = (o: Record<string, unknown>) => kind.evaluate(readCtx(db), schema.parse({ id: 'a', ...o }));

beforeAll(async () => {
  url = await createTestDatabase('checks_allowed_values');
  db = new Db(url);
  await query(
    url,
    `
    CREATE TABLE "MessageNumber" ("Id" int PRIMARY KEY, "numberClass" text, score numeric(6,2), active boolean);
    INSERT INTO "MessageNumber" VALUES (1, 'front_desk', 1.50, true), (2, 'pool', 2, false), (3, NULL, NULL, NULL),
      (4, 'Pool', 3, true), (5, 'legacy', 1.5, true), (6, 'legacy', 2.00, true);
  `,
  );
});
afterAll(() => db.close());

describe('check.allowedValues', () => {
  it('passes when every non-NULL value is listed', async () => {
    const r = await run({
      table: 'MessageNumber',
      column: 'numberClass',
      values: ['front_desk', 'pool', 'sitter', 'Pool', 'legacy'],
    });
    expect(r).toMatchObject({ status: 'pass', actual: 0, expected: 0, sample: [] });
  });

  it('fails with the offending rows and names the values', async () => {
    const r = await run({ table: 'MessageNumber', column: 'numberClass', values: ['front_desk', 'pool', 'sitter'] });
    expect(r.status).toBe('fail');
    expect(r.actual).toBe(3);
    expect(r.sample).toEqual([
      { Id: 4, numberClass: 'Pool' },
      { Id: 5, numberClass: 'legacy' },
      { Id: 6, numberClass: 'legacy' },
    ]);
    expect(r.message).toBe(
      '3 row(s) of MessageNumber have numberClass outside the allowed values: "legacy" (2), "Pool" (1)',
    );
  });

  it('compares numbers as numbers and booleans as booleans', async () => {
    expect((await run({ table: 'MessageNumber', column: 'score', values: [1.5, 2, 3] })).status).toBe('pass');
    expect((await run({ table: 'MessageNumber', column: 'score', values: [1.5, 2] })).sample).toEqual([
      { Id: 4, score: '3.00' },
    ]);
    expect((await run({ table: 'MessageNumber', column: 'active', values: [true] })).sample).toEqual([
      { Id: 2, active: false },
    ]);
  });

  it('still passes after the column became an enum', async () => {
    await query(
      url,
      `CREATE TABLE conv (id int PRIMARY KEY, c text); INSERT INTO conv VALUES (1, 'a'), (2, 'b'), (3, NULL);
      CREATE TYPE "ConvKind" AS ENUM ('a', 'b', 'c'); ALTER TABLE conv ALTER COLUMN c TYPE "ConvKind" USING c::"ConvKind"`,
    );
    expect((await run({ table: 'conv', column: 'c', values: ['a', 'b'] })).status).toBe('pass');
    expect((await run({ table: 'conv', column: 'c', values: ['a'] })).sample).toEqual([{ id: 2, c: 'b' }]);
  });
});
