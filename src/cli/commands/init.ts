/**
 * `tidemark init`: scaffold `tidemark.config.ts` and `plans/example.plan.ts` in the working
 * directory, never overwriting a file that exists, and add `.tidemark/` to `.gitignore`. The
 * example runs as written, against `--embedded` or any database: it creates its own sample table,
 * then walks all four phases (docs/cli.md).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { action } from '../action.js';

/** The scaffolded `tidemark.config.ts`: every setting commented out, with its default. */
export const CONFIG_TEMPLATE = `import { defineConfig } from 'tidemark';

export default defineConfig({
  // databaseUrl: process.env.DATABASE_URL, // --database-url and $DATABASE_URL work too
  // ledgerSchema: 'tidemark',
  // lockTimeoutMs: 500,      // DDL gives up waiting for a lock after this long, then retries
  // lockRetries: 10,
  // statementTimeoutMs: 0,   // statement_timeout of Tidemark's DDL and queries; 0: none
  // backfill: { targetBatchMs: 200 },
  // maxRewriteLockMs: 200,   // op.convertToEnum rewrites in place only if the estimated lock time is at most this
});
`;

/**
 * The scaffolded `plans/example.plan.ts`: a whole wave on a sample table of its own. It must never
 * touch a table the application has (init is run in real apps with `DATABASE_URL` set): a plain
 * `CREATE TABLE` fails rather than adopt an existing table, and rollback drops only that table.
 */
export const EXAMPLE_PLAN = `import { definePlan, sql, op, backfill, check } from 'tidemark';

// Try it: npx tidemark run plans/example.plan.ts --embedded .tidemark/pg
// Undo it: npx tidemark rollback plans/example.plan.ts --embedded .tidemark/pg
export default definePlan({
  id: 'example',
  title: 'Split tidemark_example_customers.full_name into display_name',
  expand: [
    // A sample table of the example's own, standing in for one your application has. The example touches
    // no other table; its rollback drops this one.
    sql({
      id: 'sample-customers',
      up: [
        'CREATE TABLE tidemark_example_customers (id bigint PRIMARY KEY, full_name text NOT NULL)',
        "INSERT INTO tidemark_example_customers SELECT g, 'Customer ' || g FROM generate_series(1, 10000) g",
      ],
      down: 'DROP TABLE tidemark_example_customers',
    }),
    op.addColumn({ id: 'add-display-name', table: 'tidemark_example_customers', column: 'display_name', type: 'text' }),
  ],
  backfill: [
    backfill.update({
      id: 'fill-display-name',
      table: 'tidemark_example_customers',
      set: { display_name: 'initcap(full_name)' },
      where: 'display_name IS NULL',
    }),
  ],
  validate: [
    check.noNulls({ id: 'display-name-filled', table: 'tidemark_example_customers', column: 'display_name' }),
    // On a table your application already has, rows keep arriving: use \`min:\`, or \`unchanged: true\` (the count before the first step).
    check.rowCount({ id: 'customers-count', table: 'tidemark_example_customers', equals: 10000 }),
  ],
  contract: [
    op.setNotNull({ id: 'display-name-not-null', table: 'tidemark_example_customers', column: 'display_name' }),
  ],
});
`;

/** The line `init` makes sure `.gitignore` has: the embedded cluster's directory (tens of MB). */
const GITIGNORE_LINE = '.tidemark/';

/**
 * Add `.tidemark/` to `.gitignore` in `dir` (creating the file) unless a line already ignores it.
 * Returns what it did, for the message.
 */
export function ignoreEmbeddedDir(dir: string): 'created' | 'appended' | 'kept' {
  const f = join(dir, '.gitignore');
  if (!existsSync(f)) {
    writeFileSync(f, `${GITIGNORE_LINE}\n`, { flag: 'wx' });
    return 'created';
  }
  const text = readFileSync(f, 'utf8');
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  if (lines.some((l) => ['.tidemark', '.tidemark/', '/.tidemark', '/.tidemark/'].includes(l))) return 'kept';
  appendFileSync(f, `${text.length && !text.endsWith('\n') ? '\n' : ''}${GITIGNORE_LINE}\n`);
  return 'appended';
}

/** Register `tidemark init`. */
export function registerInit(program: Command): void {
  program
    .command('init')
    .description('scaffold tidemark.config.ts and plans/example.plan.ts (never overwrites)')
    .action(
      action(async (ctx) => {
        const cwd = process.cwd();
        const files: [string, string][] = [
          ['tidemark.config.ts', CONFIG_TEMPLATE],
          [join('plans', 'example.plan.ts'), EXAMPLE_PLAN],
        ];
        const written: string[] = [];
        for (const [rel, content] of files) {
          const f = join(cwd, rel);
          if (existsSync(f)) {
            ctx.renderer.info(`kept ${rel} (already exists)`);
            continue;
          }
          mkdirSync(join(f, '..'), { recursive: true });
          writeFileSync(f, content, { flag: 'wx' }); // 'wx': fails rather than overwrite a file created meanwhile
          written.push(rel);
          ctx.renderer.info(`wrote ${rel}`);
        }
        const ignored = ignoreEmbeddedDir(cwd);
        if (ignored !== 'kept') {
          written.push('.gitignore');
          ctx.renderer.info(
            `${ignored === 'created' ? 'wrote' : 'added .tidemark/ to'} .gitignore (the embedded PostgreSQL's directory)`,
          );
        }
        ctx.renderer.json({ type: 'init', written });
        ctx.renderer.info(
          'next: npx tidemark plan plans/example.plan.ts --embedded .tidemark/pg   (the SQL each step will run)',
        );
        ctx.renderer.info(
          '      npx tidemark run plans/example.plan.ts --embedded .tidemark/pg    (run it on an embedded PostgreSQL kept in .tidemark/pg)',
        );
        ctx.renderer.info(
          '      npx tidemark report plans/example.plan.ts --embedded .tidemark/pg --out example-report.html',
        );
        return 0;
      }),
    );
}
