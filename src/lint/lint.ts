/**
 * The library entry points: `lint(targets, options)` for `tidemark lint`, and
 * `lintPlanAtRun(plan)` for `tidemark run`, which refuses a plan whose raw SQL has unsuppressed
 * error-level findings and shows the plan-level (and database-aware) ones as warnings.
 */
import type pg from 'pg';
import type { Queryable } from '../db/connection.js';
import type { Plan } from '../model/plan.js';
import { loadPlan } from '../plan/load.js';
import { ensureParser } from '../sql/parse.js';
import { redactUrl } from '../sql/redact.js';
import type { SourceResult } from './analyze.js';
import { type LintConfigInput, resolveLintConfig } from './config.js';
import { countFindings, type Finding, type FindingCounts } from './finding.js';
import { LintState } from './state.js';

/**
 * The linter's machinery and its rules, loaded when a lint runs rather than with this module: plan
 * files import the whole public API, and `plan` and `status` lint nothing (docs/architecture.md,
 * "Start-up").
 */
async function machinery() {
  const [analyze, database, plan, sources, registry] = await Promise.all([
    import('./analyze.js'),
    import('./database.js'),
    import('./plan.js'),
    import('./sources.js'),
    import('./registry.js'),
  ]);
  return { ...analyze, ...database, ...plan, ...sources, ...registry };
}

/** Options of {@link lint}. */
export interface LintOptions {
  /** Connect to this database for the database-aware rules (lint never connects otherwise). */
  databaseUrl?: string;
  /** Rule levels and thresholds. */
  config?: LintConfigInput;
  /** Paths in findings are relative to this directory (default: process.cwd()). */
  cwd?: string;
}

/** What `lint` found. */
export interface LintResult {
  /** Every finding, suppressed ones included (they carry `suppressed`), in file and position order. */
  findings: Finding[];
  /** Findings the live database showed to be harmless (small or empty tables), each with `waived`. */
  waived: Finding[];
  /** Files read, in lint order (paths as shown in findings). */
  files: string[];
  counts: FindingCounts;
  /** 1 when any unsuppressed error-level finding, else 0. */
  exitCode: 0 | 1;
  /** The database used (password removed), when one was given. */
  database?: string;
}

function sortFindings(findings: Finding[], files: readonly string[]): Finding[] {
  const order = new Map(files.map((f, i) => [f, i]));
  return findings
    .map((f, i) => ({ f, i }))
    .sort(
      (a, b) =>
        (order.get(a.f.file) ?? 1e9) - (order.get(b.f.file) ?? 1e9) ||
        a.f.line - b.f.line ||
        a.f.column - b.f.column ||
        a.i - b.i,
    )
    .map((x) => x.f);
}

/**
 * Lint plans, `.sql` files and folders of them. Throws `UsageError` (exit 2) for a missing target,
 * bad config or an unreachable database, and `PlanInvalidError` (exit 2) for an invalid plan.
 */
export async function lint(targets: string[], options: LintOptions = {}): Promise<LintResult> {
  await ensureParser();
  const {
    analyzeSource,
    levelOf,
    collectUnits,
    lintPlan,
    applyTableSizes,
    connectReadOnly,
    runDatabaseRules,
    DATABASE_RULES,
    PLAN_RULES,
    RULE_IDS,
    SQL_RULES,
  } = await machinery();
  const cwd = options.cwd ?? process.cwd();
  const config = resolveLintConfig(options.config, RULE_IDS);
  const { units, texts } = collectUnits(targets, cwd, config.assumeInTransaction);
  const state = new LintState();
  const all: SourceResult = { findings: [], touches: [], tables: new Map() };
  const files: string[] = [];
  const merge = (r: SourceResult) => {
    all.findings.push(...r.findings);
    all.touches.push(...r.touches);
    for (const [k, v] of r.tables) all.tables.set(k, v);
  };
  for (const u of units) {
    if (u.kind === 'sql') {
      files.push(u.display);
      const text = texts.get(u.path)!;
      const multi = u.inTransaction === 'if-multiple';
      merge(
        analyzeSource(
          {
            file: u.display,
            text,
            runner: u.runner,
            inTransaction: u.inTransaction === true,
            ...(multi ? { transactionIfMultiple: true } : {}),
            scope: `file:${u.path}`,
          },
          SQL_RULES,
          state,
          config,
          RULE_IDS,
          !!options.databaseUrl,
        ),
      );
    } else {
      const plan = await loadPlan(u.path);
      const r = lintPlan(plan, {
        state,
        config,
        sqlRules: SQL_RULES,
        planRules: PLAN_RULES,
        knownRules: RULE_IDS,
        cwd,
        collect: !!options.databaseUrl,
      });
      for (const f of r.files) if (!files.includes(f)) files.push(f);
      merge(r);
    }
  }
  let findings = all.findings;
  let waived: Finding[] = [];
  if (options.databaseUrl) {
    const db = await connectReadOnly(options.databaseUrl);
    try {
      const sized = await applyTableSizes(db, findings, all.tables, config);
      findings = sized.kept;
      waived = sized.waived;
      const dbRules = DATABASE_RULES.map((rule) => ({ rule, level: levelOf(config, rule.id, rule.level) })).filter(
        (r): r is { rule: (typeof DATABASE_RULES)[number]; level: 'error' | 'warning' } => !!r.level,
      );
      findings.push(...(await runDatabaseRules(db, dbRules, all.touches, config)));
    } finally {
      await db.end().catch(() => undefined);
    }
  }
  findings = sortFindings(findings, files);
  waived = sortFindings(waived, files);
  const counts = countFindings(findings, waived, files.length);
  return {
    findings,
    waived,
    files,
    counts,
    exitCode: counts.errors > 0 ? 1 : 0,
    ...(options.databaseUrl ? { database: redactUrl(options.databaseUrl) } : {}),
  };
}

