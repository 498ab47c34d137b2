/**
 * Tidemark's public API (SPEC §8): the plan builders a plan file imports, and every function the
 * CLI uses — `runPlan`, `verifyPlan`, `rollbackPlan`, `describePlan` (plan), `readStatus` /
 * `readPlanStatus` (status), `lint`, `buildReport` (report), `setFlag` / `listFlags` (flag) — so
 * plans can run from an app's own scripts or tests. The CLI only renders what these return.
 */
export { definePlan, sql, sqlFile, op, backfill, check, gate } from './plan/define.js';
export { defineConfig, loadConfig, type TidemarkConfig } from './config/config.js';
export { loadPlan } from './plan/load.js';
export { validatePlan } from './plan/validate.js';
export type { Plan, PlanDef, PlanInput, PlannedStep, Phase, StepDef, PlanIssue, RelationName } from './model/plan.js';
export { PHASES } from './model/plan.js';
export { runPlan, type RunOptions } from './runner/run.js';
export { verifyPlan } from './runner/verify.js';
export { rollbackPlan, type RollbackOptions } from './runner/rollback.js';
export { describePlan, type PlanDescription, type StepDescription } from './runner/describe.js';
export { formatAction } from './kind/format-action.js';
export type { Action } from './kind/step-kind.js';
export { readStatus, readPlanStatus, type LedgerStatus, type PlanStatus, type ProofStatus, type RunSummary } from './api/status.js';
export type { PlanListing } from './ledger/reads.js';
export type { StepStatusLine } from './report/status.js';
export { setFlag, listFlags, checkFlagName, FLAG_NAME, type FlagState } from './api/flags.js';
export type { LedgerOptions } from './api/ledger-options.js';
export type { RunResult, StepReport, RunStatus } from './runner/result.js';
export type { TidemarkEvent, EventSink, CheckOutcome } from './kind/events.js';
export type { ConnectOptions } from './runner/open.js';
export { startEmbedded, type EmbeddedServer } from './db/embedded.js';
export { ExitCode, TidemarkError, PlanInvalidError, UsageError, LockTimeoutError, RunLockedError, DriftError, StepFailedError } from './model/errors.js';
export { redactText } from './sql/redact.js';
export { formatProof, type ProofFormatOptions } from './checks/proof-format.js';
export { lint, lintPlanForRun, render as renderLint, LINT_FORMATS, type LintFormat, type LintOptions, type LintResult, type Finding, type FindingCounts, type Level } from './lint/index.js';
export { renderNdjson as renderLintNdjson, lintEvents, type LintEvent, type LintFindingEvent, type LintEndEvent } from './lint/reporters/ndjson.js';
export { buildReport, NotRunError, type BuildReportOptions } from './report/build.js';
export { renderMarkdown } from './report/markdown.js';
export { renderHtml } from './report/html.js';
export { renderJson } from './report/json.js';
export { writeReportFiles, renderReport, REPORT_FORMATS, type ReportFormat } from './report/write-files.js';
export { captureObjectStats } from './ledger/object-stats.js';
export type { ReportModel } from './report/model.js';
