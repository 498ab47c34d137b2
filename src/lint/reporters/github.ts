/**
 * The GitHub Actions reporter: one workflow command per unsuppressed finding
 * (`::error file=…,line=…,col=…,title=…::message`), so findings show up as annotations on the
 * pull request's diff.
 */
import type { LintResult } from '../lint.js';

/** Escape a workflow command's message. */
function data(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escape a workflow command's property value. */
function prop(s: string): string {
  return data(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** One annotation per unsuppressed finding. */
export function renderGithub(result: LintResult): string {
  const lines = result.findings
    .filter((f) => !f.suppressed)
    .map((f) => {
      const body = f.help ? `${f.message}\n${f.help}` : f.message;
      return `::${f.level} file=${prop(f.file)},line=${f.line},col=${f.column},title=${prop(`tidemark lint: ${f.rule}`)}::${data(body)}`;
    });
  return lines.length ? `${lines.join('\n')}\n` : '';
}
