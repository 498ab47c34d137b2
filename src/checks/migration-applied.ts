/**
 * `check.migrationApplied({ id, tool, name, dir? })` — passes when another tool's migration (or a
 * Tidemark plan) has been applied to this database. Each tool keeps its own history:
 *
 * - `prisma`: a `_prisma_migrations` row named `name` (or `<timestamp>_…` when `name` is the
 *   timestamp) that finished and was not rolled back.
 * - `alembic`: `name` is a current head in `alembic_version`, or — when `dir` gives the versions
 *   folder — an ancestor of one, read from the `revision` / `down_revision` of its `.py` files.
 * - `drizzle`: drizzle-kit v1 records the migration's `name`; v0 records only the journal entry's
 *   `when` as `created_at`, so `dir` (the migrations folder, holding `meta/_journal.json`) is needed.
 * - `tidemark`: a plan with id `name` completed, in this database's ledger.
 *
 * `dir` is relative to the plan file. On failure the sample shows what the history holds (the
 * entry for `name`, or the latest entries). See docs/checks/migration-applied.md.
 */
import { z } from 'zod';
import { common, severity } from '../kind/fields.js';
import type { CheckKind, CheckResult, Description, ReadContext } from '../kind/step-kind.js';
import { ledgerPlansTable, planCompletionSql, readPlanCompletion } from '../ledger/plan-completion.js';
import { onlyWhenItFails, readAction } from './describe.js';
import { alembicAncestors, drizzleJournalEntry, resolveDir } from './migration-files.js';

/** The options of `check.migrationApplied`, as a plan writes them (zod). */
export const schema = z
  .object({
    ...common,
    severity: severity.optional(),
    tool: z.enum(['prisma', 'alembic', 'drizzle', 'tidemark']),
    name: z.string().min(1),
    dir: z.string().min(1).optional(),
  })
  .strict();

/** Validated options of `check.migrationApplied`. */
export type Options = z.infer<typeof schema>;
/** Options of `check.migrationApplied` as the builder accepts them. */
export type Input = z.input<typeof schema>;

/** How many history entries a failure shows. */
const CONTEXT_ROWS = 5;

const fail = (actual: string, message: string, sample: Record<string, unknown>[] = []): CheckResult => ({
  status: 'fail',
  actual,
  expected: 'applied',
  sample,
  message,
});

/** True when the (possibly qualified) table exists. */
async function exists(ctx: ReadContext, table: string): Promise<boolean> {
  return (await ctx.db.rows<{ r: string | null }>(`SELECT to_regclass($1)::text AS r`, [table]))[0].r !== null;
}

/** The main statement of each tool (its parameter is the migration's name), shared by `evaluate` and `describe`. */
const PRISMA_ROWS = `SELECT migration_name, started_at, finished_at, rolled_back_at FROM _prisma_migrations
      WHERE migration_name = $1 OR ($1 ~ '^[0-9]+$' AND migration_name LIKE $1 || '\\_%') ORDER BY started_at`;
const ALEMBIC_HEADS = `SELECT version_num AS v FROM alembic_version ORDER BY 1`;
const DRIZZLE_TABLE = '"drizzle"."__drizzle_migrations"';
const DRIZZLE_BY_NAME = `SELECT name FROM ${DRIZZLE_TABLE} WHERE name = $1 OR name LIKE '%\\_' || $1 ORDER BY id LIMIT 1`;
const DRIZZLE_BY_WHEN = `SELECT id FROM ${DRIZZLE_TABLE} WHERE created_at::numeric = $1::numeric LIMIT 1`;

/** True when drizzle-kit records names (v1), false for v0 (journal timestamps only). */
async function drizzleHasName(ctx: ReadContext): Promise<boolean> {
  return (
    (
      await ctx.db.rows(
        `SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'name' AND NOT attisdropped`,
        [DRIZZLE_TABLE],
      )
    ).length > 0
  );
}

