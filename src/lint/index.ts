/**
 * `tidemark lint`: catch unsafe migrations before they run — in plans, in raw SQL files and
 * folders (Prisma, Drizzle, Alembic, hand-written), and, with `--database-url`, against the live
 * tables. The CLI and the runner call only what this file exports. The rules themselves
 * (`./registry.js`) load when a lint runs: importing this file does not load them.
 */

export type { LintConfigInput } from './config.js';
export type { Finding, FindingCounts, Level, Suppression } from './finding.js';
export { type LintOptions, type LintResult, lint, lintPlanForRun } from './lint.js';
export { LINT_FORMATS, type LintFormat, render } from './render.js';
export type { DatabaseRule, PlanRule, Rule, SqlRule } from './rule.js';
