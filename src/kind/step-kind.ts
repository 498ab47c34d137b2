/**
 * A step kind is a type with a lifecycle (after pgroll's `Operation`): validate its options,
 * describe the SQL it will run as data (printed by `tidemark plan`, identical to what `run`
 * executes), apply, describe and run its reverse. Each kind lives in its own file and is declared
 * with `satisfies StepKind<…>`.
 */
import type pg from 'pg';
import type { z } from 'zod';
import type { Db } from '../db/connection.js';
import type { LockPolicy } from '../db/lock-policy.js';
import type { RewriteRateMemo } from '../db/rewrite-rate.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Phase, Plan, PlanIssue, PlannedStep, StepCommon } from '../model/plan.js';
import type { LockMode } from '../sql/lock-modes.js';
import type { EventSink, TidemarkEvent } from './events.js';

export { BLOCKING_LOCKS, type LockMode } from '../sql/lock-modes.js';

/** The family a kind belongs to; decides how the runner treats it. */
export type StepCategory = 'sql' | 'op' | 'backfill' | 'check' | 'gate';

/** One statement a step will run: a value you can print, test and hash before running it. */
export interface Action {
  sql: string;
  params?: unknown[];
  /** The strongest table lock it takes, for `plan` output and docs. */
  lock?: LockMode;
  /** false: must run outside a transaction block (CONCURRENTLY). Default true. */
  transaction?: boolean;
  /** A short note shown beside the SQL. */
  note?: string;
}

/** What a step will do (or undo). */
export interface Description {
  actions: Action[];
  notes?: string[];
}

/** A step that cannot be undone, and why. */
export interface Irreversible {
  irreversible: true;
  reason: string;
}

/** The result of applying or rolling back a step. Failures are thrown as typed errors. */
export interface StepOutcome {
  rowsAffected?: number | null;
  notes?: string[];
  details?: Record<string, unknown>;
  /** The step already recorded its completion in its own transaction (atomic with its work). */
  recorded?: boolean;
}

/** What `--dry-run` reports for a pending step. */
export interface DryRunReport {
  lines: string[];
  /** Rows it would change, when known exactly. */
  rows?: number | null;
}

/** Read-only context: describing, dry runs, checks. */
export interface ReadContext {
  db: Db;
  plan: Plan;
  step: PlannedStep;
  /** The ledger schema name (it may not exist yet: `plan` and `--dry-run` never create it). */
  ledgerSchema: string;
  /** The ledger, when it exists. */
  ledger?: Ledger;
  policy: LockPolicy;
  /** Ids of steps applied in this plan (completed), for checks that need to know (superseded). */
  appliedSteps: ReadonlySet<string>;
  emit: (e: TidemarkEvent) => void;
  /** Config values kinds may read (backfill target, thresholds). */
  settings: Settings;
  /**
   * Aborted when the run is asked to stop (SIGINT, SIGTERM): a long step stops at its next safe
   * point — a backfill after the batches in flight commit — and throws `InterruptedError`.
   */
  signal?: AbortSignal;
}

/** Settings from config and flags that kinds read. */
export interface Settings {
  backfillTargetMs: number;
  /** Legacy row cap: above this many rows, `convertToEnum` uses a shadow column whatever the estimate. */
  shadowThresholdRows?: number;
  /** Above this estimated lock time of a table rewrite, `convertToEnum` uses a shadow column (default 200). */
  maxRewriteLockMs?: number;
  /** The server's rewrite rate, measured at most once per run (docs/steps/op-convert-to-enum.md). */
  rewriteRate?: RewriteRateMemo;
  /** `--approve` ids given to this run. */
  approvals: readonly string[];
  /** Who is running (recorded with approvals and flags). */
  actor: string;
}

/**
 * A `tidemark work` worker joining a backfill that `run` started (docs/work.md): it leases key
 * ranges and works them, but never installs anything, never completes the step, and returns when no
 * range is left to lease.
 */
export interface WorkerRole {
  /** How long a lease lives without a heartbeat: a killed worker's range is taken over after it. */
  leaseMs: number;
  /** Aborted (SIGTERM/SIGINT): finish the batches in flight, release the range, return. */
  signal?: AbortSignal;
}

