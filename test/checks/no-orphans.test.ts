import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kind, schema } from '../../src/checks/no-orphans.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { Db, readCtx } from './context.js';

let url: string;
let db: Db;
const run = (o: Record<string, unknown>) => kind.evaluate(readCtx(db), schema.parse({ id: 'o', ...o }));

beforeAll(async () => {
  url = await createTestDatabase('checks_no_orphans');
  db = new Db(url);
  await query(
    url,
    `
    CREATE TABLE "Org" ("Id" text PRIMARY KEY);
    INSERT INTO "Org" VALUES ('o1'), ('o2');
    CREATE TABLE "MessageThread" ("Id" int PRIMARY KEY, "OrgId" text);
    INSERT INTO "MessageThread" VALUES (1, 'o1'), (2, NULL), (3, 'o2');
    CREATE SCHEMA app;
    CREATE TABLE app.events (id bigint PRIMARY KEY, org_id text, parent_id bigint);
    INSERT INTO app.events VALUES (1, 'o1', NULL), (2, 'ghost', 1), (3, 'o2', 99), (4, 'ghost', 98), (5, 'gone', 3);
    CREATE TYPE kind AS ENUM ('a', 'b');
    CREATE TABLE kinds (k kind PRIMARY KEY);
    INSERT INTO kinds VALUES ('a');
    CREATE TABLE uses (id int PRIMARY KEY, k text);
    INSERT INTO uses VALUES (1, 'a'), (2, 'b'), (3, NULL);
  `,
  );
});
afterAll(() => db.close());

describe('check.noOrphans', () => {
  it('passes when every non-NULL value has a parent (NULLs are not orphans)', async () => {
    const r = await run({ table: 'MessageThread', column: 'OrgId', references: { table: 'Org', column: 'Id' } });
    expect(r).toMatchObject({ status: 'pass', actual: 0, expected: 0, sample: [] });
  });

  it('fails with the orphan rows, key first, in key order', async () => {
    const r = await run({ table: 'app.events', column: 'org_id', references: { table: 'Org', column: 'Id' } });
    expect(r.status).toBe('fail');
    expect(r.actual).toBe(3);
    expect(r.sample).toEqual([
      { id: '2', org_id: 'ghost' },
      { id: '4', org_id: 'ghost' },
      { id: '5', org_id: 'gone' },
    ]);
    expect(r.message).toBe('3 row(s) of app.events point at 2 missing Org.Id value(s)');
  });

  it('handles a self-reference', async () => {
    const r = await run({
      table: 'app.events',
      column: 'parent_id',
      references: { table: 'app.events', column: 'id' },
    });
    expect(r.sample).toEqual([
      { id: '3', parent_id: '99' },
      { id: '4', parent_id: '98' },
    ]);
  });

  it('compares an enum parent against a text child as text', async () => {
    const r = await run({ table: 'uses', column: 'k', references: { table: 'kinds', column: 'k' } });
    expect(r.status).toBe('fail');
    expect(r.sample).toEqual([{ id: 2, k: 'b' }]);
  });

  it('refuses a missing parent column clearly', async () => {
    await expect(run({ table: 'uses', column: 'k', references: { table: 'kinds', column: 'nope' } })).rejects.toThrow(
      'table "kinds" has no column "nope"',
    );
  });
});
