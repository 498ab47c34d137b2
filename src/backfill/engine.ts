/**
 * The backfill engine: walks a key in order, one short transaction per batch that commits the
 * data, the cursor (`ctx.saveProgress(…, client)`) and the batch's ledger row together. A kill -9
 * or a lost connection loses at most the batch in flight; a rerun resumes after the last committed
 * one, so even a non-idempotent `set` lands exactly once per row. Sizes adapt toward `targetMs`;
 * a failing batch is bisected down to its poison rows; throttles pause between batches; a perTenant
 * backfill walks tenant by tenant. The step completes in a final tiny transaction.
 */
import type pg from 'pg';
import { backoffDelay } from '../db/lock-policy.js';
import { sleep } from '../db/lock-safe.js';
import type { StepContext, StepOutcome } from '../kind/step-kind.js';
import { recordBatch, recordPoisonRow } from '../ledger/records.js';
import { LockTimeoutError, StepFailedError } from '../model/errors.js';
import { quoteIdent } from '../sql/ident.js';
import { batchTx, type TxSettings } from './batch-tx.js';
import { bisect } from './bisect.js';
import { type Bound, countAfter, nextBound, type WalkScope } from './bounds.js';
import { classify, describeError } from './failure.js';
import { LockMonitor } from './lock-monitor.js';
import { poisonSample, stoppedError } from './poison-report.js';
import {
  type BackfillProgress,
  freshProgress,
  type PoisonRef,
  ProgressMeter,
  readProgress,
  SKIPPED_SAMPLE,
} from './progress.js';
import { type KeyRange, keyAsText, keyOfRow, keyOrder, namedKey, Params, rangePredicate, showKey } from './range.js';
import { liveRows } from './rls.js';
import { BatchSizer } from './sizer.js';
import { backfillMarker } from './sync-trigger.js';
import { Throttle, type ThrottleOptions } from './throttle.js';
import { BatchWidth, type Concurrency } from './width.js';
import type { BatchWork, ScopeFilter } from './work.js';

/** At most this many rows of one batch may fail before the step stops regardless of `onError`. */
export const MAX_POISON_PER_BATCH = 100;
/** A batch of several rows holding its locks longer than this × target is cancelled and retried smaller. */
export const LOCK_TIME_LIMIT = 1.5;
/** Passes over the tail of a table (rows still arriving at its end) before the walk ends. */
const TAIL_PASSES = 3;

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
}

/** What one committed piece of work covered. */
interface Done {
  rows: number;
  range: KeyRange;
  walked: number;
}

type Attempt =
  | { ok: true; done: Done; ms: number }
  | { ok: false; kind: 'row' | 'timeout' | 'aborted'; error: unknown };

/** A batch rolled back because the one before it failed (it must not commit past a gap). */
class BatchAborted extends Error {}

/** Run (or resume) a backfill to its end. */
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

export async function runBackfill(r: BackfillRun): Promise<StepOutcome> {
  return new Engine(r).run();
}

class Engine {
  private prog: BackfillProgress;
  private readonly ctx: StepContext;
  private readonly sizer: BatchSizer;
  private readonly monitor: LockMonitor;
  private readonly throttle: Throttle;
  private readonly width: BatchWidth;
  private meter!: ProgressMeter;
  private throttledMs = 0;
  private note: string | undefined;
  private readonly marker: string;

