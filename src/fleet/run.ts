/**
 * `fleet run` and `fleet work` as library calls (docs/fleet.md). `runFleet` records a fleet run in
 * the coordinator, queues one job per target that has not completed this plan (at this checksum)
 * in an earlier fleet run, works on it like any runner, and returns every target's line whichever
 * runner ran it. `joinFleet` waits for a fleet run to join and works on it until it has finished.
 */
import { hostname } from 'node:os';
import { isAbsolute, relative, resolve } from 'node:path';
import type { TidemarkConfig } from '../config/config.js';
import { ExitCode, type ExitCodeValue, UsageError } from '../model/errors.js';
import type { Plan } from '../model/plan.js';
import { type Coordinator, type FleetRunRow, queueOf, type TargetRow } from './coordinator.js';
import type { FleetTarget } from './targets.js';
import { workFleet } from './worker.js';

/** What a fleet command emits while it works: the whole fleet as the coordinator has it. */
export interface FleetSnapshot {
  type: 'fleet.snapshot';
  run: FleetRunRow;
  targets: TargetRow[];
}
export type FleetSink = (e: FleetSnapshot) => void;

export interface FleetRunResult {
  run: FleetRunRow;
  targets: TargetRow[];
  exitCode: ExitCodeValue;
}

interface Common {
  coordinator: Coordinator;
  targets: FleetTarget[];
  ledgerSchema?: string;
  config?: TidemarkConfig;
  events?: FleetSink;
  signal?: AbortSignal;
  /** How often the fleet's state is read for `events` (ms). */
  watchMs?: number;
}

export interface RunFleetOptions extends Common {
  plan: Plan;
  /** The plan file as given: runners on other machines load it from the same relative path. */
  planFile: string;
  concurrency: number;
  continueOnError: boolean;
  /** Seconds a runner holds a target's job before it is offered again (a lost runner's lease). */
  leaseSeconds: number;
  /** `--approve` gate ids, for every target (whichever runner runs it). */
  approvals?: string[];
}

/** Default lease of a target's job. */
export const DEFAULT_LEASE_SECONDS = 3600;

export const runnerName = () => `${hostname()} pid ${process.pid}`;

/** Path of the plan as runners load it: relative to the working directory when inside it. */
function sharedPlanPath(file: string): string {
  const abs = resolve(file);
  const rel = relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
}

export function fleetExitCode(targets: readonly TargetRow[]): ExitCodeValue {
  if (targets.some((t) => t.state === 'failed')) return ExitCode.failed;
  if (targets.some((t) => t.state === 'gate')) return ExitCode.gate;
  if (targets.some((t) => t.state !== 'completed')) return ExitCode.failed;
  return ExitCode.ok;
}

/** Watch the fleet's state and emit it while `until` runs. */
async function watching<T>(c: Common, id: number, until: Promise<T>): Promise<T> {
  if (!c.events) return until;
  const emit = async () => {
    const [run, targets] = await Promise.all([c.coordinator.run(id), c.coordinator.targets(id)]);
    c.events?.({ type: 'fleet.snapshot', run, targets });
  };
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    emit()
      .catch(() => undefined)
      .finally(() => {
        busy = false;
      });
  }, c.watchMs ?? 500);
  try {
    return await until;
  } finally {
    clearInterval(timer);
  }
}

export async function runFleet(o: RunFleetOptions): Promise<FleetRunResult> {
  if (!Number.isInteger(o.concurrency) || o.concurrency < 1)
    throw new UsageError(`--concurrency must be a whole number ≥ 1 (got ${o.concurrency})`);
  const coord = o.coordinator;
  const earlier = await coord.completedEarlier(o.plan.id, o.plan.checksum);
  const id = await coord.createRun(
    {
      plan_id: o.plan.id,
      plan_file: sharedPlanPath(o.planFile),
      plan_checksum: o.plan.checksum,
      concurrency: o.concurrency,
      continue_on_error: o.continueOnError,
      lease_seconds: o.leaseSeconds,
      approvals: o.approvals ?? [],
    },
    o.targets.map((t) => ({ name: t.name, earlier: earlier.get(t.name) })),
  );
  const queue = queueOf(id);
  await coord.boss.createQueue(queue, {
    name: queue,
    expireInSeconds: o.leaseSeconds,
    retryLimit: 3,
    retryDelay: 1,
  });
  for (const t of o.targets) {
    if (earlier.has(t.name)) continue;
    const jobId = await coord.boss.send(
      queue,
      { target: t.name },
      {
        expireInSeconds: o.leaseSeconds,
        retryLimit: 3,
        retryDelay: 1,
      },
    );
    if (jobId) await coord.setJob(id, t.name, jobId);
  }
  await watching(o, id, work(o, id, o.plan));
  const run = await coord.run(id);
  const targets = await coord.targets(id);
  o.events?.({ type: 'fleet.snapshot', run, targets });
  return { run, targets, exitCode: fleetExitCode(targets) };
}

function work(c: Common, id: number, plan: Plan): Promise<void> {
  return workFleet({
    coordinator: c.coordinator,
    fleetRunId: id,
    targets: new Map(c.targets.map((t) => [t.name, t])),
    plan,
    ledgerSchema: c.ledgerSchema,
    config: c.config,
    runner: runnerName(),
    signal: c.signal,
  });
}

export interface JoinFleetOptions extends Common {
  /** Load the plan a fleet run names (its file, relative to the working directory). */
  loadPlan(file: string): Promise<Plan>;
  /** Called once while no fleet run is there to join yet. */
  onWaiting?: () => void;
  /** Poll interval while waiting for a fleet run (ms). */
  waitPollMs?: number;
}

/**
 * Join the fleet run that is running (waiting for one to start when none is), work on it until it
 * has finished. Returns the run joined, or undefined when the signal aborted the wait.
 */
export async function joinFleet(o: JoinFleetOptions): Promise<FleetRunResult | undefined> {
  const coord = o.coordinator;
  let run: FleetRunRow | undefined;
  let told = false;
  // A fleet run that finished before this runner came is not joined: wait for the next one.
  while (!o.signal?.aborted) {
    const latest = await coord.latestRun();
    if (latest && latest.state !== 'finished') {
      run = latest;
      break;
    }
    if (!told) o.onWaiting?.();
    told = true;
    await new Promise((r) => setTimeout(r, o.waitPollMs ?? 500));
  }
  if (!run) return undefined;
  const plan = await o.loadPlan(run.plan_file);
  if (plan.id !== run.plan_id || plan.checksum !== run.plan_checksum)
    throw new UsageError(
      `${run.plan_file} here is not the plan fleet run ${run.id} runs (plan "${run.plan_id}", checksum ${run.plan_checksum.slice(0, 12)})`,
      'Run `fleet work` from a checkout with the same plan file as the `fleet run`.',
    );
  await watching(o, run.id, work(o, run.id, plan));
  const done = await coord.run(run.id);
  const targets = await coord.targets(run.id);
  o.events?.({ type: 'fleet.snapshot', run: done, targets });
  return { run: done, targets, exitCode: fleetExitCode(targets) };
}
