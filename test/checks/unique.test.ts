import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kind, schema } from '../../src/checks/unique.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { Db, readCtx } from './context.js';

let url: string;
let db: Db;
const run = (o: Record<string, unknown>) => kind.evaluate(readCtx(db), schema.parse({ id: 'u', ...o }));

beforeAll(async () => {
  url = await createTestDatabase('checks_unique');
  db = new Db(url);
  await query(
    url,
    `
    CREATE TABLE users (id int PRIMARY KEY, email text, org int, deleted boolean NOT NULL DEFAULT false);
    INSERT INTO users VALUES (1, 'a@x', 1, false), (2, 'b@x', 1, false), (3, 'a@x', 2, false), (4, NULL, 1, false),
      (5, NULL, 1, false), (6, 'c@x', 1, true), (7, 'c@x', 1, false);
    CREATE SCHEMA "Billing";
    CREATE TABLE "Billing"."Invoice" ("Id" int PRIMARY KEY, "OrgId" int, "Number" text);
    INSERT INTO "Billing"."Invoice" VALUES (1, 1, 'A-1'), (2, 1, 'A-2'), (3, 2, 'A-1'), (4, 1, 'A-1'), (5, 1, NULL), (6, 1, NULL);
    CREATE TABLE nokey (a int, b int);
    INSERT INTO nokey VALUES (1, 1), (1, 1), (2, NULL);
  `,
  );
});
afterAll(() => db.close());

describe('check.unique', () => {
  it('passes on a unique tuple, NULLs never being duplicates', async () => {
    const r = await run({ table: 'users', columns: ['email', 'org'], where: 'NOT deleted' });
    expect(r).toMatchObject({ status: 'pass', actual: 0, expected: 0, sample: [] });
  });

  it('fails with the duplicated rows (keys and values) in key order', async () => {
    const r = await run({ table: 'users', columns: ['email'] });
    expect(r.status).toBe('fail');
    expect(r.actual).toBe(2);
    expect(r.sample).toEqual([
      { id: 1, email: 'a@x' },
      { id: 3, email: 'a@x' },
      { id: 6, email: 'c@x' },
      { id: 7, email: 'c@x' },
    ]);
    expect(r.message).toBe('2 value(s) of email appear more than once in users (4 rows)');
  });

  it('honours where, also when it names the table', async () => {
    expect((await run({ table: 'users', columns: ['email'], where: 'NOT deleted' })).sample).toEqual([
      { id: 1, email: 'a@x' },
      { id: 3, email: 'a@x' },
    ]);
    expect(
      (await run({ table: 'users', columns: ['email'], where: "NOT users.deleted AND email <> 'a@x'" })).status,
    ).toBe('pass');
  });

  it('works with mixed-case names in a quoted schema', async () => {
    const r = await run({ table: 'Billing.Invoice', columns: ['OrgId', 'Number'] });
    expect(r.status).toBe('fail');
    expect(r.sample).toEqual([
      { Id: 1, OrgId: 1, Number: 'A-1' },
      { Id: 4, OrgId: 1, Number: 'A-1' },
    ]);
    expect((await run({ table: { schema: 'Billing', name: 'Invoice' }, columns: ['Id'] })).status).toBe('pass');
  });

  it('identifies rows by ctid when the table has no primary key', async () => {
    const r = await run({ table: 'nokey', columns: ['a', 'b'] });
    expect(r.sample).toEqual([
      { ctid: '(0,1)', a: 1, b: 1 },
      { ctid: '(0,2)', a: 1, b: 1 },
    ]);
  });

  it('caps the sample at 10 rows', async () => {
    await query(
      url,
      `CREATE TABLE many (id int PRIMARY KEY, v int); INSERT INTO many SELECT g, g % 3 FROM generate_series(1, 30) g`,
    );
    const r = await run({ table: 'many', columns: ['v'] });
    expect(r.actual).toBe(3);
    expect(r.sample).toHaveLength(10);
    expect(r.sample[0]).toEqual({ id: 3, v: 0 });
  });

  it('says which column is missing', async () => {
    await expect(run({ table: 'users', columns: ['nope'] })).rejects.toThrow('table "users" has no column "nope"');
    await expect(run({ table: 'nope', columns: ['x'] })).rejects.toThrow('table "nope" does not exist');
  });
});
