/**
 * `fleet report` (docs/fleet.md): one summary across the targets of a fleet, read from each
 * target's own ledger with the single-database report builder (src/report/build.ts) — per-target
 * rows, totals, failures first with their failing checks and samples. Reads only; a target that
 * never ran the plan, or cannot be reached, has a row saying so.
 */
import type { TidemarkConfig } from '../config/config.js';
import type { Plan } from '../model/plan.js';
import type { ReportCheck } from '../report/model.js';
import { redactText } from '../sql/redact.js';
import type { FleetTarget } from './targets.js';

export const FLEET_REPORT_FORMAT = 'tidemark-fleet-report';

export interface FleetReportTarget {
  name: string;
  /** The plan's state in this target's ledger, `not run`, or `unreachable`. */
  state: string;
  label: string;
  steps: { total: number; completed: number; failed: number };
  rows: number;
  startedAt: string | null;
  finishedAt: string | null;
  proofPassed: boolean | null;
  failedChecks: Pick<ReportCheck, 'stepId' | 'kind' | 'title' | 'actual' | 'expected' | 'sample' | 'message'>[];
  error: string | null;
}

export interface FleetReport {
  format: typeof FLEET_REPORT_FORMAT;
  version: 1;
  generatedAt: string;
  plan: { id: string; title: string };
  totals: { targets: number; rows: number; byState: Record<string, number> };
  /** Failures first, then gates, in progress, not run, completed; by name within each. */
  targets: FleetReportTarget[];
}

const ORDER = ['unreachable', 'failed', 'waiting', 'in_progress', 'rolled_back', 'pending', 'not run', 'completed'];

async function one(plan: Plan, t: FleetTarget, o: { ledgerSchema?: string; config?: TidemarkConfig }) {
  const { buildReport, NotRunError } = await import('../report/build.js');
  const empty = { steps: { total: plan.steps.length, completed: 0, failed: 0 }, rows: 0, proofPassed: null };
  try {
    const m = await buildReport({ databaseUrl: t.url, ledgerSchema: o.ledgerSchema, plan, config: o.config });
    const last = m.runs[m.runs.length - 1];
    return {
      name: t.name,
      state: m.status.state,
      label: m.status.label,
      steps: { total: m.summary.steps.total, completed: m.summary.steps.completed, failed: m.summary.steps.failed },
      rows: m.summary.rowsAffected,
      startedAt: m.summary.firstStartedAt,
      finishedAt: m.summary.lastFinishedAt,
      proofPassed: m.proof.passed,
      failedChecks: m.proof.checks
        .filter((c) => c.status === 'fail')
        .map((c) => ({
          stepId: c.stepId,
          kind: c.kind,
          title: c.title,
          actual: c.actual,
          expected: c.expected,
          sample: c.sample.slice(0, 5),
          message: c.message,
        })),
      error: m.status.state === 'failed' && last?.message ? redactText(last.message) : null,
    } satisfies FleetReportTarget;
  } catch (e) {
    const notRun = e instanceof NotRunError;
    return {
      name: t.name,
      state: notRun ? 'not run' : 'unreachable',
      label: notRun ? 'Not run here' : 'Could not be read',
      ...empty,
      startedAt: null,
      finishedAt: null,
      failedChecks: [],
      error: notRun ? null : redactText(e instanceof Error ? e.message : String(e)),
    } satisfies FleetReportTarget;
  }
}

/** Build the fleet's report, reading `parallel` targets at a time. */
export async function buildFleetReport(
  plan: Plan,
  targets: readonly FleetTarget[],
  o: { ledgerSchema?: string; config?: TidemarkConfig; parallel?: number; now?: Date } = {},
): Promise<FleetReport> {
  const rows: FleetReportTarget[] = [];
  let next = 0;
  const lane = async () => {
    while (next < targets.length) {
      const t = targets[next++]!;
      rows.push(await one(plan, t, o));
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.parallel ?? 8, targets.length) }, lane));
  const rank = (s: string) => (ORDER.includes(s) ? ORDER.indexOf(s) : ORDER.length);
  rows.sort((a, b) => rank(a.state) - rank(b.state) || a.name.localeCompare(b.name));
  const byState: Record<string, number> = {};
  for (const r of rows) byState[r.state] = (byState[r.state] ?? 0) + 1;
  return {
    format: FLEET_REPORT_FORMAT,
    version: 1,
    generatedAt: (o.now ?? new Date()).toISOString(),
    plan: { id: plan.id, title: plan.title },
    totals: { targets: rows.length, rows: rows.reduce((s, r) => s + r.rows, 0), byState },
    targets: rows,
  };
}
