/**
 * Object changes read from DDL with the PostgreSQL parser: the net effect of a step (a temporary
 * CHECK created and dropped leaves no trace), column types as written, drops, locks strongest first.
 */
import { describe, expect, it } from 'vitest';
import { locksOf, netChanges, objectChanges } from '../../src/report/objects.js';

const a = (sql: string, lock: string | null = null) => ({ sql, lock, transaction: true, note: null });

describe('objectChanges', () => {
  it('reads tables, columns with their types, indexes, enums and constraints', async () => {
    const out = await objectChanges('s', [
      a('CREATE TABLE billing.invoices (id bigint PRIMARY KEY, total numeric(12, 2))'),
      a('ALTER TABLE "Conversation" ADD COLUMN "estimatedCost" numeric(12, 6) DEFAULT 0, ADD COLUMN "tokens" integer'),
      a('CREATE UNIQUE INDEX CONCURRENTLY "i1" ON "Conversation" ("tenantId", "primaryIntent")'),
      a(`CREATE TYPE "AgentMode" AS ENUM ('LIVE', 'SHADOW')`),
      a('ALTER TABLE "Conversation" ADD CONSTRAINT "fk" FOREIGN KEY ("agentId") REFERENCES "Agent" ("id") NOT VALID'),
      a('ALTER TABLE "Conversation" VALIDATE CONSTRAINT "fk"'),
    ]);
    expect(out.map((o) => [o.change, o.type, o.table, o.name, o.detail])).toEqual([
      ['created', 'table', null, 'billing.invoices', '2 columns'],
      ['created', 'column', 'Conversation', 'estimatedCost', 'numeric(12, 6)'],
      ['created', 'column', 'Conversation', 'tokens', 'integer'],
      ['created', 'index', 'Conversation', 'i1', 'unique, CONCURRENTLY'],
      ['created', 'enum', null, 'AgentMode', 'LIVE, SHADOW'],
      ['created', 'constraint', 'Conversation', 'fk', 'foreign key, added NOT VALID then validated'],
    ]);
  });

  it("keeps only the net effect: setNotNull's temporary check disappears, SET NOT NULL stays", async () => {
    const out = await objectChanges('nn', [
      a('ALTER TABLE t ADD CONSTRAINT t_c_check CHECK (c IS NOT NULL) NOT VALID'),
      a('ALTER TABLE t VALIDATE CONSTRAINT t_c_check'),
      a('ALTER TABLE t ALTER COLUMN c SET NOT NULL'),
      a('ALTER TABLE t DROP CONSTRAINT t_c_check'),
    ]);
    expect(out.map((o) => [o.change, o.type, o.name, o.detail])).toEqual([['altered', 'column', 'c', 'SET NOT NULL']]);
  });

  it('reads drops and ignores DML and what it cannot parse', async () => {
    const out = await objectChanges('d', [
      a('DROP TABLE a, s.b'),
      a('DROP INDEX CONCURRENTLY IF EXISTS "public"."i"'),
      a('ALTER TABLE t DROP COLUMN c'),
      a('UPDATE t SET c = 1'),
      a('not sql at all'),
    ]);
    expect(out.map((o) => `${o.change} ${o.type} ${o.table ?? ''}.${o.name}`)).toEqual([
      'dropped table .a',
      'dropped table .s.b',
      'dropped index .i',
      'dropped column t.c',
    ]);
  });

  it('lists locks strongest first', () => {
    expect(
      locksOf([
        a('x', 'ROW EXCLUSIVE'),
        a('y', 'ACCESS EXCLUSIVE'),
        a('z', 'none'),
        a('w', 'SHARE UPDATE EXCLUSIVE'),
        a('v', 'ACCESS EXCLUSIVE'),
      ]),
    ).toEqual(['ACCESS EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE', 'ROW EXCLUSIVE']);
  });
});

describe('netChanges', () => {
  it('an index or a table created then dropped by a later step is neither created nor dropped', async () => {
    const created = await objectChanges('a', [
      { sql: 'CREATE TABLE t1 (id int)' },
      { sql: 'CREATE INDEX i1 ON t1 (id)' },
      { sql: 'CREATE INDEX i2 ON keep (id)' },
      { sql: 'CREATE INDEX i3 ON keep (id)' },
    ]);
    const dropped = await objectChanges('b', [
      { sql: 'DROP INDEX CONCURRENTLY IF EXISTS "public"."i2"' },
      { sql: 'DROP TABLE t1' },
      { sql: 'DROP TABLE other' },
    ]);
    const { kept, createdThenDropped } = netChanges([...created, ...dropped]);
    expect(kept.map((o) => `${o.change} ${o.type} ${o.name}`)).toEqual(['created index i3', 'dropped table other']);
    expect(createdThenDropped.map((o) => `${o.type} ${o.name}`).sort()).toEqual(['index i1', 'index i2', 'table t1']);
  });
});
