/**
 * The lint rule interface. A rule is one file in `src/lint/rules/` exporting `rule`, of one of
 * three kinds: `sql` rules see each parsed statement with the state before it (new tables,
 * validated checks, transaction block, timeouts); `plan` rules see a loaded plan; `database` rules
 * see the tables the linted SQL locks or changes and query the live database (only with an
 * explicit `--database-url`).
 */

import type { Queryable } from '../db/connection.js';
import type { Phase, Plan, PlannedStep } from '../model/plan.js';
import type { StatementTraits } from '../sql/parse.js';
import type { Node, RangeVar } from './ast.js';
import type { LintConfig } from './config.js';
import type { Level } from './finding.js';

/** Who executes a piece of SQL. Tidemark sets lock_timeout/statement_timeout itself; other runners do not. */
export type SqlRunner = 'tidemark' | 'prisma' | 'drizzle' | 'alembic' | 'sql';

/** One script to lint: a `.sql` file, or the `up` SQL of a plan's `sql`/`sqlFile` step. */
export interface SqlSource {
  /** Path shown in findings. */
  file: string;
  /** The SQL text. */
  text: string;
  /** Where {@link text} starts inside {@link file} (1-based), for SQL written inside a plan file. */
  origin?: { line: number; column: number };
  /** The plan phase and step, when the SQL belongs to a plan. */
  phase?: Phase;
  stepId?: string;
  runner: SqlRunner;
  /** The whole script runs inside one transaction block (a transactional `sql` step, a Drizzle migration…). */
  inTransaction: boolean;
  /** The runner sends the file as one multi-statement query (Prisma): a transaction block when it has more than one statement. */
  transactionIfMultiple?: boolean;
  /** Tables created earlier in the same scope are new: the file for standalone SQL, the plan for plans. */
  scope: string;
}

/** A statement as rules see it. Offsets are character offsets into the script. */
export interface Statement {
  index: number;
  type: string;
  node: Node;
  /** Statement text, from its first token (leading comments excluded). */
  text: string;
  start: number;
  end: number;
  traits: StatementTraits;
  /** It stands inside a `DO` block (and so runs inside that block's transaction). */
  inDoBlock?: boolean;
}

/** What a rule reports; the engine turns it into a {@link Finding} with file, line and column. */
export interface Draft {
  message: string;
  help?: string;
  /** Parser location (UTF-8 byte offset into the script) of the offending clause; default: the statement start. */
  at?: number;
  /** The table the problem is about (used by the database-aware size check and shown in output). */
  table?: Pick<RangeVar, 'schemaname' | 'relname'>;
  /**
   * With `--database-url`, when the live table is small the finding is waived: `small` = fewer
   * rows than `smallTableRows`, `empty` = no rows at all. Without it the finding stands.
   */
  waivable?: 'small' | 'empty';
  /**
   * With `--database-url`: a data-changing statement whose touched rows the planner estimates
   * (EXPLAIN, no execution); that estimate, not the table's size, decides a `small` waiver.
   */
  estimate?: string;
  /** Override the rule's level for this finding. */
  level?: Level;
}

/** What a sql rule knows about the moment a statement runs. */
export interface RuleContext {
  source: SqlSource;
  config: LintConfig;
  /** Inside a transaction block at this statement (explicit BEGIN, or a runner that wraps the script). */
  inTransaction: boolean;
  /** `SET lock_timeout` / `SET statement_timeout` seen earlier in this script (non-zero). */
  timeouts: { lock: boolean; statement: boolean };
  /** The table was created earlier in this file or plan (so it is new, unused and empty). */
  isNew(table: Pick<RangeVar, 'schemaname' | 'relname'>): boolean;
  /** The volatility of a function `CREATE FUNCTION`ed earlier in this file or plan (undefined when not). */
  functionVolatility(name: string): 'volatile' | 'stable' | 'immutable' | undefined;
  /** A view (`view`) or materialized view (`matview`) of that name is created later in this script. */
  createdLater(kind: 'view' | 'matview', table: Pick<RangeVar, 'schemaname' | 'relname'>): boolean;
  /** A validated CHECK on the table proves `column` NOT NULL (or a VALIDATE CONSTRAINT of unknown shape ran on it). */
  notNullProven(table: Pick<RangeVar, 'schemaname' | 'relname'>, column: string): boolean;
  /** The constraint was added `NOT VALID` earlier in the transaction block still open at this statement. */
  addedInOpenTransaction(table: Pick<RangeVar, 'schemaname' | 'relname'>, constraint: string): boolean;
  /** True the first time it is called with `key` in this script; lets a rule report once per file. */
  once(key: string): boolean;
  report(draft: Draft): void;
}

/** A rule over SQL statements. */
export interface SqlRule {
  kind: 'sql';
  /** kebab-case id, used in output, config and `-- tidemark-ignore`. */
  id: string;
  level: Level;
  /** One line: what the rule catches. */
  summary: string;
  /** Statement types (`IndexStmt`, `AlterTableStmt`…) the rule looks at; absent = every statement. */
  types?: readonly string[];
  check(st: Statement, ctx: RuleContext): void;
}

/** What a plan rule reports. */
export interface PlanDraft {
  step: PlannedStep;
  message: string;
  help?: string;
  level?: Level;
}

/** A rule over a whole plan (its steps and phases). */
export interface PlanRule {
  kind: 'plan';
  id: string;
  level: Level;
  summary: string;
  check(plan: Plan, report: (d: PlanDraft) => void): void;
}

/** A table the linted SQL locks (DDL) or changes/reads in bulk (DML, backfills), with where it happens. */
export interface TableTouch {
  table: Pick<RangeVar, 'schemaname' | 'relname'>;
  /** `lock`: a statement taking a lock that blocks reads or writes; `write`/`read`: rows changed or copied. */
  mode: 'lock' | 'write' | 'read';
  /** Where to report: a finding template (file, line, statement, step…). */
  at: import('./finding.js').Finding;
  /** Valid `tidemark-ignore` comments covering the statement (statement or file scope). */
  suppressions: { rules: string[]; reason: string; line: number; scope: 'statement' | 'file' }[];
}

/** A rule that queries the live database about the touched tables. */
export interface DatabaseRule {
  kind: 'database';
  id: string;
  level: Level;
  summary: string;
  check(
    db: Queryable,
    touches: readonly TableTouch[],
    config: LintConfig,
    report: (touch: TableTouch, d: Pick<Draft, 'message' | 'help' | 'level'>) => void,
  ): Promise<void>;
}

/** Any rule. */
export type Rule = SqlRule | PlanRule | DatabaseRule;
