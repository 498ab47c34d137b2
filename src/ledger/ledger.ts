/**
 * Typed reads and writes of the ledger (docs/ledger.md). Every method takes an optional client so a step
 * can record its progress in the same transaction as the work it describes.
 */
import type { Db, Queryable } from '../db/connection.js';
import type { Plan, PlannedStep } from '../model/plan.js';
import { quoteIdent } from '../sql/ident.js';
import { redactedJson, redactText } from '../sql/redact.js';

export type StepStatus = 'pending' | 'running' | 'completed' | 'failed' | 'rolling_back' | 'rolled_back' | 'skipped';

/** What the ledger knows about one step. */
export interface StepState {
  stepId: string;
  phase: string;
  kind: string;
  position: number;
  title: string | null;
  checksum: string;
  /** The definition the checksum was taken of (null for a step recorded before the ledger kept it). */
  definition: unknown;
  status: StepStatus;
  runId: number | null;
  attempts: number;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
  rowsAffected: number | null;
  progress: Record<string, unknown> | null;
  details: Record<string, unknown> | null;
  error: string | null;
  retries: number;
  lockWaitMs: number;
}

/** What a step reports when it completes. */
export interface StepCompletion {
  rowsAffected?: number | null;
  details?: Record<string, unknown>;
  durationMs?: number;
  retries?: number;
  lockWaitMs?: number;
}

export interface RunInfo {
  planId: string;
  command: string;
  options: Record<string, unknown>;
  planChecksum: string;
  runBy: string;
  host: string;
  pid: number;
  backendPid: number | null;
  tidemarkVersion: string;
  serverVersion: string;
  database: string;
}

/** A step's definition for the ledger (secrets in its SQL redacted), or null when unknown. */
function definitionJson(step: PlannedStep): string | null {
  return step.definition === undefined ? null : redactedJson(step.definition);
}

/** Access to one ledger schema. */
export class Ledger {
  /** Quoted schema name, e.g. `"tidemark"`. */
  readonly s: string;
  constructor(
    readonly db: Db,
    readonly schema: string,
  ) {
    this.s = quoteIdent(schema);
  }

  private q(c?: Queryable): Queryable {
    return c ?? this.db.pool;
  }

  // ---- plans and runs -------------------------------------------------------------------------

  /** Create or update the plan row and a row for each of its steps (existing ones keep their state). */
  async syncPlan(plan: Plan): Promise<void> {
    await this.db.transaction(async (c) => {
      await c.query(
        `INSERT INTO ${this.s}.plans (plan_id, title, file, checksum) VALUES ($1, $2, $3, $4)
         ON CONFLICT (plan_id) DO UPDATE SET title = EXCLUDED.title, file = EXCLUDED.file, checksum = EXCLUDED.checksum, updated_at = now()`,
        [plan.id, plan.title, plan.file ?? null, plan.checksum],
      );
      for (const st of plan.steps) {
        await c.query(
          `INSERT INTO ${this.s}.steps (plan_id, step_id, phase, kind, position, title, checksum) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (plan_id, step_id) DO UPDATE SET phase = EXCLUDED.phase, kind = EXCLUDED.kind, position = EXCLUDED.position, title = EXCLUDED.title,
             checksum = CASE WHEN ${this.s}.steps.status = 'completed' THEN ${this.s}.steps.checksum ELSE EXCLUDED.checksum END`,
          [plan.id, st.id, st.phase, st.kind, st.index, st.title, st.checksum],
        );
      }
    });
  }

  async startRun(info: RunInfo): Promise<number> {
    const r = await this.db.rows<{ run_id: string }>(
      `INSERT INTO ${this.s}.runs (plan_id, command, options, plan_checksum, run_by, host, pid, backend_pid, tidemark_version, server_version, database)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING run_id`,
      [
        info.planId,
        info.command,
        JSON.stringify(info.options),
        info.planChecksum,
        info.runBy,
        info.host,
        info.pid,
        info.backendPid,
        info.tidemarkVersion,
        info.serverVersion,
        info.database,
      ],
    );
    return Number(r[0].run_id);
  }

  async finishRun(runId: number, status: string, exitCode: number, message: string | null): Promise<void> {
    await this.db.query(
      `UPDATE ${this.s}.runs SET status = $2, exit_code = $3, message = $4, finished_at = clock_timestamp() WHERE run_id = $1`,
      [runId, status, exitCode, message == null ? null : redactText(message)],
    );
  }

  /**
   * Runs left "running" by a runner that died (we hold the plan lock, so no other `run` is running).
   * `work` runs never take the lock: a live one is not crashed (docs/work.md).
   */
  async markCrashedRuns(planId: string, exceptRunId: number): Promise<void> {
    await this.db.query(
      `UPDATE ${this.s}.runs SET status = 'crashed', finished_at = coalesce(finished_at, clock_timestamp()), message = coalesce(message, 'the runner stopped without finishing (crash, kill or lost connection)')
        WHERE plan_id = $1 AND status = 'running' AND run_id <> $2 AND command <> 'work'`,
      [planId, exceptRunId],
    );
  }

