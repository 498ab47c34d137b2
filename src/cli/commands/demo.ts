/**
 * `tidemark demo [--rows N] [--keep DIR]`: an embedded PostgreSQL, the seed-000 sample schema with N
 * messages, and `examples/wave1.plan.ts` run through all four phases with live progress; then the
 * proof, a summary, a second run that is a no-op, and the report files.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import pc from 'picocolors';
import { UsageError } from '../../model/errors.js';
import type { RunResult } from '../../runner/result.js';
import { action } from '../action.js';
import { positiveInt } from './collect.js';

/** The example plan shipped with Tidemark. */
export function examplePlanPath(): string {
  for (const p of ['../../../examples/wave1.plan.ts', '../../examples/wave1.plan.ts']) {
    const f = fileURLToPath(new URL(p, import.meta.url));
    if (existsSync(f)) return f;
  }
  throw new Error('examples/wave1.plan.ts is missing from this installation');
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run a whole wave end to end on an embedded PostgreSQL with sample data')
    .option('--rows <n>', 'number of messages in the sample data', positiveInt, 200_000)
    .option('--keep <dir>', 'keep the database directory (and reuse it on the next demo)')
    .action(
      action<{ rows: number; keep?: string }>(async (ctx, _args, flags) => {
        if (flags.rows < 10) throw new UsageError('--rows must be at least 10');
        const [
          { Db },
          { startEmbedded },
          { demoSizes, seedDemo },
          { loadPlan },
          { writeReportFiles },
          { runPlan },
          { demoSummary },
          { ledgerSchemaOf },
        ] = await Promise.all([
          import('../../db/connection.js'),
          import('../../db/embedded.js'),
          import('../../demo/seed.js'),
          import('../../plan/load.js'),
          import('../../report/write-files.js'),
          import('../../runner/run.js'),
          import('./demo-summary.js'),
          import('../../ledger/open.js'),
        ]);
        const r = ctx.renderer;
        const c = r.color ? pc : pc.createColors(false);
        const plan = await loadPlan(examplePlanPath());
        r.info(c.bold('Tidemark demo') + c.dim(` — seed 000's wave 1 on an embedded PostgreSQL`));
        const started = performance.now();
        const server = await startEmbedded({ dir: flags.keep });
        try {
          const url = await server.ensureDatabase('tidemark_demo');
          const db = new Db(url, { applicationName: 'tidemark:demo', max: 2 });
          try {
            const version = (await db.rows<{ v: string }>(`SELECT current_setting('server_version') AS v`))[0].v;
            r.info(
              `PostgreSQL ${version} on 127.0.0.1:${server.port} (data in ${server.dir}${server.persistent ? ', kept' : ', removed at exit'})`,
            );
            const seeded = (await db.rows<{ r: string | null }>(`SELECT to_regclass('"Message"') AS r`))[0].r;
            if (!seeded) {
              const n = demoSizes(flags.rows);
              r.info(
                `loading sample data: ${n.agents} agents, ${n.contacts.toLocaleString('en-US')} contacts, ${n.conversations.toLocaleString('en-US')} conversations, ${n.messages.toLocaleString('en-US')} messages…`,
              );
              const t = performance.now();
              await seedDemo(db, flags.rows, (table, rows) =>
                r.info(c.dim(`  ${table}: ${rows.toLocaleString('en-US')} rows`)),
              );
              r.info(c.dim(`  loaded in ${((performance.now() - t) / 1000).toFixed(1)} s`));
            } else {
              r.info('sample data already loaded (kept directory): resuming the wave');
            }
          } finally {
            await db.close();
          }
          const options = { databaseUrl: url, ledgerSchema: ctx.opts.ledgerSchema, config: ctx.config, events: r.sink };
          r.info('');
          const first: RunResult = await runPlan(plan, options);
          r.result(first);
          if (first.exitCode !== 0) return first.exitCode;
          r.info('');
          r.info(c.bold('Running the plan again (it must be a no-op):'));
          const second = await runPlan(plan, { ...options, events: () => undefined });
          r.info(
            second.status === 'nothing'
              ? `${c.green('✔')} second run: nothing to do, every step is recorded as applied`
              : `second run: ${second.status}`,
          );
          r.info('');
          for (const line of await demoSummary(
            url,
            plan,
            first,
            ledgerSchemaOf({ ledgerSchema: ctx.opts.ledgerSchema, config: ctx.config }),
          ))
            r.info(line);
          const files = await writeReportFiles({
            databaseUrl: url,
            ledgerSchema: ctx.opts.ledgerSchema ?? ctx.config.ledgerSchema,
            plan,
            dir: process.cwd(),
            basename: 'tidemark-report',
            config: ctx.config,
          });
          r.info('');
          r.info(`The wave's summary, written from the ledger:\n  ${files.md}\n  ${files.html}\n  ${files.json}`);
          r.json({ type: 'reports', ...files });
          r.info(c.dim(`\ndemo finished in ${((performance.now() - started) / 1000).toFixed(1)} s`));
          if (flags.keep)
            r.info(c.dim(`the database is kept in ${server.dir}; rerun with --keep ${flags.keep} to reuse it`));
          return second.exitCode;
        } finally {
          await server.stop();
        }
      }),
    );
}
