import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kind, schema } from '../../src/checks/no-nulls.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { Db, readCtx } from './context.js';

let url: string;
let db: Db;
const run = (o: Record<string, unknown>) => kind.evaluate(readCtx(db), schema.parse({ id: 'n', ...o }));

beforeAll(async () => {
  url = await createTestDatabase('checks_no_nulls');
  db = new Db(url);
  await query(
    url,
    `
    CREATE TABLE "MessageThread" ("Id" text PRIMARY KEY, "messageNumberId" int, "orgId" text, archived boolean NOT NULL DEFAULT false);
    INSERT INTO "MessageThread" VALUES ('t1', 1, 'o1', false), ('t2', NULL, 'o1', false), ('t3', 2, 'o2', false), ('t4', NULL, 'o2', true);
  `,
  );
});
afterAll(() => db.close());

describe('check.noNulls', () => {
  it('passes when no row has the column NULL', async () => {
    expect(await run({ table: 'MessageThread', column: 'orgId' })).toEqual({
      status: 'pass',
      actual: 0,
      expected: 0,
      sample: [],
    });
  });

  it('fails with the rows by key (mixed-case names)', async () => {
    const r = await run({ table: 'MessageThread', column: 'messageNumberId' });
    expect(r).toEqual({
      status: 'fail',
      actual: 2,
      expected: 0,
      sample: [
        { Id: 't2', messageNumberId: null },
        { Id: 't4', messageNumberId: null },
      ],
      message: '2 row(s) of MessageThread have messageNumberId NULL',
    });
  });

  it('honours where, also when it names the table', async () => {
    const r = await run({ table: 'MessageThread', column: 'messageNumberId', where: 'NOT "MessageThread".archived' });
    expect(r.sample).toEqual([{ Id: 't2', messageNumberId: null }]);
  });

  it('reports a missing column as an error of the check', async () => {
    await expect(run({ table: 'MessageThread', column: 'nope' })).rejects.toThrow(
      'table "MessageThread" has no column "nope"',
    );
  });
});