  async setPlanStatus(planId: string, status: string): Promise<void> {
    await this.db.query(
      `UPDATE ${this.s}.plans SET status = $2, updated_at = now(), completed_at = CASE WHEN $2 = 'completed' THEN now() ELSE completed_at END WHERE plan_id = $1`,
      [planId, status],
    );
  }

  async planRow(planId: string): Promise<
    | {
        plan_id: string;
        title: string;
        status: string;
        checksum: string;
        baseline_taken_at: Date | null;
        completed_at: Date | null;
      }
    | undefined
  > {
    const r = await this.db.rows<{
      plan_id: string;
      title: string;
      status: string;
      checksum: string;
      baseline_taken_at: Date | null;
      completed_at: Date | null;
    }>(
      `SELECT plan_id, title, status, checksum, baseline_taken_at, completed_at FROM ${this.s}.plans WHERE plan_id = $1`,
      [planId],
    );
    return r[0];
  }

  // ---- steps ----------------------------------------------------------------------------------

  async stepStates(planId: string): Promise<Map<string, StepState>> {
    const rows = await this.db.rows<Record<string, unknown>>(
      `SELECT * FROM ${this.s}.steps WHERE plan_id = $1 ORDER BY position`,
      [planId],
    );
    const m = new Map<string, StepState>();
    for (const r of rows) {
      m.set(r.step_id as string, {
        stepId: r.step_id as string,
        phase: r.phase as string,
        kind: r.kind as string,
        position: r.position as number,
        title: (r.title as string) ?? null,
        checksum: r.checksum as string,
        definition: r.definition ?? null,
        status: r.status as StepStatus,
        runId: r.run_id == null ? null : Number(r.run_id),
        attempts: r.attempts as number,
        startedAt: (r.started_at as Date) ?? null,
        finishedAt: (r.finished_at as Date) ?? null,
        durationMs: (r.duration_ms as number) ?? null,
        rowsAffected: r.rows_affected == null ? null : Number(r.rows_affected),
        progress: (r.progress as Record<string, unknown>) ?? null,
        details: (r.details as Record<string, unknown>) ?? null,
        error: (r.error as string) ?? null,
        retries: (r.retries as number) ?? 0,
        lockWaitMs: (r.lock_wait_ms as number) ?? 0,
      });
    }
    return m;
  }

  async markRunning(planId: string, step: PlannedStep, runId: number): Promise<void> {
    await this.db.query(
      `UPDATE ${this.s}.steps SET status = 'running', run_id = $3, attempts = attempts + 1, started_at = clock_timestamp(), finished_at = NULL, error = NULL, checksum = $4, definition = $5
        WHERE plan_id = $1 AND step_id = $2`,
      [planId, step.id, runId, step.checksum, definitionJson(step)],
    );
    await this.history(planId, step.id, runId, 'started', null);
  }

  /** Mark a step completed; pass the step's transaction client to make it atomic with its work. */
  async markCompleted(
    planId: string,
    step: PlannedStep,
    runId: number,
    done: StepCompletion,
    client?: Queryable,
  ): Promise<void> {
    await this.q(client).query(
      `UPDATE ${this.s}.steps SET status = 'completed', run_id = $3, finished_at = clock_timestamp(), checksum = $4, definition = $10,
          rows_affected = $5, details = coalesce($6::jsonb, details), error = NULL,
          duration_ms = coalesce($7, extract(epoch FROM clock_timestamp() - started_at) * 1000),
          retries = retries + coalesce($8, 0), lock_wait_ms = lock_wait_ms + coalesce($9, 0)
        WHERE plan_id = $1 AND step_id = $2`,
      [
        planId,
        step.id,
        runId,
        step.checksum,
        done.rowsAffected ?? null,
        done.details ? JSON.stringify(done.details) : null,
        done.durationMs ?? null,
        done.retries ?? null,
        done.lockWaitMs ?? null,
        definitionJson(step),
      ],
    );
    await this.history(planId, step.id, runId, 'completed', done.details ?? null, client);
  }

  async markFailed(
    planId: string,
    stepId: string,
    runId: number,
    error: string,
    details?: Record<string, unknown>,
  ): Promise<void> {
    await this.db.query(
      `UPDATE ${this.s}.steps SET status = 'failed', run_id = $3, finished_at = clock_timestamp(), error = $4, details = coalesce($5::jsonb, details),
          duration_ms = extract(epoch FROM clock_timestamp() - started_at) * 1000
        WHERE plan_id = $1 AND step_id = $2`,
      [planId, stepId, runId, redactText(error), details ? redactedJson(details) : null],
    );
    await this.history(planId, stepId, runId, 'failed', { error: redactText(error) });
  }

