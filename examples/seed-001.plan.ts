/**
 * Seed 001 ("Batch 1 Migration Summary", junkquote_db) as ONE Tidemark plan: Batch 1 (seven additive
 * tables with UUID keys, the MessageRole enum, 22 indexes, nullable customer_id FKs on Lead and Job,
 * all behind CONTEXT_MEMORY_ENABLED=false) and its "Next Steps (Batch 2)" (Lead → Customer, Conversations
 * from Audit logs, Messages from stateMetadata, Lead/Job linked, then the constraints).
 *
 * What the team wrote by hand, and what replaces it here:
 *   migration.sql (UUID-corrected) ............ expand: op.createEnum / op.createTable / op.addColumn / op.createIndex
 *   scripts/apply-batch1.sh "with validation" .. `tidemark run` (pre-flight checks, lock-safe DDL, ledger, resume)
 *   "Validation Queries" + "✅ Verification" ... validate: check.* — `tidemark verify` prints them as a proof
 *   Batch 2 backfill (not yet written) ........ backfill: backfill.insert / backfill.update, batched and resumable
 *   Batch 2 "Constraints" ..................... contract: op.setNotNull / op.addUnique, behind gate.flag
 *   rollback.sql + "Rollback Procedure" ....... automatic `down` of every op.* (`tidemark rollback`)
 *   this summary document ...................... `tidemark report --format md`
 *
 * Try it on a scratch database (test/seeds/seed-001.test.ts runs exactly this through the CLI):
 *   export DATABASE_URL=postgres://…/scratch
 *   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f examples/seed-001.setup.sql
 *   npx tidemark plan examples/seed-001.plan.ts
 *   npx tidemark run examples/seed-001.plan.ts        # the proof catches the shared placeholder emails (exit 1)
 *   psql "$DATABASE_URL" -c "UPDATE \"Customer\" SET email = NULL WHERE email IN ('none@none.com', 'noemail@junkquote.com')"
 *   npx tidemark run examples/seed-001.plan.ts        # proof passes; stops at the flag gate (exit 5)
 *   npx tidemark flag set CONTEXT_MEMORY_ENABLED on && npx tidemark run examples/seed-001.plan.ts
 *   npx tidemark verify examples/seed-001.plan.ts && npx tidemark report examples/seed-001.plan.ts --out seed-001.md
 *   npx tidemark rollback examples/seed-001.plan.ts   # the seed's rollback.sql: back to the 8 tables
 */
import { createHash } from 'node:crypto';
import { definePlan, op, backfill, check, gate } from 'tidemark';

// Phone numbers are typed every which way in Lead ("(555) 000-0042", "+1 555 000 0042"): a customer is
// identified by the last 10 digits, stored as E.164. One spelling of it for the backfills and the proof.
const digits = (phone: string) => `regexp_replace(${phone}, '\\D', '', 'g')`;
const usablePhone = (phone: string) => `length(${digits(phone)}) >= 10`;
const e164 = (phone: string) => `'+1' || right(${digits(phone)}, 10)`;

