/**
 * `tidemark import prisma|drizzle|sql <path> [--out FILE] [--id PLAN_ID] [--records TOOL:MIGRATION]…`:
 * an ORM's migration SQL → a plan file of safe operations. Prints what it mapped, what it left as
 * SQL and why, the ORM records the plan carries, and the lint findings of the plan. Connects to a
 * database only when `--database-url` is given (then imports only what the ORM has not applied).
 * See docs/import.md.
 */
import type { Command } from 'commander';
import pc from 'picocolors';
import { UsageError } from '../../model/errors.js';
import { action } from '../action.js';
import { collect } from './collect.js';

const TOOLS = ['prisma', 'drizzle', 'sql'] as const;

export function registerImport(program: Command): void {
  program
    .command('import')
    .argument('<tool>', 'prisma | drizzle | sql')
    .argument(
      '<path>',
      'Prisma: a migration folder, migration.sql or the migrations dir; drizzle: the out folder or a .sql; sql: a .sql file',
    )
    .description("write a plan of safe operations from an ORM's migration SQL (Prisma, drizzle-kit, Alembic --sql, …)")
    .option('--out <file>', 'the plan file to write (default plans/<id>.plan.ts; folders are created)')
    .option('--id <planId>', 'the plan id (default: from the migration names)')
    .option(
      '--records <tool:migration>',
      'import sql: an ORM migration the plan covers (repeatable), e.g. alembic:20260214_0002',
      collect,
      [],
    )
    .option('--force', 'overwrite the plan file when it exists')
    .action(
      action<{ out?: string; id?: string; records?: string[]; force?: boolean }>(async (ctx, [tool, path], flags) => {
        if (!(TOOLS as readonly string[]).includes(tool))
          throw new UsageError(
            `import: unknown tool "${tool}"`,
            `Use one of ${TOOLS.join(', ')} (Alembic and others: import sql).`,
          );
        const [{ importMigrations }, { render }] = await Promise.all([
          import('../../import/import.js'),
          import('../../lint/index.js'),
        ]);
        const r = await importMigrations({
          tool: tool as (typeof TOOLS)[number],
          path,
          out: flags.out,
          id: flags.id,
          records: flags.records ?? [],
          databaseUrl: flags.databaseUrl,
          force: flags.force,
        });
        const c = ctx.renderer.color ? pc : pc.createColors(false);
        const counts = { mapped: 0, sql: 0, scaffolding: 0 };
        for (const o of r.outcomes) counts[o.result]++;
        ctx.renderer.json({
          type: 'import',
          file: r.file,
          planId: r.planId,
          migrations: r.migrations,
          applied: r.applied,
          records: r.records,
          counts,
          outcomes: r.outcomes.map((o) => ({
            migration: o.migration,
            line: o.line,
            result: o.result,
            steps: o.steps.map((s) => s.builder),
            reason: o.reason,
            sql: o.sql,
          })),
          lint: r.lint && { counts: r.lint.counts, findings: r.lint.findings },
        });
        if (r.applied.length) ctx.renderer.print(c.dim(`already applied (left out): ${r.applied.join(', ')}`));
        if (!r.file) {
          ctx.renderer.print('nothing to import: every migration is applied');
          return 0;
        }
        let current = '';
        for (const o of r.outcomes) {
          if (o.migration !== current) {
            current = o.migration;
            ctx.renderer.print(c.bold(`\n${current}`));
          }
          const first = o.sql.split('\n')[0].slice(0, 90);
          const builders = [...new Set(o.steps.map((s) => s.builder))].join(', ');
          if (o.result === 'mapped') ctx.renderer.print(`  ${c.green('✓')} ${o.line}: ${first}\n      → ${builders}`);
          else if (o.result === 'sql')
            ctx.renderer.print(
              `  ${c.yellow('•')} ${o.line}: ${first}\n      ${builders === 'sql' ? 'kept as sql' : `→ ${builders}`}: ${o.reason}`,
            );
          else ctx.renderer.print(c.dim(`  · ${o.line}: ${first}\n      dropped: ${o.reason}`));
        }
        ctx.renderer.print(
          `\n${c.bold(`wrote ${r.file}`)} (plan "${r.planId}"): ${counts.mapped} statement(s) mapped to operations, ${counts.sql} kept as sql, ${counts.scaffolding} scaffolding dropped`,
        );
        if (r.records.length)
          ctx.renderer.print(`records: ${r.records.map((x) => `${x.tool}:${x.migration}`).join(', ')}`);
        if (r.lint) {
          const text = render(r.lint, 'tty', { color: ctx.renderer.color });
          if (text.trim()) ctx.renderer.print(`\nlint:\n${text.trimEnd()}`);
          if (r.lint.exitCode)
            ctx.renderer.print(
              c.yellow(
                '\n`tidemark run` refuses raw sql with error-level findings: rewrite those steps, or suppress a finding you have checked (docs/lint.md).',
              ),
            );
        }
        return 0;
      }),
    );
}
