/**
 * What a command returns. The runner never throws for expected failures: they are results with an
 * exit code (kysely's Migrator style); the CLI renders them.
 */

import type { CheckOutcome, TidemarkEvent } from '../kind/events.js';
import { ExitCode, type ExitCodeValue, TidemarkError } from '../model/errors.js';

export type RunStatus = 'done' | 'nothing' | 'failed' | 'gate' | 'drift' | 'locked' | 'invalid' | 'interrupted';

export interface StepReport {
  stepId: string;
  phase: string;
  kind: string;
  outcome:
    | 'applied'
    | 'skipped'
    | 'failed'
    | 'pending'
    | 'checked'
    | 'gate-open'
    | 'gate-closed'
    | 'rolled-back'
    | 'dry-run';
  durationMs?: number;
  rowsAffected?: number | null;
  note?: string;
}

export interface RunResult {
  planId: string;
  runId: number | null;
  status: RunStatus;
  exitCode: ExitCodeValue;
  message?: string;
  hint?: string;
  error?: TidemarkError;
  steps: StepReport[];
  checks: CheckOutcome[];
  durationMs: number;
}

const STATUS_BY_EXIT: Record<number, RunStatus> = {
  0: 'done',
  1: 'failed',
  2: 'invalid',
  3: 'locked',
  4: 'drift',
  5: 'gate',
  130: 'interrupted',
};

/** Turn any thrown value into a result field set. Unknown errors are failures (exit 1). */
export function errorResult(e: unknown): Pick<RunResult, 'status' | 'exitCode' | 'message' | 'hint' | 'error'> {
  if (e instanceof TidemarkError)
    return {
      status: STATUS_BY_EXIT[e.exitCode] ?? 'failed',
      exitCode: e.exitCode,
      message: e.message,
      hint: e.hint,
      error: e,
    };
  const msg = e instanceof Error ? e.message : String(e);
  return { status: 'failed', exitCode: ExitCode.failed, message: msg };
}

/** The `run.end` event that closes a command's event stream with its result. */
export function runEndEvent(r: RunResult): Extract<TidemarkEvent, { type: 'run.end' }> {
  return {
    type: 'run.end',
    planId: r.planId,
    status: r.status,
    exitCode: r.exitCode,
    message: r.message,
    durationMs: r.durationMs,
  };
}

/** What a command has so far: its steps and checks, the run id once the ledger gave one. */
export interface ResultBase {
  planId: string;
  runId: number | null;
  steps: StepReport[];
  checks: CheckOutcome[];
}

/** The command's result with its outcome, timed from `t0` (a `performance.now()`). */
export function resultOf(
  base: ResultBase,
  t0: number,
  r: Partial<RunResult> & Pick<RunResult, 'status' | 'exitCode'>,
): RunResult {
  return { ...base, ...r, durationMs: performance.now() - t0 };
}
