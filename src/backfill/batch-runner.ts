/**
 * One batch of a backfill, committed: the transaction (lock and statement timeouts, the tenant's
 * setting, the sync trigger's marker) that changes a key range and saves the cursor and the
 * batch's ledger row with it, retried with backoff on lock timeouts and serialization failures;
 * and the transaction that records a failed row. The walk that picks the ranges is engine.ts
 * (docs/backfill.md).
 */
import type pg from 'pg';
import { backoffDelay } from '../db/lock-policy.js';
import { sleep } from '../db/lock-safe.js';
import type { StepContext } from '../kind/step-kind.js';
import { recordBatch, recordPoisonRow } from '../ledger/records.js';
import { LockTimeoutError } from '../model/errors.js';
import { quoteIdent } from '../sql/ident.js';
import { type KeyRange, namedKey, showKey } from '../sql/key-range.js';
import type { Params } from '../sql/params.js';
import { batchTx, type TxSettings } from './batch-tx.js';
import { classify, describeError } from './failure.js';
import { LockMonitor } from './lock-monitor.js';
import { type BackfillProgress, freshProgress, type PoisonRef, type ProgressMeter, readProgress } from './progress.js';
import { BatchSizer } from './sizer.js';
import { backfillMarker } from './sync-trigger.js';
import { Throttle, type ThrottleOptions } from './throttle.js';
import { BatchWidth, type Concurrency } from './width.js';
import type { BatchWork, ScopeFilter } from './work.js';

/** At most this many rows of one batch may fail before the step stops regardless of `onError`. */
export const MAX_POISON_PER_BATCH = 100;
/** A batch of several rows holding its locks longer than this × target is cancelled and retried smaller. */
export const LOCK_TIME_LIMIT = 1.5;

/** Everything one backfill run needs. */
export interface BackfillRun {
  ctx: StepContext;
  work: BatchWork;
  targetMs: number;
  size?: number;
  pauseMs?: number;
  /** Batches in flight at once (each commits after the one before it), or 'auto' (the default: see width.ts). */
  concurrency?: Concurrency;
  onError: 'stop' | 'skip';
  throttle: ThrottleOptions;
  /** perTenant: the tenants to walk (used when the saved progress has none) and their setting. */
  perTenant?: { column: string; setting: string; tenants: string[] };
  /** Row-level security is enabled on the walked table: a walk of 0 rows while it holds rows fails. */
  rlsEnabled: boolean;
  /**
   * Split the key into ranges that several workers may lease (`tidemark work`, docs/work.md).
   * Absent: one walk of the whole key (a perTenant backfill is always one walk).
   */
  split?: boolean;
  /** How long a lease of `run`'s lives without a heartbeat (default {@link DEFAULT_LEASE_MS}). */
  leaseMs?: number;
}

/** A worker's lease on a range lives this long without a heartbeat (or a committed batch). */
export const DEFAULT_LEASE_MS = 30_000;

/** What one committed piece of work covered. */
export interface Done {
  rows: number;
  range: KeyRange;
  walked: number;
}

export type Attempt =
  | { ok: true; done: Done; ms: number }
  | { ok: false; kind: 'row' | 'timeout' | 'aborted'; error: unknown };

/** A batch rolled back because the one before it failed (it must not commit past a gap). */
export class BatchAborted extends Error {}

/** A step's `batch` and `onError` options as the engine takes them (the same for update and insert). */
export function batchSettings(
  o: {
    batch?: { targetMs?: number; size?: number; pauseMs?: number; concurrency?: Concurrency };
    onError?: 'stop' | 'skip';
  },
  defaultTargetMs: number,
): Pick<BackfillRun, 'targetMs' | 'size' | 'pauseMs' | 'concurrency' | 'onError'> {
  return {
    targetMs: o.batch?.targetMs ?? defaultTargetMs,
    size: o.batch?.size,
    pauseMs: o.batch?.pauseMs,
    concurrency: o.batch?.concurrency,
    onError: o.onError ?? 'stop',
  };
}

