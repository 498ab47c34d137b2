/**
 * The one finding model every lint rule produces and every reporter renders: which rule, how
 * bad, where (file, line, column, statement, plan step and phase), what to do instead, and — when
 * a `-- tidemark-ignore` comment covers it — why it was accepted.
 */
import type { Phase } from '../model/plan.js';

/** `error`: takes a dangerous lock, rewrites a table, loses data or breaks running code (exit 1). `warning`: advice (exit 0). */
export type Level = 'error' | 'warning';

/** A suppression that covers a finding: the reason is required and always shown. */
export interface Suppression {
  reason: string;
  /** Line of the `-- tidemark-ignore` comment, 1-based. */
  line: number;
  /** `statement`: the comment stands right above the statement; `file`: at the top of the file. */
  scope: 'statement' | 'file';
}

/** One problem found by a rule. */
export interface Finding {
  /** Rule id, e.g. `index-not-concurrent` (documented in docs/rules/<rule>.md). */
  rule: string;
  level: Level;
  /** What is wrong, naming the table/column/constraint. */
  message: string;
  /** What to do instead, naming the safe `op.*` / `backfill.*` when there is one. */
  help?: string;
  /** Path of the file, relative to the working directory when inside it. */
  file: string;
  /** 1-based line and column of the offending position. */
  line: number;
  column: number;
  /** The statement, passwords redacted (absent for plan-level findings). */
  statement?: string;
  /** 1-based line where {@link statement} starts in {@link file}. */
  statementLine?: number;
  /** 1-based column where {@link statement} starts on {@link statementLine}. */
  statementColumn?: number;
  /** When the SQL belongs to a plan step. */
  stepId?: string;
  phase?: Phase;
  /** The table the finding is about (`schema.name` or `name`), when there is one. */
  table?: string;
  /** Present when a `-- tidemark-ignore` comment accepts the finding. */
  suppressed?: Suppression;
  /** Why the finding does not count (e.g. the live table is small); only in `LintResult.waived`. */
  waived?: string;
}

/** Finding counts over a lint result (suppressed and waived findings are not errors or warnings). */
export interface FindingCounts {
  errors: number;
  warnings: number;
  suppressed: number;
  waived: number;
  files: number;
}

/** Count unsuppressed errors and warnings, and suppressed findings. */
export function countFindings(findings: readonly Finding[], waived: readonly Finding[], files: number): FindingCounts {
  let errors = 0;
  let warnings = 0;
  let suppressed = 0;
  for (const f of findings) {
    if (f.suppressed) suppressed++;
    else if (f.level === 'error') errors++;
    else warnings++;
  }
  return { errors, warnings, suppressed, waived: waived.length, files };
}

/** Where a rule's documentation lives, relative to the package root. */
export function ruleDocs(rule: string): string {
  return `docs/rules/${rule}.md`;
}
