/**
 * Seed 001 end to end, as a user runs it: examples/seed-001.setup.sql loads the "before" junkquote
 * database (8 tables, UUID ids, awkward rows), and examples/seed-001.plan.ts — Batch 1 and Batch 2 of
 * the seed as one plan — goes through the BUILT CLI: plan, run --dry-run, run (the proof catches the
 * shared placeholder emails), a data fix, run (the flag gate), run (the contract), verify, a no-op run,
 * report, the seed's UUID-vs-TEXT lesson, and rollback (the seed's rollback.sql). Every step is also
 * asserted on the data with SQL. Needs `npm run build` first (the CLI runs dist).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { connect, createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { cli } from '../helpers/run.js';

const PLAN = fileURLToPath(new URL('../../examples/seed-001.plan.ts', import.meta.url));
const SETUP = readFileSync(fileURLToPath(new URL('../../examples/seed-001.setup.sql', import.meta.url)), 'utf8');
const NEW_TABLES = ['Conversation', 'Customer', 'CustomerAddress', 'JobEvent', 'JobItem', 'MemoryNote', 'Message'];
const PLACEHOLDERS = `('none@none.com', 'noemail@junkquote.com')`;
/** The last 10 digits of a phone, as the plan normalises it. */
const DIGITS = (col: string) => `right(regexp_replace(${col}, '\\D', '', 'g'), 10)`;
const USABLE = (col: string) => `length(regexp_replace(${col}, '\\D', '', 'g')) >= 10`;
const SLOW = 180_000;

let url: string;
const tm = (...args: string[]) => cli([...args, '--database-url', url], { timeoutMs: SLOW });
const one = async <T = number>(sql: string, params?: unknown[]): Promise<T> =>
  Object.values((await query(url, sql, params))[0])[0] as T;

/** The legacy tables' rows and the public schema's shape, to compare before and after rollback. */
async function fingerprint(): Promise<unknown> {
  const rows = await query(
    url,
    `SELECT ${['Lead', 'Job', 'Quote', 'Photo', 'Audit', 'User', 'Setting', '_prisma_migrations']
      .map((t) => `(SELECT md5(string_agg(x::text, ',' ORDER BY x::text)) FROM "${t}" x) AS "${t}"`)
      .join(', ')}`,
  );
  const columns = await query(
    url,
    `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2`,
  );
  const constraints = await query(
    url,
    `SELECT conrelid::regclass::text AS t, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND contype <> 'n' ORDER BY 1, 2`,
  );
  const indexes = await query(url, `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`);
  return { rows, columns, constraints, indexes };
}

let before: unknown;
beforeAll(async () => {
  url = await createTestDatabase('seeds_seed_001');
  await query(url, SETUP);
  before = await fingerprint();
}, SLOW);