async function prisma(ctx: ReadContext, o: Options): Promise<CheckResult> {
  if (!(await exists(ctx, '_prisma_migrations')))
    return fail(
      'no _prisma_migrations table',
      'Prisma Migrate has not run on this database (no _prisma_migrations table on the search_path)',
    );
  const rows = await ctx.db.rows<{
    migration_name: string;
    started_at: Date;
    finished_at: Date | null;
    rolled_back_at: Date | null;
  }>(PRISMA_ROWS, [o.name]);
  const ok = rows.find((r) => r.finished_at !== null && r.rolled_back_at === null);
  if (ok)
    return { status: 'pass', actual: `applied ${ok.finished_at!.toISOString()}`, expected: 'applied', sample: [] };
  if (rows.length) {
    const last = rows[rows.length - 1];
    const state = last.rolled_back_at ? 'rolled back' : 'started but not finished (failed)';
    return fail(state, `Prisma migration "${last.migration_name}" was ${state}`, rows);
  }
  const latest = await ctx.db.rows(
    `SELECT migration_name, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY started_at DESC LIMIT ${CONTEXT_ROWS}`,
  );
  return fail('not applied', `no Prisma migration named "${o.name}" in _prisma_migrations`, latest);
}

async function alembic(ctx: ReadContext, o: Options): Promise<CheckResult> {
  if (!(await exists(ctx, 'alembic_version')))
    return fail(
      'no alembic_version table',
      'Alembic has not run on this database (no alembic_version table on the search_path)',
    );
  const heads = (await ctx.db.rows<{ v: string }>(ALEMBIC_HEADS)).map((r) => r.v);
  if (heads.includes(o.name))
    return { status: 'pass', actual: `current head ${o.name}`, expected: 'applied', sample: [] };
  const sample = heads.map((h) => ({ version_num: h }));
  if (!o.dir)
    return fail(
      `not a current head (heads: ${heads.join(', ') || 'none'})`,
      `"${o.name}" is not a current Alembic head; give dir (the versions folder) to accept an ancestor of a head`,
      sample,
    );
  const { ancestors, unknownHeads } = alembicAncestors(resolveDir(ctx.plan.dir, o.dir), heads);
  for (const [head, set] of ancestors)
    if (set.has(o.name)) return { status: 'pass', actual: `ancestor of head ${head}`, expected: 'applied', sample: [] };
  const note = unknownHeads.length ? ` (head(s) ${unknownHeads.join(', ')} not found in ${o.dir})` : '';
  return fail(
    `not applied (heads: ${heads.join(', ') || 'none'})`,
    `"${o.name}" is neither a current Alembic head nor an ancestor of one${note}`,
    sample,
  );
}

async function drizzle(ctx: ReadContext, o: Options): Promise<CheckResult> {
  const table = DRIZZLE_TABLE;
  if (!(await exists(ctx, table)))
    return fail(
      'no drizzle.__drizzle_migrations table',
      'Drizzle migrations have not run on this database (no drizzle.__drizzle_migrations table)',
    );
  const hasName = await drizzleHasName(ctx);
  if (hasName) {
    const r = await ctx.db.rows<{ name: string }>(DRIZZLE_BY_NAME, [o.name]);
    if (r.length) return { status: 'pass', actual: `applied as ${r[0].name}`, expected: 'applied', sample: [] };
  }
  const latest = await ctx.db.rows(
    `SELECT id, ${hasName ? 'name, ' : ''}created_at FROM ${table} ORDER BY id DESC LIMIT ${CONTEXT_ROWS}`,
  );
  if (!o.dir)
    return fail(
      'not applied',
      hasName
        ? `no Drizzle migration named "${o.name}"; give dir to match older entries by journal timestamp`
        : `drizzle-kit v0 records no names: give dir (the migrations folder with meta/_journal.json) to find "${o.name}" by its journal timestamp`,
      latest,
    );
  const entry = drizzleJournalEntry(resolveDir(ctx.plan.dir, o.dir), o.name);
  if (!entry) return fail('not in the journal', `no entry "${o.name}" in ${o.dir}/meta/_journal.json`, latest);
  const r = await ctx.db.rows(DRIZZLE_BY_WHEN, [entry.when]);
  if (r.length)
    return { status: 'pass', actual: `applied (${entry.tag}, when ${entry.when})`, expected: 'applied', sample: [] };
  return fail(
    'not applied',
    `Drizzle migration "${entry.tag}" (journal when ${entry.when}) has no row in drizzle.__drizzle_migrations`,
    latest,
  );
}

