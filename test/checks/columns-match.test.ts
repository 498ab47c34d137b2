import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kind, schema } from '../../src/checks/columns-match.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { Db, readCtx } from './context.js';

let url: string;
let db: Db;
const run = (o: Record<string, unknown>) => kind.evaluate(readCtx(db), schema.parse({ id: 'm', ...o }));

beforeAll(async () => {
  url = await createTestDatabase('checks_columns_match');
  db = new Db(url);
  await query(
    url,
    `
    CREATE TABLE "Message" (id int PRIMARY KEY, "tokensIn" int, "tokensOut" int, "totalTokens" int, intent text, "primaryIntent" text);
    INSERT INTO "Message" VALUES (1, 1, 2, 3, 'buy', 'buy'), (2, NULL, NULL, NULL, NULL, NULL), (3, 5, 5, 9, 'sell', NULL),
      (4, NULL, 1, NULL, 'x', 'y');
    CREATE TYPE "Intent" AS ENUM ('buy', 'sell', 'x', 'y');
    CREATE TABLE conv (id int PRIMARY KEY, legacy text, modern "Intent");
    INSERT INTO conv VALUES (1, 'buy', 'buy'), (2, 'sell', 'buy'), (3, NULL, NULL);
  `,
  );
});
afterAll(() => db.close());

describe('check.columnsMatch', () => {
  it('passes when equal on every row, NULL matching NULL', async () => {
    expect(await run({ table: 'Message', column: 'primaryIntent', equals: 'intent', where: 'id <= 2' })).toEqual({
      status: 'pass',
      actual: 0,
      expected: 0,
      sample: [],
    });
  });

  it('fails with key, value and expected value; NULL vs a value is a mismatch', async () => {
    const r = await run({ table: 'Message', column: 'primaryIntent', equals: '"Message".intent' });
    expect(r.status).toBe('fail');
    expect(r.actual).toBe(2);
    expect(r.sample).toEqual([
      { id: 3, primaryIntent: null, expected: 'sell' },
      { id: 4, primaryIntent: 'y', expected: 'x' },
    ]);
    expect(r.message).toBe('2 row(s) of Message have primaryIntent different from "Message".intent');
  });

  it('takes an expression over the row', async () => {
    const r = await run({ table: 'Message', column: 'totalTokens', equals: '"tokensIn" + "tokensOut"' });
    expect(r.sample).toEqual([{ id: 3, totalTokens: 9, expected: 10 }]);
  });

  it('compares an enum column with a text expression as text', async () => {
    const r = await run({ table: 'conv', column: 'modern', equals: 'legacy' });
    expect(r.sample).toEqual([{ id: 2, modern: 'buy', expected: 'sell' }]);
    expect((await run({ table: 'conv', column: 'modern', equals: "'buy'", where: 'id = 1' })).status).toBe('pass');
  });

  it('reports bad SQL in equals as an error of the check', async () => {
    await expect(run({ table: 'Message', column: 'intent', equals: 'nope_column' })).rejects.toThrow(/nope_column/);
  });
});
