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
}

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
}

/** One problem found while validating a plan. */
export interface PlanIssue {
  phase?: Phase;
  stepId?: string;
  field?: string;
  message: string;
}
