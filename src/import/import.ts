/**
 * `tidemark import prisma|drizzle|sql`: an ORM's migration SQL → a Tidemark plan file. Reads the
 * migrations (given a database, only those the ORM has not applied), maps each statement to the
 * safe operation that does the same, places the steps in phases, writes the plan with the ORM
 * records it covers, checks it loads as `tidemark plan` loads it, and lints it. Returns what it did;
 * the CLI prints it. See docs/import.md.
 */
import { existsSync, mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { type LintResult, lint } from '../lint/index.js';
import { PlanInvalidError, UsageError } from '../model/errors.js';
import { op } from '../plan/define.js';
import { loadPlan } from '../plan/load.js';
import { ensureParser } from '../sql/parse.js';
import { unappliedDrizzle, unappliedPrisma } from './applied.js';
import { type AlembicMove, mapScript, sqlStep } from './map-script.js';
import type { ImportedStep, ImportTool, MigrationRecord, SourceMigration, StatementOutcome } from './model.js';
import { kebab } from './names.js';
import { placeSteps } from './order.js';
import { alembicRecords, parseRecordFlags, relativeDir } from './records.js';
import { renderPlan } from './render.js';
import { drizzleMigrations, prismaMigrations, sqlMigration } from './sources.js';

/** Options of {@link importMigrations}. */
export interface ImportOptions {
  tool: ImportTool;
  path: string;
  /** The plan file to write (default `plans/<id>.plan.ts` under `cwd`). */
  out?: string;
  id?: string;
  /** `--records TOOL:MIGRATION` values (`import sql`). */
  records?: string[];
  /** Given: import only what the ORM's history lacks. */
  databaseUrl?: string;
  /** Overwrite an existing plan file. */
  force?: boolean;
  cwd?: string;
}

/** What an import did. */
export interface ImportResult {
  /** The plan file written; absent when there was nothing to import. */
  file?: string;
  planId?: string;
  /** Migrations imported, in order. */
  migrations: string[];
  /** Migrations the database's history shows applied, left out. */
  applied: string[];
  outcomes: StatementOutcome[];
  records: MigrationRecord[];
  lint?: LintResult;
}

/** Which builders this Tidemark has: `op.changeType` and the renames are newer than some plans. */
function available(builder: string): boolean {
  const [ns, name] = builder.split('.');
  return ns !== 'op' || name in op;
}

async function readSources(o: ImportOptions): Promise<{ migrations: SourceMigration[]; applied: string[] }> {
  if (o.tool === 'prisma') {
    const { migrations, dir } = prismaMigrations(o.path);
    if (!o.databaseUrl || !dir) return { migrations, applied: [] };
    const left = await unappliedPrisma(o.databaseUrl, migrations);
    return { migrations: left, applied: migrations.filter((m) => !left.includes(m)).map((m) => m.name) };
  }
  if (o.tool === 'drizzle') {
    const { migrations, dir } = drizzleMigrations(o.path);
    if (!o.databaseUrl || !dir) return { migrations, applied: [] };
    const left = await unappliedDrizzle(o.databaseUrl, migrations);
    return { migrations: left, applied: migrations.filter((m) => !left.includes(m)).map((m) => m.name) };
  }
  return { migrations: [sqlMigration(o.path)], applied: [] };
}

/** Prisma's warnings block (`/* Warnings: … *\/`), one note per warning. */
function prismaWarnings(m: SourceMigration): string[] {
  const block = /\/\*\s*Warnings:([\s\S]*?)\*\//.exec(m.sql);
  if (!block) return [];
  return block[1]
    .split(/\n\s*-\s+/)
    .map((w) => w.replace(/\s+/g, ' ').trim())
    .filter(Boolean)
    .map((w) => `Prisma warned (${m.name}): ${w}`);
}

/** Import, write the plan, check it loads, lint it. */
export async function importMigrations(o: ImportOptions): Promise<ImportResult> {
  const cwd = o.cwd ?? process.cwd();
  const given = parseRecordFlags(o.records ?? []);
  if (given.length && o.tool !== 'sql')
    throw new UsageError(`import ${o.tool}: --records is for import sql; ${o.tool} records come from its migrations`);
  await ensureParser();
  const { migrations, applied } = await readSources({ ...o, path: resolve(cwd, o.path) });
  if (!migrations.length) return { migrations: [], applied, outcomes: [], records: [] };

  const outcomes: StatementOutcome[] = [];
  const moves: AlembicMove[] = [];
  const state = { enums: new Set<string>() };
  for (const m of migrations) {
    const r = mapScript(m, available, state);
    outcomes.push(...r.outcomes);
    moves.push(...r.alembic);
  }
  const names = migrations.map((m) => m.name);
  const planId = o.id ?? kebab(names.length === 1 ? names[0] : `${names[0]}-to-${names[names.length - 1]}`);
  const file = resolve(cwd, o.out ?? join('plans', `${planId}.plan.ts`));
  if (existsSync(file) && !o.force)
    throw new UsageError(`import: ${file} exists`, 'Give another --out, or --force to overwrite it.');

  let records: MigrationRecord[] = migrations.flatMap((m) => (m.record ? [m.record] : []));
  if (o.tool === 'sql')
    records = [
      ...alembicRecords(
        given.filter((r) => r.tool === 'alembic'),
        moves,
      ),
      ...given.filter((r) => r.tool !== 'alembic'),
    ];
  records = records.map((r) => relativeDir(r, dirname(file)));
  const tool = o.tool;
  const origin = `Written by \`tidemark import ${tool}\` from ${migrations.map((m) => relative(dirname(file), m.file)).join(', ')}. Review it before running: each raw sql step says why no operation took its statement (docs/import.md).`;
  const notes = migrations.flatMap(prismaWarnings);

  mkdirSync(dirname(file), { recursive: true });
  // A step an operation refuses at validation (a type it cannot add, say) goes back to the SQL
  // its statement was: the plan always loads, and the refusal is the comment.
  for (let attempt = 0; ; attempt++) {
    const steps: ImportedStep[] = outcomes.flatMap((oc, i) => oc.steps.map((s) => ({ ...s, origin: i })));
    const phases = placeSteps(steps);
    const text = renderPlan({
      id: planId,
      title: `Imported from ${tool === 'sql' ? 'SQL' : tool}: ${names.join(', ')}`,
      origin,
      phases,
      records,
      notes,
    });
    writeFileSync(file, text);
    try {
      await loadPlan(file);
      break;
    } catch (e) {
      if (!(e instanceof PlanInvalidError) || attempt > 3) {
        if (!o.force) unlinkSync(file);
        throw e;
      }
      const ids = new Set(e.issues.map((i) => i.stepId).filter(Boolean));
      const all = [...phases.expand, ...phases.backfill, ...phases.validate, ...phases.contract];
      const bad = new Set<number>();
      const idOf = idsOf(text);
      all.forEach((s, i) => {
        if (ids.has(idOf[i]) && s.origin !== undefined) bad.add(s.origin);
      });
      if (!bad.size) {
        unlinkSync(file);
        throw e;
      }
      for (const i of bad) {
        const oc = outcomes[i];
        const why = e.issues
          .filter((x) => x.stepId && all.some((s, k) => s.origin === i && idOf[k] === x.stepId))
          .map((x) => `${x.field ? `${x.field} ` : ''}${x.message}`)
          .join('; ');
        const reason = `the operation refused it (${why}): kept as written`;
        const phase = oc.steps.some((s) => s.phase === 'contract') ? 'contract' : 'expand';
        outcomes[i] = { ...oc, result: 'sql', reason, steps: [sqlStep(oc.sql, phase, reason)] };
      }
    }
  }
  const result = await lint([file], { cwd });
  return {
    file,
    planId,
    migrations: names,
    applied,
    outcomes,
    records,
    lint: result,
  };
}

/** The step ids of a rendered plan, in order. */
function idsOf(text: string): string[] {
  return [...text.matchAll(/^ {4}[\w.]+\(\{\s*id: '([^']+)'/gm)].map((m) => m[1]);
}
