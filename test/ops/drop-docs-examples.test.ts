/**
 * The doc pages of convertToEnum and the archived drops: each example plan runs when pasted and
 * rolls back; the shadow-path SQL shown in op-convert-to-enum.md is what `tidemark plan` prints.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load.js';
import { describePlan } from '../../src/runner/describe.js';
import { rollbackPlan } from '../../src/runner/rollback.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writeFiles, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

const docs = fileURLToPath(new URL('../../docs/steps/', import.meta.url));
const PAGES = ['op-convert-to-enum', 'op-drop-column', 'op-drop-table', 'op-drop-index', 'op-drop-constraint'];

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('ops_drop_docs_examples');
});

function page(name: string): string {
  return readFileSync(join(docs, `${name}.md`), 'utf8');
}

/** The example plan of a doc page: its one ```ts block that calls definePlan. */
function example(name: string): string {
  const blocks = [...page(name).matchAll(/```ts\n([\s\S]*?)```/g)]
    .map((m) => m[1])
    .filter((b) => b.includes('definePlan('));
  expect(blocks, `${name}.md has one example plan`).toHaveLength(1);
  return blocks[0];
}

describe('docs/steps examples of convertToEnum and the drops', () => {
  for (const name of PAGES) {
    it(`${name}: the example runs when pasted, and rolls back`, async () => {
      const md = page(name);
      expect(md).toMatch(/\| statement \| lock \|/);
      const file = writeFiles(tempDir(), { [`${name}.plan.ts`]: example(name) });
      const r = await runFile(file, { databaseUrl: url });
      expect(r.message).toBeUndefined();
      expect(r.exitCode).toBe(0);
      const down = await rollbackPlan(await loadPlan(file), { databaseUrl: url });
      expect(down.message).toMatch(/^rolled back/);
      expect(down.exitCode).toBe(0);
    });
  }

  it('op-convert-to-enum.md: the shadow-path statements shown are those `tidemark plan` prints', async () => {
    await query(
      url,
      `
      DROP TABLE IF EXISTS deals CASCADE;
      CREATE TABLE deals (id bigserial PRIMARY KEY, stage varchar(32) NOT NULL DEFAULT 'open' CONSTRAINT deals_stage_not_blank CHECK (stage <> ''),
        CONSTRAINT deals_stage_id_key UNIQUE (stage, id));
      CREATE INDEX deals_stage_idx ON deals (stage);
      COMMENT ON COLUMN deals.stage IS 'pipeline stage';
      INSERT INTO deals (stage) SELECT 'open' FROM generate_series(1, 500);
      ANALYZE deals;`,
    );
    const file = writePlan(
      tempDir(),
      `{ id: 'doc-shadow', expand: [op.convertToEnum({ id: 'stage-enum', table: 'deals', column: 'stage', enum: 'deal_stage', values: ['open', 'won', 'lost'] })] }`,
    );
    const d = await describePlan(await loadPlan(file), { databaseUrl: url, config: { shadowThresholdRows: 100 } });
    const printed = new Set(d.steps[0].actions.map((a) => a.sql.replace(/\s+/g, ' ').trim()));
    const block = /## Large tables[\s\S]*?```sql\n([\s\S]*?)```/.exec(page('op-convert-to-enum'))![1];
    const shown = block
      .split(';\n')
      .map((s) =>
        s
          .replace(/^(--[^\n]*\n)+/g, '')
          .replace(/\s+/g, ' ')
          .trim(),
      )
      .filter((s) => /^(ALTER|LOCK|DROP|CREATE (UNIQUE )?INDEX|CREATE TRIGGER|COMMENT)/.test(s));
    expect(shown.length).toBeGreaterThan(10);
    for (const s of shown) expect(printed, s).toContain(s);
  });
});
