/**
 * The demo's closing summary, read from the ledger and the catalog: what changed, rows, durations.
 */

import { alignedTable } from '../../checks/proof-format.js';
import { Db } from '../../db/connection.js';
import type { Plan } from '../../model/plan.js';
import type { RunResult } from '../../runner/result.js';
import { quoteIdent } from '../../sql/ident.js';

export async function demoSummary(url: string, plan: Plan, run: RunResult, ledgerSchema: string): Promise<string[]> {
  const db = new Db(url, { applicationName: 'tidemark:demo', max: 1 });
  try {
    const steps = await db.rows<{
      step_id: string;
      phase: string;
      kind: string;
      status: string;
      rows_affected: string | null;
      duration_ms: number | null;
      retries: number;
    }>(
      `SELECT step_id, phase, kind, status, rows_affected, duration_ms, retries FROM ${quoteIdent(ledgerSchema)}.steps WHERE plan_id = $1 ORDER BY position`,
      [plan.id],
    );
    const batches = await db.rows<{ step_id: string; n: string; rows: string; p50: number; p99: number }>(
      `SELECT step_id, count(*) AS n, sum(rows) AS rows,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ms) AS p99
         FROM ${quoteIdent(ledgerSchema)}.batches WHERE plan_id = $1 GROUP BY step_id`,
      [plan.id],
    );
    const b = new Map(batches.map((x) => [x.step_id, x]));
    const lines = [`Summary of plan "${plan.id}" (run #${run.runId}):`];
    lines.push(
      ...alignedTable(
        steps.map((s) => ({
          phase: s.phase,
          step: s.step_id,
          kind: s.kind,
          status: s.status,
          rows: s.rows_affected ?? '',
          'time (ms)': s.duration_ms == null ? '' : Math.round(s.duration_ms),
          batches: b.get(s.step_id)
            ? `${b.get(s.step_id)!.n} (p50 ${Math.round(b.get(s.step_id)!.p50)} ms, p99 ${Math.round(b.get(s.step_id)!.p99)} ms)`
            : '',
        })),
        '  ',
      ),
    );
    const checks = run.checks;
    const passed = checks.filter((c) => c.status === 'pass').length;
    lines.push(
      '',
      `Proof: ${passed} of ${checks.length} checks passed${checks.some((c) => c.status === 'warn') ? `, ${checks.filter((c) => c.status === 'warn').length} warning(s)` : ''}; the ledger (schema "${ledgerSchema}") holds every step, batch and check.`,
    );
    return lines;
  } finally {
    await db.close();
  }
}
