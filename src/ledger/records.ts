/**
 * Ledger records other than step state: check results, validations, gates, flags, approvals,
 * baselines, backfill batches and poison rows. Each is a small typed function over a {@link Ledger}.
 */
import type { Queryable } from '../db/connection.js';
import type { Ledger } from './ledger.js';

/** The stored form of a check result. */
export interface CheckRecord {
  planId: string;
  stepId: string;
  runId: number | null;
  phase: string;
  kind: string;
  status: 'pass' | 'fail' | 'warn' | 'superseded';
  severity: 'error' | 'warn';
  actual: unknown;
  expected: unknown;
  sample: unknown[];
  message?: string;
  planChecksum: string;
  stepChecksum: string;
  durationMs?: number;
}

export async function recordCheck(l: Ledger, r: CheckRecord): Promise<void> {
  await l.db.query(
    `INSERT INTO ${l.s}.check_results (plan_id, step_id, run_id, phase, kind, status, severity, actual, expected, sample, message, plan_checksum, step_checksum, duration_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
    [
      r.planId,
      r.stepId,
      r.runId,
      r.phase,
      r.kind,
      r.status,
      r.severity,
      JSON.stringify(r.actual ?? null),
      JSON.stringify(r.expected ?? null),
      JSON.stringify(r.sample ?? []),
      r.message ?? null,
      r.planChecksum,
      r.stepChecksum,
      r.durationMs ?? null,
    ],
  );
}

/** The latest result of each check of a plan. */
export async function latestChecks(l: Ledger, planId: string): Promise<Record<string, unknown>[]> {
  return l.db.rows(
    `SELECT DISTINCT ON (step_id) * FROM ${l.s}.check_results WHERE plan_id = $1 ORDER BY step_id, id DESC`,
    [planId],
  );
}

export async function recordValidation(
  l: Ledger,
  planId: string,
  runId: number,
  planChecksum: string,
  passed: boolean,
  failed: string[],
): Promise<void> {
  await l.db.query(
    `INSERT INTO ${l.s}.validations (plan_id, run_id, plan_checksum, passed, failed_checks) VALUES ($1, $2, $3, $4, $5)`,
    [planId, runId, planChecksum, passed, failed],
  );
}

/** The latest validation of a plan; see {@link latestValidation}. */
export interface ValidationRecord {
  plan_checksum: string;
  passed: boolean;
  failed_checks: string[];
  at: Date;
  /** Of the steps asked about, those completed after this validation (plan order): it no longer proves their data. */
  completed_after: string[];
}

/**
 * The latest validation of a plan. `provenSteps`: the steps whose data the proof covers (the work
 * before the contract); any of them completed after the validation (a `run --redo`, a rollback and
 * rerun) is listed in `completed_after`, compared by the server's clock in the ledger.
 */
export async function latestValidation(
  l: Ledger,
  planId: string,
  provenSteps: readonly string[] = [],
): Promise<ValidationRecord | undefined> {
  const r = await l.db.rows<ValidationRecord>(
    `SELECT v.plan_checksum, v.passed, v.failed_checks, v.at,
            ARRAY(SELECT s.step_id FROM ${l.s}.steps s
                   WHERE s.plan_id = v.plan_id AND s.step_id = ANY($2::text[]) AND s.status = 'completed' AND s.finished_at > v.at
                   ORDER BY s.position) AS completed_after
       FROM ${l.s}.validations v WHERE v.plan_id = $1 ORDER BY v.id DESC LIMIT 1`,
    [planId, [...provenSteps]],
  );
  return r[0];
}

export async function recordGate(
  l: Ledger,
  planId: string,
  stepId: string,
  runId: number,
  kind: string,
  open: boolean,
  reason: string,
  detail?: unknown,
): Promise<void> {
  await l.db.query(
    `INSERT INTO ${l.s}.gate_results (plan_id, step_id, run_id, kind, open, reason, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [planId, stepId, runId, kind, open, reason, detail == null ? null : JSON.stringify(detail)],
  );
}

// ---- flags and approvals --------------------------------------------------------------------------

export async function setFlag(l: Ledger, name: string, enabled: boolean, by: string): Promise<void> {
  await l.db.transaction(async (c) => {
    await c.query(
      `INSERT INTO ${l.s}.flags (name, enabled, set_by) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET enabled = EXCLUDED.enabled, set_by = EXCLUDED.set_by, set_at = clock_timestamp()`,
      [name, enabled, by],
    );
    await c.query(`INSERT INTO ${l.s}.flag_history (name, enabled, set_by) VALUES ($1, $2, $3)`, [name, enabled, by]);
  });
}

export async function listFlags(
  l: Ledger,
): Promise<{ name: string; enabled: boolean; set_by: string; set_at: Date }[]> {
  return l.db.rows(`SELECT name, enabled, set_by, set_at FROM ${l.s}.flags ORDER BY name`);
}

export async function flagEnabled(l: Ledger, name: string): Promise<boolean> {
  const r = await l.db.rows<{ enabled: boolean }>(`SELECT enabled FROM ${l.s}.flags WHERE name = $1`, [name]);
  return r[0]?.enabled === true;
}

export async function recordApproval(
  l: Ledger,
  planId: string,
  gateId: string,
  runId: number,
  by: string,
): Promise<void> {
  await l.db.query(`INSERT INTO ${l.s}.approvals (plan_id, gate_id, run_id, approved_by) VALUES ($1, $2, $3, $4)`, [
    planId,
    gateId,
    runId,
    by,
  ]);
}

// ---- baselines --------------------------------------------------------------------------------

export async function saveBaseline(
  l: Ledger,
  planId: string,
  runId: number,
  counts: { table: string; rows: number }[],
): Promise<void> {
  await l.db.transaction(async (c) => {
    for (const b of counts) {
      await c.query(
        `INSERT INTO ${l.s}.baselines (plan_id, table_name, row_count, run_id) VALUES ($1, $2, $3, $4) ON CONFLICT (plan_id, table_name) DO NOTHING`,
        [planId, b.table, b.rows, runId],
      );
    }
    await c.query(
      `UPDATE ${l.s}.plans SET baseline_taken_at = coalesce(baseline_taken_at, clock_timestamp()) WHERE plan_id = $1`,
      [planId],
    );
  });
}

export async function baselineOf(l: Ledger, planId: string, table: string): Promise<number | undefined> {
  const r = await l.db.rows<{ row_count: string }>(
    `SELECT row_count FROM ${l.s}.baselines WHERE plan_id = $1 AND table_name = $2`,
    [planId, table],
  );
  return r.length ? Number(r[0].row_count) : undefined;
}

// ---- backfill batches and poison rows ------------------------------------------------------------

export interface BatchRecord {
  planId: string;
  stepId: string;
  runId: number;
  batchNo: number;
  keyFrom: unknown;
  keyTo: unknown;
  rows: number;
  size: number;
  durationMs: number;
  throttledMs?: number;
}

/** Record a batch; pass the batch's own transaction client so it commits with the data. */
export async function recordBatch(l: Ledger, b: BatchRecord, client?: Queryable): Promise<void> {
  await (client ?? l.db.pool).query(
    `INSERT INTO ${l.s}.batches (plan_id, step_id, run_id, batch_no, key_from, key_to, rows, size, duration_ms, throttled_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      b.planId,
      b.stepId,
      b.runId,
      b.batchNo,
      JSON.stringify(b.keyFrom ?? null),
      JSON.stringify(b.keyTo ?? null),
      b.rows,
      b.size,
      b.durationMs,
      b.throttledMs ?? 0,
    ],
  );
}

export async function recordPoisonRow(
  l: Ledger,
  planId: string,
  stepId: string,
  runId: number,
  key: unknown,
  error: string,
  sqlstate: string | undefined,
  client?: Queryable,
): Promise<void> {
  await (client ?? l.db.pool).query(
    `INSERT INTO ${l.s}.poison_rows (plan_id, step_id, run_id, key, error, sqlstate) VALUES ($1, $2, $3, $4, $5, $6)`,
    [planId, stepId, runId, JSON.stringify(key), error, sqlstate ?? null],
  );
}
