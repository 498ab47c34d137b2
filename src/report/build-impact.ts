/**
 * The performance impact of a wave: rows per table now, table and index sizes before and after
 * (from `object_stats`, else the catalog now), WAL generated where PostgreSQL reports it, lock
 * retries and waits, the locks each step took, and the sync triggers installed.
 */
import type { Db } from '../db/connection.js';
import type { SizeStat } from '../ledger/object-stats.js';
import { currentStats, type ObjectStats, planTables, walBytes } from '../ledger/object-stats.js';
import type { LedgerSnapshot } from '../ledger/reads.js';
import type { Plan, RelationName } from '../model/plan.js';
import { quoteRelation } from '../sql/ident.js';
import { isoOf } from './format.js';
import type { ReportModel, ReportStep } from './model.js';

/** Below this many estimated rows a table is counted exactly. */
const EXACT_COUNT_BELOW = 1_000_000;

/** Rows in a table now: exact when small (or unknown), else the planner's estimate. */
async function rowsNow(
  db: Db,
  rel: RelationName,
  size: SizeStat | null,
): Promise<{ rows: number | null; exact: boolean }> {
  if (!size) return { rows: null, exact: false };
  if (size.rowsEstimate != null && size.rowsEstimate >= EXACT_COUNT_BELOW)
    return { rows: size.rowsEstimate, exact: false };
  try {
    const n = await db.transaction(async (c) => {
      await c.query(`SET LOCAL statement_timeout = '5s'`);
      return (await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteRelation(rel)}`)).rows[0].n;
    });
    return { rows: Number(n), exact: true };
  } catch {
    return { rows: size.rowsEstimate, exact: false };
  }
}

/** The role a table plays in the wave, from the completed steps' object changes. */
function roleOf(name: string, steps: ReportStep[]): string {
  const objs = steps.filter((s) => s.status === 'completed').flatMap((s) => s.objects);
  if (objs.some((o) => o.type === 'table' && o.change === 'dropped' && o.name === name)) return 'dropped';
  if (objs.some((o) => o.type === 'table' && o.change === 'created' && o.name === name)) return 'created';
  if (objs.some((o) => o.table === name)) return 'altered';
  return 'read';
}

export async function buildImpact(
  db: Db,
  snap: LedgerSnapshot,
  plan: Plan | undefined,
  steps: ReportStep[],
): Promise<ReportModel['impact']> {
  const before = snap.objectStats.find((s) => s.moment === 'before');
  const after = [...snap.objectStats].reverse().find((s) => s.moment === 'after');
  const beforeStats = (before?.stats as ObjectStats | undefined) ?? null;
  const tables = plan ? planTables(plan) : new Map<string, RelationName>();
  for (const s of steps)
    for (const o of s.objects)
      if (o.type === 'table' && !tables.has(o.name))
        tables.set(
          o.name,
          o.name.includes('.')
            ? { schema: o.name.split('.')[0], name: o.name.split('.').slice(1).join('.') }
            : { name: o.name },
        );
  for (const st of [beforeStats, after?.stats as ObjectStats | undefined])
    for (const name of Object.keys(st?.tables ?? {})) if (!tables.has(name)) tables.set(name, name);
  const now = await currentStats(db, tables);
  const afterStats = (after?.stats as ObjectStats | undefined) ?? now;
  const out: ReportModel['impact']['tables'] = [];
  for (const [name, rel] of [...tables].sort(([a], [b]) => a.localeCompare(b))) {
    const { rows, exact } = await rowsNow(db, rel, now.tables[name] ?? null);
    out.push({
      name,
      role: roleOf(name, steps),
      rows,
      rowsExact: exact,
      before: beforeStats?.tables[name] ?? null,
      after: afterStats.tables[name] ?? null,
    });
  }
  const wal = await walBytes(db, beforeStats?.lsn ?? null, afterStats.lsn);
  const completed = steps.filter((s) => s.status === 'completed');
  const locks = new Map<string, string[]>();
  for (const s of completed) for (const l of s.locks) locks.set(l, [...(locks.get(l) ?? []), s.id]);
  return {
    tables: out,
    sizesRecorded: { before: isoOf(before?.at), after: isoOf(after?.at), afterSource: after ? 'run' : 'report' },
    wal: {
      bytes: wal,
      note:
        wal != null
          ? `WAL written by the whole server between the first run's start and ${after ? 'the end of the latest run' : 'this report'} (other sessions' writes included)`
          : beforeStats
            ? 'PostgreSQL did not report a WAL position (a standby, or no privilege)'
            : 'not recorded: sizes and WAL are captured when the runner records object statistics',
    },
    lockRetries: steps.reduce((n, s) => n + s.retries, 0),
    lockWaitMs: steps.reduce((n, s) => n + s.lockWaitMs, 0),
    locksTaken: [...locks].map(([lock, ids]) => ({ lock, steps: ids })),
    syncTriggers: snap.syncTriggers.map((t) => ({
      stepId: t.step_id as string,
      table: t.table_name as string,
      trigger: t.trigger_name as string,
      installedAt: isoOf(t.installed_at)!,
      removedAt: isoOf(t.removed_at),
    })),
  };
}
