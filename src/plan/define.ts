/**
 * The builders a plan file imports: `definePlan`, `sql`, `sqlFile`, `op.*`, `backfill.*`,
 * `check.*`, `gate.*`. Each returns plain data; validation happens when the plan is loaded.
 */

import type * as BackfillInsert from '../backfill/backfill-insert.js';
import type * as BackfillUpdate from '../backfill/backfill-update.js';
import type * as AllowedValues from '../checks/allowed-values.js';
import type * as ColumnsMatch from '../checks/columns-match.js';
import type * as Distribution from '../checks/distribution.js';
import type * as MigrationApplied from '../checks/migration-applied.js';
import type * as NoNulls from '../checks/no-nulls.js';
import type * as NoOrphans from '../checks/no-orphans.js';
import type * as PerGroup from '../checks/per-group.js';
import type * as Query from '../checks/query.js';
import type * as RowCount from '../checks/row-count.js';
import type * as SameTenant from '../checks/same-tenant.js';
import type * as Unique from '../checks/unique.js';
import type * as Approval from '../gates/approval.js';
import type * as Command from '../gates/command.js';
import type * as Flag from '../gates/flag.js';
import type * as Window from '../gates/window.js';
import type { PlanDef, PlanInput, StepDef } from '../model/plan.js';
import type * as AddCheck from '../ops/op-add-check.js';
import type * as AddColumn from '../ops/op-add-column.js';
import type * as AddEnumValue from '../ops/op-add-enum-value.js';
import type * as AddForeignKey from '../ops/op-add-foreign-key.js';
import type * as AddUnique from '../ops/op-add-unique.js';
import type * as ChangeType from '../ops/op-change-type.js';
import type * as ConvertToEnum from '../ops/op-convert-to-enum.js';
import type * as CreateEnum from '../ops/op-create-enum.js';
import type * as CreateIndex from '../ops/op-create-index.js';
import type * as CreateTable from '../ops/op-create-table.js';
import type * as DropColumn from '../ops/op-drop-column.js';
import type * as DropConstraint from '../ops/op-drop-constraint.js';
import type * as DropIndex from '../ops/op-drop-index.js';
import type * as DropTable from '../ops/op-drop-table.js';
import type * as EnableExtension from '../ops/op-enable-extension.js';
import type * as RenameColumn from '../ops/op-rename-column.js';
import type * as RenameTable from '../ops/op-rename-table.js';
import type * as SetNotNull from '../ops/op-set-not-null.js';
import type * as Sql from '../raw-sql/sql.js';
import type * as SqlFile from '../raw-sql/sql-file.js';

type Step<K extends string, I> = StepDef<K, I & { id: string }>;

function builder<K extends string, I>(kind: K) {
  return (options: I): Step<K, I> => ({ kind, options: options as I & { id: string } });
}

/** Declare a plan. Returned as data; `tidemark run` validates and executes it. */
export function definePlan(plan: PlanInput): PlanDef {
  return { ...plan, __tidemarkPlan: true };
}

/** Raw SQL; `transaction: false` runs statement by statement (CONCURRENTLY). */
export const sql = builder<'sql', Sql.Input>('sql');
/** Raw SQL from files relative to the plan. */
export const sqlFile = builder<'sqlFile', SqlFile.Input>('sqlFile');

/** Safe schema operations: lock-safe DDL with automatic rollback. */
export const op = {
  createTable: builder<'op.createTable', CreateTable.Input>('op.createTable'),
  addColumn: builder<'op.addColumn', AddColumn.Input>('op.addColumn'),
  createIndex: builder<'op.createIndex', CreateIndex.Input>('op.createIndex'),
  addForeignKey: builder<'op.addForeignKey', AddForeignKey.Input>('op.addForeignKey'),
  addCheck: builder<'op.addCheck', AddCheck.Input>('op.addCheck'),
  setNotNull: builder<'op.setNotNull', SetNotNull.Input>('op.setNotNull'),
  addUnique: builder<'op.addUnique', AddUnique.Input>('op.addUnique'),
  createEnum: builder<'op.createEnum', CreateEnum.Input>('op.createEnum'),
  addEnumValue: builder<'op.addEnumValue', AddEnumValue.Input>('op.addEnumValue'),
  convertToEnum: builder<'op.convertToEnum', ConvertToEnum.Input>('op.convertToEnum'),
  changeType: builder<'op.changeType', ChangeType.Input>('op.changeType'),
  dropColumn: builder<'op.dropColumn', DropColumn.Input>('op.dropColumn'),
  dropTable: builder<'op.dropTable', DropTable.Input>('op.dropTable'),
  dropIndex: builder<'op.dropIndex', DropIndex.Input>('op.dropIndex'),
  dropConstraint: builder<'op.dropConstraint', DropConstraint.Input>('op.dropConstraint'),
  enableExtension: builder<'op.enableExtension', EnableExtension.Input>('op.enableExtension'),
  /** Both names work from expand until the completion Tidemark adds to contract (docs/steps/rename-column.md). */
  renameColumn: builder<'op.renameColumn', RenameColumn.Input>('op.renameColumn'),
  /** Both names work from expand until the completion Tidemark adds to contract (docs/steps/rename-table.md). */
  renameTable: builder<'op.renameTable', RenameTable.Input>('op.renameTable'),
};

/** Batched, resumable data changes. */
export const backfill = {
  update: builder<'backfill.update', BackfillUpdate.Input>('backfill.update'),
  insert: builder<'backfill.insert', BackfillInsert.Input>('backfill.insert'),
};

/** Proof checks: stored in the ledger, gate the contract phase. */
export const check = {
  noNulls: builder<'check.noNulls', NoNulls.Input>('check.noNulls'),
  noOrphans: builder<'check.noOrphans', NoOrphans.Input>('check.noOrphans'),
  unique: builder<'check.unique', Unique.Input>('check.unique'),
  allowedValues: builder<'check.allowedValues', AllowedValues.Input>('check.allowedValues'),
  rowCount: builder<'check.rowCount', RowCount.Input>('check.rowCount'),
  perGroup: builder<'check.perGroup', PerGroup.Input>('check.perGroup'),
  columnsMatch: builder<'check.columnsMatch', ColumnsMatch.Input>('check.columnsMatch'),
  sameTenant: builder<'check.sameTenant', SameTenant.Input>('check.sameTenant'),
  query: builder<'check.query', Query.Input>('check.query'),
  migrationApplied: builder<'check.migrationApplied', MigrationApplied.Input>('check.migrationApplied'),
  distribution: builder<'check.distribution', Distribution.Input>('check.distribution'),
};

/** Gates: a closed gate stops the run (exit 5) and says what opens it. */
export const gate = {
  flag: builder<'gate.flag', Flag.Input>('gate.flag'),
  approval: builder<'gate.approval', Approval.Input>('gate.approval'),
  window: builder<'gate.window', Window.Input>('gate.window'),
  command: builder<'gate.command', Command.Input>('gate.command'),
};
