/**
 * `render(result, format, { color })`: one lint result, four reporters over the same finding model.
 */
import { UsageError } from '../model/errors.js';
import type { LintResult } from './lint.js';
import { renderGcc } from './reporters/gcc.js';
import { renderGithub } from './reporters/github.js';
import { renderJson } from './reporters/json.js';
import { renderTty } from './reporters/tty.js';

/** Output formats of `tidemark lint --format`. */
export const LINT_FORMATS = ['tty', 'json', 'gcc', 'github'] as const;
export type LintFormat = (typeof LINT_FORMATS)[number];

/** Render a lint result; `color` applies to `tty` only. */
export function render(
  result: LintResult,
  format: LintFormat | string = 'tty',
  opts: { color?: boolean } = {},
): string {
  switch (format) {
    case 'tty':
      return renderTty(result, opts);
    case 'json':
      return renderJson(result);
    case 'gcc':
      return renderGcc(result);
    case 'github':
      return renderGithub(result);
    default:
      throw new UsageError(`lint: unknown --format "${format}" (expected ${LINT_FORMATS.join(', ')})`);
  }
}
