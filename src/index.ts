/**
 * Tidemark's public API (docs/plans.md): the plan builders a plan file imports, and every function the
 * CLI uses — `runPlan`, `verifyPlan`, `rollbackPlan`, `describePlan` (plan), `readStatus` /
 * `readPlanStatus` (status), `lint`, `buildReport` (report), `setFlag` / `listFlags` (flag),
 * `importMigrations` (import) — so
 * plans can run from an app's own scripts or tests. The CLI only renders what these return.
 */

export { checkFlagName, FLAG_NAME, type FlagState, listFlags, setFlag } from './api/flags.js';
export type { LedgerOptions } from './api/ledger-options.js';
export {
  type LedgerStatus,
  type PlanStatus,
  type ProofStatus,
  type RunSummary,
  readPlanStatus,
  readStatus,
} from './api/status.js';
export { formatProof, type ProofFormatOptions } from './checks/proof-format.js';
export { defineConfig, loadConfig, type TidemarkConfig } from './config/config.js';
export { type EmbeddedServer, startEmbedded } from './db/embedded.js';
export { type ImportOptions, type ImportResult, importMigrations } from './import/import.js';
export type { CheckOutcome, EventSink, TidemarkEvent } from './kind/events.js';
export { formatAction } from './kind/format-action.js';
export type { Action } from './kind/step-kind.js';
export { captureObjectStats } from './ledger/object-stats.js';
export type { PlanListing } from './ledger/reads.js';
export {
  type Finding,
  type FindingCounts,
  type Level,
  LINT_FORMATS,
  type LintFormat,
  type LintOptions,
  type LintResult,
  lint,
  lintPlanForRun,
  render as renderLint,
} from './lint/index.js';
export {
  type LintEndEvent,
  type LintEvent,
  type LintFindingEvent,
  lintEvents,
  renderNdjson as renderLintNdjson,
} from './lint/reporters/ndjson.js';
export {
  DriftError,
  type DriftedStep,
  ExitCode,
  InterruptedError,
  LockTimeoutError,
  OrmRecordError,
  PendingWorkError,
  PlanInvalidError,
  RunLockedError,
  StepFailedError,
  TidemarkError,
  UsageError,
} from './model/errors.js';
export type {
  OrmRecord,
  OrmRecordInput,
  OrmTool,
  Phase,
  Plan,
  PlanDef,
  PlanInput,
  PlanIssue,
  PlannedStep,
  RelationName,
  StepDef,
} from './model/plan.js';
export { ORM_TOOLS, PHASES } from './model/plan.js';
export type { Input as ChangeTypeOptions } from './ops/op-change-type.js';
export type { Input as RenameColumnInput } from './ops/op-rename-column.js';
export type { Input as RenameTableInput } from './ops/op-rename-table.js';
export { backfill, check, definePlan, gate, op, sql, sqlFile } from './plan/define.js';
export { loadPlan, loadPlans, planFilesIn } from './plan/load.js';
export { validatePlan } from './plan/validate.js';
export { type BuildReportOptions, buildReport, NotRunError } from './report/build.js';
export { renderHtml } from './report/html.js';
export { renderJson } from './report/json.js';
export { renderMarkdown } from './report/markdown.js';
export type { ReportModel } from './report/model.js';
export type { StepStatusLine } from './report/status.js';
export { REPORT_FORMATS, type ReportFormat, renderReport, writeReportFiles } from './report/write-files.js';
export { describePlan, type PlanDescription, type StepDescription } from './runner/describe.js';
export type { ConnectOptions } from './runner/open.js';
export type { RunResult, RunStatus, StepReport } from './runner/result.js';
export { type RollbackOptions, rollbackPlan } from './runner/rollback.js';
export { type RunOptions, runPlan } from './runner/run.js';
export { verifyPlan } from './runner/verify.js';
export { WORK_LEASE_MS, type WorkOptions, workPlan } from './runner/work.js';
export { redactText } from './sql/redact.js';
