/**
 * How many batches a backfill keeps in flight. A number (`batch.concurrency`, 1–4) pins it. The
 * default, `'auto'`, runs a second batch only while no other session is running a statement on the
 * database: a quiet database (a maintenance window, a copy being prepared) gets the speed of two
 * server cores and beats the single `UPDATE`; a database serving traffic keeps the backfill to one
 * core, as gentle as before. (Other databases of the server are not counted: the traffic to
 * protect is this database's.) Sampled from `pg_stat_activity` before each batch (this run's own
 * connections excluded by their application_name, and so are Tidemark's bookkeeping connections —
 * `tidemark:<plan> …` holding a run lock, `tidemark:probe` — which carry no traffic): a session counts while it runs a statement and
 * for a second after; widening takes {@link QUIET_SAMPLES} quiet samples in a row, one busy sample
 * narrows it at once.
 */
import type { Db } from '../db/connection.js';

/** Batches in flight under `'auto'` while the database is otherwise idle. */
export const AUTO_MAX_WIDTH = 2;
/** Quiet samples in a row before `'auto'` widens. */
export const QUIET_SAMPLES = 3;

export type Concurrency = number | 'auto';

/**
 * Client sessions of others on this database that are running a statement now or finished one in
 * the last second: a busy application's connections are mostly between statements at any instant,
 * so "active now" alone misses them; a pool idle for longer (or a forgotten psql) does not count.
 * A session whose state this role may not see (another role's, without pg_read_all_stats: its
 * backend_type and state read NULL) counts as busy: when in doubt, one batch at a time.
 */
const BUSY_SQL = `SELECT count(*)::int AS n FROM pg_stat_activity
   WHERE (backend_type = 'client backend' OR (backend_type IS NULL AND usename IS NOT NULL))
     AND datname = current_database() AND pid <> pg_backend_pid()
     AND application_name IS DISTINCT FROM current_setting('application_name')
     AND application_name NOT LIKE 'tidemark:%'
     AND (state IS NULL OR state IN ('active', 'fastpath function call') OR state_change > clock_timestamp() - interval '1 second')`;

export class BatchWidth {
  private quiet = 0;
  private committedBatches = 0;
  private wideBatches = 0;
  private peers = 0;

  constructor(
    private readonly db: Db,
    private readonly concurrency: Concurrency = 'auto',
  ) {}

  /**
   * Other workers on the same backfill (docs/work.md): they are the same job, not traffic — they never
   * narrow this worker — but while any works beside it, `'auto'` keeps to one batch at a time: the
   * job already runs one batch per worker.
   */
  setPeers(n: number): void {
    this.peers = n;
  }

  /** The width for the next batch. */
  async next(): Promise<number> {
    if (this.concurrency !== 'auto') return this.concurrency;
    if (this.peers > 0) {
      this.quiet = 0;
      return 1;
    }
    const busy = (await this.db.rows<{ n: number }>(BUSY_SQL))[0].n;
    this.quiet = busy === 0 ? this.quiet + 1 : 0;
    return this.quiet >= QUIET_SAMPLES ? AUTO_MAX_WIDTH : 1;
  }

  /**
   * A batch of the walk committed, launched while `width` batches could be in flight. Counted at
   * commit, not at sampling: a sample taken when no range was left, or a batch rolled back behind a
   * failed one, is no batch of the step's summary, and the two counts must agree.
   */
  committed(width: number): void {
    this.committedBatches++;
    if (width > 1) this.wideBatches++;
  }

  /**
   * For the step's notes: how often `'auto'` ran wide, out of `batches` — the batches this run
   * committed (bisection's single-range batches included: they run one at a time), the number the
   * step's own summary states.
   */
  summary(batches = this.committedBatches, ofThisRun = false): string | undefined {
    if (this.concurrency !== 'auto' || batches === 0) return undefined;
    if (this.wideBatches === 0)
      return 'batch.concurrency auto: one batch at a time (other sessions were active on the database)';
    const of = ofThisRun ? `of this run's ${batches}` : `of the ${batches}`;
    return `batch.concurrency auto: ${this.wideBatches} ${of} batches ran with ${AUTO_MAX_WIDTH} in flight, while no other session was active on the database`;
  }
}
