import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kind, schema } from '../../src/checks/per-group.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { Db, readCtx } from './context.js';

let url: string;
let db: Db;
const run = (o: Record<string, unknown>) => kind.evaluate(readCtx(db), schema.parse({ id: 'g', ...o }));

beforeAll(async () => {
  url = await createTestDatabase('checks_per_group');
  db = new Db(url);
  // Seed 003: orgs and their message numbers; o3 has no front-desk number, o2 has two.
  await query(
    url,
    `
    CREATE TABLE "Org" (id text PRIMARY KEY, name text);
    INSERT INTO "Org" VALUES ('o1', 'One'), ('o2', 'Two'), ('o3', 'Three');
    CREATE TABLE "MessageNumber" (id int PRIMARY KEY, "orgId" text, "numberClass" text);
    INSERT INTO "MessageNumber" VALUES (1, 'o1', 'front_desk'), (2, 'o1', 'pool'), (3, 'o2', 'front_desk'), (4, 'o2', 'front_desk'),
      (5, 'o3', 'pool'), (6, NULL, 'front_desk'), (7, 'ghost', 'front_desk');
    CREATE TABLE members (org text, team int, person int);
    INSERT INTO members VALUES ('a', 1, 1), ('a', 1, 2), ('a', 2, 3), ('b', 1, 4);
    CREATE TABLE plain (id int PRIMARY KEY, org text);
    INSERT INTO plain VALUES (1, 'o1'), (2, 'o2'), (3, 'o3');
  `,
  );
});
afterAll(() => db.close());

describe('check.perGroup', () => {
  it('seed 003: exactly one front-desk number per org, counting orgs with none', async () => {
    const r = await run({
      table: 'MessageNumber',
      groupBy: 'orgId',
      where: `"numberClass" = 'front_desk'`,
      equals: 1,
      groupsFrom: { table: 'Org', column: 'id' },
    });
    expect(r).toEqual({
      status: 'fail',
      actual: '2 of 3 group(s) out of range',
      expected: '1 row(s) per orgId',
      sample: [
        { orgId: 'o2', count: 2 },
        { orgId: 'o3', count: 0 },
      ],
      message: '2 orgId group(s) of MessageNumber have a row count other than 1',
    });
  });

  it('without groupsFrom only groups with rows exist; NULL is a group', async () => {
    const r = await run({ table: 'MessageNumber', groupBy: 'orgId', where: `"numberClass" = 'front_desk'`, equals: 1 });
    expect(r.actual).toBe('1 of 4 group(s) out of range');
    expect(r.sample).toEqual([{ orgId: 'o2', count: 2 }]);
  });

  it('passes with a range over several columns', async () => {
    expect(await run({ table: 'members', groupBy: ['org', 'team'], min: 1, max: 2 })).toEqual({
      status: 'pass',
      actual: '3 group(s), all in range',
      expected: 'between 1 and 2 row(s) per (org, team)',
      sample: [],
    });
    const r = await run({ table: 'members', groupBy: ['org', 'team'], max: 1 });
    expect(r.sample).toEqual([{ org: 'a', team: 1, count: 2 }]);
  });

  it('passes when every group of groupsFrom has its row', async () => {
    expect(
      (await run({ table: 'plain', groupBy: 'org', equals: 1, groupsFrom: { table: 'Org', column: 'id' } })).status,
    ).toBe('pass');
  });

  it('validates its options', () => {
    const v = (o: Record<string, unknown>) => kind.validate(schema.parse({ id: 'g', table: 't', ...o }));
    expect(v({ groupBy: 'a' })).toEqual([{ field: 'equals', message: 'give one of equals, min or max' }]);
    expect(v({ groupBy: ['a', 'b'], equals: 1, groupsFrom: { table: 'x', column: 'id' } })).toEqual([
      {
        field: 'groupsFrom',
        message: 'needs groupBy to name exactly one column (the one that refers to groupsFrom.column)',
      },
    ]);
  });
});
