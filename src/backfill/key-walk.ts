/**
 * The backfill engine's walk: walks a key in order, one short transaction per batch that commits the
 * data, the cursor (`ctx.saveProgress(…, client)`) and the batch's ledger row together. A kill -9
 * or a lost connection loses at most the batch in flight; a rerun resumes after the last committed
 * one, so even a non-idempotent `set` lands exactly once per row. Sizes adapt toward `targetMs`;
 * a failing batch is bisected down to its poison rows; throttles pause between batches; a perTenant
 * backfill walks tenant by tenant. The step completes in a final tiny transaction. One batch's
 * transaction and its retries are batch-runner.ts; this file is the walk around them. A backfill
 * split into ranges for several workers walks each leased range with it (ranged.ts); the entry
 * point is engine.ts.
 */
import { sleep } from '../db/lock-safe.js';
import type { StepOutcome } from '../kind/step-kind.js';
import { InterruptedError, StepFailedError } from '../model/errors.js';
import {
  type KeyRange,
  keyAsText,
  keyOfRow,
  keyOrder,
  keyTuple,
  keyValue,
  namedKey,
  rangePredicate,
  showKey,
} from '../sql/key-range.js';
import { Params } from '../sql/params.js';
import { type Attempt, BatchAborted, BatchRunner, LOCK_TIME_LIMIT, MAX_POISON_PER_BATCH } from './batch-runner.js';
import { batchTx } from './batch-tx.js';
import { bisect } from './bisect.js';
import { type Bound, countAfter, nextBound, type WalkScope } from './bounds.js';
import { describeError } from './failure.js';
import { poisonSample, stoppedError } from './poison-report.js';
import { type BackfillProgress, type PoisonRef, ProgressMeter, SKIPPED_SAMPLE } from './progress.js';
import { liveRows } from './rls.js';

/** Passes over the tail of a table (rows still arriving at its end) before the walk ends. */
const TAIL_PASSES = 3;

/** The walk of one key range (the whole key, or one leased range of a split backfill: ranged.ts). */
export class Engine extends BatchRunner {
  /** The walk's upper bound (inclusive): the end of a leased range, or null for the end of the key. */
  protected limit: string[] | null = null;
  /** Batches committed by earlier runs of the step. */
  private readonly startBatches = this.prog.batches;
  /** True once the worker was asked to stop: no new batch starts. */
  protected stopping(): boolean {
    return !!this.ctx.worker?.signal?.aborted;
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

  // ---- the walk ----------------------------------------------------------------------------------

  /** Failed rows saved by an earlier run (onError 'stop') are tried again first. */
  protected async retryPoison(): Promise<void> {
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
  protected async walk(tenant: string | undefined): Promise<void> {
    const scope: WalkScope = { ...this.r.work.scope, filter: this.walkFilter(tenant) };
    let tails = 0;
    for (;;) {
      let prev: Promise<boolean> = Promise.resolve(true);
      const flying: { b: Bound; width: number; run: Promise<Attempt> }[] = [];
      let failed: { b: Bound; error: unknown; kind: 'row' | 'timeout' } | undefined;
      let fatal: { e: unknown } | undefined;
      const settle = async () => {
        const f = flying.shift()!;
        try {
          const a = await f.run;
          if (a.ok) {
            this.width.committed(f.width);
            this.sizer.observe(f.b.walked, a.ms);
            this.meter.report(this.shown, this.sizer.size, this.takeNote());
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
      let interrupted = false;
      try {
        while (next && !failed && !fatal && !this.stopping()) {
          // Asked to stop (SIGINT, SIGTERM): launch nothing more; the batches in flight commit below.
          if (this.ctx.signal?.aborted) {
            interrupted = true;
            break;
          }
          if (launched++ && this.r.pauseMs) await sleep(this.r.pauseMs);
          this.throttledMs += await this.throttle.gate((note) => {
            this.note = note;
            this.meter.report(this.shown, this.sizer.size, note);
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
          flying.push({ b: bound, width, run });
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
      if (!failed && interrupted)
        throw new InterruptedError(
          `interrupted ${this.prog.batches ? `after batch ${this.prog.batches}` : 'before the first batch'} of step "${this.stepId}" — run again to resume`,
        );
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

  /** The walked rows: the tenant's (perTenant), up to the walk's limit. */
  private walkFilter(tenant: string | undefined): WalkScope['filter'] {
    const f = this.filter(tenant);
    const hi = this.limit;
    if (!hi) return f;
    const key = this.r.work.scope.key;
    return (p: Params) => {
      const upTo = `${keyTuple(key)} <= ${keyValue(key, hi, p)}`;
      return f ? `${f(p)} AND ${upTo}` : upTo;
    };
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
    this.meter.report(this.shown, this.sizer.size, this.note);
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

  // ---- the end -----------------------------------------------------------------------------------

  protected async complete(): Promise<StepOutcome> {
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
    this.meter.finish(prog.done, this.sizer.size);
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
    // One count of batches for the whole summary: those committed, this run's beside the total
    // when an earlier run did some (docs/backfill.md).
    const thisRun = prog.batches - this.startBatches;
    const resumed = thisRun !== prog.batches;
    const notes: string[] = [
      `${prog.rows} row(s) changed in ${prog.batches} batch(es)${resumed ? ` (${thisRun} in this run)` : ''}`,
    ];
    const width = this.width.summary(thisRun, resumed);
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
