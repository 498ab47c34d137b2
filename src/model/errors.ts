/**
 * Typed errors. Each carries the exit code the CLI maps it to (docs/cli.md) and the fields a user
 * needs to act. The runner turns them into results; the CLI is the one error boundary that prints.
 */
import type { PlanIssue } from './plan.js';

/** Exit codes (docs/cli.md). */
export const ExitCode = {
  ok: 0,
  failed: 1,
  badInput: 2,
  locked: 3,
  drift: 4,
  gate: 5,
  pending: 6,
  /** SIGINT/SIGTERM: the run stopped after its current batch or step (128 + SIGINT, as a shell reports Ctrl-C). */
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Base class: a message for humans, a stable code for machines, an exit code for the CLI. */
export class TidemarkError extends Error {
  readonly code: string;
  readonly exitCode: ExitCodeValue;
  /** What to do next, shown under the message. */
  readonly hint?: string;
  constructor(code: string, message: string, exitCode: ExitCodeValue, hint?: string) {
    super(message);
    this.name = 'TidemarkError';
    this.code = code;
    this.exitCode = exitCode;
    this.hint = hint;
  }
}

/** Bad arguments, config or plan (exit 2). */
export class UsageError extends TidemarkError {
  constructor(message: string, hint?: string) {
    super('usage', message, ExitCode.badInput, hint);
  }
}

/** A plan that failed validation; lists every problem (exit 2). */
export class PlanInvalidError extends TidemarkError {
  readonly issues: PlanIssue[];
  readonly planId?: string;
  constructor(issues: PlanIssue[], planId?: string, file?: string) {
    const where = planId ? `plan "${planId}"` : file ? `plan ${file}` : 'plan';
    const lines = issues.map((i) => `- ${formatIssue(i)}`);
    super(
      'plan_invalid',
      `${where} is invalid (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
      ExitCode.badInput,
    );
    this.issues = issues;
    this.planId = planId;
  }
}

/** `phase › step "id" › field: message`. */
export function formatIssue(i: PlanIssue): string {
  const parts: string[] = [];
  if (i.phase) parts.push(i.phase);
  if (i.stepId) parts.push(`step "${i.stepId}"`);
  if (i.field) parts.push(i.field);
  return parts.length ? `${parts.join(' › ')}: ${i.message}` : i.message;
}

/** A step kind whose runtime is not built yet (exit 2). */
export class NotAvailableError extends TidemarkError {
  constructor(what: string) {
    super('not_available', `${what} is not available in this version of Tidemark yet`, ExitCode.badInput);
  }
}

/** Information about the session holding a lock we wait for. */
export interface BlockerInfo {
  pid: number;
  applicationName: string | null;
  state: string | null;
  /** The blocker's current or last query, shortened and with secrets removed. */
  query: string | null;
  /** Seconds its transaction has been open. */
  transactionSeconds: number | null;
}

/** A DDL statement that could not get its lock within the retry budget. */
export class LockTimeoutError extends TidemarkError {
  readonly blockers: BlockerInfo[];
  readonly attempts: number;
  constructor(what: string, attempts: number, lockTimeoutMs: number, blockers: BlockerInfo[]) {
    const who = blockers.length
      ? blockers.map(describeBlocker).join('; ')
      : 'no blocking session was seen while waiting';
    super(
      'lock_timeout',
      `${what}: could not acquire its lock after ${attempts} attempts (lock_timeout ${lockTimeoutMs} ms each). Blocked by ${who}`,
      ExitCode.failed,
      'Finish or terminate the blocking transaction (pg_terminate_backend(pid)), or rerun when traffic is lower; Tidemark never removes lock_timeout to force its way through.',
    );
    this.blockers = blockers;
    this.attempts = attempts;
  }
}

/** One line about a blocking session. */
export function describeBlocker(b: BlockerInfo): string {
  const held = b.transactionSeconds != null ? `, transaction open ${b.transactionSeconds.toFixed(1)} s` : '';
  const app = b.applicationName ? ` (${b.applicationName})` : '';
  const state = b.state ? `, ${b.state}` : '';
  const q = b.query ? `: ${b.query}` : '';
  return `pid ${b.pid}${app}${state}${held}${q}`;
}

/** Another runner holds this plan's lock (exit 3). */
export class RunLockedError extends TidemarkError {
  constructor(planId: string, holder: string) {
    super(
      'locked',
      `plan "${planId}" is being run by another runner: ${holder}`,
      ExitCode.locked,
      'Wait for it to finish, or pass --wait SECONDS to wait for the lock.',
    );
  }
}

/** An applied step whose definition changed. */
export interface DriftedStep {
  stepId: string;
  old: string;
  new: string;
  /**
   * One line per changed field (`set.email: "a" → "b"`); null when the ledger holds no copy of
   * the definition the step was applied with (applied before it kept one).
   */
  changes?: string[] | null;
  /** The plan as a command names it, for the ways out. */
  planFile?: string;
  /** `rollback --to` can undo it (not raw SQL without `down`, not `addEnumValue`). */
  undoable?: boolean;
}

/** What to do about drifted steps: revert, accept (and what that means), or undo and apply afresh. */
function driftWaysOut(drifted: readonly DriftedStep[]): string {
  const file = drifted[0]?.planFile ?? '<plan>';
  const ids = drifted.map((d) => d.stepId);
  const ways = [
    `Either put ${ids.length === 1 ? 'the step' : 'the steps'} back as applied (revert the fields above in ${file}) and run again`,
    `or keep the database as it is and record the new definition as applied — the change is not applied: npx tidemark run ${file} ${ids.map((id) => `--accept-changed ${id}`).join(' ')}`,
  ];
  // Undoing takes the definition it was applied with (its `down`): revert first, roll back, then change.
  const first = drifted.find((d) => d.undoable);
  if (first)
    ways.push(
      `or, to apply the new definition: revert the file, npx tidemark rollback ${file} --to ${first.stepId} (it undoes every later step too), then restore your change and run again`,
    );
  return `${ways.join('; ')}.`;
}

/** An applied step whose definition changed (exit 4). `hint`: the ways out, with commands. */
export class DriftError extends TidemarkError {
  readonly drifted: DriftedStep[];
  constructor(planId: string, drifted: DriftedStep[], hint?: string) {
    const lines = drifted.map((d) => {
      const head = `- step "${d.stepId}": applied with checksum ${d.old.slice(0, 12)}, now ${d.new.slice(0, 12)}`;
      if (d.changes === undefined) return head;
      if (d.changes === null)
        return `${head}\n    (the ledger holds no copy of the definition it was applied with: compare the plan file with its history)`;
      if (!d.changes.length) return `${head}\n    (no field differs from the definition on record)`;
      return `${head}; changed:\n${d.changes.map((c) => `    ${c}`).join('\n')}`;
    });
    super(
      'drift',
      `plan "${planId}": ${drifted.length} applied step(s) changed since they ran:\n${lines.join('\n')}`,
      ExitCode.drift,
      hint ?? driftWaysOut(drifted),
    );
    this.drifted = drifted;
  }
}

/**
 * The run was asked to stop (SIGINT, SIGTERM) and stopped at a point a rerun resumes from: after
 * the batch or step in flight committed (exit 130).
 */
export class InterruptedError extends TidemarkError {
  constructor(message: string) {
    super(
      'interrupted',
      message,
      ExitCode.interrupted,
      'Run the same command again: it resumes where this one stopped.',
    );
  }
}

/** A step failed while running (exit 1). */
export class StepFailedError extends TidemarkError {
  readonly stepId: string;
  readonly details?: Record<string, unknown>;
  constructor(stepId: string, message: string, hint?: string, details?: Record<string, unknown>) {
    super('step_failed', message, ExitCode.failed, hint);
    this.stepId = stepId;
    this.details = details;
  }
}

/**
 * A statement that waits for older transactions (CONCURRENTLY, VALIDATE) waited longer than
 * `concurrentTimeoutMs` and was cancelled. Only the waiting is bounded (docs/lock-safety.md): the
 * work itself — an index build, a validation scan — runs as long as it needs.
 */
export class ConcurrentTimeoutError extends TidemarkError {
  readonly blockers: BlockerInfo[];
  readonly waitedMs: number;
  /** `how`: what ran past the bound, e.g. `waited 1200 ms in phase "waiting for old snapshots"`. */
  constructor(what: string, how: string, waitedMs: number, limitMs: number, blockers: BlockerInfo[]) {
    const who = blockers.length
      ? `; waiting for ${blockers.map(describeBlocker).join('; ')}`
      : '; no blocking session was seen while waiting';
    super(
      'concurrent_timeout',
      `${what}: cancelled: it ${how}, longer than concurrentTimeoutMs (${limitMs} ms)${who}`,
      ExitCode.failed,
      'Finish or terminate the transactions it waits for (pg_terminate_backend(pid)), or raise concurrentTimeoutMs in tidemark.config.ts; then run again. It bounds only the waiting: the build or scan itself is never cut short.',
    );
    this.blockers = blockers;
    this.waitedMs = waitedMs;
  }
}

/**
 * `status --check` found work left: a plan pending, failed or waiting at a gate (exit 6). A deploy
 * pipeline's gate (docs/cli.md, "Exit codes").
 */
export class PendingWorkError extends TidemarkError {
  readonly plans: { planId: string; status: string }[];
  constructor(plans: { planId: string; status: string }[]) {
    super(
      'pending',
      `${plans.length} plan(s) not complete: ${plans.map((p) => `${p.planId} (${p.status})`).join(', ')}`,
      ExitCode.pending,
      'Run them (tidemark run <plan | dir>); a plan waiting at a gate runs on once the gate opens.',
    );
    this.plans = plans;
  }
}

/**
 * An ORM's history cannot take a plan's record without lying to the ORM (exit 1): drizzle would skip
 * an older migration it has not applied, or Alembic is not at the migration's down revision
 * (docs/orm-records.md).
 */
export class OrmRecordError extends TidemarkError {
  constructor(message: string, hint: string) {
    super('orm_record', message, ExitCode.failed, hint);
  }
}
