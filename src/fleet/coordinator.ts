/**
 * The fleet's coordinator database (docs/fleet.md): pg-boss keeps the queue (one queue per fleet
 * run, one job per target; claimed with `FOR UPDATE SKIP LOCKED`, expired leases retried), and two
 * small tables of Tidemark's beside it say what a fleet run is and where each target stands, so
 * `fleet status` can answer from the coordinator alone. Nothing here holds a URL or a password:
 * jobs and rows carry target NAMES (docs/decisions.md, "The fleet's queue").
 */
import type PgBoss from 'pg-boss';
import { Db } from '../db/connection.js';
import { quoteIdent } from '../sql/ident.js';
import { registerSecretsOf } from '../sql/redact.js';

/** Schema of Tidemark's fleet tables; pg-boss keeps its own beside it. */
export const FLEET_SCHEMA = 'tidemark_fleet';
export const QUEUE_SCHEMA = 'tidemark_fleet_queue';

export type FleetRunState = 'running' | 'stopping' | 'finished';
export type TargetState = 'queued' | 'running' | 'completed' | 'failed' | 'gate' | 'not started';

export const TERMINAL: readonly TargetState[] = ['completed', 'failed', 'gate', 'not started'];

export interface FleetRunRow {
  id: number;
  plan_id: string;
  plan_file: string;
  plan_checksum: string;
  concurrency: number;
  continue_on_error: boolean;
  lease_seconds: number;
  /** `--approve` gate ids, passed to every target's run. */
  approvals: string[];
  state: FleetRunState;
  started_at: Date;
  finished_at: Date | null;
}

export interface TargetRow {
  fleet_run_id: number;
  name: string;
  position: number;
  state: TargetState;
  phase: string | null;
  step: string | null;
  rows: number | null;
  error: string | null;
  /** The target's outcome as its runner saw it (a {@link TargetOutcome}), redacted. */
  result: unknown;
  runner: string | null;
  job_id: string | null;
  /** Completed by an earlier fleet run of the same plan: not run again. */
  earlier: boolean;
  started_at: Date | null;
  finished_at: Date | null;
}

const S = quoteIdent(FLEET_SCHEMA);

const INSTALL = `
CREATE SCHEMA IF NOT EXISTS ${S};
CREATE TABLE IF NOT EXISTS ${S}.fleet_runs (
  id serial PRIMARY KEY,
  plan_id text NOT NULL,
  plan_file text NOT NULL,
  plan_checksum text NOT NULL,
  concurrency int NOT NULL,
  continue_on_error boolean NOT NULL,
  lease_seconds int NOT NULL,
  approvals text[] NOT NULL DEFAULT '{}',
  state text NOT NULL DEFAULT 'running',
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE TABLE IF NOT EXISTS ${S}.fleet_targets (
  fleet_run_id int NOT NULL REFERENCES ${S}.fleet_runs(id),
  name text NOT NULL,
  position int NOT NULL,
  state text NOT NULL,
  phase text,
  step text,
  rows bigint,
  error text,
  result jsonb,
  runner text,
  job_id uuid,
  earlier boolean NOT NULL DEFAULT false,
  started_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (fleet_run_id, name)
);`;

/** Queue name of a fleet run. */
export const queueOf = (fleetRunId: number) => `tidemark-fleet-${fleetRunId}`;

export interface CoordinatorOptions {
  /** Seconds between pg-boss's maintenance passes (expired leases are retried then). */
  maintenanceSeconds?: number;
}

/** An open coordinator: Tidemark's tables through `db`, the queue through `boss`. */
export class Coordinator {
  private constructor(
    readonly db: Db,
    readonly boss: PgBoss,
  ) {}

  /** Connect, install the tables and the queue if absent (concurrent runners install once). */
  static async open(url: string, o: CoordinatorOptions = {}): Promise<Coordinator> {
    registerSecretsOf(url);
    const db = new Db(url, { applicationName: 'tidemark:fleet', max: 3 });
    try {
      await db.transaction(async (c) => {
        // One installer at a time: CREATE … IF NOT EXISTS races on the catalog otherwise.
        await c.query(`SELECT pg_advisory_xact_lock(hashtext('tidemark_fleet:install'))`);
        await c.query(INSTALL);
      });
      const { default: Boss } = await import('pg-boss');
      const boss = new Boss({
        connectionString: url,
        schema: QUEUE_SCHEMA,
        application_name: 'tidemark:fleet-queue',
        max: 3,
        maintenanceIntervalSeconds: o.maintenanceSeconds ?? 30,
        schedule: false,
      });
      // pg-boss reports a lost connection as an event; an unhandled one would end the process.
      boss.on('error', () => undefined);
      await boss.start();
      return new Coordinator(db, boss);
    } catch (e) {
      await db.close();
      throw e;
    }
  }

