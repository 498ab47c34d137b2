/**
 * A backfill split into key ranges that several workers work at once (docs/work.md). `run` splits
 * the key once and is a worker like any other; `tidemark work` workers join. Each worker leases one
 * range at a time from the ledger (`FOR UPDATE SKIP LOCKED`), walks it with the ordinary engine
 * (engine.ts) bounded by the range's end, and commits each batch with the range's cursor in the
 * same transaction — a commit that finds its lease lost rolls back, so every row is written once
 * across workers. A heartbeat keeps the lease; a lease that expired (its worker was killed) is taken
 * over from the range's committed cursor. `run` completes the step when every range is done.
 */
import type pg from 'pg';
import { sleep } from '../db/lock-safe.js';
import type { StepOutcome } from '../kind/step-kind.js';
import {
  createRanges,
  finishRange,
  heartbeatRange,
  type Lease,
  leaseRange,
  listRanges,
  markWorkerCrashed,
  type RangeKey,
  type RangeRow,
  rangeCount,
  releaseRange,
  saveRangeProgress,
} from '../ledger/ranges.js';
import { showKey } from '../sql/key-range.js';
import { type BackfillRun, DEFAULT_LEASE_MS } from './batch-runner.js';
import { Engine } from './key-walk.js';
import { type BackfillProgress, freshProgress, ProgressMeter, readProgress, SKIPPED_SAMPLE } from './progress.js';
import { liveRows } from './rls.js';
import { splitKey } from './split.js';

/** The lease of this worker was taken over (it stalled past its lease): its batch rolled back. */
export class LeaseLost extends Error {
  constructor(readonly rangeNo: number) {
    super(`the lease on range ${rangeNo} was taken over by another worker`);
  }
}

/**
 * Work a split backfill: `run` splits the key (once) and completes the step; a worker works until
 * no range is left to lease. Returns null when the backfill is not split (a walk that started
 * before ranges existed is finished as one walk by `run`; a worker then has nothing to join).
 */
export async function runRanged(r: BackfillRun): Promise<StepOutcome | null> {
  const { ctx } = r;
  if (!(await rangeCount(ctx.ledger, ctx.plan.id, ctx.step.id))) {
    if (ctx.worker) return { rowsAffected: 0, recorded: true, details: { joined: false } };
    const saved = readProgress(ctx.progress);
    if (saved && (saved.batches > 0 || saved.cursor || saved.retry?.length)) return null;
    const rows = await liveRows(ctx.db.pool, r.work.scope.table);
    const splits = await splitKey(ctx.db.pool, r.work.scope, rows);
    await createRanges(
      ctx.ledger,
      ctx.plan.id,
      ctx.step.id,
      splits.map((s) => ({
        ...s,
        progress: { ...freshProgress(), cursor: s.lo } as unknown as Record<string, unknown>,
      })),
    );
  }
  return new RangedEngine(r).work();
}

/** Sum the ranges' progress into the step's. */
function total(ranges: readonly RangeRow[]): BackfillProgress {
  const p = freshProgress();
  const skipped: NonNullable<BackfillProgress['skipped']> = [];
  for (const r of ranges) {
    const x = readProgress(r.progress) ?? freshProgress();
    p.done += x.done;
    p.rows += x.rows;
    p.batches += x.batches;
    p.poison += x.poison;
    if (x.size) p.size = x.size;
    skipped.push(...(x.skipped ?? []));
  }
  if (skipped.length) p.skipped = skipped.slice(0, SKIPPED_SAMPLE);
  return p;
}

class RangedEngine extends Engine {
  private readonly leaseMs = this.ctx.worker?.leaseMs ?? this.r.leaseMs ?? DEFAULT_LEASE_MS;
  private readonly mine = { rows: 0, walked: 0, batches: 0, ranges: 0, takenOver: 0 };
  private key(rangeNo: number): RangeKey {
    return { planId: this.ctx.plan.id, stepId: this.stepId, rangeNo };
  }

  async work(): Promise<StepOutcome> {
    const { ctx } = this;
    const worker = !!ctx.worker;
    const ranges = await listRanges(ctx.ledger, ctx.plan.id, this.stepId);
    const start = total(ranges).done;
    const estimate = await liveRows(ctx.db.pool, this.r.work.scope.table);
    this.meter = new ProgressMeter(ctx.emit, this.stepId, start, Math.max(estimate, start) || null);
    let waiting = false;
    try {
      while (!this.stopping()) {
        const lease = await leaseRange(ctx.ledger, ctx.plan.id, this.stepId, ctx.runId, this.leaseMs);
        if (lease) {
          waiting = false;
          await this.workRange(lease);
          continue;
        }
        if (worker) break;
        const now = await listRanges(ctx.ledger, ctx.plan.id, this.stepId);
        if (now.every((x) => x.state === 'done')) break;
        if (!waiting) {
          const held = now.filter((x) => x.state === 'open').map((x) => `#${x.rangeNo} (run #${x.holderRunId})`);
          this.meter.report(
            total(now).done,
            this.sizer.size,
            `waiting for other workers to finish range(s) ${held.join(', ')}; an expired lease is taken over`,
          );
          waiting = true;
        }
        await sleep(Math.max(50, Math.min(1_000, Math.round(this.leaseMs / 4))));
      }
    } finally {
      await this.monitor.close();
    }
    if (worker || this.stopping()) return this.summary();
    return this.completeAll();
  }

