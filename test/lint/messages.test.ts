/**
 * Messages that must say what is true of the file (docs/rules/drop-object.md,
 * docs/rules/table-rewrite.md, docs/lint.md "Prisma and Drizzle"): views hold no data, a view
 * re-created in the same file is a warning, a function declared in the file is judged by its
 * declared volatility, and a Prisma or Drizzle file gets its tool's fix first.
 */
import { describe, expect, it } from 'vitest';
import { active, lintSql } from './helpers.js';

describe('lint messages', () => {
  it('a view dropped and created again in the same file is a warning, not lost data', async () => {
    const r = await lintSql(
      'DROP VIEW IF EXISTS lead_summary;\nCREATE VIEW lead_summary AS SELECT id, email FROM "Lead";',
    );
    const [f, ...rest] = active(r, 'drop-object');
    expect(rest).toEqual([]);
    expect(f.level).toBe('warning');
    expect(f.message).toContain('CREATE VIEW "lead_summary" again');
    expect(f.message).not.toContain('data');
    expect(r.exitCode).toBe(0);
  });

  it('a plain view dropped for good breaks readers but is not said to lose data', async () => {
    const r = await lintSql('DROP VIEW lead_summary;');
    const [f] = active(r, 'drop-object');
    expect(f.level).toBe('error');
    expect(f.message).not.toContain('loses its data');
    expect(f.message).toContain('holds no data');
  });

  it('a materialized view re-created in the same file warns about its refresh cost', async () => {
    const r = await lintSql(
      'DROP MATERIALIZED VIEW daily_totals;\nCREATE MATERIALIZED VIEW daily_totals AS SELECT 1 AS n;',
    );
    const [f] = active(r, 'drop-object');
    expect(f.level).toBe('warning');
    expect(f.message).toContain('computes its whole query');
    expect(f.message).not.toContain('loses its data');
  });

  it('a default calling a function declared VOLATILE (or with no volatility) earlier in the file is an error', async () => {
    for (const decl of ['VOLATILE', '']) {
      const r = await lintSql(
        `CREATE FUNCTION next_code() RETURNS text LANGUAGE sql ${decl} AS $$ SELECT md5(random()::text) $$;\nALTER TABLE "Lead" ADD COLUMN code text DEFAULT next_code();`,
      );
      const [f] = active(r, 'table-rewrite');
      expect(f.level).toBe('error');
      expect(f.message).toContain('declared VOLATILE in this file');
      expect(f.message).not.toContain('if that function is volatile');
    }
  });

  it('a default calling a function declared IMMUTABLE or STABLE in the file is no finding', async () => {
    for (const decl of ['IMMUTABLE', 'STABLE']) {
      const r = await lintSql(
        `CREATE OR REPLACE FUNCTION app.tenant_default() RETURNS int LANGUAGE sql ${decl} AS $$ SELECT 1 $$;\nALTER TABLE "Lead" ADD COLUMN tenant int DEFAULT app.tenant_default();`,
      );
      expect(active(r, 'table-rewrite')).toEqual([]);
    }
  });

  it('an undeclared function in a default is still only a warning', async () => {
    const r = await lintSql('ALTER TABLE "Lead" ADD COLUMN code text DEFAULT make_code();');
    const [f] = active(r, 'table-rewrite');
    expect(f.level).toBe('warning');
    expect(f.message).toContain('if that function is volatile');
  });

  it('a Prisma migration gets the Prisma fix first, then the Tidemark operation', async () => {
    const r = await lintSql('CREATE INDEX "Lead_email_idx" ON "Lead"("email");', {
      name: 'prisma/migrations/20260101000000_lead_email/migration.sql',
      files: { 'prisma/migrations/migration_lock.toml': 'provider = "postgresql"\n' },
    });
    const [f] = active(r, 'index-not-concurrent');
    expect(f.help).toMatch(/^Prisma: put CREATE INDEX CONCURRENTLY alone in its own migration/);
    expect(f.help).toContain('Tidemark: Use op.createIndex(');
  });

  it('a Drizzle migration gets the Drizzle fix first', async () => {
    const r = await lintSql('ALTER TABLE "users" ALTER COLUMN "email" SET NOT NULL;', {
      name: 'drizzle/0007_email_required.sql',
      files: { 'drizzle/meta/_journal.json': '{"entries":[]}' },
    });
    const [f] = active(r, 'set-not-null-without-check');
    expect(f.help).toMatch(/^Drizzle: /);
    expect(f.help).toContain('Tidemark: Use op.setNotNull(');
  });

  it('a plain SQL file keeps the Tidemark help alone', async () => {
    const r = await lintSql('CREATE INDEX lead_email_idx ON "Lead"(email);');
    expect(active(r, 'index-not-concurrent')[0].help).toMatch(/^Use op.createIndex\(/);
  });
});