describe('seed 001: Batch 1 + Batch 2 as one plan, through the CLI', () => {
  it('the setup is the seed\'s "before": 8 tables, UUID ids, the awkward rows', async () => {
    expect(await one(`SELECT count(*)::int FROM pg_tables WHERE schemaname = 'public'`)).toBe(8);
    expect(await one(`SELECT count(*)::int FROM "Lead"`)).toBe(12000);
    expect(await one(`SELECT count(*)::int FROM "Lead" WHERE NOT coalesce(${USABLE('phone')}, false)`)).toBe(42);
    expect(
      await one(`SELECT count(DISTINCT phone)::int FROM "Lead" WHERE ${DIGITS('phone')} = '5550000042'`),
    ).toBeGreaterThan(1);
    expect(
      await one(`SELECT data_type FROM information_schema.columns WHERE table_name = 'Lead' AND column_name = 'id'`),
    ).toBe('uuid');
  });

  it("plan prints every step's SQL and writes nothing", async () => {
    const r = await tm('plan', PLAN);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("CREATE TYPE \"MessageRole\" AS ENUM ('user', 'assistant', 'system', 'tool')");
    expect(r.stdout).toContain('CREATE TABLE "Customer" ("id" uuid DEFAULT gen_random_uuid()');
    expect(r.stdout).toContain(
      'ALTER TABLE "Lead" ADD CONSTRAINT "Lead_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "Customer" ("id") ON DELETE SET NULL NOT VALID',
    );
    expect(r.stdout).toContain('CREATE INDEX CONCURRENTLY "Lead_customer_id_idx" ON "Lead" ("customer_id")');
    expect(r.stdout).toContain('INSERT INTO "Customer" ("name", "phone", "email", "created_at", "updated_at") SELECT');
    expect(r.stdout).toContain('flag "CONTEXT_MEMORY_ENABLED" must be on');
    expect(await one(`SELECT to_regnamespace('tidemark') IS NULL AND to_regclass('"Customer"') IS NULL`)).toBe(true);
  });

  it('run --dry-run counts what each backfill would write, and writes nothing', async () => {
    const r = await tm('run', PLAN, '--dry-run');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('backfill Lead → Customer: would insert 8979 row(s) from 8979 source row(s)');
    expect(r.stdout).toContain('backfill Audit → Conversation: would insert 12000 row(s)');
    expect(r.stdout).toMatch(/backfill Lead → Message: 4000 source row\(s\)/);
    expect(r.stdout).toContain('nothing was written');
    expect(await one(`SELECT to_regnamespace('tidemark') IS NULL AND to_regclass('"Customer"') IS NULL`)).toBe(true);
    expect(await fingerprint()).toEqual(before);
  });

  it(
    'run: Batch 1 and the backfills apply; the proof catches the shared placeholder emails and the contract does not start',
    async () => {
      const r = await tm('run', PLAN);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stdout).toMatch(/^customer-email-unique\s+✗\s+duplicate \(email\) in Customer: 2 \(expected: 0\)/m);
      expect(r.stdout).toContain('2 value(s) of email appear more than once in Customer (78 rows)');
      expect(r.stdout).toContain('noemail@junkquote.com');
      expect(r.stdout).toMatch(/^leads-without-phone\s+⚠/m);
      expect(r.stderr + r.stdout).toContain(
        'the proof failed: customer-email-unique; the contract phase did not start',
      );
      // Batch 1: the seed's health check, and both FKs nullable uuid, validated.
      expect(await one(`SELECT count(*)::int FROM pg_tables WHERE schemaname = 'public'`)).toBe(15);
      expect(
        await query(
          url,
          `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename = ANY($1) ORDER BY 1`,
          [NEW_TABLES],
        ),
      ).toEqual(NEW_TABLES.map((tablename) => ({ tablename })));
      expect(
        await query(
          url,
          `SELECT table_name, data_type, is_nullable FROM information_schema.columns WHERE column_name = 'customer_id' AND table_name IN ('Lead', 'Job') ORDER BY 1`,
        ),
      ).toEqual([
        { table_name: 'Job', data_type: 'uuid', is_nullable: 'YES' },
        { table_name: 'Lead', data_type: 'uuid', is_nullable: 'YES' },
      ]);
      expect(
        await query(
          url,
          `SELECT conname, confdeltype FROM pg_constraint WHERE conname IN ('Lead_customer_id_fkey', 'Job_customer_id_fkey') AND convalidated ORDER BY 1`,
        ),
      ).toEqual([
        { conname: 'Job_customer_id_fkey', confdeltype: 'n' },
        { conname: 'Lead_customer_id_fkey', confdeltype: 'n' },
      ]);
      // The contract did not run: phone still nullable, no unique constraints, the lookup indexes still there.
      expect(
        await one(`SELECT attnotnull FROM pg_attribute WHERE attrelid = '"Customer"'::regclass AND attname = 'phone'`),
      ).toBe(false);
      expect(
        await one(
          `SELECT count(*)::int FROM pg_constraint WHERE conname IN ('Customer_phone_key', 'Customer_email_key')`,
        ),
      ).toBe(0);
      expect(
        await one(
          `SELECT count(*)::int FROM pg_indexes WHERE indexname IN ('Customer_phone_idx', 'Customer_email_idx')`,
        ),
      ).toBe(2);
      expect(
        await one(
          `SELECT count(*)::int FROM tidemark.steps WHERE plan_id = 'seed-001-context-memory' AND phase = 'contract' AND status = 'completed'`,
        ),
      ).toBe(0);
    },
    SLOW,
  );

  it('the backfills moved the data: one customer per phone, every lead and job linked, conversations and messages', async () => {
    // One customer per distinct usable phone, repeat leads of a person (other spellings) on the same customer.
    expect(await one(`SELECT count(*)::int FROM "Customer"`)).toBe(8979);
    expect(await one(`SELECT count(DISTINCT ${DIGITS('phone')})::int FROM "Lead" WHERE ${USABLE('phone')}`)).toBe(8979);
    expect(
      await one(
        `SELECT count(*)::int FROM (SELECT 1 FROM "Lead" WHERE ${USABLE('phone')} GROUP BY ${DIGITS('phone')} HAVING count(DISTINCT customer_id) <> 1) x`,
      ),
    ).toBe(0);
    expect(
      await one(
        `SELECT count(*)::int FROM (SELECT 1 FROM "Lead" WHERE ${USABLE('phone')} GROUP BY ${DIGITS('phone')} HAVING count(DISTINCT phone) > 1) x`,
      ),
    ).toBeGreaterThan(1000);
    expect(
      await one(
        `SELECT count(*)::int FROM "Lead" l JOIN "Customer" c ON c.id = l.customer_id WHERE c.phone <> '+1' || ${DIGITS('l.phone')}`,
      ),
    ).toBe(0);
    // A customer is made from the person's earliest lead.
    expect(
      await one(`SELECT count(*)::int FROM "Customer" c
      WHERE c.created_at <> (SELECT min(l.created_at) FROM "Lead" l WHERE l.customer_id = c.id)`),
    ).toBe(0);
    // Exactly the 42 leads with no usable phone are left unlinked.
    expect(await one(`SELECT count(*)::int FROM "Lead" WHERE customer_id IS NULL`)).toBe(42);
    expect(await one(`SELECT count(*)::int FROM "Lead" WHERE customer_id IS NULL AND ${USABLE('phone')}`)).toBe(0);
    // Jobs: their lead's customer.
    expect(await one(`SELECT count(*)::int FROM "Job" WHERE customer_id IS NOT NULL`)).toBe(3986);
    expect(
      await one(
        `SELECT count(*)::int FROM "Job" j JOIN "Lead" l ON l.id = j.lead_id WHERE j.customer_id IS DISTINCT FROM l.customer_id`,
      ),
    ).toBe(0);
    // Conversations from Audit (one per lead and channel), their customer the lead's.
    expect(await one(`SELECT count(*)::int FROM "Conversation"`)).toBe(12000);
    expect(
      await one(
        `SELECT count(*)::int FROM "Conversation" c JOIN "Lead" l ON l.id = c.lead_id WHERE c.customer_id IS DISTINCT FROM l.customer_id`,
      ),
    ).toBe(0);
    expect(
      await one(
        `SELECT count(*)::int FROM "Conversation" c WHERE c.started_at <> (SELECT min(created_at) FROM "Audit" a WHERE a.lead_id = c.lead_id AND a.channel = c.channel)`,
      ),
    ).toBe(0);
    // Messages from stateMetadata: 3 per SMS lead, in its SMS conversation, the legacy 'bot' as assistant.
    expect(await query(url, `SELECT role::text, count(*)::int AS n FROM "Message" GROUP BY 1 ORDER BY 1`)).toEqual([
      { role: 'assistant', n: 4000 },
      { role: 'user', n: 8000 },
    ]);
    expect(
      await one(`SELECT count(*)::int FROM "Lead" WHERE "stateMetadata" @> '{"history": [{"role": "bot"}]}'`),
    ).toBe(400);
    expect(
      await one(
        `SELECT count(*)::int FROM "Message" m JOIN "Conversation" c ON c.id = m.conversation_id WHERE c.channel <> 'sms'`,
      ),
    ).toBe(0);
    expect(
      await one(
        `SELECT count(*)::int FROM "Lead" l WHERE l.source = 'sms' AND (SELECT count(*) FROM "Message" m JOIN "Conversation" c ON c.id = m.conversation_id WHERE c.lead_id = l.id) <> 3`,
      ),
    ).toBe(0);
  });

  it('until the contract, leads and jobs the old code writes are linked by the keepInSync triggers', async () => {
    const c = await connect(url);
    try {
      await c.query('BEGIN');
      const lead = (
        await c.query(
          `INSERT INTO "Lead" (name, phone, source) VALUES ('Repeat caller', '555.000.0042', 'phone') RETURNING id, customer_id`,
        )
      ).rows[0];
      const job = (await c.query(`INSERT INTO "Job" (lead_id) VALUES ($1) RETURNING customer_id`, [lead.id])).rows[0];
      const customer = (await c.query(`SELECT id FROM "Customer" WHERE phone = '+15550000042'`)).rows[0];
      expect(customer?.id).toBeTruthy();
      expect(lead.customer_id).toBe(customer.id);
      expect(job.customer_id).toBe(customer.id);
    } finally {
      await c.query('ROLLBACK');
      await c.end();
    }
  });

  it(
    'after the data fix, the proof passes and the run stops at the CONTEXT_MEMORY_ENABLED gate (exit 5)',
    async () => {
      const fixed = await query(url, `UPDATE "Customer" SET email = NULL WHERE email IN ${PLACEHOLDERS} RETURNING id`);
      expect(fixed).toHaveLength(78);
      const r = await tm('run', PLAN);
      expect(r.code, r.stdout + r.stderr).toBe(5);
      expect(r.stdout).toMatch(/^customer-email-unique\s+✓/m);
      expect(r.stdout).toContain('All 19 checks passed (1 warning: leads-without-phone)');
      expect(r.stdout).toContain(
        'gate "context-memory-enabled" is closed: flag "CONTEXT_MEMORY_ENABLED" has never been set',
      );
      expect(r.stdout).toContain('to open it: npx tidemark flag set CONTEXT_MEMORY_ENABLED on');
      expect(
        await one(
          `SELECT count(*)::int FROM pg_constraint WHERE conname IN ('Customer_phone_key', 'Customer_email_key')`,
        ),
      ).toBe(0);
    },
    SLOW,
  );

  it(
    'with the flag on, the contract applies: NOT NULL phone, unique phone and email, triggers and lookup indexes gone',
    async () => {
      expect((await tm('flag', 'set', 'CONTEXT_MEMORY_ENABLED', 'on')).code).toBe(0);
      const r = await tm('run', PLAN);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('gate "context-memory-enabled" open');
      expect(
        await one(`SELECT attnotnull FROM pg_attribute WHERE attrelid = '"Customer"'::regclass AND attname = 'phone'`),
      ).toBe(true);
      expect(
        await query(
          url,
          `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = '"Customer"'::regclass AND contype = 'u' ORDER BY 1`,
        ),
      ).toEqual([
        { conname: 'Customer_email_key', def: 'UNIQUE (email)' },
        { conname: 'Customer_phone_key', def: 'UNIQUE (phone)' },
      ]);
      expect(
        await one(
          `SELECT count(*)::int FROM pg_indexes WHERE indexname IN ('Customer_phone_idx', 'Customer_email_idx')`,
        ),
      ).toBe(0);
      expect(await one(`SELECT count(*)::int FROM pg_trigger WHERE NOT tgisinternal`)).toBe(0);
      expect(await one(`SELECT count(*)::int FROM pg_index WHERE NOT indisvalid`)).toBe(0);
      // The constraints hold from now on.
      await expect(query(url, `INSERT INTO "Customer" (phone) VALUES ('+15550000042')`)).rejects.toThrow(
        /Customer_phone_key/,
      );
      await expect(query(url, `INSERT INTO "Customer" (name) VALUES ('no phone')`)).rejects.toThrow(
        /null value in column "phone"/,
      );
    },
    SLOW,
  );

  it(
    'verify prints the proof, one line per check beginning with its id (exit 0); a second run is a no-op',
    async () => {
      const v = await tm('verify', PLAN);
      expect(v.code, v.stdout + v.stderr).toBe(0);
      expect(v.stdout).toMatch(
        /^prisma-baseline\s+✓\s+prisma migration \S+ applied: applied 2025-10-28T14:10:01.000Z/m,
      );
      for (const id of [
        'health-check',
        'customer-id-columns',
        'constraints-validated',
        'indexes-valid',
        'leads-unchanged',
        'jobs-unchanged',
        'one-customer-per-phone',
        'customer-phone-set',
        'customer-phone-unique',
        'customer-email-unique',
        'lead-linked-to-its-customer',
        'job-linked-to-its-lead-customer',
        'lead-customer-fk',
        'job-customer-fk',
        'one-conversation-per-lead-channel',
        'conversation-per-audited-channel',
        'message-per-history-entry',
        'message-roles',
      ]) {
        expect(v.stdout).toMatch(new RegExp(`^${id}\\s+✓`, 'm'));
      }
      expect(v.stdout).toMatch(/^leads-without-phone\s+⚠\s+.*42 row\(s\)/m);
      const again = await tm('run', PLAN);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('nothing to do: every step is applied');
      expect(await one(`SELECT count(*)::int FROM "Customer"`)).toBe(8979);
      expect(await one(`SELECT count(*)::int FROM "Message"`)).toBe(12000);
    },
    SLOW,
  );

  it(
    'report --format md is the summary the seed wrote by hand',
    async () => {
      const r = await tm('report', PLAN, '--format', 'md');
      expect(r.code, r.stderr).toBe(0);
      const md = r.stdout;
      for (const heading of [
        '## What was done',
        '### Columns added',
        '### Tables',
        '## Backfills',
        '## Verification checklist (the proof)',
        '## Gates and approvals',
        '## Performance impact',
        '## Rollback procedure',
        '## Validation queries',
      ]) {
        expect(md).toContain(`\n${heading}\n`);
      }
      expect(md).toMatch(/^# Context memory and customers \(seed 001: Batch 1 \+ Batch 2\) — ✅ Completed/);
      expect(md).toContain(
        '**Tables created** (7): `Customer`, `CustomerAddress`, `Conversation`, `Message`, `MemoryNote`, `JobItem`, `JobEvent`',
      );
      expect(md).toContain('**Enums created** (1): `MessageRole` (user, assistant, system, tool)');
      expect(md).toContain('| `Lead` | `customer_id` | `uuid` | `lead-customer-id` |');
      expect(md).toContain('| `Job` | `customer_id` | `uuid` | `job-customer-id` |');
      expect(md).toContain('`Customer.phone: SET NOT NULL`');
      expect(md).toMatch(/\| `customers-from-leads` \| `Lead → Customer` \| 8,979 \|/);
      expect(md).toContain('| `Customer` | created | 8,979 |');
      expect(md).toContain('✅ The proof passed');
      expect(md).toContain('`CONTEXT_MEMORY_ENABLED` | on');
      expect(md).toContain('DROP TABLE IF EXISTS "Customer"');
      expect(md).toContain('| #1 | run | failed | 1 |');
      expect(md).toContain('| #2 | run | gate | 5 |');
    },
    SLOW,
  );

  it(
    'UUID vs TEXT: a TEXT FK to a UUID key is refused before anything runs (exit 1, nothing applied)',
    async () => {
      // "Always check existing schema types before generating migrations": a later batch links Quote to Customer
      // with the seed's original mistake. Its first step (a new table) must not run either.
      const file = writePlan(
        tempDir(),
        `{
      id: 'seed-001-batch-3',
      expand: [
        op.createTable({ id: 'quote-note-table', table: 'QuoteNote', columns: { id: 'uuid DEFAULT gen_random_uuid()', body: 'text' }, primaryKey: ['id'] }),
        op.addColumn({ id: 'quote-customer-id', table: 'Quote', column: 'customer_id', type: 'text', references: { table: 'Customer', column: 'id', onDelete: 'set null' } }),
      ],
    }`,
      );
      const refusal =
        'expand › step "quote-customer-id" › type: Quote.customer_id would be text but references Customer.id, which is uuid: the types must match';
      const dry = await tm('run', file, '--dry-run');
      expect(dry.code).toBe(1);
      expect(dry.stdout + dry.stderr).toContain(refusal);
      const r = await tm('run', file);
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toContain(refusal);
      expect(r.stdout + r.stderr).toContain('Declare the column as uuid');
      expect(await one(`SELECT to_regclass('"QuoteNote"') IS NULL`)).toBe(true);
      expect(
        await one(
          `SELECT count(*)::int FROM information_schema.columns WHERE table_name = 'Quote' AND column_name = 'customer_id'`,
        ),
      ).toBe(0);
      expect(
        await one(
          `SELECT count(*)::int FROM tidemark.steps WHERE plan_id = 'seed-001-batch-3' AND status = 'completed'`,
        ),
      ).toBe(0);
    },
    SLOW,
  );

  it(
    "rollback (the seed's rollback.sql): back to the 8 tables, the legacy data as it was",
    async () => {
      const preview = await tm('plan', PLAN, '--rollback');
      expect(preview.code).toBe(0);
      expect(preview.stdout).toContain('ALTER TABLE "Lead" DROP COLUMN IF EXISTS "customer_id"');
      expect(preview.stdout).toContain('DROP TABLE IF EXISTS "Customer"');
      expect(preview.stdout).toContain('DROP TYPE IF EXISTS "MessageRole"');
      const r = await tm('rollback', PLAN);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(await one(`SELECT count(*)::int FROM pg_tables WHERE schemaname = 'public'`)).toBe(8);
      expect(await one(`SELECT to_regtype('"MessageRole"') IS NULL`)).toBe(true);
      expect(await one(`SELECT count(*)::int FROM pg_proc WHERE proname LIKE 'tidemark_%_sync'`)).toBe(0);
      expect(await fingerprint()).toEqual(before);
    },
    SLOW,
  );
});