async function tidemark(ctx: ReadContext, o: Options): Promise<CheckResult> {
  if (!(await exists(ctx, ledgerPlansTable(ctx.ledgerSchema))))
    return fail(
      'no ledger',
      `no Tidemark ledger (schema "${ctx.ledgerSchema}") in this database, so plan "${o.name}" has not run here`,
    );
  const r = await readPlanCompletion(ctx.db, ctx.ledgerSchema, o.name);
  if (!r) return fail('never run', `plan "${o.name}" has never run on this database`);
  if (r.status === 'completed')
    return {
      status: 'pass',
      actual: `completed${r.completed_at ? ` ${r.completed_at.toISOString()}` : ''}`,
      expected: 'applied',
      sample: [],
    };
  return fail(r.status, `plan "${o.name}" is ${r.status}, not completed`, [{ plan_id: o.name, status: r.status }]);
}

/** The query the check runs for its tool, or a note when the history it reads is not there (the check then fails). */
async function describe(ctx: ReadContext, o: Options): Promise<Description> {
  const absent = (what: string): Description => ({
    actions: [],
    notes: [`${what} (yet): evaluated now, the check fails`],
  });
  const latest = onlyWhenItFails(`the latest ${CONTEXT_ROWS} entries of the history`);
  switch (o.tool) {
    case 'prisma':
      if (!(await exists(ctx, '_prisma_migrations'))) return absent('no _prisma_migrations table on the search_path');
      return { actions: [readAction(PRISMA_ROWS, [o.name])], notes: [latest] };
    case 'alembic':
      if (!(await exists(ctx, 'alembic_version'))) return absent('no alembic_version table on the search_path');
      return {
        actions: [readAction(ALEMBIC_HEADS)],
        notes: [
          o.dir
            ? `"${o.name}" passes as a current head, or as an ancestor of one read from the revisions in ${o.dir}`
            : `"${o.name}" passes only as a current head (no dir given)`,
        ],
      };
    case 'drizzle': {
      if (!(await exists(ctx, DRIZZLE_TABLE))) return absent(`no ${DRIZZLE_TABLE} table`);
      const actions = (await drizzleHasName(ctx)) ? [readAction(DRIZZLE_BY_NAME, [o.name])] : [];
      const notes: string[] = [];
      if (o.dir) {
        let entry: ReturnType<typeof drizzleJournalEntry>;
        try {
          entry = drizzleJournalEntry(resolveDir(ctx.plan.dir, o.dir), o.name);
        } catch (e) {
          return { actions, notes: [`${(e as Error).message}: unless found by name, the check could not run`] };
        }
        if (entry)
          actions.push(
            readAction(
              DRIZZLE_BY_WHEN,
              [entry.when],
              actions.length
                ? `read-only; only when not found by name (journal entry ${entry.tag})`
                : `read-only; journal entry ${entry.tag}`,
            ),
          );
        else notes.push(`no entry "${o.name}" in ${o.dir}/meta/_journal.json: the check fails unless found by name`);
      } else if (!actions.length) notes.push('drizzle-kit v0 records no names and no dir is given: the check fails');
      return { actions, notes: [...notes, latest] };
    }
    case 'tidemark': {
      if (!(await exists(ctx, ledgerPlansTable(ctx.ledgerSchema))))
        return absent(`no Tidemark ledger (schema "${ctx.ledgerSchema}") in this database`);
      return { actions: [readAction(planCompletionSql(ctx.ledgerSchema), [o.name])] };
    }
  }
}

/** The `check.migrationApplied` kind. */
export const kind = {
  kind: 'check.migrationApplied',
  category: 'check',
  schema,
  phases: ['preconditions', 'validate'],
  validate(o) {
    if (o.dir && (o.tool === 'prisma' || o.tool === 'tidemark'))
      return [
        { field: 'dir', message: `is not used with tool "${o.tool}" (only alembic and drizzle read migration files)` },
      ];
    return [];
  },
  describe,
  async evaluate(ctx, o) {
    switch (o.tool) {
      case 'prisma':
        return prisma(ctx, o);
      case 'alembic':
        return alembic(ctx, o);
      case 'drizzle':
        return drizzle(ctx, o);
      case 'tidemark':
        return tidemark(ctx, o);
    }
  },
} satisfies CheckKind<Options>;