/** The engine's state and its committed batches; the walk itself is {@link Engine} (engine.ts). */
export abstract class BatchRunner {
  protected prog: BackfillProgress;
  protected readonly ctx: StepContext;
  protected readonly sizer: BatchSizer;
  protected readonly monitor: LockMonitor;
  protected readonly throttle: Throttle;
  protected readonly width: BatchWidth;
  protected meter!: ProgressMeter;
  protected throttledMs = 0;
  protected note: string | undefined;
  protected readonly marker: string;
  /** Rows walked before the current piece of work (the other ranges of a split backfill), for the progress shown. */
  protected doneOffset = 0;
  /**
   * Where the progress is committed: the step's own progress, or (a backfill split into ranges)
   * the leased range's row, which refuses a commit once the lease is lost (ranged.ts).
   */
  protected persist: (p: BackfillProgress, client?: pg.PoolClient) => Promise<void> = (p, client) =>
    this.ctx.saveProgress(p as unknown as Record<string, unknown>, client);

  constructor(protected readonly r: BackfillRun) {
    this.ctx = r.ctx;
    const saved = readProgress(r.ctx.progress);
    this.prog = saved ?? freshProgress();
    if (r.perTenant && !this.prog.tenants) {
      this.prog.tenants = r.perTenant.tenants;
      this.prog.tenantIndex = 0;
    }
    this.sizer = new BatchSizer({
      targetMs: r.targetMs,
      size: r.size,
      start: this.prog.size ? this.prog.size / 2 : undefined,
    });
    this.throttle = new Throttle(r.ctx.db, r.throttle, r.targetMs, r.size === undefined);
    // Polled often enough to see a wait reach the threshold, no more (pg_locks is not free).
    this.monitor = new LockMonitor(r.ctx.db, Math.max(25, Math.min(1000, Math.round(this.throttle.maxLockWaitMs / 2))));
    this.marker = backfillMarker(r.ctx.plan.id, r.ctx.step.id);
    this.width = new BatchWidth(r.ctx.db, r.concurrency);
  }

  protected get stepId(): string {
    return this.ctx.step.id;
  }

  // ---- transactions ------------------------------------------------------------------------------

  /**
   * A batch transaction's settings. Its lock time is bounded: a batch of several rows that runs past
   * 1.5 × target is cancelled (statement_timeout) and retried smaller, so a stall never turns into a
   * long lock. A single row may take as long as it needs (up to 10 × target, at least 5 s).
   */
  protected settings(tenant: string | undefined, walked = 1): TxSettings {
    const pt = this.r.perTenant;
    const tight = walked > 1 && this.r.size === undefined;
    return {
      lockTimeoutMs: this.ctx.policy.lockTimeoutMs,
      statementTimeoutMs: tight
        ? Math.max(50, Math.round(LOCK_TIME_LIMIT * this.r.targetMs))
        : Math.max(10 * this.r.targetMs, 5_000),
      marker: this.marker,
      tenant: pt && tenant !== undefined ? { setting: pt.setting, value: tenant } : undefined,
    };
  }

  protected filter(tenant: string | undefined): ScopeFilter | undefined {
    const pt = this.r.perTenant;
    if (!pt || tenant === undefined) return undefined;
    return (p: Params) => `${quoteIdent(pt.column)} = ${p.add(tenant)}`;
  }

  protected async save(p: BackfillProgress): Promise<void> {
    await this.persist(p);
    this.prog = p;
  }

  /** Rows walked as the progress shows them. */
  protected get shown(): number {
    return this.doneOffset + this.prog.done;
  }

