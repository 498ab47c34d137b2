/**
 * Every lint rule, by kind. Adding a rule = one file in rules/ + one line here + its test and
 * docs/rules/<id>.md.
 */
import type { DatabaseRule, PlanRule, Rule, SqlRule } from './rule.js';
import { rule as addColumnNotNull } from './rules/add-column-not-null.js';
import { rule as alterColumnType } from './rules/alter-column-type.js';
import { rule as backfillNotIdempotent } from './rules/backfill-not-idempotent.js';
import { rule as concurrentlyInTransaction } from './rules/concurrently-in-transaction.js';
import { rule as constraintNotValid } from './rules/constraint-not-valid.js';
import { rule as constraintWithoutCheck } from './rules/constraint-without-check.js';
import { rule as contractBreaksOldWriters } from './rules/contract-breaks-old-writers.js';
import { rule as contractReadsUnfilledColumn } from './rules/contract-reads-unfilled-column.js';
import { rule as destructiveOutsideContract } from './rules/destructive-outside-contract.js';
import { rule as dropObject } from './rules/drop-object.js';
import { rule as exclusionConstraint } from './rules/exclusion-constraint.js';
import { rule as indexNotConcurrent } from './rules/index-not-concurrent.js';
import { rule as invalidSuppression } from './rules/invalid-suppression.js';
import { rule as lockTable } from './rules/lock-table.js';
import { rule as longRunningTransaction } from './rules/long-running-transaction.js';
import { rule as missingTimeout } from './rules/missing-timeout.js';
import { rule as renameObject } from './rules/rename-object.js';
import { rule as rlsHidesRows } from './rules/rls-hides-rows.js';
import { rule as setNotNullWithoutCheck } from './rules/set-not-null-without-check.js';
import { rule as syntaxError } from './rules/syntax-error.js';
import { rule as tableRewrite } from './rules/table-rewrite.js';
import { rule as timeoutDisabled } from './rules/timeout-disabled.js';
import { rule as unbatchedDataChange } from './rules/unbatched-data-change.js';
import { rule as uniqueWithoutIndex } from './rules/unique-without-index.js';

/** Rules over SQL statements, in reporting order. */
export const SQL_RULES: readonly SqlRule[] = [
  indexNotConcurrent,
  constraintNotValid,
  uniqueWithoutIndex,
  setNotNullWithoutCheck,
  alterColumnType,
  tableRewrite,
  addColumnNotNull,
  exclusionConstraint,
  renameObject,
  dropObject,
  concurrentlyInTransaction,
  lockTable,
  unbatchedDataChange,
  missingTimeout,
  timeoutDisabled,
  syntaxError,
  invalidSuppression,
];

/** Rules over a whole plan. */
export const PLAN_RULES: readonly PlanRule[] = [
  destructiveOutsideContract,
  backfillNotIdempotent,
  constraintWithoutCheck,
  contractReadsUnfilledColumn,
  contractBreaksOldWriters,
];

/** Rules that query the live database (only with an explicit --database-url). */
export const DATABASE_RULES: readonly DatabaseRule[] = [longRunningTransaction, rlsHidesRows];

/** Every rule. */
export const ALL_RULES: readonly Rule[] = [...SQL_RULES, ...PLAN_RULES, ...DATABASE_RULES];

/** Every rule id. */
export const RULE_IDS: readonly string[] = ALL_RULES.map((r) => r.id);

/** A rule by id. */
export function lintRule(id: string): Rule | undefined {
  return ALL_RULES.find((r) => r.id === id);
}