  /**
   * A step the run was asked to stop in (SIGINT, SIGTERM) after its last batch committed: back to
   * `pending` with its progress kept, so the next run resumes it; `error` says what happened.
   */
  async markInterrupted(planId: string, stepId: string, runId: number, message: string): Promise<void> {
    await this.db.query(
      // progress is never left null, which is how the next run tells an interrupted step from a new one
      // (a split backfill keeps its cursors in its ranges, not here).
      `UPDATE ${this.s}.steps SET status = 'pending', run_id = $3, finished_at = clock_timestamp(), error = $4,
          progress = COALESCE(progress, '{}'::jsonb),
          duration_ms = extract(epoch FROM clock_timestamp() - started_at) * 1000
        WHERE plan_id = $1 AND step_id = $2`,
      [planId, stepId, runId, message],
    );
    await this.history(planId, stepId, runId, 'interrupted', { message });
  }

  /**
   * Mark a step as being rolled back, committed before its rollback starts: a kill mid-rollback then
   * leaves it `rolling_back` (shown by `status`, resumed by `rollback`), never `completed`.
   * Its progress is kept: the step's rollback resumes from it (docs/ledger.md).
   */
  async markRollingBack(planId: string, stepId: string, runId: number): Promise<void> {
    await this.db.query(
      `UPDATE ${this.s}.steps SET status = 'rolling_back', run_id = $3, error = NULL WHERE plan_id = $1 AND step_id = $2`,
      [planId, stepId, runId],
    );
    await this.history(planId, stepId, runId, 'rolling_back', null);
  }

  async markRolledBack(
    planId: string,
    stepId: string,
    runId: number,
    details?: Record<string, unknown>,
    client?: Queryable,
  ): Promise<void> {
    await this.q(client).query(
      `UPDATE ${this.s}.steps SET status = 'rolled_back', finished_at = clock_timestamp(), progress = NULL, rows_affected = NULL, error = NULL WHERE plan_id = $1 AND step_id = $2`,
      [planId, stepId],
    );
    await this.q(client).query(`DELETE FROM ${this.s}.backfill_ranges WHERE plan_id = $1 AND step_id = $2`, [
      planId,
      stepId,
    ]);
    await this.history(planId, stepId, runId, 'rolled_back', details ?? null, client);
  }

  /** Reset a step to pending so it runs again (`--redo`). Its progress is cleared. */
  async markPending(planId: string, stepId: string, runId: number, reason: string): Promise<void> {
    await this.db.query(
      `UPDATE ${this.s}.steps SET status = 'pending', progress = NULL WHERE plan_id = $1 AND step_id = $2`,
      [planId, stepId],
    );
    // A backfill's ranges hold its cursors: the next pass splits the key again.
    await this.db.query(`DELETE FROM ${this.s}.backfill_ranges WHERE plan_id = $1 AND step_id = $2`, [planId, stepId]);
    await this.history(planId, stepId, runId, 'reset', { reason });
  }

  /** Save a step's resumable progress (statement index, backfill cursor…). */
  async saveProgress(
    planId: string,
    stepId: string,
    progress: Record<string, unknown>,
    client?: Queryable,
  ): Promise<void> {
    await this.q(client).query(`UPDATE ${this.s}.steps SET progress = $3 WHERE plan_id = $1 AND step_id = $2`, [
      planId,
      stepId,
      JSON.stringify(progress),
    ]);
  }

  async addRetries(planId: string, stepId: string, retries: number, lockWaitMs: number): Promise<void> {
    await this.db.query(
      `UPDATE ${this.s}.steps SET retries = retries + $3, lock_wait_ms = lock_wait_ms + $4 WHERE plan_id = $1 AND step_id = $2`,
      [planId, stepId, retries, lockWaitMs],
    );
  }

  async history(
    planId: string,
    stepId: string,
    runId: number | null,
    event: string,
    detail: unknown,
    client?: Queryable,
  ): Promise<void> {
    await this.q(client).query(
      `INSERT INTO ${this.s}.step_history (plan_id, step_id, run_id, event, detail) VALUES ($1, $2, $3, $4, $5)`,
      [planId, stepId, runId, event, detail == null ? null : redactedJson(detail)],
    );
  }

  async acceptDrift(
    planId: string,
    stepId: string,
    runId: number,
    oldChecksum: string,
    newChecksum: string,
    by: string,
    newDefinition?: unknown,
  ): Promise<void> {
    await this.db.transaction(async (c) => {
      await c.query(
        `INSERT INTO ${this.s}.drift_acceptances (plan_id, step_id, run_id, old_checksum, new_checksum, accepted_by) VALUES ($1, $2, $3, $4, $5, $6)`,
        [planId, stepId, runId, oldChecksum, newChecksum, by],
      );
      await c.query(`UPDATE ${this.s}.steps SET checksum = $3, definition = $4 WHERE plan_id = $1 AND step_id = $2`, [
        planId,
        stepId,
        newChecksum,
        newDefinition === undefined ? null : redactedJson(newDefinition),
      ]);
    });
    await this.history(planId, stepId, runId, 'accepted_change', { old: oldChecksum, new: newChecksum, by });
  }
}
