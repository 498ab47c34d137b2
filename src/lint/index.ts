/**
 * `tidemark lint`: catch unsafe migrations before they run — in plans, in raw SQL files and
 * folders (Prisma, Drizzle, Alembic, hand-written), and, with `--database-url`, against the live
 * tables. The CLI and the runner call only what this file exports.
 */
export { lint, lintPlanForRun, type LintOptions, type LintResult } from './lint.js';
export { render, LINT_FORMATS, type LintFormat } from './render.js';
export type { Finding, FindingCounts, Level, Suppression } from './finding.js';
export type { LintConfigInput } from './config.js';
export { ALL_RULES, RULE_IDS } from './registry.js';
export type { Rule, SqlRule, PlanRule, DatabaseRule } from './rule.js';
