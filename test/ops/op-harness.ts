/**
 * Running `op.*` plans in-process for the ops tests: build a plan from builders, run, roll back,
 * describe (the SQL `tidemark plan` prints) and collect the statements a run executed.
 */
import type pg from 'pg';
import type { TidemarkConfig } from '../../src/config/config.js';
import type { TidemarkEvent } from '../../src/kind/events.js';
import type { Plan, PlanInput } from '../../src/model/plan.js';
import { definePlan } from '../../src/plan/define.js';
import { validatePlan } from '../../src/plan/validate.js';
import { describePlan } from '../../src/runner/describe.js';
import type { RunResult } from '../../src/runner/result.js';
import { rollbackPlan } from '../../src/runner/rollback.js';
import { runPlan } from '../../src/runner/run.js';
import { connect } from '../helpers/db.js';

export { backfill, check, op, sql } from '../../src/plan/define.js';
export { definePlan };

/** A validated plan from a definition. */
export function plan(def: PlanInput): Promise<Plan> {
  return validatePlan(definePlan(def));
}

export type Ran = RunResult & { events: TidemarkEvent[]; statements: string[] };

/** Fast lock policy for tests that meet a lock: 200 ms lock_timeout. */
export const FAST: TidemarkConfig = { lockTimeoutMs: 200, lockRetries: 4 };

function collect(): { events: TidemarkEvent[]; sink: (e: TidemarkEvent) => void } {
  const events: TidemarkEvent[] = [];
  return { events, sink: (e) => events.push(e) };
}

function statementsOf(events: TidemarkEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'step.statement' ? [e.sql] : []));
}

/** Run a plan, collecting events and the statements ops executed. */
export async function run(
  url: string,
  p: Plan,
  config: TidemarkConfig = {},
  extra: { events?: (e: TidemarkEvent) => void } = {},
): Promise<Ran> {
  const c = collect();
  const r = await runPlan(p, { databaseUrl: url, config, events: (e) => (c.sink(e), extra.events?.(e)) });
  return { ...r, events: c.events, statements: statementsOf(c.events) };
}

/** Roll a plan back (whole plan, or `--to`). */
export async function rollback(
  url: string,
  p: Plan,
  o: { to?: string; config?: TidemarkConfig; events?: (e: TidemarkEvent) => void } = {},
): Promise<Ran> {
  const c = collect();
  const r = await rollbackPlan(p, {
    databaseUrl: url,
    to: o.to,
    config: o.config ?? {},
    events: (e) => (c.sink(e), o.events?.(e)),
  });
  return { ...r, events: c.events, statements: statementsOf(c.events) };
}

/** The SQL `tidemark plan` (or `plan --rollback`) prints, per step id. */
export async function describedSql(url: string, p: Plan, rollbackView = false): Promise<Record<string, string[]>> {
  const d = await describePlan(p, { databaseUrl: url, rollback: rollbackView });
  return Object.fromEntries(d.steps.map((s) => [s.stepId, s.actions.map((a) => a.sql)]));
}

/** Run statements on one fresh connection. */
export async function exec(url: string, ...sqls: string[]): Promise<void> {
  const c = await connect(url);
  try {
    for (const s of sqls) await c.query(s);
  } finally {
    await c.end();
  }
}

/** A connection that stays open (a second session holding locks or snapshots). */
export async function session(url: string): Promise<pg.Client & { pid: number }> {
  const c = await connect(url);
  const pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  return Object.assign(c, { pid });
}

/** SQLSTATE of running `sql`, or null when it succeeds. */
export async function sqlStateOf(url: string, sql: string): Promise<string | null> {
  const c = await connect(url);
  try {
    await c.query(sql);
    return null;
  } catch (e) {
    return (e as { code?: string }).code ?? 'unknown';
  } finally {
    await c.end();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The step's ledger status. */
export async function stepStatus(url: string, planId: string, stepId: string): Promise<string | undefined> {
  const c = await connect(url);
  try {
    const r = await c.query<{ status: string }>(
      `SELECT status FROM tidemark.steps WHERE plan_id = $1 AND step_id = $2`,
      [planId, stepId],
    );
    return r.rows[0]?.status;
  } finally {
    await c.end();
  }
}