// A conversation's id is derived from (lead, channel), so the Message backfill (a transform over Lead)
// knows the id of the SMS conversation the Conversation backfill made from the same lead's Audit rows.
const conversationIdSql = (lead: string, channel: string) => `md5(${lead}::text || '/' || ${channel})::uuid`;
function conversationId(leadId: string, channel: string): string {
  const h = createHash('md5').update(`${leadId}/${channel}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// stateMetadata.history used a legacy role name before MessageRole existed.
const LEGACY_ROLES: Record<string, string> = { bot: 'assistant', customer: 'user' };
interface HistoryEntry { role: string; content: string; at: string }
interface LeadRow { id: string; stateMetadata: { history: HistoryEntry[] } }

const NEW_TABLES = ['Customer', 'CustomerAddress', 'Conversation', 'Message', 'MemoryNote', 'JobItem', 'JobEvent'];

export default definePlan({
  id: 'seed-001-context-memory',
  title: 'Context memory and customers (seed 001: Batch 1 + Batch 2)',

  // The schema this builds on: Prisma's last migration before Batch 1 ("Before: 8 tables").
  preconditions: [
    check.migrationApplied({ id: 'prisma-baseline', tool: 'prisma', name: '20251028141000_quotes_and_photos' }),
  ],

  expand: [
    // "Enums Added: MessageRole (user, assistant, system, tool)"
    op.createEnum({ id: 'message-role-enum', name: 'MessageRole', values: ['user', 'assistant', 'system', 'tool'] }),

    // "Created 7 new tables". Every id is uuid, like the existing tables ("Key Decisions 1. UUID vs TEXT": the
    // first migration.sql used TEXT and needed a rollback). op.addColumn refuses a TEXT FK to a UUID key before the
    // run's first step when both tables already exist; against a table this same plan creates, or in an inline
    // REFERENCES below, the mismatch is only caught when that step runs (the steps before it stay applied: fix the
    // type and run again). "Customer → [deps]: RESTRICT", "Parent → Child records: CASCADE".
    op.createTable({
      id: 'customer-table',
      title: 'Customer records (RESTRICT delete)',
      table: 'Customer',
      columns: {
        id: 'uuid DEFAULT gen_random_uuid()',
        name: 'text',
        phone: 'text',                      // nullable until backfilled ("Add NOT NULL to critical fields after backfill")
        email: 'text',
        created_at: 'timestamptz NOT NULL DEFAULT now()',
        updated_at: 'timestamptz NOT NULL DEFAULT now()',
      },
      primaryKey: ['id'],
    }),
    op.createTable({
      id: 'customer-address-table',
      title: 'Multiple addresses per customer',
      table: 'CustomerAddress',
      columns: {
        id: 'uuid DEFAULT gen_random_uuid()',
        customer_id: 'uuid NOT NULL REFERENCES "Customer" (id) ON DELETE RESTRICT',
        line1: 'text NOT NULL',
        city: 'text',
        postal_code: 'text',
        is_primary: 'boolean NOT NULL DEFAULT false',
        created_at: 'timestamptz NOT NULL DEFAULT now()',
      },
      primaryKey: ['id'],
    }),
    op.createTable({
      id: 'conversation-table',
      title: 'Message threads per channel',
      table: 'Conversation',
      columns: {
        id: 'uuid DEFAULT gen_random_uuid()',
        customer_id: 'uuid REFERENCES "Customer" (id) ON DELETE RESTRICT',
        lead_id: 'uuid REFERENCES "Lead" (id) ON DELETE SET NULL',
        channel: 'text NOT NULL',
        started_at: 'timestamptz NOT NULL',
        last_message_at: 'timestamptz',
        created_at: 'timestamptz NOT NULL DEFAULT now()',
      },
      primaryKey: ['id'],
    }),
    op.createTable({
      id: 'message-table',
      title: 'Individual messages in conversations',
      table: 'Message',
      columns: {
        id: 'uuid DEFAULT gen_random_uuid()',
        conversation_id: 'uuid NOT NULL REFERENCES "Conversation" (id) ON DELETE CASCADE',
        role: '"MessageRole" NOT NULL',
        content: 'text NOT NULL',
        created_at: 'timestamptz NOT NULL DEFAULT now()',
      },
      primaryKey: ['id'],
    }),
    op.createTable({
      id: 'memory-note-table',
      title: 'Persistent context with expiry',
      table: 'MemoryNote',
      columns: {
        id: 'uuid DEFAULT gen_random_uuid()',
        customer_id: 'uuid NOT NULL REFERENCES "Customer" (id) ON DELETE RESTRICT',
        note: 'text NOT NULL',
        expires_at: 'timestamptz',
        created_at: 'timestamptz NOT NULL DEFAULT now()',
      },
      primaryKey: ['id'],
    }),
    op.createTable({
      id: 'job-item-table',
      title: 'Line items for jobs',
      table: 'JobItem',
      columns: {
        id: 'uuid DEFAULT gen_random_uuid()',
        job_id: 'uuid NOT NULL REFERENCES "Job" (id) ON DELETE CASCADE',
        description: 'text NOT NULL',
        quantity: 'integer NOT NULL DEFAULT 1',
        price_cents: 'integer',
        created_at: 'timestamptz NOT NULL DEFAULT now()',
      },
      primaryKey: ['id'],
    }),
    op.createTable({
      id: 'job-event-table',
      title: 'Job lifecycle audit trail',
      table: 'JobEvent',
      columns: {
        id: 'uuid DEFAULT gen_random_uuid()',
        job_id: 'uuid NOT NULL REFERENCES "Job" (id) ON DELETE CASCADE',
        type: 'text NOT NULL',
        payload: 'jsonb',
        created_at: 'timestamptz NOT NULL DEFAULT now()',
      },
      primaryKey: ['id'],
    }),

    // "Lead.customer_id column added (nullable UUID)", "Job.customer_id column added (nullable UUID)",
    // "Lead/Job → Customer: SET NULL (graceful unlink)". NOT VALID, then VALIDATE; the uuid type is compared
    // with Customer.id's before the step runs.
    op.addColumn({ id: 'lead-customer-id', table: 'Lead', column: 'customer_id', type: 'uuid', references: { table: 'Customer', column: 'id', onDelete: 'set null' } }),
    op.addColumn({ id: 'job-customer-id', table: 'Job', column: 'customer_id', type: 'uuid', references: { table: 'Customer', column: 'id', onDelete: 'set null' } }),

    // "Indexes Added (22 total)". Foreign key indexes: 9 (CONCURRENTLY on Lead and Job, which serve traffic).
    op.createIndex({ id: 'lead-customer-idx', table: 'Lead', columns: ['customer_id'] }),
    op.createIndex({ id: 'job-customer-idx', table: 'Job', columns: ['customer_id'] }),
    op.createIndex({ id: 'customer-address-customer-idx', table: 'CustomerAddress', columns: ['customer_id'] }),
    op.createIndex({ id: 'conversation-customer-idx', table: 'Conversation', columns: ['customer_id'] }),
    op.createIndex({ id: 'conversation-lead-idx', table: 'Conversation', columns: ['lead_id'] }),
    op.createIndex({ id: 'message-conversation-idx', table: 'Message', columns: ['conversation_id'] }),
    op.createIndex({ id: 'memory-note-customer-idx', table: 'MemoryNote', columns: ['customer_id'] }),
    op.createIndex({ id: 'job-item-job-idx', table: 'JobItem', columns: ['job_id'] }),
    op.createIndex({ id: 'job-event-job-idx', table: 'JobEvent', columns: ['job_id'] }),
    // Temporal indexes: 8.
    op.createIndex({ id: 'customer-created-idx', table: 'Customer', columns: ['created_at'] }),
    op.createIndex({ id: 'customer-address-created-idx', table: 'CustomerAddress', columns: ['created_at'] }),
    op.createIndex({ id: 'conversation-created-idx', table: 'Conversation', columns: ['created_at'] }),
    op.createIndex({ id: 'conversation-last-message-idx', table: 'Conversation', columns: ['last_message_at'] }),
    op.createIndex({ id: 'message-created-idx', table: 'Message', columns: ['created_at'] }),
    op.createIndex({ id: 'memory-note-expires-idx', table: 'MemoryNote', columns: ['expires_at'] }),
    op.createIndex({ id: 'job-item-created-idx', table: 'JobItem', columns: ['created_at'] }),
    op.createIndex({ id: 'job-event-created-idx', table: 'JobEvent', columns: ['created_at'] }),
    // Lookup indexes (phone, email): 2 — the Lead → Customer link looks customers up by phone.
    op.createIndex({ id: 'customer-phone-idx', table: 'Customer', columns: ['phone'] }),
    op.createIndex({ id: 'customer-email-idx', table: 'Customer', columns: ['email'] }),
    // Composite indexes: 3.
    op.createIndex({ id: 'conversation-customer-channel-idx', table: 'Conversation', columns: ['customer_id', 'channel'] }),
    op.createIndex({ id: 'message-conversation-created-idx', table: 'Message', columns: ['conversation_id', 'created_at'] }),
    op.createIndex({ id: 'job-event-job-created-idx', table: 'JobEvent', columns: ['job_id', 'created_at'] }),
  ],

  backfill: [
    // Batch 2, "Migrate existing Lead data → Customer records": one customer per person, i.e. per usable phone
    // (repeat leads of the same person become one customer, from their earliest lead). Leads with no usable
    // phone make no customer (the proof warns about them).
    backfill.insert({
      id: 'customers-from-leads',
      title: 'Lead → Customer, one per phone number',
      from: 'Lead',
      into: 'Customer',
      where: `${usablePhone('"Lead".phone')} AND NOT EXISTS (
        SELECT 1 FROM "Lead" AS earlier
         WHERE ${usablePhone('earlier.phone')} AND right(${digits('earlier.phone')}, 10) = right(${digits('"Lead".phone')}, 10)
           AND (earlier.created_at, earlier.id) < ("Lead".created_at, "Lead".id))`,
      values: {
        name: 'name',
        phone: e164('"Lead".phone'),
        email: 'lower(trim(email))',
        created_at: 'created_at',
        updated_at: 'created_at',
      },
      down: 'DELETE FROM "Customer"',
    }),
    // Batch 2, "Link Lead.customer_id to new Customer records". keepInSync: leads the old code keeps writing
    // while CONTEXT_MEMORY_ENABLED is false are linked by a trigger, until the contract removes it.
    backfill.update({
      id: 'link-lead-customer',
      title: 'Lead.customer_id from the customer with the same phone',
      table: 'Lead',
      set: { customer_id: `(SELECT c.id FROM "Customer" AS c WHERE c.phone = ${e164('"Lead".phone')})` },
      where: `customer_id IS NULL AND ${usablePhone('phone')}`,
      keepInSync: true,
      down: 'UPDATE "Lead" SET customer_id = NULL WHERE customer_id IS NOT NULL',
    }),
    // Job.customer_id was added in Batch 1 too ("Modified Tables"): a job belongs to its lead's customer.
    backfill.update({
      id: 'link-job-customer',
      title: "Job.customer_id from its lead's customer",
      table: 'Job',
      set: { customer_id: '(SELECT l.customer_id FROM "Lead" AS l WHERE l.id = "Job".lead_id)' },
      where: 'customer_id IS NULL',
      keepInSync: true,
      down: 'UPDATE "Job" SET customer_id = NULL WHERE customer_id IS NOT NULL',
    }),
    // Batch 2, "Create Conversation records from Audit logs": one per (lead, channel), from its first audit row.
    backfill.insert({
      id: 'conversations-from-audit',
      title: 'Audit → Conversation, one per lead and channel',
      from: 'Audit',
      into: 'Conversation',
      where: `lead_id IS NOT NULL AND channel IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM "Audit" AS earlier
         WHERE earlier.lead_id = "Audit".lead_id AND earlier.channel = "Audit".channel
           AND (earlier.created_at, earlier.id) < ("Audit".created_at, "Audit".id))`,
      values: {
        id: conversationIdSql('"Audit".lead_id', '"Audit".channel'),
        customer_id: '(SELECT l.customer_id FROM "Lead" AS l WHERE l.id = "Audit".lead_id)',
        lead_id: 'lead_id',
        channel: 'channel',
        started_at: 'created_at',
        last_message_at: '(SELECT max(a.created_at) FROM "Audit" AS a WHERE a.lead_id = "Audit".lead_id AND a.channel = "Audit".channel)',
        created_at: 'created_at',
      },
      down: 'DELETE FROM "Conversation"',
    }),
    // Batch 2, "Populate Message history from stateMetadata": one Message per history entry of an SMS lead,
    // into that lead's SMS conversation; legacy role names mapped onto MessageRole.
    backfill.insert({
      id: 'messages-from-state-metadata',
      title: 'Lead.stateMetadata.history → Message',
      from: 'Lead',
      into: 'Message',
      select: ['stateMetadata'],
      where: `jsonb_typeof("stateMetadata" -> 'history') = 'array'`,
      transform: (rows) =>
        (rows as unknown as LeadRow[]).flatMap((lead) =>
          lead.stateMetadata.history.map((entry) => ({
            conversation_id: conversationId(lead.id, 'sms'),
            role: LEGACY_ROLES[entry.role] ?? entry.role,
            content: entry.content,
            created_at: new Date(entry.at),
          })),
        ),
      down: 'DELETE FROM "Message"',
    }),
  ],

  validate: [
    // "Validation Queries — Quick health check ... Expected: total_tables=15, new_tables=7", their query verbatim.
    check.query({
      id: 'health-check',
      title: 'total_tables=15, new_tables=7 (the seed\'s quick health check)',
      sql: `SELECT * FROM (
        SELECT
          COUNT(*) as total_tables,
          (SELECT COUNT(*) FROM pg_tables
           WHERE schemaname = 'public'
           AND tablename IN (${NEW_TABLES.map((t) => `'${t}'`).join(', ')})
          ) as new_tables
        FROM pg_tables WHERE schemaname = 'public'
      ) q WHERE (total_tables, new_tables) <> (15, 7)`,
      expect: 'empty',
    }),
    // "✅ Lead.customer_id column added (nullable UUID)", "✅ Job.customer_id column added (nullable UUID)".
    check.query({
      id: 'customer-id-columns',
      title: 'Lead.customer_id and Job.customer_id are nullable uuid',
      sql: `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name IN ('Lead', 'Job') AND column_name = 'customer_id'
               AND data_type = 'uuid' AND is_nullable = 'YES'`,
      expect: { equals: 2 },
    }),
    // "✅ All foreign key constraints working", "✅ All indexes created successfully".
    check.query({
      id: 'constraints-validated',
      title: 'Every foreign key validated',
      sql: `SELECT conrelid::regclass::text AS "table", conname FROM pg_constraint
             WHERE connamespace = 'public'::regnamespace AND contype = 'f' AND NOT convalidated`,
      expect: 'empty',
    }),
    check.query({
      id: 'indexes-valid',
      title: 'No invalid index',
      sql: `SELECT indexrelid::regclass::text AS index FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
             WHERE c.relnamespace = 'public'::regnamespace AND NOT i.indisvalid`,
      expect: 'empty',
    }),
    // The backfill moved data, it did not lose any.
    check.rowCount({ id: 'leads-unchanged', table: 'Lead', unchanged: true }),
    check.rowCount({ id: 'jobs-unchanged', table: 'Job', unchanged: true }),
    // Lead → Customer: one customer per distinct phone, and the identity fields the contract constrains.
    check.query({
      id: 'one-customer-per-phone',
      title: 'As many customers as distinct usable phone numbers in Lead',
      sql: `SELECT (SELECT count(*) FROM "Customer")
                 - (SELECT count(DISTINCT right(${digits('phone')}, 10)) FROM "Lead" WHERE ${usablePhone('phone')}) AS difference`,
      expect: { equals: 0 },
    }),
    check.noNulls({ id: 'customer-phone-set', table: 'Customer', column: 'phone' }),
    check.unique({ id: 'customer-phone-unique', table: 'Customer', columns: ['phone'] }),
    // "Consider unique constraints on customer phone/email": the contract adds them; this proves they will hold.
    check.unique({ id: 'customer-email-unique', table: 'Customer', columns: ['email'] }),
    // "Link Lead.customer_id to new Customer records": every lead points at the customer of its phone.
    check.columnsMatch({
      id: 'lead-linked-to-its-customer',
      table: 'Lead',
      column: 'customer_id',
      equals: `(SELECT c.id FROM "Customer" AS c WHERE c.phone = ${e164('"Lead".phone')})`,
    }),
    check.columnsMatch({
      id: 'job-linked-to-its-lead-customer',
      table: 'Job',
      column: 'customer_id',
      equals: '(SELECT l.customer_id FROM "Lead" AS l WHERE l.id = "Job".lead_id)',
    }),
    check.noOrphans({ id: 'lead-customer-fk', table: 'Lead', column: 'customer_id', references: { table: 'Customer', column: 'id' } }),
    check.noOrphans({ id: 'job-customer-fk', table: 'Job', column: 'customer_id', references: { table: 'Customer', column: 'id' } }),
    check.query({
      id: 'leads-without-phone',
      title: 'Leads with no usable phone stay without a customer (may be valid: spam, tests)',
      sql: `SELECT id, phone, email FROM "Lead" WHERE NOT coalesce(${usablePhone('phone')}, false) ORDER BY created_at`,
      expect: 'empty',
      severity: 'warn',
    }),
    // Conversations and messages.
    check.unique({ id: 'one-conversation-per-lead-channel', table: 'Conversation', columns: ['lead_id', 'channel'] }),
    check.query({
      id: 'conversation-per-audited-channel',
      title: 'One conversation per (lead, channel) seen in Audit',
      sql: `SELECT (SELECT count(*) FROM "Conversation")
                 - (SELECT count(*) FROM (SELECT DISTINCT lead_id, channel FROM "Audit" WHERE lead_id IS NOT NULL AND channel IS NOT NULL) d) AS difference`,
      expect: { equals: 0 },
    }),
    check.query({
      id: 'message-per-history-entry',
      title: 'One Message per stateMetadata.history entry',
      sql: `SELECT (SELECT count(*) FROM "Message")
                 - (SELECT coalesce(sum(jsonb_array_length("stateMetadata" -> 'history')), 0) FROM "Lead"
                     WHERE jsonb_typeof("stateMetadata" -> 'history') = 'array') AS difference`,
      expect: { equals: 0 },
    }),
    check.distribution({ id: 'message-roles', table: 'Message', column: 'role' }),
  ],

  contract: [
    // "⏳ CONTEXT_MEMORY_ENABLED remains false until Batch 2" / "Enable CONTEXT_MEMORY_ENABLED=true": the
    // constraints wait until the team has switched the application over (tidemark flag set CONTEXT_MEMORY_ENABLED on).
    gate.flag({ id: 'context-memory-enabled', flag: 'CONTEXT_MEMORY_ENABLED' }),
    // "Add NOT NULL to critical fields after backfill": a customer is its phone number. (Lead.customer_id and
    // Job.customer_id stay nullable: they are ON DELETE SET NULL, and leads without a phone have no customer.)
    op.setNotNull({ id: 'customer-phone-not-null', table: 'Customer', column: 'phone' }),
    // "Consider unique constraints on customer phone/email".
    op.addUnique({ id: 'customer-phone-unique-key', table: 'Customer', columns: ['phone'] }),
    op.addUnique({ id: 'customer-email-unique-key', table: 'Customer', columns: ['email'] }),
    // The unique constraints' indexes serve the phone/email lookups now: the Batch 1 lookup indexes go.
    op.dropIndex({ id: 'drop-customer-phone-idx', name: 'Customer_phone_idx' }),
    op.dropIndex({ id: 'drop-customer-email-idx', name: 'Customer_email_idx' }),
  ],
});
