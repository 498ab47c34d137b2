/**
 * Building the contexts steps run in: the database, the ledger, the lock-safe helpers and the
 * event sink, all scoped to one step.
 */
import type pg from 'pg';
import type { FusedCache } from '../checks/fused.js';
import type { Db } from '../db/connection.js';
import type { LockPolicy } from '../db/lock-policy.js';
import { type LockEvent, withLockRetry } from '../db/lock-safe.js';
import { runWaiting, type WaitingEvent } from '../db/waiting.js';
import type { EventSink, TidemarkEvent } from '../kind/events.js';
import type { ReadContext, Settings, StepContext } from '../kind/step-kind.js';
import type { Ledger } from '../ledger/ledger.js';
import { recordStatements, StatementLog } from '../ledger/statements.js';
import type { Plan, PlannedStep } from '../model/plan.js';

/** What every context shares within one command. */
export interface Session {
  db: Db;
  plan: Plan;
  ledgerSchema: string;
  ledger?: Ledger;
  policy: LockPolicy;
  settings: Settings;
  emit: EventSink;
  appliedSteps: Set<string>;
  /** Check values computed by a fused scan, waiting for their step (checks/fused.ts). */
  fused: FusedCache;
  /** Aborted when the run is asked to stop (SIGINT, SIGTERM): it stops after the batch or step in flight. */
  signal?: AbortSignal;
}

export function readContext(s: Session, step: PlannedStep): ReadContext {
  return {
    db: s.db,
    plan: s.plan,
    step,
    ledgerSchema: s.ledgerSchema,
    ledger: s.ledger,
    policy: s.policy,
    appliedSteps: s.appliedSteps,
    emit: s.emit,
    settings: s.settings,
    signal: s.signal,
  };
}

/** Counters a step context accumulates for the ledger. */
export interface LockStats {
  retries: number;
  lockWaitMs: number;
}

/** A step context that also collects the statements the step announces, for the ledger. */
export interface RecordingStepContext extends StepContext {
  /** The statements announced so far in this attempt (`step.statement` events). */
  statements: StatementLog;
  /** Store this attempt's statements; pass the transaction client that records the completion. */
  recordStatements(outcome: 'completed' | 'failed', client?: pg.PoolClient): Promise<void>;
}

export function stepContext(
  s: Session & { ledger: Ledger },
  step: PlannedStep,
  runId: number,
  progress: Record<string, unknown> | null,
  stats: LockStats,
): RecordingStepContext {
  const log = new StatementLog();
  let statementIndex = 0;
  const emit = (e: TidemarkEvent) => {
    if (e.type === 'step.statement' && e.stepId === step.id) log.announce(e.sql);
    s.emit(e);
  };
  const onEvent = (e: LockEvent | WaitingEvent) => {
    if (e.type === 'lock.retry') {
      stats.retries++;
      stats.lockWaitMs += s.policy.lockTimeoutMs + e.delayMs;
    }
    if (e.type === 'build.progress') {
      const { done, total, unit, phase } = e;
      s.emit({ type: 'step.progress', stepId: step.id, done, total, unit, note: phase });
    } else s.emit({ ...e, stepId: step.id });
  };
  const ctx: RecordingStepContext = {
    ...readContext(s, step),
    ledger: s.ledger,
    runId,
    progress,
    statements: log,
    async recordStatements(outcome, client) {
      await recordStatements(s.ledger, s.plan.id, step.id, runId, outcome, await log.toRecord(outcome), client);
    },
    async saveProgress(p, client) {
      ctx.progress = p;
      await s.ledger.saveProgress(s.plan.id, step.id, p, client);
    },
    async markCompleted(client, outcome) {
      await ctx.recordStatements('completed', client);
      await s.ledger.markCompleted(
        s.plan.id,
        step,
        runId,
        {
          rowsAffected: outcome.rowsAffected ?? null,
          details: outcome.details,
          retries: stats.retries,
          lockWaitMs: stats.lockWaitMs,
        },
        client,
      );
    },
    async tx<T>(what: string, fn: (client: pg.PoolClient) => Promise<T>) {
      const r = await withLockRetry(s.db, s.policy, { what, onEvent }, fn).catch((e: unknown) => {
        log.fail();
        throw e;
      });
      log.settle();
      return r;
    },
    async waiting(what, sql, params) {
      log.outsideTransaction(sql);
      const r = await runWaiting(s.db, s.policy, { what, onEvent }, sql, params).catch((e: unknown) => {
        log.fail();
        throw e;
      });
      log.settle();
      return r;
    },
    nextStatementIndex: () => statementIndex++,
    emit,
  };
  return ctx;
}
