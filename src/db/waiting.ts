/**
 * Statements that block neither reads nor writes but must wait for older transactions
 * (`CREATE INDEX CONCURRENTLY`, `ALTER TABLE … VALIDATE CONSTRAINT`, `DROP INDEX CONCURRENTLY`).
 * They run outside any transaction, and `concurrentTimeoutMs` bounds their *waiting*, never their
 * work (docs/lock-safety.md): a three-hour index build on a big table must not fail on every rerun.
 *
 * - An index build is watched from a second connection through `pg_stat_progress_create_index`:
 *   the time it spends in the `waiting for …` phases adds up, and past the bound the build is
 *   cancelled (`pg_cancel_backend`) naming what it waited for. Its phase and blocks/tuples done are
 *   reported as it goes. `lock_timeout` bounds the wait for its table lock (before the progress row
 *   exists) and any single wait.
 * - A validation's only wait is its SHARE UPDATE EXCLUSIVE lock: `lock_timeout` bounds it; the scan
 *   runs without a statement timeout.
 * - Anything else (`DROP INDEX CONCURRENTLY`, raw `transaction: false` SQL) is mostly waiting:
 *   lock and statement timeouts of `concurrentTimeoutMs` bound the whole statement.
 */
import type pg from 'pg';
import { type BlockerInfo, ConcurrentTimeoutError } from '../model/errors.js';
import type { Db } from './connection.js';
import { sqlState } from './connection.js';
import type { LockPolicy } from './lock-policy.js';
import { backendPid, blockersOf, type LockEvent, type LockSafeOptions, startSampler } from './lock-safe.js';

/** What a waiting statement reports: whom it waits for, and an index build's progress. */
export type WaitingEvent =
  | LockEvent
  | {
      type: 'build.progress';
      what: string;
      /** The phase of `pg_stat_progress_create_index`, e.g. `building index: scanning table`. */
      phase: string;
      done: number;
      total: number | null;
      unit: 'blocks' | 'tuples' | 'lockers';
    };

/** Options of {@link runWaiting}. */
export interface WaitingOptions extends Omit<LockSafeOptions, 'onEvent'> {
  onEvent?: (e: WaitingEvent) => void;
}

/** How a waiting statement is bounded. */
export type WaitingKind = 'index-build' | 'validate' | 'other';

/** Drop leading `--` and `/* … *\/` comments and whitespace. */
function leading(sql: string): string {
  return sql.replace(/^(?:\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/)*/, '');
}

/** Which bound applies to `sql` (see the file comment). */
export function waitingKind(sql: string): WaitingKind {
  const s = leading(sql);
  if (/^CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\b/i.test(s)) return 'index-build';
  if (/^REINDEX\s*(?:\([^)]*\bCONCURRENTLY\b[^)]*\)|\w+\s+CONCURRENTLY\b)/i.test(s)) return 'index-build';
  // Only a lone VALIDATE CONSTRAINT (no other subcommand after a comma outside quoted names).
  const unquoted = s.replace(/"(?:[^"]|"")*"/g, '""');
  if (/^ALTER\s+TABLE\b[^,;]*\bVALIDATE\s+CONSTRAINT\b[^,;]*;?\s*$/i.test(unquoted)) return 'validate';
  return 'other';
}

const PROGRESS_SQL = `
SELECT phase, current_locker_pid::int AS locker,
       lockers_total::float8 AS lockers_total, lockers_done::float8 AS lockers_done,
       blocks_total::float8 AS blocks_total, blocks_done::float8 AS blocks_done,
       tuples_total::float8 AS tuples_total, tuples_done::float8 AS tuples_done
  FROM pg_stat_progress_create_index
 WHERE pid = $1`;

/** Cancel only while it still waits, so a cancel never lands on the build itself or a later statement. */
const CANCEL_SQL = `
SELECT pg_cancel_backend(pid) AS ok
  FROM pg_stat_progress_create_index
 WHERE pid = $1 AND phase LIKE 'waiting for%'`;

interface ProgressRow {
  phase: string;
  locker: number | null;
  lockers_total: number;
  lockers_done: number;
  blocks_total: number;
  blocks_done: number;
  tuples_total: number;
  tuples_done: number;
}

const isWaitPhase = (phase: string | null | undefined): boolean => !!phase?.startsWith('waiting for');

/** Progress is reported at most this often within one phase (every phase change is reported). */
const PROGRESS_EVERY_MS = 1000;
/** What a build waits for is reported at most this often. */
const WAITING_EVERY_MS = 2000;

/** The unit of a phase's counters: blocks while scanning the table, tuples while sorting or loading, lockers while waiting. */
function measure(p: ProgressRow): { done: number; total: number | null; unit: 'blocks' | 'tuples' | 'lockers' } {
  if (isWaitPhase(p.phase)) return { done: p.lockers_done, total: p.lockers_total || null, unit: 'lockers' };
  if (p.blocks_total > 0) return { done: p.blocks_done, total: p.blocks_total, unit: 'blocks' };
  return { done: p.tuples_done, total: p.tuples_total || null, unit: 'tuples' };
}

/**
 * Watch the index build on backend `pid`: add up its time in waiting phases, cancel it once that
 * exceeds `limitMs`, report its progress and whom it waits for.
 */
