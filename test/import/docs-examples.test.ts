/**
 * The examples of docs/import.md and docs/guides/alembic.md, pasted: the migration SQL in the docs is
 * imported as written and prints what the docs show, statement by statement. No database needed.
 * Needs `npm run build` first (the CLI runs dist).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir, writeFiles } from '../helpers/plan-files.js';
import { cli } from '../helpers/run.js';

const doc = (p: string) => readFileSync(fileURLToPath(new URL(`../../docs/${p}`, import.meta.url)), 'utf8');
const FIX = fileURLToPath(new URL('../fixtures/import/', import.meta.url));

/** The lines of a printed import that say what became of each statement. */
function mappingLines(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => /^ {2}[✓•·] \d+:|^ {6}(→|kept as sql|dropped)/.test(l))
    .map((l) => l.trimEnd());
}

describe('docs: the import examples print what the docs show', () => {
  it('docs/import.md, "An example"', async () => {
    const text = doc('import.md');
    const section = text.slice(text.indexOf('## An example'));
    const sql = /```sql\n([\s\S]*?)```/.exec(section)![1];
    const shown = /```\n\$ npx tidemark import [^\n]*\n([\s\S]*?)```/.exec(section)![1];
    const dir = tempDir();
    writeFiles(dir, { 'prisma/migrations/20260209080000_message_updated_at/migration.sql': sql });
    const r = await cli(['import', 'prisma', 'prisma/migrations/20260209080000_message_updated_at'], { cwd: dir });
    expect(r.code).toBe(0);
    const printed = mappingLines(r.stdout);
    expect(printed).toEqual(mappingLines(shown));
    expect(r.stdout).toContain('wrote ');
  });

  it('docs/guides/alembic.md: the offline SQL of one revision', async () => {
    const text = doc('guides/alembic.md');
    const shown = /```\n\$ npx tidemark import sql [^\n]*\n([\s\S]*?)```/.exec(text)![1];
    const dir = tempDir();
    const r = await cli(
      [
        'import',
        'sql',
        join(FIX, 'alembic/20260214_0003.sql'),
        '--records',
        'alembic:20260214_0003',
        '--id',
        'tenant-columns',
      ],
      { cwd: dir },
    );
    expect(r.code).toBe(0);
    expect(mappingLines(r.stdout.replace(/^\n?upgrade-[^\n]*\n/, ''))).toEqual(mappingLines(shown));
  });
});
