/**
 * Tidemark's public API: the plan builders a plan file imports, and the functions the CLI uses
 * (`runPlan`, `verifyPlan`, `rollbackPlan`, `describePlan`, …) so plans can run from an app's own
 * scripts or tests.
 */
export { definePlan, sql, sqlFile, op, backfill, check, gate } from './plan/define.js';
export { defineConfig, loadConfig, type TidemarkConfig } from './config.js';
export { loadPlan } from './plan/load.js';
export { validatePlan } from './plan/validate.js';
export type { Plan, PlanDef, PlanInput, PlannedStep, Phase, StepDef, PlanIssue, RelationName } from './plan/types.js';
export { PHASES } from './plan/types.js';
export { runPlan, type RunOptions } from './runner/run.js';
export { verifyPlan } from './runner/verify.js';
export { rollbackPlan, type RollbackOptions } from './runner/rollback.js';
export { describePlan, type PlanDescription, type StepDescription } from './runner/describe.js';
export type { RunResult, StepReport, RunStatus } from './runner/result.js';
export type { TidemarkEvent, EventSink, CheckOutcome } from './runner/events.js';
export type { ConnectOptions } from './runner/open.js';
export { startEmbedded, type EmbeddedServer } from './db/embedded.js';
export { ExitCode, TidemarkError, PlanInvalidError, UsageError, LockTimeoutError, RunLockedError, DriftError, StepFailedError } from './errors.js';
export { redactText } from './db/redact.js';
export { formatProof, type ProofFormatOptions } from './checks/proof-format.js';
export { lint, lintPlanForRun, render as renderLint, type LintResult, type Finding } from './lint/index.js';
export { buildReport, NotRunError } from './report/build.js';
export { renderMarkdown } from './report/markdown.js';
export { renderHtml } from './report/html.js';
export { renderJson } from './report/json.js';
export { writeReportFiles, renderReport } from './report/write-files.js';
export { captureObjectStats } from './report/object-stats.js';
export type { ReportModel } from './report/model.js';