describe('seed 001: the UUID-vs-TEXT mistake inside the wave itself', () => {
  /** The example plan with one substitution, under its own id, in a database of its own. */
  async function variant(name: string, from: string, to: string): Promise<{ file: string; db: string }> {
    const source = readFileSync(PLAN, 'utf8');
    expect(source).toContain(from);
    const dir = tempDir();
    const file = join(dir, `${name}.plan.ts`);
    writeFileSync(file, source.replace(from, to).replace(`id: 'seed-001-context-memory'`, `id: '${name}'`));
    const db = await createTestDatabase(`seeds_${name.replace(/-/g, '_')}`);
    await query(db, SETUP);
    return { file, db };
  }
  const publicTables = async (db: string) =>
    Number((await query(db, `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`))[0].n);

  // Seed 001's own mistake was a TEXT column pointing at a UUID key — of a table the SAME migration
  // creates, or of an existing table through op.createTable's inline REFERENCES. Both are refused by
  // the pre-flight before the run's first step (the type of a plan-created column is read from the
  // step that creates it): the database keeps its 8 tables, and a dry run refuses the same way.
  it(
    'Lead.customer_id as text → Customer.id (uuid, created by the same plan) is refused before anything runs',
    async () => {
      const { file, db } = await variant(
        'seed-001-text-fk',
        `op.addColumn({ id: 'lead-customer-id', table: 'Lead', column: 'customer_id', type: 'uuid'`,
        `op.addColumn({ id: 'lead-customer-id', table: 'Lead', column: 'customer_id', type: 'text'`,
      );
      const refusal =
        'expand › step "lead-customer-id" › type: Lead.customer_id would be text but references Customer.id, which is uuid (as step "customer-table" creates it): the types must match';
      const dry = await cli(['run', file, '--dry-run', '--database-url', db], { timeoutMs: SLOW });
      expect(dry.code, dry.stdout + dry.stderr).toBe(1);
      expect(dry.stdout + dry.stderr).toContain(refusal);
      const r = await cli(['run', file, '--database-url', db], { timeoutMs: SLOW });
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toContain(refusal);
      expect(r.stdout + r.stderr).toContain('Declare the column as uuid');
      expect(await publicTables(db)).toBe(8); // nothing applied: not the enum, not the 7 tables before it
      expect(
        Number(
          (
            await query(
              db,
              `SELECT count(*)::int AS n FROM tidemark.steps WHERE plan_id = 'seed-001-text-fk' AND attempts > 0`,
            )
          )[0].n,
        ),
      ).toBe(0);
    },
    SLOW,
  );

  it(
    'JobItem.job_id as text REFERENCES "Job" (uuid, an existing table) is refused by the dry run and before the run\'s first step',
    async () => {
      const { file, db } = await variant(
        'seed-001-text-inline',
        `job_id: 'uuid NOT NULL REFERENCES "Job" (id) ON DELETE CASCADE',\n        description`,
        `job_id: 'text NOT NULL REFERENCES "Job" (id) ON DELETE CASCADE',\n        description`,
      );
      const refusal =
        'expand › step "job-item-table" › columns.job_id: JobItem.job_id would be text but references Job.id, which is uuid: the types must match';
      const dry = await cli(['run', file, '--dry-run', '--database-url', db], { timeoutMs: SLOW });
      expect(dry.code).toBe(1);
      expect(dry.stdout + dry.stderr).toContain(refusal);
      const r = await cli(['run', file, '--database-url', db], { timeoutMs: SLOW });
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toContain(refusal);
      expect(r.stdout + r.stderr).not.toContain('SQLSTATE 42804');
      expect(await publicTables(db)).toBe(8); // Customer … MemoryNote were not created either
    },
    SLOW,
  );
});
