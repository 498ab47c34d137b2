/**
 * `definePlan({ records })`: the ORM migrations a plan covers, validated and resolved when the plan
 * is loaded — Prisma's checksum of `migration.sql`, drizzle's hash and journal timestamp, Alembic's
 * down revision — so a bad record is bad input (exit 2) before anything is written, and the run only
 * writes rows. See docs/orm-records.md.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { type JournalEntry, readAlembicRevisions, resolveDir } from '../checks/migration-files.js';
import { ORM_TOOLS, type OrmRecord, type PlanIssue, type PlannedStep } from '../model/plan.js';

const recordSchema = z
  .object({
    tool: z.enum(ORM_TOOLS),
    migration: z.string().min(1, 'is required: the migration this plan covers'),
    dir: z.string().min(1).optional(),
    /** Alembic only: the down revision, as the offline SQL showed it (null: a first revision). */
    downRevision: z.string().min(1).nullable().optional(),
  })
  .strict();

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

const isFile = (p: string) => existsSync(p) && statSync(p).isFile();
const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

/** Validate and resolve `records`; problems are pushed onto `issues` (field `records[i].…`). */
export function resolveOrmRecords(
  raw: unknown,
  planDir: string,
  steps: readonly PlannedStep[],
  issues: PlanIssue[],
): OrmRecord[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    issues.push({ field: 'records', message: 'must be an array of { tool, migration, dir? }' });
    return [];
  }
  const out: OrmRecord[] = [];
  const seen = new Set<string>();
  raw.forEach((item, i) => {
    const at = `records[${i}]`;
    const parsed = recordSchema.safeParse(item);
    if (!parsed.success) {
      for (const iss of parsed.error.issues) {
        const field = iss.path.length ? `${at}.${iss.path.join('.')}` : at;
        const message = iss.path[0] === 'tool' ? `must be one of ${ORM_TOOLS.join(', ')}` : iss.message;
        issues.push({ field, message });
      }
      return;
    }
    const r = parsed.data;
    const key = `${r.tool}:${r.migration}`;
    if (seen.has(key)) issues.push({ field: at, message: `duplicate record ${key}` });
    seen.add(key);
    if (r.downRevision !== undefined && r.tool !== 'alembic') {
      issues.push({ field: `${at}.downRevision`, message: 'is only for alembic records' });
      return;
    }
    if (r.downRevision !== undefined) {
      out.push({ tool: 'alembic', migration: r.migration, down: r.downRevision });
      return;
    }
    try {
      if (r.tool === 'prisma') out.push(prisma(r.migration, planDir, r.dir));
      else if (r.tool === 'drizzle') out.push(drizzle(r.migration, planDir, r.dir));
      else out.push(alembic(r.migration, planDir, r.dir, steps));
    } catch (e) {
      issues.push({ field: `${at}.dir`, message: (e as Error).message });
    }
  });
  return out;
}

/**
 * Prisma's checksum: the sha256 of `migration.sql`'s bytes, as lowercase hex (prisma-engines,
 * `schema-engine/connectors/schema-connector/src/checksum.rs`; docs/decisions.md).
 */
function prisma(migration: string, planDir: string, dir?: string): OrmRecord {
  const base = resolveDir(planDir, dir ?? 'prisma/migrations');
  const candidates = base.endsWith('.sql')
    ? [base]
    : [join(base, migration, 'migration.sql'), ...(basename(base) === migration ? [join(base, 'migration.sql')] : [])];
  const file = candidates.find(isFile);
  if (!file)
    throw new Error(
      `migration.sql of Prisma migration "${migration}" not found (looked for ${candidates.join(', ')}); dir is the migrations folder`,
    );
  return { tool: 'prisma', migration, checksum: sha256Hex(readFileSync(file)) };
}

/**
 * drizzle-orm's migrator (`migrator.js`, `readMigrationFiles`): `hash` is the sha256 of the SQL file
 * read as a string; `created_at` is the journal entry's `when`.
 */