  constructor(private readonly r: BackfillRun) {
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

  private get stepId(): string {
    return this.ctx.step.id;
  }

  async run(): Promise<StepOutcome> {
    const { ctx, prog } = this;
    const scope = this.r.work.scope;
    if (prog.batches > 0 || prog.cursor) {
      ctx.emit({
        type: 'notice',
        level: 'info',
        stepId: this.stepId,
        message: `resuming after ${showKey(scope.key, prog.cursor)}: ${prog.done} rows walked and ${prog.rows} changed in ${prog.batches} earlier batch(es)`,
      });
    }
    const estimate = await liveRows(ctx.db.pool, scope.table);
    const total =
      estimate > 0 ? estimate : prog.done + (await countAfter(ctx.db.pool, scope, prog.tenants ? null : prog.cursor));
    this.meter = new ProgressMeter(ctx.emit, this.stepId, prog.done, Math.max(total, prog.done));
    try {
      await this.retryPoison();
      if (this.prog.tenants) {
        while ((this.prog.tenantIndex ?? 0) < this.prog.tenants.length) {
          const i = this.prog.tenantIndex ?? 0;
          await this.walk(this.prog.tenants[i]);
          await this.save({ ...this.prog, tenantIndex: i + 1, cursor: null });
        }
      } else {
        await this.walk(undefined);
      }
      return await this.complete();
    } finally {
      await this.monitor.close();
    }
  }

  // ---- transactions ------------------------------------------------------------------------------

  /**
   * A batch transaction's settings. Its lock time is bounded: a batch of several rows that runs past
   * 1.5 × target is cancelled (statement_timeout) and retried smaller, so a stall never turns into a
   * long lock. A single row may take as long as it needs (up to 10 × target, at least 5 s).
   */
  private settings(tenant: string | undefined, walked = 1): TxSettings {
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

  private filter(tenant: string | undefined): ScopeFilter | undefined {
    const pt = this.r.perTenant;
    if (!pt || tenant === undefined) return undefined;
    return (p: Params) => `${quoteIdent(pt.column)} = ${p.add(tenant)}`;
  }

  private async save(p: BackfillProgress): Promise<void> {
    await this.ctx.saveProgress(p as unknown as Record<string, unknown>);
    this.prog = p;
  }

  /**
   * Run `body` (which picks its range and changes it) and commit it with the progress `next`
   * returns, retrying lock timeouts and serialization failures with backoff. Row errors and
   * statement timeouts are returned. `body` returning null = nothing left (an empty commit).
   */
  private async attempt(
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
          await this.ctx.saveProgress(p as unknown as Record<string, unknown>, client);
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
        this.meter.report(this.prog.done, this.sizer.size, this.note);
        this.sizer.shrink(0.5);
        await sleep(delay);
      }
    }
  }

