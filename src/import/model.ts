/**
 * What an import produces, as data: the steps it will write (builder, options, phase), why a
 * statement stayed raw SQL, and what each migration's SQL became. Rendering the plan file and
 * printing the summary both read this. See docs/import.md.
 */

/** The phases an imported statement can land in. */
export type ImportPhase = 'expand' | 'backfill' | 'validate' | 'contract';

/** The ORMs an import understands; `sql` is any other tool's SQL. */
export type ImportTool = 'prisma' | 'drizzle' | 'sql';

/** A record of an ORM's migration the plan covers, as `definePlan({ records })` takes it. */
export interface MigrationRecord {
  tool: string;
  migration: string;
  dir?: string;
  /** Alembic: the revision `alembic_version` held before this one (from the offline SQL). */
  downRevision?: string | null;
}

/** One step the plan will hold. */
export interface ImportedStep {
  /** The builder: `op.createIndex`, `backfill.update`, `sql`… */
  builder: string;
  /** A readable base for the step id (made kebab-case and unique when rendered). */
  idHint: string;
  /** The builder's options, without `id`. */
  options: Record<string, unknown>;
  /** Index of the statement outcome it came from (set by the import). */
  origin?: number;
  /** Where the mapping puts it before dependencies are weighed. */
  phase: ImportPhase;
  /** For raw `sql`: why no safe operation took it. For an op: a note, when one is useful. */
  comment?: string;
  /** Objects this step creates (`table:…`, `column:…`, `index:…`, `constraint:…`, `type:…`, `unique:…`). */
  creates?: string[];
  /** Objects this step drops. */
  drops?: string[];
  /** Objects this step needs. */
  uses?: string[];
  /**
   * A constraint on rows that exist (foreign key, unique, check, NOT NULL): it belongs in `contract`
   * unless every object listed (the table, or the constrained columns) is created by the plan itself.
   */
  constrains?: string[];
}

/** What became of one statement of a migration. */
export interface StatementOutcome {
  /** The migration it came from (a folder name, a journal tag, a file name). */
  migration: string;
  /** The statement as written (first line shown in summaries). */
  sql: string;
  /** 1-based line of the statement in its file. */
  line: number;
  /** `mapped`: safe operations took it; `sql`: kept as raw SQL; `scaffolding`: the generator's own bookkeeping, dropped. */
  result: 'mapped' | 'sql' | 'scaffolding';
  steps: ImportedStep[];
  /** Why it stayed SQL, or what the scaffolding was. */
  reason?: string;
}

/** One ORM migration read from disk. */
export interface SourceMigration {
  tool: ImportTool;
  /** Folder name (Prisma), journal tag (Drizzle) or file name. */
  name: string;
  /** The SQL file. */
  file: string;
  sql: string;
  /** The record the plan should carry for it, when the tool keeps a history. */
  record?: MigrationRecord;
}