function drizzle(migration: string, planDir: string, dir?: string): OrmRecord {
  const folder = resolveDir(planDir, dir ?? 'drizzle');
  const journal = join(folder, 'meta', '_journal.json');
  if (!isFile(journal)) throw new Error(`drizzle journal ${journal} not found; dir is drizzle-kit's out folder`);
  const entries = (JSON.parse(readFileSync(journal, 'utf8')) as { entries?: JournalEntry[] }).entries ?? [];
  const entry =
    entries.find((e) => e.tag === migration) ??
    entries.find((e) => e.tag.startsWith(`${migration}_`)) ??
    entries.find((e) => e.tag.endsWith(`_${migration}`));
  if (!entry) throw new Error(`no entry "${migration}" in ${journal}`);
  const file = join(folder, `${entry.tag}.sql`);
  if (!isFile(file)) throw new Error(`drizzle migration file ${file} not found`);
  return {
    tool: 'drizzle',
    migration: entry.tag,
    hash: sha256Hex(readFileSync(file).toString()),
    createdAt: entry.when,
    earlier: entries.filter((e) => e.idx < entry.idx).map((e) => ({ tag: e.tag, when: e.when })),
  };
}

/** What `alembic upgrade … --sql` writes for each revision: an INSERT for the first, an UPDATE after. */
const ALEMBIC_UPDATE =
  /UPDATE\s+(?:[\w"]+\.)?"?alembic_version"?\s+SET\s+"?version_num"?\s*=\s*'([^']+)'\s+WHERE\s+(?:[\w"]+\.)?"?version_num"?\s*=\s*'([^']+)'/gi;
const ALEMBIC_INSERT =
  /INSERT\s+INTO\s+(?:[\w"]+\.)?"?alembic_version"?\s*\(\s*"?version_num"?\s*\)\s*VALUES\s*\(\s*'([^']+)'\s*\)/gi;

/** The down revision of `migration` in an offline SQL script: a string, null (first revision), or undefined (not there). */
export function alembicDownInSql(sql: string, migration: string): string | null | undefined {
  for (const m of sql.matchAll(ALEMBIC_UPDATE)) if (m[1] === migration) return m[2];
  for (const m of sql.matchAll(ALEMBIC_INSERT)) if (m[1] === migration) return null;
  return undefined;
}

/**
 * Alembic's down revision (when `downRevision` does not give it): from the revision file in `dir` (a
 * versions folder), from offline SQL (`dir` a `.sql` file, or `.sql` files in `dir`), or from the
 * plan's own `sql` steps.
 */
function alembic(
  migration: string,
  planDir: string,
  dir: string | undefined,
  steps: readonly PlannedStep[],
): OrmRecord {
  const texts: string[] = [];
  if (dir) {
    const p = resolveDir(planDir, dir);
    if (isFile(p)) texts.push(readFileSync(p, 'utf8'));
    else if (isDir(p)) {
      const rev = readAlembicRevisions(p).get(migration);
      if (rev) {
        if (rev.parents.length > 1)
          throw new Error(
            `Alembic revision "${migration}" is a merge (down revisions ${rev.parents.join(', ')}): Tidemark records one down revision`,
          );
        return { tool: 'alembic', migration, down: rev.parents[0] ?? null };
      }
      for (const f of readdirSync(p).sort())
        if (f.endsWith('.sql') && isFile(join(p, f))) texts.push(readFileSync(join(p, f), 'utf8'));
    } else throw new Error(`${p} does not exist (dir: the Alembic versions folder, or the offline SQL file)`);
  }
  for (const st of steps)
    if (st.kind === 'sql')
      for (const f of ['up', 'down'] as const) {
        const v = st.options[f] as string | string[] | undefined;
        if (v) texts.push(...(Array.isArray(v) ? v : [v]));
      }
  for (const t of texts) {
    const down = alembicDownInSql(t, migration);
    if (down !== undefined) return { tool: 'alembic', migration, down };
  }
  throw new Error(
    `the down revision of Alembic revision "${migration}" is unknown: give dir (the versions folder holding its revision file, or the offline SQL of \`alembic upgrade … --sql\`) or downRevision (null for a first revision)`,
  );
}