  async close(): Promise<void> {
    await this.boss.stop({ graceful: false, wait: true, close: true }).catch(() => undefined);
    await this.db.close();
  }

  /** The most recent fleet run (of `planId` when given). */
  async latestRun(planId?: string): Promise<FleetRunRow | undefined> {
    const rows = await this.db.rows<FleetRunRow>(
      `SELECT * FROM ${S}.fleet_runs ${planId ? 'WHERE plan_id = $1' : ''} ORDER BY id DESC LIMIT 1`,
      planId ? [planId] : [],
    );
    return rows[0];
  }

  async run(id: number): Promise<FleetRunRow> {
    const [row] = await this.db.rows<FleetRunRow>(`SELECT * FROM ${S}.fleet_runs WHERE id = $1`, [id]);
    if (!row) throw new Error(`fleet run ${id} not found in the coordinator`);
    return row;
  }

  async targets(fleetRunId: number): Promise<TargetRow[]> {
    return this.db.rows<TargetRow>(
      `SELECT fleet_run_id, name, position, state, phase, step, rows::float8 AS rows, error, result, runner, job_id::text, earlier, started_at, finished_at
         FROM ${S}.fleet_targets WHERE fleet_run_id = $1 ORDER BY position`,
      [fleetRunId],
    );
  }

  /** Targets that completed this plan, at this checksum, in an earlier fleet run, with their result. */
  async completedEarlier(planId: string, checksum: string): Promise<Map<string, TargetRow>> {
    const rows = await this.db.rows<TargetRow>(
      `SELECT DISTINCT ON (t.name) t.*, t.rows::float8 AS rows
         FROM ${S}.fleet_targets t JOIN ${S}.fleet_runs r ON r.id = t.fleet_run_id
        WHERE r.plan_id = $1 AND r.plan_checksum = $2 AND t.state = 'completed'
        ORDER BY t.name, t.fleet_run_id DESC`,
      [planId, checksum],
    );
    return new Map(rows.map((r) => [r.name, r]));
  }

  /** Record a new fleet run and its targets (queued, or completed earlier). */
  async createRun(
    r: Pick<
      FleetRunRow,
      'plan_id' | 'plan_file' | 'plan_checksum' | 'concurrency' | 'continue_on_error' | 'lease_seconds' | 'approvals'
    >,
    targets: { name: string; earlier?: TargetRow }[],
  ): Promise<number> {
    return this.db.transaction(async (c) => {
      const {
        rows: [{ id }],
      } = await c.query<{ id: number }>(
        `INSERT INTO ${S}.fleet_runs (plan_id, plan_file, plan_checksum, concurrency, continue_on_error, lease_seconds, approvals)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
        [r.plan_id, r.plan_file, r.plan_checksum, r.concurrency, r.continue_on_error, r.lease_seconds, r.approvals],
      );
      for (const [i, t] of targets.entries()) {
        const e = t.earlier;
        await c.query(
          `INSERT INTO ${S}.fleet_targets (fleet_run_id, name, position, state, phase, step, rows, result, runner, earlier, started_at, finished_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
          [
            id,
            t.name,
            i,
            e ? 'completed' : 'queued',
            e?.phase ?? null,
            e?.step ?? null,
            e?.rows ?? null,
            e ? JSON.stringify(e.result) : null,
            e?.runner ?? null,
            !!e,
            e?.started_at ?? null,
            e?.finished_at ?? null,
          ],
        );
      }
      return id as number;
    });
  }

  async setJob(fleetRunId: number, name: string, jobId: string): Promise<void> {
    await this.db.query(`UPDATE ${S}.fleet_targets SET job_id = $3 WHERE fleet_run_id = $1 AND name = $2`, [
      fleetRunId,
      name,
      jobId,
    ]);
  }

