/**
 * The demo's closing summary, read from the ledger and the catalog: what changed, rows, durations.
 */

import { alignedTable } from '../../checks/proof-format.js';
import { Db } from '../../db/connection.js';
import { batchSummaries, stepSummaries } from '../../ledger/demo-reads.js';
import { Ledger } from '../../ledger/ledger.js';
import type { Plan } from '../../model/plan.js';
import type { RunResult } from '../../runner/result.js';

export async function demoSummary(url: string, plan: Plan, run: RunResult, ledgerSchema: string): Promise<string[]> {
  const db = new Db(url, { applicationName: 'tidemark:demo', max: 1 });
  try {
    const ledger = new Ledger(db, ledgerSchema);
    const steps = await stepSummaries(ledger, plan.id);
    const batches = await batchSummaries(ledger, plan.id);
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
