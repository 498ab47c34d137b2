/**
 * The plan model: what a user writes in a `*.plan.ts` file, as plain data.
 * Builders (`sql`, `op.*`, `backfill.*`, `check.*`, `gate.*`) return {@link StepDef}s;
 * `definePlan` returns a {@link PlanDef}. Nothing here touches a database.
 */

export type { RelationName } from '../sql/ident.js';

/** The phases of a wave, in the order they run. `preconditions` run once, before anything else. */
export const PHASES = ['preconditions', 'expand', 'backfill', 'validate', 'contract'] as const;
export type Phase = (typeof PHASES)[number];

/** Options every step carries. */
export interface StepCommon {
  /** kebab-case, unique in the plan. */
  id: string;
  /** A human title shown in output and reports. */
  title?: string;
}

/** One step of a plan, as a builder returns it: the kind plus the options the user gave. */
export interface StepDef<K extends string = string, O extends StepCommon = StepCommon & Record<string, unknown>> {
  readonly kind: K;
  readonly options: O;
}

/** Options of `definePlan`. */
export interface PlanInput {
  /** Unique per database; kebab-case. */
  id: string;
  title?: string;
  preconditions?: StepDef[];
  expand?: StepDef[];
  backfill?: StepDef[];
  validate?: StepDef[];
  contract?: StepDef[];
  /**
   * The ORM migrations this plan covers: Tidemark keeps the ORM's own history saying they are
   * applied from the plan's first step until a whole-plan rollback (docs/orm-records.md).
   */
  records?: OrmRecordInput[];
}

/** The ORMs whose migration history a plan can keep (docs/orm-records.md). */
export const ORM_TOOLS = ['prisma', 'drizzle', 'alembic'] as const;
export type OrmTool = (typeof ORM_TOOLS)[number];

/** One entry of `definePlan({ records })`, as written. */
export interface OrmRecordInput {
  tool: OrmTool;
  /** Prisma: the migration folder's name; drizzle: the journal tag; Alembic: the revision id. */
  migration: string;
  /** Where the ORM's migration files are, relative to the plan file. */
  dir?: string;
  /** Alembic only: the down revision (null for a first revision), when `dir` does not give it. */
  downRevision?: string | null;
}

/** A record resolved when the plan is loaded: everything the ORM's history row needs. */
export type OrmRecord =
  | { tool: 'prisma'; migration: string /** sha256 of migration.sql, hex, as Prisma computes it. */; checksum: string }
  | {
      tool: 'drizzle';
      migration: string;
      /** sha256 of the migration's SQL file, hex, as drizzle's migrator computes it. */
      hash: string;
      /** The journal entry's `when` (ms), which drizzle stores as `created_at`. */
      createdAt: number;
      /** `when` of the journal entries before this one: drizzle skips any older than its newest row. */
      earlier: { tag: string; when: number }[];
    }
  | { tool: 'alembic'; migration: string /** null for a first revision. */; down: string | null };

/** A plan as `definePlan` returns it. */
export interface PlanDef extends PlanInput {
  readonly __tidemarkPlan: true;
}

/** A step placed in its plan: phase, position and checksum resolved. */
export interface PlannedStep {
  phase: Phase;
  /** Position in the whole plan, 0-based, in execution order. */
  index: number;
  kind: string;
  id: string;
  title: string;
  options: StepCommon & Record<string, unknown>;
  /** sha256 of the step's definition (functions count by their source text). */
  checksum: string;
  /** What the checksum covers, as JSON (sql/checksum.ts `stepDefinition`), kept by the ledger to show drift. */
  definition?: unknown;
}

/** A validated plan, ready to run. */
export interface Plan {
  id: string;
  title: string;
  /** Absolute path of the plan file, when loaded from one. */
  file?: string;
  /** Directory `sqlFile` paths are relative to. */
  dir: string;
  steps: PlannedStep[];
  /** Hash over every step's checksum: "the plan as it is now". */
  checksum: string;
  /** The ORM migrations the plan covers, resolved (docs/orm-records.md). */
  records?: OrmRecord[];
}

/** One problem found while validating a plan. */
export interface PlanIssue {
  phase?: Phase;
  stepId?: string;
  field?: string;
  message: string;
}
