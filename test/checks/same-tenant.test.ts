import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kind, schema } from '../../src/checks/same-tenant.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { Db, readCtx } from './context.js';

let url: string;
let db: Db;
const run = (o: Record<string, unknown>) => kind.evaluate(readCtx(db), schema.parse({ id: 't', ...o }));

beforeAll(async () => {
  url = await createTestDatabase('checks_same_tenant');
  db = new Db(url);
  // Seed 000: conversations belong to an agent; both carry a tenant.
  await query(
    url,
    `
    CREATE TABLE "Agent" (id int PRIMARY KEY, "tenantId" text);
    INSERT INTO "Agent" VALUES (1, 'acme'), (2, 'globex'), (3, NULL);
    CREATE TABLE "Conversation" (id int PRIMARY KEY, "agentId" int, "tenantId" text);
    INSERT INTO "Conversation" VALUES (10, 1, 'acme'), (11, 2, 'acme'), (12, NULL, 'acme'), (13, 99, 'acme'), (14, 3, NULL), (15, 1, NULL);
  `,
  );
});
afterAll(() => db.close());

const opts = {
  table: 'Conversation',
  column: 'agentId',
  tenantColumn: 'tenantId',
  references: { table: 'Agent', column: 'id', tenantColumn: 'tenantId' },
};

describe('check.sameTenant', () => {
  it('fails with child key, reference, both tenants (NULL vs a tenant differs; NULL vs NULL, orphans and NULL refs do not)', async () => {
    const r = await run(opts);
    expect(r).toEqual({
      status: 'fail',
      actual: 2,
      expected: 0,
      sample: [
        { id: 11, agentId: 2, tenantId: 'acme', 'Agent.tenantId': 'globex' },
        { id: 15, agentId: 1, tenantId: null, 'Agent.tenantId': 'acme' },
      ],
      message: '2 row(s) of Conversation point at Agent rows of another tenantId',
    });
  });

  it('passes once the leak is fixed', async () => {
    await query(
      url,
      `UPDATE "Conversation" SET "agentId" = 1 WHERE id = 11; UPDATE "Conversation" SET "tenantId" = 'acme' WHERE id = 15`,
    );
    expect(await run(opts)).toEqual({ status: 'pass', actual: 0, expected: 0, sample: [] });
  });
});
