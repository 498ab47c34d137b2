/**
 * Adaptive batch size. The size is found, not guessed: the first batch is small, and each next
 * size follows the measured cost per row toward `targetMs`, growing at most ×4 per batch (so a
 * batch runs at most about 4 × the duration of one that took a quarter of the target) and
 * shrinking at once when a batch ran long. `size` pins it.
 */

/** First batch size when nothing is known about the table. */
export const INITIAL_BATCH_SIZE = 16;
/** Largest batch, whatever the measurements say. */
export const MAX_BATCH_SIZE = 500_000;
const MAX_GROWTH = 4;
const EXTRAPOLATION_MARGIN = 0.8;

export interface SizerOptions {
  targetMs: number;
  /** A pinned size: never adapted. */
  size?: number;
  /** Where to start (a resumed run starts from half its last size). */
  start?: number;
}

/** Tracks the cost per row and proposes the next batch size. */
export class BatchSizer {
  private current: number;
  /** Smoothed milliseconds per row, once measured. */
  private msPerRow: number | undefined;

  constructor(private readonly o: SizerOptions) {
    this.current = o.size ?? Math.max(1, Math.min(MAX_BATCH_SIZE, Math.round(o.start ?? INITIAL_BATCH_SIZE)));
  }

  /** The size of the next batch. */
  get size(): number {
    return this.current;
  }

  get pinned(): boolean {
    return this.o.size !== undefined;
  }

  /** Record a batch of `rows` positions that held its locks `ms` milliseconds. */
  observe(rows: number, ms: number): void {
    if (this.pinned || rows <= 0) return;
    const perRow = Math.max(ms, 0.05) / rows;
    // Long batches count at once; short ones blend in, so one fast outlier cannot inflate the size.
    this.msPerRow = this.msPerRow === undefined || ms > this.o.targetMs ? perRow : 0.5 * this.msPerRow + 0.5 * perRow;
    let ideal = this.o.targetMs / this.msPerRow;
    // Extrapolating far beyond what was measured is uncertain: aim a little lower there.
    if (ideal > rows * 1.5) ideal *= EXTRAPOLATION_MARGIN;
    const grown = Math.min(ideal, rows * MAX_GROWTH, this.current * MAX_GROWTH);
    this.current = clamp(Math.round(ms > this.o.targetMs ? Math.min(ideal, rows) : grown));
  }

  /** Cut the size (a batch timed out, or others waited on our locks too long). */
  shrink(factor = 0.5): void {
    if (this.pinned) return;
    this.current = clamp(Math.floor(this.current * factor));
    if (this.msPerRow !== undefined) this.msPerRow = this.msPerRow / factor;
  }
}

function clamp(n: number): number {
  return Math.max(1, Math.min(MAX_BATCH_SIZE, n));
}