/** What `tidemark run` does with a plan's lint findings; see {@link lintPlanAtRun}. */
export interface RunLint {
  /** Unsuppressed error-level findings in the `up` SQL of raw `sql`/`sqlFile` steps: the run refuses. */
  refusals: Finding[];
  /** Unsuppressed plan-level findings (and database-aware ones, when given a connection): shown, never refusing. */
  warnings: Finding[];
}

/**
 * For `tidemark run` (and its dry run): the plan's raw SQL is linted with the SQL rules (error-level
 * findings refuse the run) and the plan with the plan-level rules; with `db` (the run's own
 * connection, read-only queries of the catalog and pg_stat_activity) the database-aware rules run
 * over the tables the plan's steps touch (only those of `dbSteps`, when given). Plan-level and
 * database-aware findings are warnings at run time.
 */
export async function lintPlanAtRun(
  plan: Plan,
  options: { config?: LintConfigInput; cwd?: string; db?: Queryable; dbSteps?: ReadonlySet<string> } = {},
): Promise<RunLint> {
  await ensureParser();
  const { applyTableSizes, levelOf, lintPlan, runDatabaseRules, DATABASE_RULES, PLAN_RULES, RULE_IDS, SQL_RULES } =
    await machinery();
  const config = resolveLintConfig(options.config, RULE_IDS);
  const r = lintPlan(plan, {
    state: new LintState(),
    config,
    sqlRules: SQL_RULES,
    planRules: PLAN_RULES,
    knownRules: RULE_IDS,
    cwd: options.cwd ?? process.cwd(),
    collect: !!options.db,
  });
  const planRules = new Set(PLAN_RULES.map((rule) => rule.id));
  let refusals = r.findings.filter((f) => !planRules.has(f.rule) && f.level === 'error' && !f.suppressed);
  if (options.db) {
    // A data change judged by its shape is judged by the planner's estimate when the database is at
    // hand, as `lint --database-url` does (docs/rules/unbatched-data-change.md).
    const estimated = new Map([...r.tables].filter(([f, t]) => t.estimate && refusals.includes(f)));
    if (estimated.size) {
      const { waived } = await applyTableSizes(options.db as pg.Client, [...estimated.keys()], estimated, config);
      const gone = new Set(waived.map((w) => `${w.file}:${w.line}:${w.column}:${w.rule}`));
      refusals = refusals.filter((f) => !gone.has(`${f.file}:${f.line}:${f.column}:${f.rule}`));
    }
  }
  const warnings = r.findings.filter((f) => planRules.has(f.rule) && !f.suppressed);
  if (options.db) {
    const dbRules = DATABASE_RULES.map((rule) => ({ rule, level: levelOf(config, rule.id, rule.level) })).filter(
      (x): x is { rule: (typeof DATABASE_RULES)[number]; level: 'error' | 'warning' } => !!x.level,
    );
    // runDatabaseRules is typed for lint's own client but only hands it to the rules, which take any Queryable.
    const touches = options.dbSteps
      ? r.touches.filter((t) => t.at.stepId && options.dbSteps!.has(t.at.stepId))
      : r.touches;
    warnings.push(
      ...(await runDatabaseRules(options.db as pg.Client, dbRules, touches, config)).filter((f) => !f.suppressed),
    );
  }
  return { refusals: sortFindings(refusals, r.files), warnings: sortFindings(warnings, r.files) };
}

/**
 * For `tidemark run`: the unsuppressed error-level findings in the `up` SQL of the plan's raw
 * `sql`/`sqlFile` steps. An empty array means the plan may run. (`run` itself calls
 * {@link lintPlanAtRun}, which also returns the plan-level warnings.)
 */
export async function lintPlanForRun(
  plan: Plan,
  options: { config?: LintConfigInput; cwd?: string } = {},
): Promise<Finding[]> {
  return (await lintPlanAtRun(plan, options)).refusals;
}
