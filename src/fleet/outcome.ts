/**
 * What one target's run comes to, as the coordinator keeps it (redacted JSON) and as `fleet run`
 * prints it, whichever runner ran it: its state, the error, and for a failed proof the failing
 * checks with their samples.
 */
import type { CheckOutcome } from '../kind/events.js';
import { ExitCode } from '../model/errors.js';
import type { RunResult } from '../runner/result.js';
import type { TargetState } from './coordinator.js';

/** Rows of a failing check's sample kept per target. */
const SAMPLE_ROWS = 5;

export interface TargetOutcome {
  state: Extract<TargetState, 'completed' | 'failed' | 'gate'>;
  /** The runner's status: done, nothing (already complete), failed, gate, locked, drift, invalid. */
  status: string;
  exitCode: number;
  error: string | null;
  hint: string | null;
  /** Steps applied by this run. */
  applied: number;
  rows: number;
  durationMs: number;
  /** Failing checks of the proof, with samples. */
  failedChecks: Pick<
    CheckOutcome,
    'stepId' | 'kind' | 'title' | 'what' | 'status' | 'actual' | 'expected' | 'sample' | 'message'
  >[];
}

export function outcomeOf(r: RunResult, rows: number): TargetOutcome {
  const state = r.exitCode === ExitCode.ok ? 'completed' : r.exitCode === ExitCode.gate ? 'gate' : 'failed';
  const failedChecks = r.checks
    .filter((c) => c.status === 'fail')
    .map((c) => ({
      stepId: c.stepId,
      kind: c.kind,
      title: c.title,
      what: c.what,
      status: c.status,
      actual: c.actual,
      expected: c.expected,
      sample: c.sample.slice(0, SAMPLE_ROWS),
      message: c.message,
    }));
  const error =
    state === 'completed'
      ? null
      : (r.message ??
        (failedChecks.length ? `proof failed: ${failedChecks.map((c) => c.stepId).join(', ')}` : `run ${r.status}`));
  return {
    state,
    status: r.status,
    exitCode: r.exitCode,
    error,
    hint: r.hint ?? null,
    applied: r.steps.filter((s) => s.outcome === 'applied').length,
    rows,
    durationMs: Math.round(r.durationMs),
    failedChecks,
  };
}
