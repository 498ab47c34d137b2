/**
 * `tidemark init`: scaffold `tidemark.config.ts` and `plans/example.plan.ts` in the working
 * directory, never overwriting a file that exists. The example runs as written, against
 * `--embedded` or any database: it creates its own sample table, then walks all four phases.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
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

/** The scaffolded `plans/example.plan.ts`: a whole wave on a sample table it creates itself. */
export const EXAMPLE_PLAN = `import { definePlan, sql, op, backfill, check } from 'tidemark';

// Try it: npx tidemark run plans/example.plan.ts --embedded .tidemark/pg
export default definePlan({
  id: 'example',
  title: 'Split customers.full_name into display_name',
  expand: [
    // Stands in for a table your application already has.
    sql({
      id: 'sample-customers',
      up: [
        'CREATE TABLE IF NOT EXISTS customers (id bigint PRIMARY KEY, full_name text NOT NULL)',
        "INSERT INTO customers SELECT g, 'Customer ' || g FROM generate_series(1, 10000) g ON CONFLICT DO NOTHING",
      ],
      down: 'DROP TABLE customers',
    }),
    op.addColumn({ id: 'add-display-name', table: 'customers', column: 'display_name', type: 'text' }),
  ],
  backfill: [
    backfill.update({
      id: 'fill-display-name',
      table: 'customers',
      set: { display_name: 'initcap(full_name)' },
      where: 'display_name IS NULL',
    }),
  ],
  validate: [
    check.noNulls({ id: 'display-name-filled', table: 'customers', column: 'display_name' }),
    // On a table your application already has, \`unchanged: true\` compares with a count taken before the first step.
    check.rowCount({ id: 'customers-count', table: 'customers', equals: 10000 }),
  ],
  contract: [op.setNotNull({ id: 'display-name-not-null', table: 'customers', column: 'display_name' })],
});
`;

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
