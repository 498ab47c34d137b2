/**
 * `buildReport`: the report model of one plan, from the ledger and the catalog (read-only: it never
 * creates or changes the ledger). With the plan file, steps also show the statements they run and
 * the report says what `rollback` would run now; without it, the ledger's record alone.
 */
import { basename, isAbsolute, relative } from 'node:path';
import { lockPolicyOf, type TidemarkConfig } from '../config/config.js';
import { Db } from '../db/connection.js';
import { noopSink } from '../kind/events.js';
import { rowsDoneByStep } from '../ledger/batch-reads.js';
import { tableKey } from '../ledger/object-stats.js';
import { ledgerSchemaOf, openLedger } from '../ledger/open.js';
import { type WorkerProgress, workersByStep } from '../ledger/ranges.js';
import { type LedgerSnapshot, readSnapshot } from '../ledger/reads.js';
import { ExitCode, TidemarkError } from '../model/errors.js';
import type { Plan } from '../model/plan.js';
import { TIDEMARK_VERSION } from '../model/version.js';
import type { Session } from '../runner/context.js';
import { describePlan } from '../runner/describe.js';
import { settingsOf } from '../runner/open.js';
import { redactText, redactUrl } from '../sql/redact.js';
import { backfillStats } from './backfill-stats.js';
import { buildImpact } from './build-impact.js';
import { buildGates, buildProof } from './build-proof.js';
import { buildSteps } from './build-steps.js';
import { isoOf } from './format.js';
import { REPORT_FORMAT_VERSION, type ReportModel, type ReportStep } from './model.js';
import { nextSteps } from './next-steps.js';
import { netChanges } from './objects.js';

/** A plan the ledger has no record of (exit 1: there is nothing to report). */
export class NotRunError extends TidemarkError {
  constructor(message: string, hint?: string) {
    super('not_run', message, ExitCode.failed, hint);
  }
}

export interface BuildReportOptions {
  databaseUrl: string;
  /** Default `tidemark`. */
  ledgerSchema?: string;
  /** Default: the plan's id. */
  planId?: string;
  /** The plan file, loaded: adds statements, rollback and drift against the file. */
  plan?: Plan;
  config?: TidemarkConfig;
  /** Override "now" (tests). */
  now?: Date;
}

const PHASE_ORDER = ['preconditions', 'expand', 'backfill', 'validate', 'contract'];

const STATES: Record<string, { state: ReportModel['status']['state']; label: string }> = {
  completed: { state: 'completed', label: 'Completed' },
  in_progress: { state: 'in_progress', label: 'In progress' },
  waiting: { state: 'waiting', label: 'Stopped at a gate' },
  failed: { state: 'failed', label: 'Failed' },
  rolled_back: { state: 'rolled_back', label: 'Rolled back' },
  pending: { state: 'pending', label: 'Not started' },
};

/** The plan file as a reader should type it: relative to the working directory when inside it. */
export function displayPlanPath(file: string | undefined | null): string | null {
  if (!file) return null;
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

/** Every string in a value with passwords removed (the model is redacted as a whole, once). */
function redactDeep<T>(v: T): T {
  if (typeof v === 'string') return redactText(v) as T;
  if (Array.isArray(v)) return v.map(redactDeep) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redactDeep(x)])) as T;
  return v;
}

function runsOf(snap: LedgerSnapshot): ReportModel['runs'] {
  return snap.runs.map((r) => {
    const started = r.started_at as Date;
    const finished = (r.finished_at as Date | null) ?? null;
    return {
      runId: Number(r.run_id),
      command: r.command as string,
      status: r.status as string,
      exitCode: r.exit_code == null ? null : Number(r.exit_code),
      message: (r.message as string | null) ?? null,
      runBy: r.run_by as string,
      host: (r.host as string | null) ?? null,
      tidemarkVersion: (r.tidemark_version as string | null) ?? null,
      serverVersion: (r.server_version as string | null) ?? null,
      options: (r.options as Record<string, unknown>) ?? {},
      startedAt: isoOf(started)!,
      finishedAt: isoOf(finished),
      durationMs: finished ? finished.getTime() - started.getTime() : null,
    };
  });
}