  /** A runner took the target; false when it had already ended (then there is nothing to run). */
  async markRunning(fleetRunId: number, name: string, runner: string): Promise<boolean> {
    const r = await this.db.query(
      `UPDATE ${S}.fleet_targets SET state = 'running', runner = $3, error = NULL, started_at = now(), finished_at = NULL, updated_at = now()
        WHERE fleet_run_id = $1 AND name = $2 AND state IN ('queued', 'running')`,
      [fleetRunId, name, runner],
    );
    return (r.rowCount ?? 0) > 0;
  }

  /** A running target handed back to the queue (its runner stopped or was lost). */
  async releaseTarget(fleetRunId: number, name: string): Promise<void> {
    await this.db.query(
      `UPDATE ${S}.fleet_targets SET state = 'queued', updated_at = now() WHERE fleet_run_id = $1 AND name = $2 AND state = 'running'`,
      [fleetRunId, name],
    );
  }

  /** Where a running target is (phase, step, rows so far). */
  async progress(fleetRunId: number, name: string, p: { phase?: string; step?: string; rows?: number }): Promise<void> {
    await this.db.query(
      `UPDATE ${S}.fleet_targets SET phase = COALESCE($3, phase), step = COALESCE($4, step), rows = COALESCE($5, rows), updated_at = now()
        WHERE fleet_run_id = $1 AND name = $2 AND state = 'running'`,
      [fleetRunId, name, p.phase ?? null, p.step ?? null, p.rows ?? null],
    );
  }

  /** A target's end; `result` must already be redacted JSON text. */
  async finishTarget(
    fleetRunId: number,
    name: string,
    state: TargetState,
    error: string | null,
    resultJson: string | null,
  ): Promise<void> {
    await this.db.query(
      `UPDATE ${S}.fleet_targets SET state = $3, error = $4, result = $5::jsonb, finished_at = now(), updated_at = now()
        WHERE fleet_run_id = $1 AND name = $2`,
      [fleetRunId, name, state, error, resultJson],
    );
  }

  /** Stop starting new targets (the first failure without --continue-on-error). */
  async stopRun(fleetRunId: number): Promise<void> {
    await this.db.query(`UPDATE ${S}.fleet_runs SET state = 'stopping' WHERE id = $1 AND state = 'running'`, [
      fleetRunId,
    ]);
  }

  /**
   * Finish the fleet run once no target is running and none may start: queued targets of a
   * stopping run become "not started". Returns true when the run is (now) finished.
   */
  async finishIfDone(fleetRunId: number): Promise<boolean> {
    return this.db.transaction(async (c) => {
      const {
        rows: [run],
      } = await c.query<{ state: FleetRunState }>(`SELECT state FROM ${S}.fleet_runs WHERE id = $1 FOR UPDATE`, [
        fleetRunId,
      ]);
      if (!run) return true;
      if (run.state === 'finished') return true;
      const {
        rows: [n],
      } = await c.query<{ running: number; queued: number }>(
        `SELECT count(*) FILTER (WHERE state = 'running')::int AS running, count(*) FILTER (WHERE state = 'queued')::int AS queued
           FROM ${S}.fleet_targets WHERE fleet_run_id = $1`,
        [fleetRunId],
      );
      if (n!.running > 0 || (n!.queued > 0 && run.state === 'running')) return false;
      await c.query(
        `UPDATE ${S}.fleet_targets SET state = 'not started', updated_at = now() WHERE fleet_run_id = $1 AND state = 'queued'`,
        [fleetRunId],
      );
      await c.query(`UPDATE ${S}.fleet_runs SET state = 'finished', finished_at = now() WHERE id = $1`, [fleetRunId]);
      return true;
    });
  }

  /** Targets running now across the fleet run (every runner's). */
  async runningCount(fleetRunId: number): Promise<number> {
    const [r] = await this.db.rows<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${S}.fleet_targets WHERE fleet_run_id = $1 AND state = 'running'`,
      [fleetRunId],
    );
    return r?.n ?? 0;
  }

  /**
   * Claim under the fleet's claim lock, so `--concurrency` holds across every runner: `fn` sees the
   * count of running targets and takes a job only while it is under the limit.
   */
  async withClaimLock<T>(fleetRunId: number, fn: () => Promise<T>): Promise<T> {
    return this.db.withClient(async (client) => {
      await client.query('SELECT pg_advisory_lock($1, $2)', [0x71ee7, fleetRunId]);
      try {
        return await fn();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1, $2)', [0x71ee7, fleetRunId]);
      }
    });
  }
}
