/**
 * The streaming reporter (`tidemark lint --json`, like every command's `--json`): NDJSON, one
 * `lint.finding` object per line — every field of the finding model; suppressed findings carry
 * `suppressed`, findings the live database waived carry `waived` — then one `lint.end` line with
 * the files, the counts and the exit code. Nothing else.
 */
import type { Finding } from '../finding.js';
import type { LintResult } from '../lint.js';

/** One line per finding. */
export interface LintFindingEvent extends Finding {
  type: 'lint.finding';
}

/** The last line. */
export interface LintEndEvent {
  type: 'lint.end';
  files: string[];
  counts: LintResult['counts'];
  exitCode: LintResult['exitCode'];
  /** The database used (password removed), when one was given. */
  database?: string;
}

export type LintEvent = LintFindingEvent | LintEndEvent;

/** The lint result as events: findings in file and position order, then waived ones, then the end. */
export function lintEvents(result: LintResult): LintEvent[] {
  const { files, counts, exitCode, database } = result;
  return [
    ...result.findings.map((f): LintFindingEvent => ({ type: 'lint.finding', ...f })),
    ...result.waived.map((f): LintFindingEvent => ({ type: 'lint.finding', ...f })),
    { type: 'lint.end', files, counts, exitCode, ...(database ? { database } : {}) },
  ];
}

/** NDJSON: one event per line. */
export function renderNdjson(result: LintResult): string {
  return `${lintEvents(result)
    .map((e) => JSON.stringify(e))
    .join('\n')}\n`;
}
