/**
 * Which recorded approval of a `gate.approval` still counts. An approval opens its gate for the
 * run that gave `--approve`; a later run (resumed after a failure, a crash or a closed gate further
 * on) finds the gate already open only while the gate step is still completed in the ledger and
 * nothing has undone it since the approval: a `rollback` over the gate or a `--redo` of it
 * (step history events `rolled_back` and `reset`) voids every approval recorded before it.
 */
import type { Ledger } from './ledger.js';

/** One recorded approval. */
export interface Approval {
  approvedBy: string;
  at: Date;
  runId: number | null;
}

/** The approval that keeps a gate open, or why the latest one no longer does. */
export interface ApprovalStanding {
  /** The latest approval recorded after the gate was last rolled back or reset, while the gate is completed. */
  current?: Approval;
  /** The latest approval of the gate, current or not. */
  latest?: Approval;
  /** Why `latest` does not count, when it does not: the gate was rolled back or reset (`--redo`) after it, or never opened. */
  voidedBy?: 'rollback' | 'redo' | 'not-opened';
}

/** Read the approvals of gate `gateId` of plan `planId` against the gate step's state and history. */
export async function approvalStanding(l: Ledger, planId: string, gateId: string): Promise<ApprovalStanding> {
  const rows = await l.db.rows<{
    approved_by: string;
    at: Date;
    run_id: string | null;
    gate_status: string | null;
    undone: boolean;
    undone_by: string | null;
  }>(
    `SELECT a.approved_by, a.at, a.run_id,
            (SELECT s.status FROM ${l.s}.steps s WHERE s.plan_id = $1 AND s.step_id = $2) AS gate_status,
            coalesce(u.at >= a.at, false) AS undone, u.event AS undone_by
       FROM ${l.s}.approvals a
       LEFT JOIN LATERAL (
         SELECT h.at, h.event FROM ${l.s}.step_history h
          WHERE h.plan_id = $1 AND h.step_id = $2 AND h.event IN ('rolled_back', 'reset')
          ORDER BY h.id DESC LIMIT 1
       ) u ON true
      WHERE a.plan_id = $1 AND a.gate_id = $2
      ORDER BY a.id DESC LIMIT 1`,
    [planId, gateId],
  );
  const r = rows[0];
  if (!r) return {};
  const latest: Approval = { approvedBy: r.approved_by, at: r.at, runId: r.run_id == null ? null : Number(r.run_id) };
  // Compared in SQL: timestamps keep their microseconds there.
  if (r.undone) return { latest, voidedBy: r.undone_by === 'reset' ? 'redo' : 'rollback' };
  if (r.gate_status !== 'completed') return { latest, voidedBy: 'not-opened' };
  return { current: latest, latest };
}
