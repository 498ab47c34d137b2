/**
 * The corpus: real-world-shaped migrations (Prisma, Drizzle, Alembic offline SQL, Supabase,
 * golang-migrate, hand-written),
 * safe and unsafe, each linted on its own; the verdict and the error-level rules must match the
 * manifest (test/fixtures/lint-corpus/manifest.json).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lint } from '../../src/lint/index.js';

const dir = fileURLToPath(new URL('../fixtures/lint-corpus/', import.meta.url));
const manifest = JSON.parse(readFileSync(`${dir}manifest.json`, 'utf8')) as {
  files: { file: string; verdict: 'safe' | 'unsafe'; errors: string[] }[];
};

describe('lint corpus', () => {
  it('has at least 40 migrations, safe and unsafe, from every source', () => {
    expect(manifest.files.length).toBeGreaterThanOrEqual(40);
    expect(new Set(manifest.files.map((f) => f.verdict))).toEqual(new Set(['safe', 'unsafe']));
    for (const prefix of ['prisma/', 'drizzle/', 'alembic/', 'sql/', 'supabase/'])
      expect(manifest.files.some((f) => f.file.startsWith(prefix))).toBe(true);
  });

  for (const entry of manifest.files) {
    it(`${entry.verdict}: ${entry.file}`, async () => {
      const r = await lint([entry.file], { cwd: dir });
      const errors = [
        ...new Set(r.findings.filter((f) => f.level === 'error' && !f.suppressed).map((f) => f.rule)),
      ].sort();
      expect({ verdict: r.exitCode === 1 ? 'unsafe' : 'safe', errors }).toEqual({
        verdict: entry.verdict,
        errors: entry.errors,
      });
    });
  }

  it('the whole corpus in one run, folders in path order', async () => {
    const r = await lint(['prisma', 'drizzle', 'alembic', 'sql', 'supabase'], { cwd: dir });
    expect(r.files).toHaveLength(manifest.files.length);
    expect(r.files.slice(0, 2)).toEqual([
      'prisma/migrations/20251104090000_add_intelligence_core_tables/migration.sql',
      'prisma/migrations/20251110120000_add_memory_entities/migration.sql',
    ]);
    expect(r.exitCode).toBe(1);
  });
});
