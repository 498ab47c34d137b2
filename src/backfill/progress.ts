/**
 * A backfill's resumable state (saved in the ledger's `steps.progress` in the same transaction as
 * each batch's data) and the progress events it emits: rows done / estimated total, rows/s, ETA,
 * current batch size, and a note when throttled or when rows failed.
 */
import type { EventSink } from '../kind/events.js';

/** A row that failed, by its key (text form) and error. */
export interface PoisonRef {
  key: string[];
  error: string;
  sqlstate?: string;
  /** perTenant: the tenant it belongs to. */
  tenant?: string;
}

/** What the ledger holds about a backfill between batches. */
export interface BackfillProgress {
  v: 1;
  /** The last key committed (text form), null before the first batch. */
  cursor: string[] | null;
  /** perTenant: the tenants (fixed at the first run) and the index of the one being walked. */
  tenants?: string[];
  tenantIndex?: number;
  /** Key positions walked, rows changed, batches committed, rows that failed. */
  done: number;
  rows: number;
  batches: number;
  poison: number;
  /** The size of the last batch (a resumed run restarts from half of it). */
  size?: number;
  /** onError 'stop': failed rows to try again first on the next run. */
  retry?: PoisonRef[];
  /** onError 'skip': the first failed rows, for the final report. */
  skipped?: PoisonRef[];
}

/** Failed rows kept in the progress for the report; the ledger's `poison_rows` has all of them. */
export const SKIPPED_SAMPLE = 20;

/** A fresh state. */
export function freshProgress(): BackfillProgress {
  return { v: 1, cursor: null, done: 0, rows: 0, batches: 0, poison: 0 };
}

/** Read a saved state; anything that is not ours (or from another format) starts over. */
export function readProgress(saved: Record<string, unknown> | null | undefined): BackfillProgress | null {
  if (saved?.v !== 1 || !('cursor' in saved)) return null;
  const p = saved as unknown as BackfillProgress;
  if (p.cursor !== null && !Array.isArray(p.cursor)) return null;
  return { ...freshProgress(), ...p };
}

/** Rate and ETA over this run's batches, emitted after each one. */
export class ProgressMeter {
  private readonly t0 = performance.now();
  private readonly done0: number;
  /** What the last event said, so the end of the walk is not announced twice. */
  private last: { done: number; total: number | null } | undefined;

  constructor(
    private readonly emit: EventSink,
    private readonly stepId: string,
    startDone: number,
    private total: number | null,
  ) {
    this.done0 = startDone;
  }

  /** Emit one progress event. */
  report(done: number, batchSize: number, note?: string): void {
    if (this.total !== null && done > this.total) this.total = done;
    const secs = (performance.now() - this.t0) / 1000;
    const rate = secs > 0 ? (done - this.done0) / secs : 0;
    const etaSeconds = this.total !== null && rate > 0 ? Math.max(0, (this.total - done) / rate) : null;
    this.last = { done, total: this.total };
    this.emit({
      type: 'step.progress',
      stepId: this.stepId,
      done,
      total: this.total,
      rate: Math.round(rate),
      etaSeconds: etaSeconds === null ? null : Math.round(etaSeconds),
      batchSize,
      note,
    });
  }

  /**
   * The walk ended: what was walked is the total. The final 100 % event is emitted unless the last
   * batch's event already said exactly that (a plain log would print the same line twice).
   */
  finish(done: number, batchSize: number): void {
    this.total = done;
    if (this.last?.done === done && this.last.total === done) return;
    this.report(done, batchSize);
  }
}