  /**
   * Run `body` (which picks its range and changes it) and commit it with the progress `next`
   * returns, retrying lock timeouts and serialization failures with backoff. Row errors and
   * statement timeouts are returned. `body` returning null = nothing left (an empty commit).
   */
  protected async attempt(
    tenant: string | undefined,
    walked: number,
    body: (client: pg.PoolClient, filter?: ScopeFilter) => Promise<Done>,
    next: (p: BackfillProgress, d: Done) => BackfillProgress,
  ): Promise<Attempt> {
    const policy = this.ctx.policy;
    const key = this.r.work.scope.key;
    for (let attempt = 1; ; attempt++) {
      let t = 0;
      try {
        const { value } = await batchTx(this.ctx.db, this.settings(tenant, walked), this.monitor, async (client) => {
          t = performance.now();
          const d = await body(client, this.filter(tenant));
          const p = next(this.prog, d);
          await this.persist(p, client);
          await recordBatch(
            this.ctx.ledger,
            {
              planId: this.ctx.plan.id,
              stepId: this.stepId,
              runId: this.ctx.runId,
              batchNo: p.batches,
              keyFrom: d.range.exact ? namedKey(key, d.range.hi) : d.range.lo && namedKey(key, d.range.lo),
              keyTo: namedKey(key, d.range.hi),
              rows: d.rows,
              size: d.walked,
              durationMs: performance.now() - t,
              throttledMs: this.throttledMs,
            },
            client,
          );
          return { d, p };
        }).then((x) => {
          if (this.throttle.afterBatch(x.waits)) this.sizer.shrink(0.5);
          return x;
        });
        const ms = performance.now() - t;
        this.prog = value.p;
        this.throttledMs = 0;
        return { ok: true, done: value.d, ms };
      } catch (e) {
        if (e instanceof BatchAborted) return { ok: false, kind: 'aborted', error: e };
        const kind = classify(e);
        if (kind === 'row' || kind === 'timeout') return { ok: false, kind, error: e };
        if (kind === 'fatal' || attempt >= policy.retries) {
          if (kind === 'lock')
            throw new LockTimeoutError(
              `step "${this.stepId}": batch after ${showKey(key, this.prog.cursor)}`,
              attempt,
              policy.lockTimeoutMs,
              [],
            );
          throw e;
        }
        const delay = backoffDelay(policy, attempt);
        this.note =
          kind === 'lock'
            ? `a row of the batch is locked by another session: retrying in ${delay} ms with a smaller batch`
            : `serialization failure or deadlock: retrying in ${delay} ms`;
        this.meter.report(this.shown, this.sizer.size, this.note);
        this.sizer.shrink(0.5);
        await sleep(delay);
      }
    }
  }

  /** Change exactly `range` (bisection, retries). */
  protected attemptRange(
    range: KeyRange,
    walked: number,
    tenant: string | undefined,
    next: (p: BackfillProgress, d: Done) => BackfillProgress,
  ): Promise<Attempt> {
    return this.attempt(
      tenant,
      walked,
      async (client, f) => ({ rows: await this.r.work.run(client, range, f), range, walked }),
      next,
    );
  }

  /** Record a failed row (and move the progress with `next`) in one transaction. */
  protected async poison(
    key: string[],
    error: unknown,
    tenant: string | undefined,
    next: (p: BackfillProgress, ref: PoisonRef) => BackfillProgress,
  ): Promise<PoisonRef> {
    const d = describeError(error);
    const ref: PoisonRef = { key, error: d.message, sqlstate: d.sqlstate, ...(tenant !== undefined ? { tenant } : {}) };
    const { value } = await batchTx(this.ctx.db, this.settings(tenant), null, async (client) => {
      await recordPoisonRow(
        this.ctx.ledger,
        this.ctx.plan.id,
        this.stepId,
        this.ctx.runId,
        namedKey(this.r.work.scope.key, key),
        d.message,
        d.sqlstate,
        client,
      );
      const p = next(this.prog, ref);
      await this.persist(p, client);
      return p;
    });
    this.prog = value;
    const skip = this.r.onError === 'skip';
    this.ctx.emit({
      type: 'notice',
      level: 'warn',
      stepId: this.stepId,
      message: `row ${showKey(this.r.work.scope.key, key)} failed${d.sqlstate ? ` [${d.sqlstate}]` : ''}: ${d.message}${skip ? ' (skipped)' : ''}`,
    });
    return ref;
  }

  protected takeNote(): string | undefined {
    const n = this.note;
    this.note = undefined;
    return n;
  }
}
