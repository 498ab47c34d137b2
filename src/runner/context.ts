/**
 * Building the contexts steps run in: the database, the ledger, the lock-safe helpers and the
 * event sink, all scoped to one step.
 */
import type pg from 'pg';
import type { Db } from '../db/connection.js';
import type { LockPolicy } from '../db/lock-policy.js';
import { runWaiting, withLockRetry, type LockEvent } from '../db/lock-safe.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Plan, PlannedStep } from '../plan/types.js';
import type { Action, ReadContext, Settings, StepContext, StepOutcome } from '../steps/step-kind.js';
import type { EventSink } from './events.js';

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

export function stepContext(s: Session & { ledger: Ledger }, step: PlannedStep, runId: number, progress: Record<string, unknown> | null, stats: LockStats): StepContext {
  const onEvent = (e: LockEvent) => {
    if (e.type === 'lock.retry') {
      stats.retries++;
      stats.lockWaitMs += s.policy.lockTimeoutMs + e.delayMs;
    }
    s.emit({ ...e, stepId: step.id });
  };
  const ctx: StepContext = {
    ...readContext(s, step),
    ledger: s.ledger,
    runId,
    progress,
    async saveProgress(p, client) {
      ctx.progress = p;
      await s.ledger.saveProgress(s.plan.id, step.id, p, client);
    },
    async markCompleted(client, outcome) {
      await s.ledger.markCompleted(s.plan.id, step, runId, { rowsAffected: outcome.rowsAffected ?? null, details: outcome.details, retries: stats.retries, lockWaitMs: stats.lockWaitMs }, client);
    },
    tx<T>(what: string, fn: (client: pg.PoolClient) => Promise<T>) {
      return withLockRetry(s.db, s.policy, { what, onEvent }, fn);
    },
    waiting(what, sql, params) {
      return runWaiting(s.db, s.policy, { what, onEvent }, sql, params);
    },
    async execActions(actions: Action[], complete?: StepOutcome) {
      const groups: { tx: boolean; actions: Action[] }[] = [];
      for (const a of actions) {
        const tx = a.transaction !== false;
        const last = groups[groups.length - 1];
        if (last && last.tx && tx) last.actions.push(a);
        else groups.push({ tx, actions: [a] });
      }
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
          if (isLast && complete) await s.ledger.markCompleted(s.plan.id, step, runId, { rowsAffected: complete.rowsAffected ?? null, details: complete.details, retries: stats.retries, lockWaitMs: stats.lockWaitMs });
        }
      }
    },
    emit: s.emit,
  };
  return ctx;
}
