/**
 * Watches, while batches run, the sessions waiting on those batches' backends (`pg_locks.waitstart`
 * with `pg_blocking_pids`) from a second connection, one query per poll for every batch in flight.
 * The longest wait seen drives the lock-wait throttle; stopping never waits for the poll interval.
 */
import type { Db } from '../db/connection.js';

/** What one batch made others wait. */
export interface LockWaitSample {
  /** The longest wait on our batch seen (ms). */
  maxWaitMs: number;
  /** Sessions seen waiting on it. */
  sessions: number;
}

const SQL = `
SELECT b.pid AS blocker, count(DISTINCT w.pid)::int AS n,
       coalesce(max(extract(epoch FROM clock_timestamp() - w.waitstart) * 1000), 0)::float8 AS ms
  FROM (SELECT pid, waitstart FROM pg_locks WHERE NOT granted) w
 CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS b(pid)
 WHERE b.pid = ANY ($1::int[]) AND w.pid <> b.pid
 GROUP BY b.pid`;

/** Polls for waiters on the backends of the batches in flight. */
export class LockMonitor {
  private readonly watched = new Map<number, LockWaitSample>();
  private timer: NodeJS.Timeout | null = null;
  private inflight: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly intervalMs: number,
  ) {}

  /** Start watching `pid` (a batch's backend); the returned function stops and returns what was seen. */
  watch(pid: number): () => LockWaitSample {
    const sample: LockWaitSample = { maxWaitMs: 0, sessions: 0 };
    this.watched.set(pid, sample);
    if (!this.timer && !this.inflight) this.schedule();
    return () => {
      if (this.watched.get(pid) === sample) this.watched.delete(pid);
      return sample;
    };
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.watched.size) return;
      const samples = new Map(this.watched);
      this.inflight = this.db
        .rows<{ blocker: number; n: number; ms: number }>(SQL, [[...samples.keys()]])
        .then((rows) => {
          for (const r of rows) {
            const s = samples.get(r.blocker);
            if (!s) continue;
            s.maxWaitMs = Math.max(s.maxWaitMs, r.ms);
            s.sessions = Math.max(s.sessions, r.n);
          }
        })
        .catch(() => undefined)
        .finally(() => {
          this.inflight = null;
          if (this.watched.size && !this.timer) this.schedule();
        });
    }, this.intervalMs);
  }

  /** Stop polling and wait for a poll still in flight (before the pool closes). */
  async close(): Promise<void> {
    this.watched.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.inflight;
  }
}