/** Context for applying or rolling back a step. */
export interface StepContext extends ReadContext {
  /** Set when a `tidemark work` worker runs the step (a backfill) instead of `run`. */
  worker?: WorkerRole;
  ledger: Ledger;
  runId: number;
  /** Progress saved by an earlier attempt of this step (statement index, cursor…), or null. */
  progress: Record<string, unknown> | null;
  /** Save resumable progress; pass a transaction client to commit it with the work. */
  saveProgress(progress: Record<string, unknown>, client?: pg.PoolClient): Promise<void>;
  /** Mark the step completed inside the caller's transaction (atomic with its last piece of work). */
  markCompleted(client: pg.PoolClient, outcome: StepOutcome): Promise<void>;
  /** Run `fn` in a transaction under the short lock_timeout, retried with backoff (lock-safe.ts). */
  tx<T>(what: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  /** Run one statement that must wait for older transactions (CONCURRENTLY, VALIDATE), outside a transaction. */
  waiting(what: string, sql: string, params?: unknown[]): Promise<pg.QueryResult>;
  /** The index of the next statement the step announces (0, 1, 2… within this attempt). */
  nextStatementIndex(): number;
  emit: EventSink;
}

/** The contract every step kind fulfils. */
export interface StepKind<O extends StepCommon = StepCommon> {
  /** As written in a plan: `sql`, `op.addColumn`, `backfill.update`, `check.noNulls`, `gate.flag`. */
  readonly kind: string;
  readonly category: StepCategory;
  /** Validates the options object (including `id` and `title`). */
  readonly schema: z.ZodType<O>;
  /** Phases this kind may stand in; default: any. */
  readonly phases?: readonly Phase[];
  /**
   * A step Tidemark adds to the end of the `contract` phase for this one (the plan author writes
   * nothing there): the completion of an operation that keeps two names working until contract
   * (docs/steps/rename-column.md). Its id must not be one the plan already uses.
   */
  completion?(opts: O): { kind: string; options: StepCommon & Record<string, unknown> };
  /** Checks beyond the schema (e.g. a NOT NULL type in addColumn). Issues name their field. */
  validate?(opts: O, plan: { id: string; dir: string }): Omit<PlanIssue, 'phase' | 'stepId'>[];
  /** What the checksum covers beyond the options (e.g. the contents of SQL files). */
  fingerprint?(opts: O, planDir: string): unknown;
  /** The statements `apply` will run, for `tidemark plan`. */
  describe?(ctx: ReadContext, opts: O): Promise<Description>;
  /** What `rollback` would run, or why nothing can undo it. */
  describeDown?(ctx: ReadContext, opts: O): Promise<Description | Irreversible>;
  /** Do the work. Throw a TidemarkError to fail. Must be safe to call again after a crash. */
  apply?(ctx: StepContext, opts: O): Promise<StepOutcome>;
  /** Undo the work. Absent (with describeDown returning Irreversible) = irreversible. */
  rollback?(ctx: StepContext, opts: O): Promise<StepOutcome>;
  /** What `--dry-run` says about this pending step. Default: describe(). */
  dryRun?(ctx: ReadContext, opts: O): Promise<DryRunReport>;
  /**
   * Read-only checks against the database as it is before the run, so a plan that cannot work is
   * refused before anything is applied: the runner calls it for every pending step of the run's
   * range before the first step runs (dry runs included). Throw a TidemarkError naming the plan,
   * step and field. An object that does not exist yet (an earlier step of the plan creates it) is
   * checked against that step's definition when it can be known (src/ops/planned-column-type.ts),
   * and skipped silently when it cannot (a raw `sql` step creates it): `apply` checks it then.
   */
  preflight?(ctx: ReadContext, opts: O): Promise<void>;
}

/** A check's result (docs/proof.md). */
export interface CheckResult {
  status: 'pass' | 'fail' | 'warn' | 'superseded';
  actual: unknown;
  expected: unknown;
  /** Up to 10 offending rows (keys and values). */
  sample: Record<string, unknown>[];
  message?: string;
  distribution?: { value: unknown; count: number }[];
}

/** A check kind: a step that evaluates and never changes anything. */
export interface CheckKind<
  O extends StepCommon & { severity?: 'error' | 'warn' } = StepCommon & { severity?: 'error' | 'warn' },
> extends StepKind<O> {
  readonly category: 'check';
  /**
   * The statements `evaluate` runs, for `tidemark plan`, built by the same functions (reads under
   * ACCESS SHARE; what runs only when it fails is a note). Per-row checks (a `rowProbe`, see
   * checks/fused.ts) need none: the runner describes their group's fused scan.
   */
  describe?(ctx: ReadContext, opts: O): Promise<Description>;
  /** Evaluate the check. `fail` is reported as `warn` by the runner when `severity: 'warn'`. */
  evaluate(ctx: ReadContext, opts: O): Promise<CheckResult>;
}

/** A gate's verdict. */
export interface GateResult {
  open: boolean;
  /** Why it is open or closed, in one line. */
  reason: string;
  /** What would open it (shown when closed). */
  opensWhen: string;
  detail?: Record<string, unknown>;
}

/** A gate kind: stops the run (exit 5) while closed. */
export interface GateKind<O extends StepCommon = StepCommon> extends StepKind<O> {
  readonly category: 'gate';
  /** What opens the gate, in one line (a note, no actions), for `tidemark plan`. */
  describe?(ctx: ReadContext, opts: O): Promise<Description>;
  evaluate(ctx: ReadContext & { runId: number | null }, opts: O): Promise<GateResult>;
}

/** Erase a kind's option type for storage in the registry. */
// biome-ignore lint/suspicious/noExplicitAny: the registry holds kinds of every option type; each kind checks its own.
export type AnyStepKind = StepKind<any>;
