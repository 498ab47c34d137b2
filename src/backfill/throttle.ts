/**
 * Throttling between batches. The backfill pauses while replica replay lag
 * (`pg_stat_replication.replay_lag`) or a user condition (`throttle.when`, SQL returning true)
 * exceeds its threshold, re-checking every `checkEveryMs`; and when its own batches made other
 * sessions wait on their row locks longer than `maxLockWaitMs`, it pauses once and halves the
 * batch size. Each pause is said in the progress note.
 */
import type { Db } from '../db/connection.js';
import { sleep } from '../db/lock-safe.js';
import { looksLikeQuery } from '../sql/fragment.js';
import type { LockWaitSample } from './lock-monitor.js';

/** `throttle` as the plan gives it. */
export interface ThrottleOptions {
  maxReplicaLagMs?: number;
  maxLockWaitMs?: number;
  when?: string;
  checkEveryMs?: number;
}

/** Default replica lag that pauses a backfill. */
export const DEFAULT_MAX_REPLICA_LAG_MS = 5_000;
/** Default interval between throttle checks. */
export const DEFAULT_CHECK_EVERY_MS = 1_000;

/** The SQL that evaluates `throttle.when`: a query as written, or an expression wrapped in SELECT. */
export function whenQuery(when: string): string {
  return looksLikeQuery(when) ? when : `SELECT (${when}) AS throttle`;
}

function truthy(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v !== '' && v !== 'f' && v !== 'false' && v !== '0';
  return v != null;
}

/** Decides when to pause, and for how long. */
export class Throttle {
  private lastCheck = -Infinity;
  private readonly everyMs: number;
  private readonly maxLagMs: number;
  /** Waits on our batches longer than this pause the backfill. */
  readonly maxLockWaitMs: number;
  private lockPause: { ms: number; note: string } | null = null;

  constructor(
    private readonly db: Db,
    private readonly o: ThrottleOptions,
    targetMs: number,
    private readonly canShrink = true,
  ) {
    this.everyMs = o.checkEveryMs ?? DEFAULT_CHECK_EVERY_MS;
    this.maxLagMs = o.maxReplicaLagMs ?? DEFAULT_MAX_REPLICA_LAG_MS;
    this.maxLockWaitMs = o.maxLockWaitMs ?? Math.max(2 * targetMs, 500);
  }

  /** Why to pause now, or null. Replica lag first, then the user's condition. */
  async reason(): Promise<string | null> {
    // replay_lag keeps its last measured value for a while after a replica caught up, and nothing new is
    // measured while we are paused (we write nothing): a replica that replayed everything counts as 0.
    const lag = await this.db.rows<{ ms: number | null; n: number }>(
      `SELECT max(CASE WHEN replay_lsn >= pg_current_wal_lsn() THEN 0 ELSE extract(epoch FROM replay_lag) * 1000 END)::float8 AS ms, count(*)::int AS n
         FROM pg_stat_replication WHERE NOT pg_is_in_recovery()`,
    );
    const ms = lag[0]?.ms ?? 0;
    if (ms > this.maxLagMs)
      return `replica replay lag ${(ms / 1000).toFixed(1)} s > ${(this.maxLagMs / 1000).toFixed(1)} s`;
    if (this.o.when) {
      const r = await this.db.query(whenQuery(this.o.when));
      const row = r.rows[0];
      const v = row ? row[r.fields[0].name] : null;
      if (truthy(v)) return `throttle.when is true (${this.o.when.replace(/\s+/g, ' ').slice(0, 80)})`;
    }
    return null;
  }

  /** After a batch: remember a pause when it made others wait too long. Returns true when the size should shrink. */
  afterBatch(s: LockWaitSample): boolean {
    if (s.maxWaitMs <= this.maxLockWaitMs) return false;
    this.lockPause = {
      ms: Math.min(5_000, Math.max(100, Math.round(s.maxWaitMs))),
      note: `${s.sessions} session(s) waited ${Math.round(s.maxWaitMs)} ms on our batch's row locks (> ${this.maxLockWaitMs} ms): pausing${this.canShrink ? ' and halving the batch' : ''}`,
    };
    return true;
  }

  /**
   * Wait until no condition holds. `onPause` receives a note at each check while paused.
   * Returns the milliseconds spent paused.
   */
  async gate(onPause: (note: string) => void): Promise<number> {
    const t0 = performance.now();
    let paused = false;
    if (this.lockPause) {
      paused = true;
      const p = this.lockPause;
      this.lockPause = null;
      onPause(`paused ${p.ms} ms: ${p.note}`);
      await sleep(p.ms);
    }
    if (performance.now() - this.lastCheck >= this.everyMs) {
      for (;;) {
        this.lastCheck = performance.now();
        const why = await this.reason();
        if (!why) break;
        paused = true;
        onPause(`paused: ${why}; checking again every ${this.everyMs} ms`);
        await sleep(this.everyMs);
      }
    }
    if (!paused) return 0;
    const ms = performance.now() - t0;
    onPause(`resumed after ${(ms / 1000).toFixed(1)} s paused`);
    return ms;
  }
}