  /** Walk one leased range to its end (or until the worker stops, or loses the lease). */
  private async workRange(lease: Lease): Promise<void> {
    const { ctx } = this;
    const k = this.key(lease.rangeNo);
    const all = await listRanges(ctx.ledger, ctx.plan.id, this.stepId);
    this.prog = readProgress(lease.progress) ?? { ...freshProgress(), cursor: lease.lo };
    this.limit = lease.hi;
    this.doneOffset = total(all.filter((x) => x.rangeNo !== lease.rangeNo)).done;
    const before = { rows: this.prog.rows, walked: this.prog.done, batches: this.prog.batches };
    if (lease.previous !== null) {
      this.mine.takenOver++;
      await markWorkerCrashed(ctx.ledger, lease.previous);
      ctx.emit({
        type: 'notice',
        level: 'warn',
        stepId: this.stepId,
        message: `took over range ${lease.rangeNo} from run #${lease.previous} (it stopped, or its lease expired)`,
      });
    }
    const p = this.prog;
    if (p.batches > 0 || p.retry?.length)
      ctx.emit({
        type: 'notice',
        level: 'info',
        stepId: this.stepId,
        message: `resuming after ${showKey(this.r.work.scope.key, p.cursor)}: ${p.done} rows walked and ${p.rows} changed in ${p.batches} earlier batch(es) of range ${lease.rangeNo}`,
      });
    this.persist = async (p: BackfillProgress, client?: pg.PoolClient) => {
      const ok = await saveRangeProgress(
        ctx.ledger,
        k,
        ctx.runId,
        this.leaseMs,
        p as unknown as Record<string, unknown>,
        client,
      );
      if (!ok) throw new LeaseLost(lease.rangeNo);
    };
    const peers = () => all.filter((x) => x.live && x.holderRunId !== ctx.runId && x.state === 'open').length;
    this.width.setPeers(peers());
    let lost = false;
    const beat = setInterval(
      () => {
        void (async () => {
          if (!(await heartbeatRange(ctx.ledger, k, ctx.runId, this.leaseMs))) lost = true;
          const now = await listRanges(ctx.ledger, ctx.plan.id, this.stepId);
          this.width.setPeers(now.filter((x) => x.live && x.holderRunId !== ctx.runId && x.state === 'open').length);
        })().catch(() => undefined);
      },
      Math.max(20, Math.round(this.leaseMs / 3)),
    );
    const count = () => {
      this.mine.rows += this.prog.rows - before.rows;
      this.mine.walked += this.prog.done - before.walked;
      this.mine.batches += this.prog.batches - before.batches;
    };
    try {
      await this.retryPoison();
      await this.walk(undefined);
      count();
      if (this.stopping() || lost) {
        await releaseRange(ctx.ledger, k, ctx.runId);
        return;
      }
      if (await finishRange(ctx.ledger, k, ctx.runId)) this.mine.ranges++;
    } catch (e) {
      count();
      if (e instanceof LeaseLost) {
        ctx.emit({ type: 'notice', level: 'warn', stepId: this.stepId, message: `${e.message}: moving on` });
        return;
      }
      // Another worker (or the next run) takes it from its committed cursor at once.
      await releaseRange(ctx.ledger, k, ctx.runId).catch(() => undefined);
      throw e;
    } finally {
      clearInterval(beat);
    }
  }

  /** What this worker did (a `work` worker, or a run asked to stop). */
  private summary(): StepOutcome {
    const m = this.mine;
    const notes = [
      `this worker changed ${m.rows} row(s) in ${m.batches} batch(es), ${m.ranges} range(s) finished${m.takenOver ? `, ${m.takenOver} taken over from a stopped worker` : ''}`,
    ];
    return { rowsAffected: m.rows, recorded: true, notes, details: { joined: true, ...m } };
  }

  /** Every range is done: the step's progress is their sum, and the step completes. */
  private async completeAll(): Promise<StepOutcome> {
    const ranges = await listRanges(this.ctx.ledger, this.ctx.plan.id, this.stepId);
    this.prog = total(ranges);
    this.doneOffset = 0;
    this.limit = null;
    const out = await this.complete();
    const workers = new Set(ranges.map((x) => x.holderRunId).filter((x) => x !== null));
    return {
      ...out,
      details: { ...out.details, ranges: ranges.length },
      notes: [
        ...(out.notes ?? []),
        ...(workers.size > 1 || ranges.length > 1
          ? [
              `${ranges.length} key range(s), finished by ${workers.size} worker(s) (run ${[...workers].map((x) => `#${x}`).join(', ')})`,
            ]
          : []),
      ],
    };
  }
}
