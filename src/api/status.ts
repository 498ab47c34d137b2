/**
 * What `tidemark status` shows, as data: every plan in the ledger, or one plan's steps with their
 * ledger state, backfill progress and latest check or gate verdict. Read-only: never creates or
 * changes the ledger; a database without one answers `ledger: false`.
 */

import type { Ledger } from '../ledger/ledger.js';
import { openLedger } from '../ledger/open.js';
import { activeOrmRecords } from '../ledger/orm-records.js';
import { listPlans, type PlanListing } from '../ledger/reads.js';
import { latestValidation } from '../ledger/records.js';
import { latestRun, type RunSummary } from '../ledger/status-reads.js';
import type { Plan } from '../model/plan.js';
import type { StepStatusLine } from '../report/status.js';
import { type LedgerOptions, withDb } from './ledger-options.js';

export type { RunSummary } from '../ledger/status-reads.js';

/** Every plan the ledger holds, most recently run first. */
export interface LedgerStatus {
  /** The ledger schema read. */
  schema: string;
  /** False when the database has no ledger (no plan has run there). */
  ledger: boolean;
  plans: PlanListing[];
}

/**
 * The latest proof (validate phase) as the contract guard sees it: `passed` on the plan as it is now,
 * `failed`, `stale` (passed, but on another version of the plan, or a step it proves completed after
 * it, e.g. a `--redo`), or `not run`.
 */
export interface ProofStatus {
  state: 'passed' | 'failed' | 'stale' | 'not run';
  at: Date | null;
  failed: string[];
  /** Why a passed proof no longer counts. */
  staleBecause: string | null;
}

async function proofStatus(ledger: Ledger | undefined, plan: Plan): Promise<ProofStatus> {
  const { provenSteps } = await import('../runner/guards.js');
  const v = ledger ? await latestValidation(ledger, plan.id, provenSteps(plan)) : undefined;
  if (!v) return { state: 'not run', at: null, failed: [], staleBecause: null };
  if (!v.passed) return { state: 'failed', at: v.at, failed: v.failed_checks, staleBecause: null };
  if (v.plan_checksum !== plan.checksum)
    return { state: 'stale', at: v.at, failed: [], staleBecause: 'it ran on another version of the plan' };
  if (v.completed_after.length) {
    const ids = v.completed_after.map((id) => `"${id}"`).join(', ');
    return {
      state: 'stale',
      at: v.at,
      failed: [],
      staleBecause: `${v.completed_after.length === 1 ? 'step' : 'steps'} ${ids} completed after it`,
    };
  }
  return { state: 'passed', at: v.at, failed: [], staleBecause: null };
}

/** One plan's state in the ledger. */
export interface PlanStatus {
  schema: string;
  ledger: boolean;
  planId: string;
  title: string;
  /** The plan's status in the ledger, or null when it never ran in this database. */
  status: string | null;
  lastRun: RunSummary | null;
  /** The latest proof, and whether it still counts for the contract. */
  proof: ProofStatus;
  /** Every step of the plan file (and any the ledger holds that the file no longer has), in order. */
  steps: StepStatusLine[];
  /** The ORM history entries the plan wrote and that are in place (docs/orm-records.md). */
  records: { tool: string; migration: string; writtenAt: Date }[];
}

/** Every plan in the ledger (`tidemark status`). */
export async function readStatus(o: LedgerOptions): Promise<LedgerStatus> {
  return withDb(o, 'tidemark:status', async (db, schema) => {
    const { ledger } = await openLedger(db, schema);
    return { schema, ledger: !!ledger, plans: ledger ? await listPlans(ledger) : [] };
  });
}

/** One plan's steps as the ledger knows them (`tidemark status <plan>`); every step pending when it never ran. */
export async function readPlanStatus(plan: Plan, o: LedgerOptions): Promise<PlanStatus> {
  // A plan's status reads its kinds (through the step lines and the proof); the ledger's list of
  // plans does not, so `tidemark status` alone loads none of them (docs/architecture.md, "Start-up").
  const { planStatus } = await import('../report/status.js');
  return withDb(o, 'tidemark:status', async (db, schema) => {
    const { ledger } = await openLedger(db, schema);
    const planRow = ledger ? await ledger.planRow(plan.id) : undefined;
    const steps = await planStatus(planRow ? ledger : undefined, plan);
    const lastRun = planRow && ledger ? await latestRun(ledger, plan.id) : null;
    const proof = await proofStatus(planRow ? ledger : undefined, plan);
    const records = planRow && ledger ? await activeOrmRecords(ledger, plan.id) : [];
    return {
      schema,
      ledger: !!ledger,
      planId: plan.id,
      title: plan.title,
      status: planRow?.status ?? null,
      lastRun,
      proof,
      steps,
      records: records.map((r) => ({ tool: r.tool, migration: r.migration, writtenAt: r.writtenAt })),
    };
  });
}
