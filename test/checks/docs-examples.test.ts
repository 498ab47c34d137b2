/**
 * Every page of docs/checks and docs/gates, and docs/proof.md, holds one example plan that works when pasted: it loads,
 * and run against a fresh database its proof passes (gates: it runs up to the gate, which stops it with exit 5 unless
 * the example opens it).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writeFiles } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

const root = fileURLToPath(new URL('../../docs/', import.meta.url));
const CHECKS = [
  'no-nulls',
  'no-orphans',
  'unique',
  'allowed-values',
  'row-count',
  'per-group',
  'columns-match',
  'same-tenant',
  'query',
  'migration-applied',
  'distribution',
];
const GATES = ['flag', 'approval', 'window', 'command'];

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('checks_docs_examples');
  // What doc-migration-applied's precondition expects: Prisma's history with its baseline applied.
  await query(
    url,
    `CREATE TABLE _prisma_migrations (id varchar(36) PRIMARY KEY, checksum varchar(64) NOT NULL, finished_at timestamptz, migration_name varchar(255) NOT NULL,
      logs text, rolled_back_at timestamptz, started_at timestamptz NOT NULL DEFAULT now(), applied_steps_count int NOT NULL DEFAULT 0);
    INSERT INTO _prisma_migrations VALUES ('1', 'x', now(), '20260101000000_init', NULL, NULL, now(), 1)`,
  );
});

function example(path: string): string {
  const md = readFileSync(join(root, path), 'utf8');
  const blocks = [...md.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).filter((b) => b.includes('definePlan('));
  expect(blocks, `${path} has one example plan`).toHaveLength(1);
  return blocks[0];
}

describe('docs examples work when pasted', () => {
  it('every check and gate kind has a page', () => {
    expect(readdirSync(join(root, 'checks')).sort()).toEqual(CHECKS.map((c) => `${c}.md`).sort());
    expect(readdirSync(join(root, 'gates')).sort()).toEqual(GATES.map((g) => `${g}.md`).sort());
  });

  for (const page of [...CHECKS.map((c) => `checks/${c}.md`), 'proof.md']) {
    it(page, async () => {
      const file = writeFiles(tempDir(), { 'example.plan.ts': example(page) });
      const r = await runFile(file, { databaseUrl: url });
      expect(r.message).toBeUndefined();
      expect(r.exitCode).toBe(0);
      expect(r.checks.length).toBeGreaterThan(0);
      expect(r.checks.every((c) => c.status === 'pass' || c.status === 'warn')).toBe(true);
    });
  }

  for (const g of GATES) {
    it(`gates/${g}.md`, async () => {
      const file = writeFiles(tempDir(), { 'example.plan.ts': example(`gates/${g}.md`) });
      const r = await runFile(file, { databaseUrl: url, approvals: g === 'approval' ? ['dba-sign-off'] : [] });
      if (g === 'flag') {
        expect(r.exitCode).toBe(5);
        expect(r.hint).toBe('npx tidemark flag set reads_on_modern on');
      } else if (g === 'window') {
        expect([0, 5]).toContain(r.exitCode); // depends on the time of day
      } else {
        expect(r.message).toBeUndefined();
        expect(r.exitCode).toBe(0);
      }
    });
  }
});
