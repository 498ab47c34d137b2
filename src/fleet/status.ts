/**
 * `fleet status` as data (docs/fleet.md): the latest fleet run and one line per target, read from
 * the coordinator alone (state, phase, step, rows, error), so it answers from any machine.
 */
import type { Coordinator, FleetRunRow, TargetRow } from './coordinator.js';

export interface FleetStatus {
  run: FleetRunRow | null;
  targets: TargetRow[];
  counts: Record<string, number>;
}

export async function readFleetStatus(coord: Coordinator, fleetRunId?: number): Promise<FleetStatus> {
  const run = fleetRunId !== undefined ? await coord.run(fleetRunId) : ((await coord.latestRun()) ?? null);
  const targets = run ? await coord.targets(run.id) : [];
  const counts: Record<string, number> = {};
  for (const t of targets) counts[t.state] = (counts[t.state] ?? 0) + 1;
  return { run, targets, counts };
}