function summaryOf(steps: ReportStep[], runs: ReportModel['runs']): ReportModel['summary'] {
  const done = steps.filter((s) => s.status === 'completed');
  const { kept: objs, createdThenDropped } = netChanges(done.flatMap((s) => s.objects));
  const count = (st: string) => steps.filter((s) => s.status === st).length;
  const work = runs.filter((r) => r.command === 'run');
  return {
    steps: {
      total: steps.length,
      completed: done.length,
      failed: count('failed'),
      running: count('running'),
      pending: count('pending'),
      rolledBack: count('rolled_back'),
    },
    ranBy: [...new Set(runs.map((r) => r.runBy))],
    firstStartedAt: work[0]?.startedAt ?? null,
    lastFinishedAt: runs.length ? runs[runs.length - 1].finishedAt : null,
    stepMs: Math.round(steps.reduce((n, s) => n + (s.durationMs ?? 0), 0)),
    rowsAffected: steps
      .filter((s) => s.category !== 'check' && s.category !== 'gate')
      .reduce((n, s) => n + (s.rowsAffected ?? 0), 0),
    tablesCreated: objs.filter((o) => o.type === 'table' && o.change === 'created').map((o) => o.name),
    indexesCreated: objs.filter((o) => o.type === 'index' && o.change === 'created').map((o) => o.name),
    enumsCreated: objs
      .filter((o) => o.type === 'enum' && o.change === 'created')
      .map((o) => ({ name: o.name, values: o.detail })),
    columnsAdded: objs
      .filter((o) => o.type === 'column' && o.change === 'created')
      .map((o) => ({ table: o.table ?? '?', column: o.name, type: o.detail, stepId: o.stepId })),
    constraintsAdded: objs
      .filter((o) => o.type === 'constraint' && o.change === 'created')
      .map((o) => `${o.table}.${o.name}${o.detail ? ` (${o.detail})` : ''}`),
    objectsAltered: objs
      .filter((o) => o.change === 'altered')
      .map(
        (o) =>
          `${o.type === 'column' ? '' : `${o.type} `}${o.table ? `${o.table}.` : ''}${o.name}${o.detail ? `: ${o.detail}` : ''}`,
      ),
    objectsDropped: objs
      .filter((o) => o.change === 'dropped')
      .map((o) => `${o.type} ${o.table ? `${o.table}.` : ''}${o.name}`),
    createdThenDropped: createdThenDropped.map((o) => `${o.type} ${o.table ? `${o.table}.` : ''}${o.name}`),
  };
}

async function rollbackOf(
  o: BuildReportOptions,
  plan: Plan | undefined,
  snap: LedgerSnapshot,
): Promise<ReportModel['rollback']> {
  const archives = snap.archives.map((a) => ({
    stepId: a.step_id as string,
    kind: a.kind as string,
    object: a.object as string,
    archive: a.archive_table
      ? `${a.archive_schema as string}.${a.archive_table as string}`
      : (a.archive_schema as string),
    at: isoOf(a.at)!,
    restoredAt: isoOf(a.restored_at),
  }));
  if (!plan) return { available: false, command: null, refuses: [], steps: [], archives, error: 'no plan file given' };
  try {
    const d = await describePlan(plan, {
      databaseUrl: o.databaseUrl,
      ledgerSchema: o.ledgerSchema,
      config: o.config,
      rollback: true,
    });
    const steps = d.steps.map((s) => ({
      stepId: s.stepId,
      phase: s.phase,
      kind: s.kind,
      actions: s.actions.map((a) => ({
        sql: a.sql.trim(),
        lock: a.lock ?? null,
        transaction: a.transaction !== false,
        note: a.note ?? null,
        state: null,
        runId: null,
      })),
      notes: s.notes,
      irreversible: s.irreversible ?? null,
    }));
    return {
      available: true,
      command: `npx tidemark rollback ${displayPlanPath(plan.file) ?? plan.id}`,
      refuses: steps.filter((s) => s.irreversible).map((s) => s.stepId),
      steps,
      archives,
      error: null,
    };
  } catch (e) {
    return { available: false, command: null, refuses: [], steps: [], archives, error: (e as Error).message };
  }
}

