/**
 * Events the core emits while it works. The core never prints: the CLI subscribes renderers
 * (progress bars on a TTY, plain lines in CI, NDJSON with `--json`). {@link noopSink} ignores all.
 */
import type { BlockerInfo } from '../model/errors.js';
import type { Phase } from '../model/plan.js';

export interface CheckOutcome {
  stepId: string;
  kind: string;
  title: string;
  /** What it measures in a few words (from its options), shown when the plan gave no title. */
  what?: string;
  status: 'pass' | 'fail' | 'warn' | 'superseded';
  actual: unknown;
  expected: unknown;
  sample: unknown[];
  message?: string;
  /**
   * True when the check could not run (bad SQL, a missing table or column, a read lock it could not
   * get): `status` is then `fail` (`warn` under `severity: 'warn'`) and `message` says why
   * ("the check could not run: …"). Absent otherwise.
   */
  error?: boolean;
  /** `check.distribution`: counts per value. */
  distribution?: { value: unknown; count: number }[];
  durationMs?: number;
}

export type TidemarkEvent =
  | {
      type: 'run.start';
      planId: string;
      title: string;
      command: string;
      runId: number | null;
      dryRun: boolean;
      database: string /** Longest check id, to align the proof. */;
      checkIdWidth?: number;
    }
  | {
      /** `--wait`: the plan's run lock is held by another runner (said at once, then every few seconds). */
      type: 'run.waiting';
      planId: string;
      /** Who holds it: user, host, process, run and since when (as in the exit-3 message). */
      holder: string;
      waitedMs: number;
      waitSeconds: number;
    }
  | { type: 'run.end'; planId: string; status: string; exitCode: number; message?: string; durationMs: number }
  | { type: 'ledger.installed'; schema: string; from: number; to: number }
  | { type: 'phase.start'; phase: Phase; pending: number }
  | { type: 'phase.end'; phase: Phase }
  | {
      type: 'step.start';
      stepId: string;
      phase: Phase;
      kind: string;
      title: string;
      /** An earlier attempt of this step was interrupted or failed: it picks up from its saved progress. */
      resumed: boolean;
      /**
       * How the ledger left the step when an earlier run touched it, so a renderer says what is
       * really happening: `running` (the runner died during it), `interrupted` (SIGINT/SIGTERM
       * stopped it after a batch), `failed`, `rolled_back` (applied, undone, now applied afresh).
       * Absent for a first attempt.
       */
      previous?: 'running' | 'interrupted' | 'failed' | 'rolled_back';
    }
  | { type: 'step.skip'; stepId: string; phase: Phase; reason: string }
  | {
      type: 'step.progress';
      stepId: string;
      done: number;
      total: number | null;
      rate?: number;
      etaSeconds?: number | null;
      batchSize?: number;
      note?: string;
      /** What `done` and `total` count: rows unless said (an index build counts blocks or tuples). */
      unit?: 'rows' | 'blocks' | 'tuples' | 'lockers';
    }
  | { type: 'step.statement'; stepId: string; index: number; count: number; sql: string }
  | {
      type: 'step.done';
      stepId: string;
      phase: Phase;
      kind: string;
      durationMs: number;
      rowsAffected?: number | null;
      notes?: string[];
    }
  | { type: 'step.failed'; stepId: string; phase: Phase; kind: string; error: string; hint?: string }
  | { type: 'step.dry-run'; stepId: string; phase: Phase; kind: string; title: string; lines: string[] }
  | { type: 'lock.retry'; stepId?: string; what: string; attempt: number; delayMs: number; blockers: BlockerInfo[] }
  | { type: 'lock.waiting'; stepId?: string; what: string; waitedMs: number; blockers: BlockerInfo[] }
  | { type: 'check.result'; phase: Phase; result: CheckOutcome }
  | { type: 'proof.end'; phase: Phase; passed: boolean; failed: string[]; warned: string[] }
  | { type: 'gate.closed'; stepId: string; kind: string; reason: string; opensWhen: string }
  | { type: 'gate.open'; stepId: string; kind: string; reason: string }
  | { type: 'rollback.step'; stepId: string; phase: Phase; action: 'undone' | 'skipped' | 'nothing'; note?: string }
  | { type: 'notice'; level: 'info' | 'warn'; message: string; stepId?: string };

export type EventSink = (e: TidemarkEvent) => void;

export const noopSink: EventSink = () => undefined;

/** Fan one event out to several sinks. */
export function fanOut(...sinks: EventSink[]): EventSink {
  return (e) => {
    for (const s of sinks) s(e);
  };
}
