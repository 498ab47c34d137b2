/**
 * One fleet runner's loop (docs/fleet.md): `fleet run` and every `fleet work` run it. It claims a
 * target's job from the queue while the fleet is under its concurrency (counted across runners,
 * under one claim lock), runs the plan against that target's database through the runner, so the
 * target's own ledger records it and a rerun resumes there, and publishes where the target stands
 * to the coordinator. It returns when the fleet run has finished, or when `signal` aborts.
 */
import type { Job } from 'pg-boss';
import type { TidemarkConfig } from '../config/config.js';
import type { EventSink, TidemarkEvent } from '../kind/events.js';
import type { Plan } from '../model/plan.js';
import { runPlan } from '../runner/run.js';
import { redactedJson, redactText } from '../sql/redact.js';
import { type Coordinator, type FleetRunRow, queueOf, type TargetState } from './coordinator.js';
import { outcomeOf } from './outcome.js';
import type { FleetTarget } from './targets.js';

export interface FleetWorkOptions {
  coordinator: Coordinator;
  fleetRunId: number;
  /** This runner's targets, by name (its own file: URLs never leave the machine). */
  targets: Map<string, FleetTarget>;
  plan: Plan;
  ledgerSchema?: string;
  config?: TidemarkConfig;
  /** Who this runner is (`host pid N`), shown per target. */
  runner: string;
  /** Mean interval between two claims of this runner (ms). */
  pollMs?: number;
  /** Stop claiming and return (SIGTERM); targets in flight are released to the queue. */
  signal?: AbortSignal;
  /** Events of the targets this runner runs (for a caller that wants them). */
  events?: EventSink;
}

interface JobData {
  target: string;
}

/** How often a runner looks for lost runners' targets (ms). */
const REAP_MS = 1000;

const tick = (ms: number) => ms / 2 + Math.random() * ms;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((res) => {
    const t = setTimeout(res, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        res();
      },
      { once: true },
    );
  });

/** Work on the fleet run until it has finished (or `signal` aborts). */
export async function workFleet(o: FleetWorkOptions): Promise<void> {
  const { coordinator: coord, fleetRunId: id } = o;
  const queue = queueOf(id);
  const inflight = new Map<string, Promise<void>>();
  const jobs = new Map<string, string>();
  let failure: unknown;
  let reaped = 0;
  while (!o.signal?.aborted && failure === undefined) {
    const run = await coord.run(id);
    if (run.state === 'finished') break;
    let job: Job<JobData> | undefined;
    if (run.state === 'running' && inflight.size < run.concurrency) {
      job = await coord.withClaimLock(id, async () => {
        if (Date.now() - reaped > REAP_MS) {
          reaped = Date.now();
          await reapLost(coord, run);
        }
        if ((await coord.runningCount(id)) >= run.concurrency) return undefined;
        const [next] = await coord.boss.fetch<JobData>(queue, { batchSize: 1 });
        if (!next) return undefined;
        // A retried job whose target an earlier holder did finish (its lease ran out while it
        // worked): nothing to run again.
        if (!(await coord.markRunning(id, next.data.target, o.runner))) {
          await coord.boss.complete(queue, next.id).catch(() => undefined);
          return undefined;
        }
        return next;
      });
    }
    if (job) {
      const name = job.data.target;
      const p = runTarget(o, run, job)
        .catch((e) => {
          failure ??= e;
        })
        .finally(() => {
          inflight.delete(name);
          jobs.delete(name);
        });
      inflight.set(name, p);
      jobs.set(name, job.id);
    } else if (!inflight.size && (await coord.finishIfDone(id))) break;
    // One claim per tick, ticks jittered: every runner polls at the same pace, so a freed slot
    // goes to whichever asks first rather than always to the runner whose target just ended.
    await sleep(tick(o.pollMs ?? 100), o.signal);
  }
  if (o.signal?.aborted) {
    // Handed back at once rather than after the lease: another runner resumes each from its ledger.
    for (const [name, jobId] of jobs) {
      await coord.releaseTarget(id, name).catch(() => undefined);
      await coord.boss.fail(queue, jobId, { released: o.runner }).catch(() => undefined);
    }
    return;
  }
  await Promise.all(inflight.values());
  if (failure !== undefined) throw failure;
}