function watchIndexBuild(db: Db, pid: number, limitMs: number, what: string, onEvent?: WaitingOptions['onEvent']) {
  const everyMs = Math.max(20, Math.min(500, Math.floor(limitMs / 10)));
  let waitedMs = 0;
  let phase: string | null = null;
  let waitPhase: string | null = null;
  let blockers: BlockerInfo[] = [];
  let cancelled = false;
  let at = Date.now();
  let lastProgress = 0;
  let lastWaiting = 0;
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();
  const sample = async () => {
    const p = (await db.rows<ProgressRow>(PROGRESS_SQL, [pid]))[0];
    const now = Date.now();
    // The interval since the last sample counts as waiting when the build was waiting then.
    if (isWaitPhase(phase)) waitedMs += now - at;
    at = now;
    const changed = (p?.phase ?? null) !== phase;
    phase = p?.phase ?? null;
    // No progress row yet: the build still waits for its table lock (bounded by lock_timeout).
    if (!p || isWaitPhase(p.phase)) {
      if (p) waitPhase = p.phase;
      const b = await blockersOf(db, pid, p?.locker ? [p.locker] : []);
      if (b.length) {
        blockers = b;
        if (now - lastWaiting >= WAITING_EVERY_MS && waitedMs > 0) {
          lastWaiting = now;
          onEvent?.({ type: 'lock.waiting', what, waitedMs, blockers: b });
        }
      }
    }
    if (p && (changed || now - lastProgress >= PROGRESS_EVERY_MS)) {
      lastProgress = now;
      onEvent?.({ type: 'build.progress', what, phase: p.phase, ...measure(p) });
    }
    if (p && isWaitPhase(p.phase) && waitedMs > limitMs && !cancelled) {
      cancelled = (await db.rows<{ ok: boolean }>(CANCEL_SQL, [pid]))[0]?.ok === true;
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    // Watching is best effort: a failed sample is retried at the next tick.
    inFlight = sample()
      .catch(() => undefined)
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, everyMs);
      });
  };
  timer = setTimeout(tick, everyMs);
  return {
    get state() {
      return { waitedMs, waitPhase, blockers, cancelled };
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
    },
  };
}

/**
 * Run one statement that must wait for older transactions, outside any transaction, with only its
 * waiting bounded by `concurrentTimeoutMs`; a wait past the bound fails with
 * {@link ConcurrentTimeoutError}, naming the sessions waited for and the setting.
 */
export async function runWaiting(
  db: Db,
  policy: LockPolicy,
  opts: WaitingOptions,
  sql: string,
  params?: unknown[],
): Promise<pg.QueryResult> {
  const kind = waitingKind(sql);
  const limitMs = policy.concurrentTimeoutMs;
  return db.withClient(async (client) => {
    const pid = await backendPid(client);
    await client.query(`SELECT set_config('lock_timeout', $1, false), set_config('statement_timeout', $2, false)`, [
      `${limitMs}ms`,
      kind === 'other' ? `${limitMs}ms` : '0',
    ]);
    const build = kind === 'index-build' ? watchIndexBuild(db, pid, limitMs, opts.what, opts.onEvent) : undefined;
    let lastReport = 0;
    const sampler = build
      ? undefined
      : startSampler(db, pid, Math.max(20, Math.min(500, Math.floor(limitMs / 10))), (blockers, waitedMs) => {
          if (waitedMs - lastReport >= WAITING_EVERY_MS) {
            lastReport = waitedMs;
            opts.onEvent?.({ type: 'lock.waiting', what: opts.what, waitedMs, blockers });
          }
        });
    try {
      return await client.query(sql, params as unknown[]);
    } catch (e) {
      throw asWaitTimeout(e, kind, opts.what, limitMs, build?.state, sampler?.last ?? []);
    } finally {
      await build?.stop();
      await sampler?.stop();
      await client.query(`RESET lock_timeout; RESET statement_timeout`).catch(() => undefined);
    }
  });
}

/** A lock or statement timeout, or our own cancel, as a {@link ConcurrentTimeoutError}; other errors unchanged. */
function asWaitTimeout(
  e: unknown,
  kind: WaitingKind,
  what: string,
  limitMs: number,
  build: { waitedMs: number; waitPhase: string | null; blockers: BlockerInfo[]; cancelled: boolean } | undefined,
  sampled: BlockerInfo[],
): unknown {
  const code = sqlState(e);
  const blockers = build?.blockers.length ? build.blockers : sampled;
  const phase = build?.waitPhase ? ` (in phase "${build.waitPhase}")` : '';
  const ms = (n: number) => `${Math.round(n)} ms`;
  if (code === '55P03')
    return new ConcurrentTimeoutError(
      what,
      `waited ${ms(Math.max(limitMs, build?.waitedMs ?? 0))} for a lock${phase}`,
      Math.max(limitMs, build?.waitedMs ?? 0),
      limitMs,
      blockers,
    );
  if (code !== '57014') return e;
  if (build?.cancelled)
    return new ConcurrentTimeoutError(
      what,
      `spent ${ms(build.waitedMs)} waiting for older transactions${phase}`,
      build.waitedMs,
      limitMs,
      blockers,
    );
  if (kind === 'other' && /statement timeout/i.test((e as Error).message))
    return new ConcurrentTimeoutError(what, `ran ${ms(limitMs)} without finishing`, limitMs, limitMs, blockers);
  return e;
}