  /** Change exactly `range` (bisection, retries). */
  private attemptRange(
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
  private async poison(
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
      await this.ctx.saveProgress(p as unknown as Record<string, unknown>, client);
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

  // ---- the walk ----------------------------------------------------------------------------------

  /** Failed rows saved by an earlier run (onError 'stop') are tried again first. */
  private async retryPoison(): Promise<void> {
    const pending = this.prog.retry ?? [];
    if (!pending.length) return;
    this.ctx.emit({
      type: 'notice',
      level: 'info',
      stepId: this.stepId,
      message: `trying again the ${pending.length} row(s) that failed in an earlier run`,
    });
    const still: PoisonRef[] = [];
    for (const ref of pending) {
      const tenant = ref.tenant;
      const drop = (p: BackfillProgress) => ({
        ...p,
        retry: (p.retry ?? []).filter((x) => x.key.join('\u0000') !== ref.key.join('\u0000')),
      });
      const a = await this.attemptRange({ lo: null, hi: ref.key, exact: true }, 1, tenant, (p, d) => ({
        ...drop(p),
        rows: p.rows + d.rows,
        batches: p.batches + 1,
      }));
      if (!a.ok)
        still.push(
          await this.poison(ref.key, a.error, tenant, (p, r) => ({ ...drop(p), retry: [...(drop(p).retry ?? []), r] })),
        );
    }
    if (still.length && this.r.onError === 'stop') throw stoppedError(this.stepId, this.r.work.scope.key, still, 0);
    if (still.length) {
      // onError is now 'skip': they count as skipped.
      await this.save({
        ...this.prog,
        retry: [],
        skipped: [...(this.prog.skipped ?? []), ...still].slice(0, SKIPPED_SAMPLE),
      });
    }
  }

  /** The next bound after `lo`, found on its own connection (under the tenant's setting for a perTenant pass). */
  private async findBound(
    scope: WalkScope,
    tenant: string | undefined,
    lo: string[] | null,
    size: number,
  ): Promise<Bound | null> {
    if (tenant === undefined) return nextBound(this.ctx.db.pool, scope, lo, size);
    return (await batchTx(this.ctx.db, this.settings(tenant), null, (c) => nextBound(c, scope, lo, size))).value;
  }

  /**
   * Walk the key: up to `batch.concurrency` batches in flight, each committing only after the one
   * before it (so the cursor stays a strict prefix of the key), while the next bound is found on
   * another connection. A failed batch aborts the ones after it; it is then shrunk (timeout) or
   * bisected (row errors), and the walk goes on from the cursor.
   */
  private async walk(tenant: string | undefined): Promise<void> {
    const scope: WalkScope = { ...this.r.work.scope, filter: this.filter(tenant) };
    let tails = 0;
    for (;;) {
      let prev: Promise<boolean> = Promise.resolve(true);
      const flying: { b: Bound; run: Promise<Attempt> }[] = [];
      let failed: { b: Bound; error: unknown; kind: 'row' | 'timeout' } | undefined;
      let fatal: { e: unknown } | undefined;
      const settle = async () => {
        const f = flying.shift()!;
        try {
          const a = await f.run;
          if (a.ok) {
            this.sizer.observe(f.b.walked, a.ms);
            this.meter.report(this.prog.done, this.sizer.size, this.takeNote());
          } else if (a.kind !== 'aborted') failed ??= { b: f.b, error: a.error, kind: a.kind };
        } catch (e) {
          fatal ??= { e };
        }
      };
      // The next bound is looked up while other work is awaited (throttle, width, settling batches):
      // `handled` keeps its failure (a dropped connection) for the `await next` below instead of
      // letting it surface as an unhandled rejection that kills the process (docs/reliability.md).
      let next: Promise<Bound | null> | null = handled(
        this.findBound(scope, tenant, this.prog.cursor, this.sizer.size),
      );
      let lo = this.prog.cursor;
      let launched = 0;
      try {
        while (next && !failed && !fatal) {
          if (launched++ && this.r.pauseMs) await sleep(this.r.pauseMs);
          this.throttledMs += await this.throttle.gate((note) => {
            this.note = note;
            this.meter.report(this.prog.done, this.sizer.size, note);
          });
          const width = await this.width.next();
          const size = this.sizer.size;
          let b: Bound | null = await next;
          // A bound found before the last batch was measured is redone when the size moved a lot.
          if (b && (b.walked > size * 1.5 || (!b.tail && b.walked < size / 1.5)))
            b = await this.findBound(scope, tenant, lo, size);
          if (!b) {
            next = null;
            break;
          }
          const bound: Bound = b;
          if (bound.tail) tails++;
          lo = bound.range.hi;
          const before = prev;
          const run = this.attempt(
            tenant,
            bound.walked,
            async (client, f) => {
              const rows = await this.r.work.run(client, bound.range, f);
              if (!(await before)) throw new BatchAborted();
              return { rows, range: bound.range, walked: bound.walked };
            },
            (p, d) => ({
              ...p,
              cursor: d.range.hi,
              done: p.done + d.walked,
              rows: p.rows + d.rows,
              batches: p.batches + 1,
              size: d.walked,
            }),
          );
          prev = run.then(
            (a) => a.ok,
            () => false,
          );
          flying.push({ b: bound, run });
          next =
            bound.tail && tails >= TAIL_PASSES ? null : handled(this.findBound(scope, tenant, lo, this.sizer.size));
          while (flying.length >= width) await settle();
        }
      } catch (e) {
        // A failure outside the batches (the bound lookup, the throttle) still lets the batches in
        // flight finish or roll back before the error travels up: nothing runs on after the step failed.
        fatal ??= { e };
      }
      while (flying.length) await settle();
      await next?.catch(() => null);
      if (fatal) throw fatal.e;
      if (!failed) return;
      if (failed.kind === 'timeout' && failed.b.walked > 1) {
        this.sizer.shrink(0.25);
        this.note = `a batch of ${failed.b.walked} rows ran past ${LOCK_TIME_LIMIT} × target: cancelled, retrying with ${this.sizer.size}`;
      } else {
        await this.bisectRange(failed.b.range, failed.error, tenant);
      }
      if (failed.b.tail && tails >= TAIL_PASSES) return;
    }
  }

  private async bisectRange(range: KeyRange, error: unknown, tenant: string | undefined): Promise<void> {
    const scope = this.r.work.scope;
    const { value: keys } = await batchTx(this.ctx.db, this.settings(tenant), null, async (client) => {
      const p = new Params();
      const f = this.filter(tenant);
      const res = await client.query(
        `SELECT ${keyAsText(scope.key)} FROM ${scope.table.sql} WHERE ${rangePredicate(scope.key, range, p)}${f ? ` AND ${f(p)}` : ''} ORDER BY ${keyOrder(scope.key)}`,
        p.values,
      );
      return res.rows.map((row) => keyOfRow(scope.key, row));
    });
    const found: PoisonRef[] = [];
    const skip = this.r.onError === 'skip';
    this.note = `a batch failed (${describeError(error).message}): isolating the failing rows among ${keys.length}`;
    this.meter.report(this.prog.done, this.sizer.size, this.note);
    await bisect(range.lo, keys, error, {
      keepGoing: () => found.length < MAX_POISON_PER_BATCH,
      tryRange: async (sub, walked) => {
        const a = await this.attemptRange(sub, walked, tenant, (p, d) => ({
          ...p,
          cursor: sub.hi,
          done: p.done + walked,
          rows: p.rows + d.rows,
          batches: p.batches + 1,
        }));
        return a.ok ? { ok: true } : { ok: false, error: a.error };
      },
      poison: async (key, err) => {
        found.push(
          await this.poison(key, err, tenant, (p, ref) => ({
            ...p,
            cursor: key,
            done: p.done + 1,
            poison: p.poison + 1,
            ...(skip
              ? { skipped: [...(p.skipped ?? []), ref].slice(0, SKIPPED_SAMPLE) }
              : { retry: [...(p.retry ?? []), ref] }),
          })),
        );
      },
    });
    if (found.length >= MAX_POISON_PER_BATCH) {
      throw new StepFailedError(
        this.stepId,
        `step "${this.stepId}": ${found.length} rows of one batch failed, which looks like a mistake in the step rather than bad rows; stopped after ${showKey(scope.key, this.prog.cursor)}.\n${poisonSample(scope.key, found)}`,
        'Fix the expression (or the data), then run again: the failed rows are tried again first, then the backfill continues where it stopped.',
        { poison: found.slice(0, 10) },
      );
    }
    if (found.length && !skip) throw stoppedError(this.stepId, scope.key, found, keys.length - found.length);
  }

  private takeNote(): string | undefined {
    const n = this.note;
    this.note = undefined;
    return n;
  }

  // ---- the end -----------------------------------------------------------------------------------

  private async complete(): Promise<StepOutcome> {
    const { ctx, prog } = this;
    const scope = this.r.work.scope;
    if (prog.done === 0 && this.r.rlsEnabled) {
      const n = await liveRows(ctx.db.pool, scope.table);
      if (n > 0) {
        throw new StepFailedError(
          this.stepId,
          `step "${this.stepId}": walked 0 of about ${n} rows of ${scope.table.display}: row-level security hides every row from role this backfill runs as; nothing was changed`,
          'Run as the table owner or a role with BYPASSRLS, or give perTenant: { column, setting } (and perTenant.tenants when the tenants cannot be listed).',
        );
      }
    }
    this.meter.finish(prog.done);
    this.meter.report(prog.done, this.sizer.size);
    const skipped = prog.skipped ?? [];
    const details = {
      batches: prog.batches,
      walked: prog.done,
      rows: prog.rows,
      poison: prog.poison,
      ...(skipped.length ? { skipped: skipped.map((r) => ({ key: namedKey(scope.key, r.key), error: r.error })) } : {}),
      ...(prog.tenants ? { tenants: prog.tenants.length } : {}),
    };
    await ctx.db.transaction(async (client) => {
      await ctx.saveProgress(prog as unknown as Record<string, unknown>, client);
      await ctx.markCompleted(client, { rowsAffected: prog.rows, details });
    });
    const notes: string[] = [`${prog.rows} row(s) changed in ${prog.batches} batch(es)`];
    const width = this.width.summary();
    if (width) notes.push(width);
    if (prog.poison)
      notes.push(
        `${prog.poison} row(s) failed and were skipped (onError: 'skip'):\n${poisonSample(scope.key, skipped)}`,
      );
    return { rowsAffected: prog.rows, details, notes, recorded: true };
  }
}

/** Mark `p` handled now (its rejection is still seen by whoever awaits it later). */
function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}
