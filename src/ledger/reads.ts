/**
 * Reading everything the ledger holds about one plan, for `report` and `status`. Read-only: it
 * never creates or changes the ledger, and answers "no ledger" / "never ran" instead of failing.
 */
import type { Ledger, StepState } from './ledger.js';
import { currentStatements, type StatementAttempt } from './statements.js';

type Row = Record<string, unknown>;

/** The ledger's rows about one plan. */
export interface LedgerSnapshot {
  plan: {
    plan_id: string;
    title: string;
    file: string | null;
    checksum: string;
    status: string;
    created_at: Date;
    completed_at: Date | null;
  };
  runs: Row[];
  steps: Map<string, StepState>;
  history: Row[];
  checks: Row[];
  validation: { passed: boolean; failed_checks: string[]; at: Date; plan_checksum: string } | undefined;
  gates: Row[];
  approvals: Row[];
  drift: Row[];
  archives: Row[];
  syncTriggers: Row[];
  objectStats: Row[];
  /** Per step, the recorded attempts behind its current state (none: not recorded, e.g. a v1 ledger). */
  statements: Map<string, StatementAttempt[]>;
}

/** Everything about `planId`, or undefined when the ledger never saw that plan. */
export async function readSnapshot(l: Ledger, planId: string): Promise<LedgerSnapshot | undefined> {
  const s = l.s;
  const rows = (sql: string) => l.db.rows<Row>(sql, [planId]);
  const plan = (
    await l.db.rows<LedgerSnapshot['plan']>(
      `SELECT plan_id, title, file, checksum, status, created_at, completed_at FROM ${s}.plans WHERE plan_id = $1`,
      [planId],
    )
  )[0];
  if (!plan) return undefined;
  const [
    runs,
    steps,
    history,
    checks,
    validations,
    gates,
    approvals,
    drift,
    archives,
    syncTriggers,
    objectStats,
    statements,
  ] = await Promise.all([
    rows(`SELECT * FROM ${s}.runs WHERE plan_id = $1 ORDER BY run_id`),
    l.stepStates(planId),
    rows(`SELECT step_id, run_id, event, detail, at FROM ${s}.step_history WHERE plan_id = $1 ORDER BY id`),
    rows(`SELECT DISTINCT ON (step_id) * FROM ${s}.check_results WHERE plan_id = $1 ORDER BY step_id, id DESC`),
    rows(
      `SELECT passed, failed_checks, at, plan_checksum FROM ${s}.validations WHERE plan_id = $1 ORDER BY id DESC LIMIT 1`,
    ),
    rows(`SELECT DISTINCT ON (step_id) * FROM ${s}.gate_results WHERE plan_id = $1 ORDER BY step_id, id DESC`),
    rows(`SELECT gate_id, approved_by, at, run_id FROM ${s}.approvals WHERE plan_id = $1 ORDER BY id`),
    rows(
      `SELECT step_id, old_checksum, new_checksum, accepted_by, at, run_id FROM ${s}.drift_acceptances WHERE plan_id = $1 ORDER BY id`,
    ),
    rows(
      `SELECT step_id, kind, object, archive_schema, archive_table, restored_at, at FROM ${s}.archives WHERE plan_id = $1 ORDER BY id`,
    ),
    rows(
      `SELECT step_id, table_name, trigger_name, installed_at, removed_at FROM ${s}.sync_triggers WHERE plan_id = $1 ORDER BY installed_at, trigger_name`,
    ),
    rows(`SELECT run_id, moment, stats, at FROM ${s}.object_stats WHERE plan_id = $1 ORDER BY id`),
    currentStatements(l, planId),
  ]);
  return {
    plan,
    runs,
    steps,
    history,
    checks,
    validation: validations[0] as LedgerSnapshot['validation'],
    gates,
    approvals,
    drift,
    archives,
    syncTriggers,
    objectStats,
    statements,
  };
}

/** Flags by name, with their history (for the flags a plan's gates read). */
export async function readFlags(
  l: Ledger,
  names: string[],
): Promise<
  {
    name: string;
    enabled: boolean | null;
    setBy: string | null;
    setAt: Date | null;
    history: { enabled: boolean; setBy: string; at: Date }[];
  }[]
> {
  if (!names.length) return [];
  const cur = await l.db.rows<{ name: string; enabled: boolean; set_by: string; set_at: Date }>(
    `SELECT name, enabled, set_by, set_at FROM ${l.s}.flags WHERE name = ANY($1)`,
    [names],
  );
  const hist = await l.db.rows<{ name: string; enabled: boolean; set_by: string; at: Date }>(
    `SELECT name, enabled, set_by, at FROM ${l.s}.flag_history WHERE name = ANY($1) ORDER BY id`,
    [names],
  );
  return names.map((name) => {
    const c = cur.find((x) => x.name === name);
    return {
      name,
      enabled: c?.enabled ?? null,
      setBy: c?.set_by ?? null,
      setAt: c?.set_at ?? null,
      history: hist.filter((h) => h.name === name).map((h) => ({ enabled: h.enabled, setBy: h.set_by, at: h.at })),
    };
  });
}

/** One line per plan in the ledger, for `tidemark status` without a plan. */
export interface PlanListing {
  planId: string;
  title: string;
  status: string;
  stepsTotal: number;
  stepsCompleted: number;
  lastRun: {
    runId: number;
    command: string;
    status: string;
    runBy: string;
    startedAt: Date;
    finishedAt: Date | null;
  } | null;
}

export async function listPlans(l: Ledger): Promise<PlanListing[]> {
  const rows = await l.db.rows<Row>(
    `SELECT p.plan_id, p.title, p.status,
            (SELECT count(*) FROM ${l.s}.steps s WHERE s.plan_id = p.plan_id) AS total,
            (SELECT count(*) FROM ${l.s}.steps s WHERE s.plan_id = p.plan_id AND s.status = 'completed') AS completed,
            r.run_id, r.command, r.status AS run_status, r.run_by, r.started_at, r.finished_at
       FROM ${l.s}.plans p
       LEFT JOIN LATERAL (SELECT * FROM ${l.s}.runs r WHERE r.plan_id = p.plan_id ORDER BY run_id DESC LIMIT 1) r ON true
      ORDER BY coalesce(r.started_at, p.created_at) DESC, p.plan_id`,
  );
  return rows.map((r) => ({
    planId: r.plan_id as string,
    title: r.title as string,
    status: r.status as string,
    stepsTotal: Number(r.total),
    stepsCompleted: Number(r.completed),
    lastRun:
      r.run_id == null
        ? null
        : {
            runId: Number(r.run_id),
            command: r.command as string,
            status: r.run_status as string,
            runBy: r.run_by as string,
            startedAt: r.started_at as Date,
            finishedAt: (r.finished_at as Date) ?? null,
          },
  }));
}