/**
 * Targets marked running whose job is no longer active: their runner was lost (killed, cut off)
 * and its lease expired. Back to the queue while pg-boss retries the job; failed once it gives up.
 */
async function reapLost(coord: Coordinator, run: FleetRunRow): Promise<void> {
  for (const t of await coord.targets(run.id)) {
    if (t.state !== 'running' || !t.job_id) continue;
    const job = await coord.boss.getJobById(queueOf(run.id), t.job_id);
    if (!job || job.state === 'active') continue;
    if (job.state === 'failed')
      await coord.finishTarget(
        run.id,
        t.name,
        'failed',
        `its runner (${t.runner ?? 'unknown'}) was lost each time it took the target (lease of ${run.lease_seconds} s expired ${job.retryCount + 1} times)`,
        null,
      );
    else if (job.state === 'created' || job.state === 'retry') await coord.releaseTarget(run.id, t.name);
  }
}

async function runTarget(o: FleetWorkOptions, run: FleetRunRow, job: Job<JobData>): Promise<void> {
  const { coordinator: coord } = o;
  const name = job.data.target;
  const queue = queueOf(run.id);
  const target = o.targets.get(name);
  let state: TargetState;
  let error: string | null = null;
  let resultJson: string | null = null;
  if (!target) {
    state = 'failed';
    error = `runner ${o.runner} has no target "${name}" in its targets file`;
  } else {
    const progress = progressPublisher(coord, run.id, name);
    const result = await runPlan(o.plan, {
      databaseUrl: target.url,
      ledgerSchema: o.ledgerSchema,
      config: o.config,
      approvals: run.approvals,
      // A runner whose lease expired while it still works holds the plan's run lock: wait for it
      // (then the plan is done and this run is a no-op) rather than fail the target.
      waitSeconds: run.lease_seconds,
      events: (e) => {
        progress(e);
        o.events?.(e);
      },
    });
    await progress.flush();
    const outcome = outcomeOf(result, progress.rows());
    state = outcome.state;
    error = outcome.error ? redactText(outcome.error) : null;
    resultJson = redactedJson(outcome);
  }
  await coord.finishTarget(run.id, name, state, error, resultJson);
  if (state === 'failed' && !run.continue_on_error) await coord.stopRun(run.id);
  await coord.boss.complete(queue, job.id, { state }).catch(() => undefined);
}

/** Publishes a running target's phase, step and rows to the coordinator, at most once a second. */
function progressPublisher(coord: Coordinator, fleetRunId: number, name: string) {
  let phase: string | undefined;
  let step: string | undefined;
  let doneRows = 0;
  let stepRows = 0;
  let last = 0;
  let pending: Promise<void> = Promise.resolve();
  const push = (force: boolean) => {
    const now = Date.now();
    if (!force && now - last < 1000) return;
    last = now;
    const p = { phase, step, rows: doneRows + stepRows };
    pending = pending.then(() => coord.progress(fleetRunId, name, p)).catch(() => undefined);
  };
  const on = (e: TidemarkEvent) => {
    switch (e.type) {
      case 'phase.start':
        phase = e.phase;
        push(true);
        break;
      case 'step.start':
        phase = e.phase;
        step = e.stepId;
        stepRows = 0;
        push(true);
        break;
      case 'step.progress':
        if ((e.unit ?? 'rows') === 'rows') stepRows = e.done;
        push(false);
        break;
      case 'step.done':
        doneRows += e.rowsAffected ?? 0;
        stepRows = 0;
        push(false);
        break;
    }
  };
  return Object.assign(on, {
    flush: () => pending,
    rows: () => doneRows + stepRows,
  });
}
