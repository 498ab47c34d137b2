/**
 * Opening what every command needs: the database, the ledger (only if it exists, unless asked to
 * install it), the lock policy and settings.
 */
import { hostname, userInfo } from 'node:os';
import { lockPolicyOf, type TidemarkConfig } from '../config/config.js';
import { Db } from '../db/connection.js';
import { type EventSink, noopSink } from '../kind/events.js';
import type { Settings } from '../kind/step-kind.js';
import { ledgerSchemaOf, type OpenedLedger, openLedger } from '../ledger/open.js';
import type { Phase, Plan } from '../model/plan.js';
import type { Session } from './context.js';

/** Options every command that touches a database takes. */
export interface ConnectOptions {
  databaseUrl: string;
  /** Default `tidemark` (DEFAULT_LEDGER_SCHEMA). */
  ledgerSchema?: string;
  config?: TidemarkConfig;
  events?: EventSink;
  /** Who runs this (recorded with approvals, flags, drift acceptances). Default: OS user@host. */
  actor?: string;
  /** `--approve` gate ids. */
  approvals?: string[];
}

/** Options of `runPlan` (and of a dry run). */
export interface RunOptions extends ConnectOptions {
  /** Run pending steps up to and including this phase. */
  phase?: Phase;
  /** Run pending steps up to and including this step. */
  to?: string;
  dryRun?: boolean;
  /** Accept a changed definition of these applied steps (recorded). */
  acceptChanged?: string[];
  /** Run these completed steps again (a catch-up pass). */
  redo?: string[];
  /** Wait this long for another runner's lock instead of exiting 3. */
  waitSeconds?: number;
  /** Abort to stop the run after the batch or step in flight (the CLI aborts it on SIGINT/SIGTERM). */
  signal?: AbortSignal;
}

export function defaultActor(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    /* no passwd entry */
  }
  return process.env.TIDEMARK_ACTOR || `${user}@${hostname()}`;
}

export function settingsOf(o: ConnectOptions): Settings {
  return {
    backfillTargetMs: o.config?.backfill?.targetBatchMs ?? 200,
    shadowThresholdRows: o.config?.shadowThresholdRows,
    maxRewriteLockMs: o.config?.maxRewriteLockMs,
    rewriteRate: {},
    approvals: o.approvals ?? [],
    actor: o.actor ?? defaultActor(),
  };
}

/** Open a session for a plan. With `install`, the ledger is created or upgraded; otherwise used only if present. */
export async function openSession(
  o: ConnectOptions,
  plan: Plan,
  install: boolean,
): Promise<Session & { installed?: { from: number; to: number } }> {
  const ledgerSchema = ledgerSchemaOf(o);
  const policy = lockPolicyOf(o.config ?? {});
  const db = new Db(o.databaseUrl, {
    applicationName: `tidemark:${plan.id}`.slice(0, 63),
    max: 5,
    statementTimeoutMs: policy.statementTimeoutMs,
  });
  const emit = o.events ?? noopSink;
  let opened: OpenedLedger;
  try {
    opened = await openLedger(db, ledgerSchema, { install });
  } catch (e) {
    await db.close();
    throw e;
  }
  const { ledger, installed } = opened;
  const appliedSteps = new Set<string>();
  if (ledger) {
    const states = await ledger.stepStates(plan.id);
    for (const [id, st] of states) if (st.status === 'completed') appliedSteps.add(id);
  }
  return {
    db,
    plan,
    ledgerSchema,
    ledger,
    policy,
    settings: settingsOf(o),
    emit,
    appliedSteps,
    fused: new Map(),
    installed,
  };
}
