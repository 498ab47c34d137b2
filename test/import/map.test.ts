/**
 * Each statement shape an ORM generates → the safe operation `tidemark import` writes for it, in
 * the phase it belongs to. The real PostgreSQL parser reads the SQL; no database is needed to map.
 */
import { describe, expect, it } from 'vitest';
import type { Available } from '../../src/import/alter-table.js';
import { mapScript } from '../../src/import/map-script.js';
import type { ImportedStep } from '../../src/import/model.js';
import { placeSteps } from '../../src/import/order.js';

const ALL: Available = () => true;
const OLD: Available = (b) => !['op.changeType', 'op.renameColumn', 'op.renameTable'].includes(b);

function map(sql: string, available: Available = ALL) {
  const r = mapScript({ tool: 'sql', name: 'm', file: 'm.sql', sql }, available, { enums: new Set() });
  const phases = placeSteps(r.outcomes.flatMap((o) => o.steps));
  const brief = (s: ImportedStep): Record<string, unknown> => ({ builder: s.builder, ...s.options });
  return {
    ...r,
    expand: phases.expand.map(brief),
    backfill: phases.backfill.map(brief),
    validate: phases.validate.map(brief),
    contract: phases.contract.map(brief),
  };
}

describe('import: what maps to what', () => {
  it('CREATE INDEX → op.createIndex (name, unique, method, where, opclass, order, include, expression)', () => {
    const r = map(`
      CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
      CREATE INDEX "posts_author_idx" ON "posts" USING btree ("author_id" DESC, "created_at");
      CREATE INDEX i_trgm ON docs USING gin (body gin_trgm_ops) WHERE deleted_at IS NULL;
      CREATE INDEX i_lower ON users (lower(email)) INCLUDE (name);`);
    expect(r.outcomes.every((o) => o.result === 'mapped')).toBe(true);
    expect(r.expand).toEqual([
      {
        builder: 'op.createIndex',
        table: 'posts',
        columns: [{ column: 'author_id', order: 'desc' }, 'created_at'],
        name: 'posts_author_idx',
      },
      {
        builder: 'op.createIndex',
        table: 'docs',
        columns: [{ column: 'body', opclass: 'gin_trgm_ops' }],
        using: 'gin',
        where: 'deleted_at IS NULL',
        name: 'i_trgm',
      },
      {
        builder: 'op.createIndex',
        table: 'users',
        columns: [{ expression: 'lower(email)' }],
        include: ['name'],
        name: 'i_lower',
      },
    ]);
    // A unique index constrains rows that exist: contract.
    expect(r.contract).toEqual([
      { builder: 'op.createIndex', table: 'User', columns: ['email'], unique: true, name: 'User_email_key' },
    ]);
  });

  it('ADD COLUMN … NOT NULL DEFAULT x → addColumn (with the default) + backfill.update + setNotNull, proven by check.noNulls', () => {
    const r = map(`ALTER TABLE "Message" ADD COLUMN "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;`);
    expect(r.expand).toEqual([
      {
        builder: 'op.addColumn',
        table: 'Message',
        column: 'updatedAt',
        type: 'TIMESTAMP(3)',
        default: 'CURRENT_TIMESTAMP',
      },
    ]);
    expect(r.backfill).toEqual([
      {
        builder: 'backfill.update',
        table: 'Message',
        set: { updatedAt: 'CURRENT_TIMESTAMP' },
        where: '"updatedAt" IS NULL',
      },
    ]);
    expect(r.validate).toEqual([{ builder: 'check.noNulls', table: 'Message', column: 'updatedAt' }]);
    expect(r.contract).toEqual([{ builder: 'op.setNotNull', table: 'Message', column: 'updatedAt' }]);
  });

  it('a volatile default is set for new rows only and existing rows are backfilled (no table rewrite)', () => {
    const r = map(`ALTER TABLE "Contact" ADD COLUMN "publicId" UUID NOT NULL DEFAULT gen_random_uuid();`);
    expect(r.expand.map((s) => s.builder)).toEqual(['op.addColumn', 'sql']);
    expect(r.expand[0]).not.toHaveProperty('default');
    expect(r.expand[1].up).toBe('ALTER TABLE "Contact" ALTER COLUMN "publicId" SET DEFAULT gen_random_uuid()');
    expect(r.backfill).toEqual([
      {
        builder: 'backfill.update',
        table: 'Contact',
        set: { publicId: 'gen_random_uuid()' },
        where: '"publicId" IS NULL',
      },
    ]);
    expect(r.contract.map((s) => s.builder)).toEqual(['op.setNotNull']);
  });

  it('a multi-command ALTER TABLE maps command by command; what no op takes stays SQL on its own', () => {
    const r = map(
      `ALTER TABLE "Agent" ADD COLUMN "scope" JSONB, ALTER COLUMN "name" DROP NOT NULL, ADD COLUMN "x" serial;`,
    );
    expect(r.expand.map((s) => [s.builder, s.up ?? s.column])).toEqual([
      ['op.addColumn', 'scope'],
      ['sql', 'ALTER TABLE "Agent" ALTER COLUMN "name" DROP NOT NULL'],
      ['sql', 'ALTER TABLE "Agent" ADD COLUMN "x" serial'],
    ]);
    expect(r.outcomes[0].result).toBe('sql');
    expect(r.outcomes[0].reason).toMatch(/catalog-only.*serial/);
  });

  it('ADD FOREIGN KEY → op.addForeignKey (actions, name); on a column the plan adds it stays in expand', () => {
    const r = map(`
      ALTER TABLE "Lead" ADD COLUMN "customer_id" UUID;
      ALTER TABLE "Lead" ADD CONSTRAINT "Lead_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "Customer"("id") ON DELETE SET NULL ON UPDATE CASCADE;
      ALTER TABLE "Job" ADD CONSTRAINT "Job_lead_fkey" FOREIGN KEY ("lead_id") REFERENCES "Lead"("id");`);
    expect(r.expand[1]).toEqual({
      builder: 'op.addForeignKey',
      table: 'Lead',
      columns: ['customer_id'],
      references: { table: 'Customer', columns: ['id'] },
      onDelete: 'set null',
      onUpdate: 'cascade',
      name: 'Lead_customer_id_fkey',
    });
    // On a column that exists: it constrains rows already there → contract.
    expect(r.contract.map((s) => s.name)).toEqual(['Job_lead_fkey']);
  });

  it('UNIQUE → op.addUnique, CHECK → op.addCheck, PRIMARY KEY → a concurrent unique index + USING INDEX', () => {
    const r = map(`
      ALTER TABLE "users" ADD CONSTRAINT "users_email_unique" UNIQUE("email");
      ALTER TABLE projects ADD CONSTRAINT ck_name CHECK (name <> '' AND length(name) < 200);
      ALTER TABLE t ADD PRIMARY KEY (id);`);
    expect(r.contract).toEqual([
      { builder: 'op.addUnique', table: 'users', columns: ['email'], name: 'users_email_unique' },
      { builder: 'op.addCheck', table: 'projects', name: 'ck_name', expression: "name <> '' AND length(name) < 200" },
      { builder: 'op.createIndex', table: 't', columns: ['id'], unique: true, name: 't_pkey' },
      expect.objectContaining({
        builder: 'sql',
        up: 'ALTER TABLE "t" ADD CONSTRAINT "t_pkey" PRIMARY KEY USING INDEX "t_pkey"',
      }),
    ]);
  });

  it('CREATE TABLE → op.createTable; table constraints become ops after it, in expand', () => {
    const r = map(`CREATE TABLE tenants (
      id SERIAL NOT NULL, slug VARCHAR(64) NOT NULL, org INTEGER,
      PRIMARY KEY (id), UNIQUE (slug), FOREIGN KEY(org) REFERENCES orgs (id) ON DELETE CASCADE, CHECK (slug <> ''));`);
    expect(r.expand).toEqual([
      {
        builder: 'op.createTable',
        table: 'tenants',
        columns: { id: 'SERIAL NOT NULL', slug: 'VARCHAR(64) NOT NULL', org: 'INTEGER' },
        primaryKey: ['id'],
      },
      { builder: 'op.addUnique', table: 'tenants', columns: ['slug'] },
      {
        builder: 'op.addForeignKey',
        table: 'tenants',
        columns: ['org'],
        references: { table: 'orgs', columns: ['id'] },
        onDelete: 'cascade',
      },
      { builder: 'op.addCheck', table: 'tenants', name: 'tenants_check', expression: "slug <> ''" },
    ]);
  });

  it('enums: CREATE TYPE → op.createEnum, ADD VALUE → op.addEnumValue, a text column cast to it → op.convertToEnum', () => {
    const r = map(`
      CREATE TYPE "Intent" AS ENUM ('sales', 'support');
      ALTER TYPE "Intent" ADD VALUE 'billing' AFTER 'sales';
      ALTER TABLE "Conversation" ALTER COLUMN "intent" TYPE "Intent" USING ("intent"::text::"Intent");`);
    expect(r.expand).toEqual([
      { builder: 'op.createEnum', name: 'Intent', values: ['sales', 'support'] },
      { builder: 'op.addEnumValue', enum: 'Intent', value: 'billing', after: 'sales' },
      { builder: 'op.convertToEnum', table: 'Conversation', column: 'intent', enum: 'Intent' },
    ]);
  });

  it('ALTER … TYPE → op.changeType when this Tidemark has it, else SQL saying why', () => {
    const sql = `ALTER TABLE "users" ALTER COLUMN "karma" SET DATA TYPE bigint USING karma::bigint;`;
    expect(map(sql).expand).toEqual([
      { builder: 'op.changeType', table: 'users', column: 'karma', type: 'bigint', using: 'karma::bigint' },
    ]);
    const old = map(sql, OLD);
    expect(old.expand.map((s) => s.builder)).toEqual(['sql']);
    expect(old.outcomes[0].reason).toMatch(/no op\.changeType yet/);
  });

  it('renames → op.renameColumn / op.renameTable when this Tidemark has them, else SQL saying why', () => {
    const sql = `ALTER TABLE "Message" RENAME COLUMN "tokensIn" TO "tokensInput"; ALTER TABLE "Lead" RENAME TO "Prospect";`;
    expect(map(sql).expand).toEqual([
      { builder: 'op.renameColumn', table: 'Message', from: 'tokensIn', to: 'tokensInput' },
      { builder: 'op.renameTable', table: 'Lead', to: 'Prospect' },
    ]);
    const old = map(sql, OLD);
    expect(old.outcomes.map((o) => o.result)).toEqual(['sql', 'sql']);
    expect(old.outcomes[1].reason).toMatch(/no op\.renameTable yet/);
  });

  it('drops → contract: op.dropColumn, op.dropTable, op.dropIndex, op.dropConstraint; CASCADE stays SQL', () => {
    const r = map(`
      DROP INDEX "Lead_email_key";
      ALTER TABLE "Message" DROP COLUMN "model", DROP CONSTRAINT "m_fk";
      DROP TABLE "LegacyAudit";
      DROP TABLE "Other" CASCADE;
      DROP TYPE "OldEnum";`);
    expect(r.expand).toEqual([]);
    expect(r.contract.map((s) => s.builder)).toEqual([
      'op.dropIndex',
      'op.dropColumn',
      'op.dropConstraint',
      'op.dropTable',
      'sql',
      'sql',
    ]);
  });

  it('order respects dependencies: a column dropped then re-added (Prisma does this) is re-added after the drop', () => {
    const r = map(`ALTER TABLE "Message" DROP COLUMN "tokens", ADD COLUMN "tokens" BIGINT;
      CREATE INDEX "Message_tokens_idx" ON "Message"("tokens");
      CREATE INDEX "Message_other_idx" ON "Message"("other");`);
    expect(r.expand.map((s) => s.name)).toEqual(['Message_other_idx']);
    expect(r.contract.map((s) => s.builder)).toEqual(['op.dropColumn', 'op.addColumn', 'op.createIndex']);
  });

  it('a foreign key waits for the unique index it references when that index lands in contract', () => {
    const r = map(`CREATE UNIQUE INDEX "Customer_code_key" ON "Customer"("code");
      ALTER TABLE "Order" ADD COLUMN "customer_code" TEXT;
      ALTER TABLE "Order" ADD CONSTRAINT "o_fk" FOREIGN KEY ("customer_code") REFERENCES "Customer"("code");`);
    expect(r.contract.map((s) => s.builder)).toEqual(['op.createIndex', 'op.addForeignKey']);
  });

  it("Alembic's scaffolding: BEGIN/COMMIT and alembic_version are dropped, the revisions kept", () => {
    const r = map(`BEGIN;
CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
-- Running upgrade  -> a1
ALTER TABLE orders ADD COLUMN tenant_id INTEGER;
INSERT INTO alembic_version (version_num) VALUES ('a1') RETURNING alembic_version.version_num;
-- Running upgrade a1 -> b2
CREATE INDEX ix_orders_tenant ON orders (tenant_id);
UPDATE alembic_version SET version_num='b2' WHERE alembic_version.version_num = 'a1';
COMMIT;`);
    expect(r.outcomes.map((o) => o.result)).toEqual([
      'scaffolding',
      'scaffolding',
      'mapped',
      'scaffolding',
      'mapped',
      'scaffolding',
      'scaffolding',
    ]);
    expect(r.alembic).toEqual([{ revision: 'a1' }, { revision: 'b2', down: 'a1' }]);
  });

  it("drizzle's DO … duplicate_object wrapper is unwrapped; another DO block stays SQL", () => {
    const r = map(`DO $$ BEGIN
 ALTER TABLE "posts" ADD CONSTRAINT "posts_author_id_users_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;
EXCEPTION
 WHEN duplicate_object THEN null;
END $$;
--> statement-breakpoint
DO $$ BEGIN PERFORM 1; END $$;`);
    expect(r.outcomes.map((o) => o.result)).toEqual(['mapped', 'sql']);
    expect(r.outcomes[0].reason).toMatch(/drizzle's DO … duplicate_object wrapper, unwrapped/);
    expect(r.contract[0]).toMatchObject({ builder: 'op.addForeignKey', name: 'posts_author_id_users_id_fk' });
  });

  it('a transaction inside the file (Prisma recreating an enum) stays together as one SQL step in contract', () => {
    const r = map(`BEGIN;
CREATE TYPE "Role_new" AS ENUM ('a', 'b');
ALTER TABLE "User" ALTER COLUMN "role" TYPE "Role_new" USING ("role"::text::"Role_new");
ALTER TYPE "Role" RENAME TO "Role_old";
ALTER TYPE "Role_new" RENAME TO "Role";
DROP TYPE "Role_old";
COMMIT;
CREATE INDEX i ON t (c);`);
    expect(r.contract).toHaveLength(1);
    expect(r.contract[0].up).toMatch(/^CREATE TYPE "Role_new"[\s\S]*DROP TYPE "Role_old";$/);
    expect(r.expand.map((s) => s.builder)).toEqual(['op.createIndex']);
  });

  it('data changes stay SQL in the backfill phase; CONCURRENTLY kept as SQL runs outside a transaction', () => {
    const r = map(`UPDATE "Lead" SET status = 'open' WHERE status IS NULL; REINDEX INDEX CONCURRENTLY i;`);
    expect(r.backfill).toEqual([expect.objectContaining({ builder: 'sql' })]);
    expect(r.expand).toEqual([expect.objectContaining({ builder: 'sql', transaction: false })]);
  });

  it('SQL that does not parse is refused (exit 2), naming file, line and column', () => {
    expect(() => map('CREATE TABLE x (id int);\nALTER TABLE x ADD COLUMN;')).toThrow(
      /m\.sql:2:\d+: the SQL does not parse/,
    );
  });
});