/** Build the report model of one plan. Throws {@link NotRunError} when the ledger never saw it. */
export async function buildReport(o: BuildReportOptions): Promise<ReportModel> {
  const planId = o.planId ?? o.plan?.id;
  if (!planId) throw new TidemarkError('usage', 'buildReport needs a plan or a plan id', ExitCode.badInput);
  const ledgerSchema = ledgerSchemaOf(o);
  const plan = o.plan && o.plan.id === planId ? o.plan : undefined;
  const db = new Db(o.databaseUrl, { applicationName: 'tidemark:report', max: 3 });
  try {
    const { ledger } = await openLedger(db, ledgerSchema);
    if (!ledger)
      throw new NotRunError(
        `no ledger in this database yet (schema "${ledgerSchema}"): plan "${planId}" has never run here, nothing to report`,
        `Run it first: npx tidemark run ${displayPlanPath(plan?.file) ?? '<plan>'}`,
      );
    const snap = await readSnapshot(ledger, planId);
    if (!snap)
      throw new NotRunError(
        `plan "${planId}" has never run in this database: nothing to report`,
        `Run it first: npx tidemark run ${displayPlanPath(plan?.file) ?? '<plan>'}`,
      );
    const session: Session | undefined = plan
      ? {
          db,
          plan,
          ledgerSchema,
          ledger,
          policy: lockPolicyOf(o.config ?? {}),
          settings: settingsOf({ databaseUrl: o.databaseUrl, config: o.config }),
          emit: noopSink,
          appliedSteps: new Set([...snap.steps].filter(([, s]) => s.status === 'completed').map(([id]) => id)),
          fused: new Map(),
        }
      : undefined;
    const steps = await buildSteps(snap, plan, session);
    const phases = PHASE_ORDER.map((phase) => ({ phase, steps: steps.filter((s) => s.phase === phase) })).filter(
      (p) => p.steps.length,
    );
    const backfills = [];
    const batched = await rowsDoneByStep(ledger, planId);
    for (const s of steps) {
      if (s.category !== 'backfill' && !batched.has(s.id)) continue;
      const planned = plan?.steps.find((x) => x.id === s.id)?.options as
        | { table?: unknown; from?: unknown; into?: unknown }
        | undefined;
      const table = planned?.into
        ? `${tableKey(planned.from)} → ${tableKey(planned.into)}`
        : tableKey(planned?.table ?? planned?.from);
      const progress = snap.steps.get(s.id)?.progress as
        | { total?: unknown; estimatedTotal?: unknown; done?: unknown }
        | null
        | undefined;
      const total = Number(progress?.total ?? progress?.estimatedTotal) || null;
      const stats = await backfillStats(ledger, planId, s.id, table, total);
      if (typeof progress?.done === 'number')
        stats.progress = {
          ...stats.progress,
          done: progress.done,
          percent: total ? Math.min(100, Math.round((progress.done / total) * 1000) / 10) : null,
        };
      const workers = (await workersByStep(ledger, planId).catch(() => new Map())).get(s.id) as
        | WorkerProgress[]
        | undefined;
      if (workers && (workers.length > 1 || workers.some((w) => w.command !== 'run')))
        stats.workers = workers.map((w) => ({
          runId: w.runId,
          command: w.command,
          status: w.status,
          host: w.host,
          rows: w.rows,
          batches: w.batches,
          rangesFinished: w.finished,
        }));
      backfills.push(stats);
    }
    const server = (
      await db.rows<{ v: string; d: string }>(`SELECT current_setting('server_version') AS v, current_database() AS d`)
    )[0];
    const runs = runsOf(snap);
    const lastRun = [...runs].reverse().find((r) => r.command === 'run' || r.command === 'rollback');
    const st = STATES[snap.plan.status] ?? { state: 'in_progress' as const, label: snap.plan.status };
    const partial = {
      format: 'tidemark-report' as const,
      version: REPORT_FORMAT_VERSION as typeof REPORT_FORMAT_VERSION,
      generatedAt: (o.now ?? new Date()).toISOString(),
      tidemarkVersion: TIDEMARK_VERSION,
      plan: {
        id: planId,
        title: plan?.title ?? snap.plan.title,
        file: snap.plan.file ? basename(snap.plan.file) : plan?.file ? basename(plan.file) : null,
        path: displayPlanPath(plan?.file),
        checksum: snap.plan.checksum,
        currentChecksum: plan?.checksum ?? null,
        status: snap.plan.status,
        createdAt: isoOf(snap.plan.created_at)!,
        completedAt: isoOf(snap.plan.completed_at),
      },
      status: { ...st, message: st.state === 'completed' ? null : (lastRun?.message ?? null) },
      database: { url: redactUrl(o.databaseUrl), name: server.d, serverVersion: server.v, ledgerSchema },
      runs,
      summary: summaryOf(steps, runs),
      phases,
      backfills,
      proof: buildProof(snap, plan),
      gates: await buildGates(ledger, snap, plan),
      impact: await buildImpact(db, snap, plan, steps),
      rollback: await rollbackOf(o, plan, snap),
      drift: {
        accepted: snap.drift.map((d) => ({
          stepId: d.step_id as string,
          oldChecksum: d.old_checksum as string,
          newChecksum: d.new_checksum as string,
          acceptedBy: d.accepted_by as string,
          at: isoOf(d.at)!,
          runId: d.run_id == null ? null : Number(d.run_id),
        })),
        changedSinceApplied: plan
          ? plan.steps
              .filter((p) => {
                const s = snap.steps.get(p.id);
                return (
                  s?.status === 'completed' &&
                  s.checksum !== p.checksum &&
                  !['check', 'gate'].includes(steps.find((x) => x.id === p.id)?.category ?? '')
                );
              })
              .map((p) => p.id)
          : [],
      },
    };
    const model: ReportModel = { ...partial, next: nextSteps(partial) };
    return redactDeep(model);
  } finally {
    await db.close();
  }
}
