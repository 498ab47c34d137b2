/**
 * The compiler-style reporter: `file:line:col: error: message [rule]`, one line per unsuppressed
 * finding — what editors and `grep` understand.
 */
import type { LintResult } from '../lint.js';

/** One line per unsuppressed finding. */
export function renderGcc(result: LintResult): string {
  const lines = result.findings
    .filter((f) => !f.suppressed)
    .map((f) => `${f.file}:${f.line}:${f.column}: ${f.level}: ${f.message.replace(/\s*\n\s*/g, ' ')} [${f.rule}]`);
  return lines.length ? `${lines.join('\n')}\n` : '';
}
