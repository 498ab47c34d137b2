/**
 * Writing plan files into a temp directory, as users write them (`import … from 'tidemark'`).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A fresh temp directory. */
export function tempDir(prefix = 'tidemark-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Write `files` (path → content) under `dir`; returns the path of the first one. */
export function writeFiles(dir: string, files: Record<string, string>): string {
  let first = '';
  for (const [p, content] of Object.entries(files)) {
    const f = join(dir, p);
    mkdirSync(dirname(f), { recursive: true });
    writeFileSync(f, content);
    first ||= f;
  }
  return first;
}

/** Write a plan module whose body is `definePlan(<body>)`. */
export function writePlan(dir: string, body: string, name = 'test.plan.ts'): string {
  return writeFiles(dir, {
    [name]: `import { definePlan, sql, sqlFile, op, backfill, check, gate } from 'tidemark';\nexport default definePlan(${body});\n`,
  });
}
