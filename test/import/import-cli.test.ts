/**
 * `tidemark import` through the built CLI, against real PostgreSQL: the example apps' own Prisma
 * migrations (examples/*.setup.sql is each app's "before" database) become plans that run there; with `--database-url` only
 * what the ORM has not applied is imported; drizzle-kit's and Alembic's generated SQL import and
 * plan; bad input is refused with exit 2 and nothing written. Needs `npm run build` first.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SCHEMA } from '../../src/demo/seed.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir } from '../helpers/plan-files.js';
import { cli } from '../helpers/run.js';

const FIX = fileURLToPath(new URL('../fixtures/import/', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const SLOW = 180_000;

interface ImportJson {
  type: 'import';
  file?: string;
  planId?: string;
  migrations: string[];
  applied: string[];
  records: { tool: string; migration: string; dir?: string; downRevision?: string }[];
  counts: { mapped: number; sql: number; scaffolding: number };
  outcomes: { result: string; steps: string[]; reason?: string; sql: string }[];
  lint: { counts: { errors: number; warnings: number } };
}

async function importJson(args: string[]): Promise<ImportJson> {
  const r = await cli(['import', ...args, '--json'], { timeoutMs: SLOW });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as ImportJson;
}

const tables = async (url: string) =>
  (await query<{ t: string }>(url, `SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).map(
    (r) => r.t,
  );

describe("import prisma: the example apps' own migrations, run on each app's before-database", () => {
  it(
    'app 004: add_intelligence_core_tables → every statement mapped, no lint error, runs',
    async () => {
      const url = await createTestDatabase('import_seed_004');
      await query(url, readFileSync(join(EXAMPLES, 'seed-004.setup.sql'), 'utf8'));
      const out = join(tempDir(), 'plans', 'seed-004.plan.ts');
      const r = await importJson(['prisma', join(FIX, 'prisma/seed-004/migrations'), '--out', out]);
      expect(existsSync(out)).toBe(true);
      expect(r.counts).toEqual({ mapped: 6, sql: 0, scaffolding: 0 });
      expect(r.lint.counts.errors).toBe(0);
      expect(r.records).toEqual([
        { tool: 'prisma', migration: '20251104090000_add_intelligence_core_tables', dir: expect.any(String) },
      ]);
      expect((await cli(['plan', out, '--database-url', url])).code).toBe(0);
      const run = await cli(['run', out, '--database-url', url], { timeoutMs: SLOW });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(await tables(url)).toEqual(expect.arrayContaining(['IntelligenceEvent', 'KPIHistory']));
      const prompt = await query(
        url,
        `SELECT 1 FROM information_schema.columns WHERE table_name = 'Campaign' AND column_name = 'prompt'`,
      );
      expect(prompt).toHaveLength(1);
    },
    SLOW,
  );

  it(
    'app 001: given the database, only the migration _prisma_migrations lacks is imported; it runs',
    async () => {
      const url = await createTestDatabase('import_seed_001');
      await query(url, readFileSync(join(EXAMPLES, 'seed-001.setup.sql'), 'utf8'));
      const out = join(tempDir(), 'seed-001.plan.ts');
      const r = await importJson([
        'prisma',
        join(FIX, 'prisma/seed-001/migrations'),
        '--out',
        out,
        '--database-url',
        url,
      ]);
      expect(r.applied).toEqual(['20251020090000_init', '20251028141000_quotes_and_photos']);
      expect(r.migrations).toEqual(['20251110120000_add_memory_entities']);
      expect(r.planId).toBe('20251110120000-add-memory-entities');
      expect(r.counts.sql).toBe(0);
      expect(r.lint.counts.errors).toBe(0);
      const run = await cli(['run', out, '--database-url', url], { timeoutMs: SLOW });
      expect(run.code).toBe(0);
      expect(await tables(url)).toEqual(expect.arrayContaining(['Customer', 'Conversation', 'Message']));
      const fk = await query(url, `SELECT convalidated FROM pg_constraint WHERE conname = 'Lead_customer_id_fkey'`);
      expect(fk).toEqual([{ convalidated: true }]);
      // The run wrote the plan's record into _prisma_migrations: Prisma, and a new import, see all three applied.
      const applied = await query(url, `SELECT migration_name FROM _prisma_migrations ORDER BY 1`);
      expect(applied.map((x) => x.migration_name)).toContain('20251110120000_add_memory_entities');
      const again = await cli([
        'import',
        'prisma',
        join(FIX, 'prisma/seed-001/migrations'),
        '--out',
        out,
        '--force',
        '--database-url',
        url,
      ]);
      expect(again.stdout + again.stderr).toMatch(/applied|nothing/i);
    },
    SLOW,
  );

  it(
    "app 000: wave 1's expand migration (Prisma's multi-column ALTERs, enums, NOT NULL DEFAULTs) runs on the demo schema with rows",
    async () => {
      const url = await createTestDatabase('import_seed_000');
      await query(url, DEMO_SCHEMA);
      await query(
        url,
        `INSERT INTO "Agent" VALUES ('a1', 't1', 'Agent', now());
         INSERT INTO "Contact" VALUES ('c1', 't1', 'Contact', NULL, now());
         INSERT INTO "Conversation" ("id", "tenantId", "agentId", "contactId", "intent") VALUES ('v1', 't1', 'a1', 'c1', 'sales');
         INSERT INTO "Message" ("conversationId", "role", "content", "model") VALUES ('v1', 'user', 'hi', 'gpt');`,
      );
      const out = join(tempDir(), 'wave1.plan.ts');
      const r = await importJson([
        'prisma',
        join(FIX, 'prisma/seed-000/migrations/20260205090000_wave1_expand'),
        '--out',
        out,
      ]);
      expect(r.counts.sql).toBe(0);
      expect(r.lint.counts.errors).toBe(0);
      const text = readFileSync(out, 'utf8');
      expect(text).toContain('// Prisma warned (20260205090000_wave1_expand): Added the required column `mode`');
      expect(text).toContain("backfill.update({ id: 'fill-agent-mode', table: 'Agent', set: { mode: '\\'LIVE\\'' }");
      const run = await cli(['run', out, '--database-url', url], { timeoutMs: SLOW });
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(await query(url, `SELECT mode::text, scope FROM "Agent"`)).toEqual([{ mode: 'LIVE', scope: {} }]);
      const nn = await query(
        url,
        `SELECT is_nullable FROM information_schema.columns WHERE table_name = 'Agent' AND column_name = 'mode'`,
      );
      expect(nn).toEqual([{ is_nullable: 'NO' }]);

      // The contract migration: drops (archived for rollback) and a NOT NULL proven in validate.
      const contract = join(tempDir(), 'contract.plan.ts');
      const c = await importJson([
        'prisma',
        join(FIX, 'prisma/seed-000/migrations/20260301090000_wave1_contract'),
        '--out',
        contract,
      ]);
      expect(c.outcomes.flatMap((o) => o.steps)).toEqual([
        'op.dropIndex',
        'op.dropColumn',
        'op.dropColumn',
        'op.dropColumn',
        'op.dropColumn',
        'op.setNotNull',
      ]);
      const ctext = readFileSync(contract, 'utf8');
      expect(ctext).toMatch(/validate: \[\s*check\.noNulls/);
      expect(ctext.indexOf('contract: [')).toBeLessThan(ctext.indexOf('op.dropIndex'));
    },
    SLOW,
  );
});

describe('import drizzle: drizzle-kit generate output', () => {
  let url: string;
  beforeAll(async () => {
    url = await createTestDatabase('import_drizzle');
  });

  it(
    'given the database, only what __drizzle_migrations has not applied (by journal time) is imported',
    async () => {
      const dir = join(FIX, 'drizzle');
      const journal = JSON.parse(readFileSync(join(dir, 'meta/_journal.json'), 'utf8')) as {
        entries: { when: number }[];
      };
      // drizzle-kit migrate applied 0000 here: its SQL, and its row as the migrator writes it.
      await query(url, readFileSync(join(dir, '0000_init.sql'), 'utf8'));
      await query(
        url,
        `CREATE SCHEMA drizzle; CREATE TABLE drizzle.__drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint);
         INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ('x', ${journal.entries[0].when});`,
      );
      const out = join(tempDir(), 'drizzle.plan.ts');
      const r = await importJson(['drizzle', dir, '--out', out, '--database-url', url]);
      expect(r.applied).toEqual(['0000_init']);
      expect(r.migrations).toEqual(['0001_expand', '0002_contract']);
      expect(r.records.map((x) => x.migration)).toEqual(['0001_expand', '0002_contract']);
      expect((await cli(['plan', out, '--database-url', url])).code).toBe(0);
      // Once the history has them all: nothing to import, nothing written.
      await query(url, `UPDATE drizzle.__drizzle_migrations SET created_at = ${journal.entries[2].when}`);
      const none = join(tempDir(), 'none.plan.ts');
      const n = await cli(['import', 'drizzle', dir, '--out', none, '--database-url', url]);
      expect(n.code).toBe(0);
      expect(n.stdout).toContain('nothing to import: every migration is applied');
      expect(existsSync(none)).toBe(false);
    },
    SLOW,
  );

  it(
    'with op.changeType, the whole drizzle history runs (the bigint change online)',
    async () => {
      const fresh = await createTestDatabase('import_drizzle_all');
      const out = join(tempDir(), 'drizzle-all.plan.ts');
      const r = await importJson(['drizzle', join(FIX, 'drizzle'), '--out', out]);
      expect(r.counts.sql).toBe(0);
      const run = await cli(['run', out, '--database-url', fresh], { timeoutMs: SLOW });
      expect(run.code, run.stdout + run.stderr).toBe(0);
    },
    SLOW,
  );
});

describe('import: renames through op.renameColumn / op.renameTable', () => {
  it(
    'a Prisma rename migration imports to the rename ops and runs',
    async () => {
      const url = await createTestDatabase('import_rename');
      await query(
        url,
        `CREATE TABLE "Message" (id int PRIMARY KEY, "tokensIn" int); INSERT INTO "Message" VALUES (1, 5);`,
      );
      const dir = tempDir();
      const folder = join(dir, 'prisma/migrations/20260202080000_rename_tokens');
      mkdirSync(folder, { recursive: true });
      writeFileSync(
        join(folder, 'migration.sql'),
        `-- AlterTable\nALTER TABLE "Message" RENAME COLUMN "tokensIn" TO "tokensInput";\n\n-- RenameTable\nALTER TABLE "Message" RENAME TO "ChatMessage";\n`,
      );
      const out = join(dir, 'rename.plan.ts');
      const r = await importJson(['prisma', folder, '--out', out]);
      expect(r.outcomes.map((o) => o.steps)).toEqual([['op.renameColumn'], ['op.renameTable']]);
      const run = await cli(['run', out, '--database-url', url], { timeoutMs: SLOW });
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(await query(url, `SELECT "tokensInput" FROM "ChatMessage"`)).toEqual([{ tokensInput: 5 }]);
    },
    SLOW,
  );
});

describe('import sql: Alembic offline SQL', () => {
  it(
    "maps inside BEGIN/COMMIT, drops alembic_version bookkeeping, keeps each revision's down revision for the records, runs",
    async () => {
      const url = await createTestDatabase('import_alembic');
      await query(
        url,
        `CREATE TABLE projects (id SERIAL NOT NULL, name TEXT NOT NULL, PRIMARY KEY (id));
         INSERT INTO projects (name) VALUES ('a'), ('b');
         CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
         INSERT INTO alembic_version VALUES ('20260213_0001');`,
      );
      const out = join(tempDir(), 'tenants.plan.ts');
      const r = await importJson([
        'sql',
        join(FIX, 'alembic/upgrade-0001-to-head.sql'),
        '--out',
        out,
        '--id',
        'tenants',
        '--records',
        'alembic:20260214_0003',
      ]);
      expect(r.counts).toEqual({ mapped: 8, sql: 0, scaffolding: 4 });
      // The plan covers 0002 and 0003: its record moves alembic_version from where the script starts.
      expect(r.records).toEqual([{ tool: 'alembic', migration: '20260214_0003', downRevision: '20260213_0001' }]);
      expect(r.lint.counts.errors).toBe(0);
      const run = await cli(['run', out, '--database-url', url], { timeoutMs: SLOW });
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(await tables(url)).toEqual(expect.arrayContaining(['tenants', 'users']));
      expect(await query(url, `SELECT archived FROM projects ORDER BY id`)).toEqual([
        { archived: false },
        { archived: false },
      ]);
      // Without --records, every revision the SQL applies is a record, each with its down revision.
      const auto = await importJson([
        'sql',
        join(FIX, 'alembic/upgrade-head.sql'),
        '--out',
        join(tempDir(), 'x.plan.ts'),
      ]);
      expect(auto.records).toEqual([
        { tool: 'alembic', migration: '20260213_0001', downRevision: null },
        { tool: 'alembic', migration: '20260214_0002', downRevision: '20260213_0001' },
        { tool: 'alembic', migration: '20260214_0003', downRevision: '20260214_0002' },
      ]);
    },
    SLOW,
  );
});

describe('import: bad input is refused with exit 2, nothing written', () => {
  it('a missing path, an unknown tool, a bad --records, a folder with no migrations', async () => {
    const dir = tempDir();
    const cases: [string[], RegExp][] = [
      [['prisma', join(dir, 'nope')], /import prisma: .*nope does not exist/],
      [['liquibase', dir], /unknown tool "liquibase"/],
      [
        ['sql', join(FIX, 'alembic/upgrade-head.sql'), '--records', 'alembic'],
        /--records "alembic" must be TOOL:MIGRATION/,
      ],
      [['prisma', dir], /holds no migration\.sql/],
      [['drizzle', dir], /has no meta\/_journal\.json/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(['import', ...args, '--out', join(dir, 'p.plan.ts')], { cwd: dir });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(existsSync(join(dir, 'p.plan.ts'))).toBe(false);
    }
  });

  it('SQL that does not parse: refused with file, line and column; no plan written', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.sql'), 'CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN {{ .Name }} text;\n');
    const r = await cli(['import', 'sql', join(dir, 'bad.sql')], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.sql:2:\d+: the SQL does not parse/);
    expect(existsSync(join(dir, 'plans'))).toBe(false);
  });

  it('a statement an operation refuses at validation goes back to its SQL, with the refusal as the reason', async () => {
    const dir = tempDir();
    const label = 'x'.repeat(70);
    writeFileSync(join(dir, 'enum.sql'), `ALTER TYPE "Status" ADD VALUE '${label}';\nCREATE INDEX i ON t (c);\n`);
    const r = await importJson(['sql', join(dir, 'enum.sql'), '--out', join(dir, 'enum.plan.ts')]);
    expect(r.outcomes.map((o) => o.result)).toEqual(['sql', 'mapped']);
    expect(r.outcomes[0].reason).toMatch(/the operation refused it \(value is 70 bytes long/);
    expect(readFileSync(join(dir, 'enum.plan.ts'), 'utf8')).toContain(
      `up: 'ALTER TYPE "Status" ADD VALUE \\'${label}\\''`,
    );
  });

  it('an existing plan file is not overwritten without --force; the default out is plans/<id>.plan.ts', async () => {
    const dir = tempDir();
    const first = await cli(['import', 'prisma', join(FIX, 'prisma/seed-004/migrations')], { cwd: dir });
    expect(first.code).toBe(0);
    const file = join(dir, 'plans', '20251104090000-add-intelligence-core-tables.plan.ts');
    expect(existsSync(file)).toBe(true);
    const second = await cli(['import', 'prisma', join(FIX, 'prisma/seed-004/migrations')], { cwd: dir });
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/exists/);
    const forced = await cli(['import', 'prisma', join(FIX, 'prisma/seed-004/migrations'), '--force'], { cwd: dir });
    expect(forced.code).toBe(0);
  });
});
