import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load.js';
import { createTestDatabase } from '../helpers/db.js';
import { tempDir, writeFiles } from '../helpers/plan-files.js';
import { rollback, run } from './op-harness.js';

const docs = fileURLToPath(new URL('../../docs/steps/', import.meta.url));
const PAGES = [
  'op-create-table',
  'op-add-column',
  'op-create-index',
  'op-add-foreign-key',
  'op-add-check',
  'op-set-not-null',
  'op-add-unique',
  'op-create-enum',
  'op-add-enum-value',
  'op-enable-extension',
];

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('ops_docs_examples');
});

/** The example plan of a doc page: its ```ts block that calls definePlan. */
function example(page: string): string {
  const md = readFileSync(join(docs, `${page}.md`), 'utf8');
  const blocks = [...md.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).filter((b) => b.includes('definePlan('));
  expect(blocks, `${page}.md has one example plan`).toHaveLength(1);
  return blocks[0];
}

describe('docs/steps examples work when pasted', () => {
  it('every op kind has a page', () => {
    const have = readdirSync(docs).map((f) => f.replace(/\.md$/, ''));
    for (const p of PAGES) expect(have).toContain(p);
  });

  for (const page of PAGES) {
    it(page, async () => {
      const file = writeFiles(tempDir(), { [`${page}.plan.ts`]: example(page) });
      const p = await loadPlan(file);
      const r = await run(url, p);
      expect(r.message).toBeUndefined();
      expect(r.exitCode).toBe(0);
      if (page === 'op-add-enum-value') return; // irreversible, by design
      const down = await rollback(url, p);
      expect(down.message).toMatch(/^rolled back/);
      expect(down.exitCode).toBe(0);
    });
  }
});
