/**
 * The machine reporter: the lint result as one JSON document (findings with every field of the
 * finding model, suppressed ones included; waived findings; files; counts; exit code).
 */
import type { LintResult } from '../lint.js';

/** Pretty-printed JSON, one document. */
export function renderJson(result: LintResult): string {
  const { files, counts, exitCode, database, findings, waived } = result;
  return `${JSON.stringify(
    { version: 1, files, counts, exitCode, ...(database ? { database } : {}), findings, waived },
    null,
    2,
  )}\n`;
}
