/**
 * Building the contexts steps run in: the database, the ledger, the lock-safe helpers and the
 * event sink, all scoped to one step.
 */
import type pg from 'pg';
import type { Db } from '../db/connection.js';
import type { LockPolicy } from '../db/lock-policy.js';
import { type LockEvent, withLockRetry } from '../db/lock-safe.js';
import { runWaiting, type WaitingEvent } from '../db/waiting.js';
import type { EventSink, TidemarkEvent } from '../kind/events.js';
import type { Action, ReadContext, Settings, StepContext, StepOutcome } from '../kind/step-kind.js';
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
    async execActions(actions: Action[], complete?: StepOutcome) {
      const groups: { tx: boolean; actions: Action[] }[] = [];
      for (const a of actions) {
        const tx = a.transaction !== false;
        const last = groups[groups.length - 1];
        if (last?.tx && tx) last.actions.push(a);
        else groups.push({ tx, actions: [a] });
      }
      for (let i = 0; i < actions.length; i++)
        emit({ type: 'step.statement', stepId: step.id, index: i, count: actions.length, sql: actions[i].sql });
      for (let g = 0; g < groups.length; g++) {
        const group = groups[g];
        const isLast = g === groups.length - 1;
        if (group.tx) {
          await ctx.tx(`step "${step.id}"`, async (client) => {
            for (const a of group.actions) await client.query(a.sql, a.params as unknown[]);
            if (isLast && complete) await ctx.markCompleted(client, complete);
          });
        } else {
          for (const a of group.actions) await ctx.waiting(`step "${step.id}"`, a.sql, a.params);
          if (isLast && complete) await s.db.transaction((c) => ctx.markCompleted(c, complete));
        }
      }
    },
    emit,
  };
  return ctx;
}
