import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load.js';
import { rollbackPlan } from '../../src/runner/rollback.js';
import { runPlan } from '../../src/runner/run.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writeFiles } from '../helpers/plan-files.js';

const PAGES = ['steps/backfill-update.md', 'steps/backfill-insert.md', 'backfill.md'];

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('backfill_docs_examples');
});

function examples(page: string): string[] {
  const md = readFileSync(fileURLToPath(new URL(`../../docs/${page}`, import.meta.url)), 'utf8');
  return [...md.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).filter((b) => b.includes('definePlan('));
}

describe('backfill docs: the example plans work when pasted', () => {
  for (const page of PAGES) {
    it(page, async () => {
      const blocks = examples(page);
      expect(blocks.length).toBeGreaterThan(0);
      for (const [i, body] of blocks.entries()) {
        const plan = await loadPlan(writeFiles(tempDir(), { [`example-${i}.plan.ts`]: body }));
        const r = await runPlan(plan, { databaseUrl: url });
        expect(r.message).toBeUndefined();
        expect(r.exitCode).toBe(0);
        const down = await rollbackPlan(plan, { databaseUrl: url });
        expect(down.exitCode).toBe(0);
      }
    });
  }

  it('the guide example skips exactly its bad rows', async () => {
    const plan = await loadPlan(writeFiles(tempDir(), { 'guide.plan.ts': examples('backfill.md')[0] }));
    expect((await runPlan(plan, { databaseUrl: url })).exitCode).toBe(0);
    expect(
      (
        await query(
          url,
          `SELECT count(*)::int n FROM tidemark.poison_rows WHERE plan_id = 'doc-backfill-guide' AND run_id = (SELECT max(run_id) FROM tidemark.runs WHERE plan_id = 'doc-backfill-guide')`,
        )
      )[0].n,
    ).toBe(20);
    expect(await query(url, `SELECT hits, count(*)::int n FROM doc_order GROUP BY hits ORDER BY hits`)).toEqual([
      { hits: 0, n: 20 },
      { hits: 1, n: 19980 },
    ]);
  });
});
