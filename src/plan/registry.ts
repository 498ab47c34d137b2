/**
 * Every step kind, by the name a plan uses. Adding a kind = one file + one line here + one builder.
 */

import * as backfillInsert from '../backfill/backfill-insert.js';
import * as backfillUpdate from '../backfill/backfill-update.js';
import * as allowedValues from '../checks/allowed-values.js';
import * as columnsMatch from '../checks/columns-match.js';
import * as distribution from '../checks/distribution.js';
import * as migrationApplied from '../checks/migration-applied.js';
import * as noNulls from '../checks/no-nulls.js';
import * as noOrphans from '../checks/no-orphans.js';
import * as perGroup from '../checks/per-group.js';
import * as query from '../checks/query.js';
import * as rowCount from '../checks/row-count.js';
import * as sameTenant from '../checks/same-tenant.js';
import * as unique from '../checks/unique.js';
import * as approval from '../gates/approval.js';
import * as command from '../gates/command.js';
import * as flag from '../gates/flag.js';
import * as window from '../gates/window.js';
import type { AnyStepKind } from '../kind/step-kind.js';
import * as addCheck from '../ops/op-add-check.js';
import * as addColumn from '../ops/op-add-column.js';
import * as addEnumValue from '../ops/op-add-enum-value.js';
import * as addForeignKey from '../ops/op-add-foreign-key.js';
import * as addUnique from '../ops/op-add-unique.js';
import * as changeType from '../ops/op-change-type.js';
import * as convertToEnum from '../ops/op-convert-to-enum.js';
import * as createEnum from '../ops/op-create-enum.js';
import * as createIndex from '../ops/op-create-index.js';
import * as createTable from '../ops/op-create-table.js';
import * as dropColumn from '../ops/op-drop-column.js';
import * as dropConstraint from '../ops/op-drop-constraint.js';
import * as dropIndex from '../ops/op-drop-index.js';
import * as dropTable from '../ops/op-drop-table.js';
import * as enableExtension from '../ops/op-enable-extension.js';
import * as renameColumn from '../ops/op-rename-column.js';
import * as renameColumnComplete from '../ops/op-rename-column-complete.js';
import * as renameTable from '../ops/op-rename-table.js';
import * as renameTableComplete from '../ops/op-rename-table-complete.js';
import * as setNotNull from '../ops/op-set-not-null.js';
import * as sql from '../raw-sql/sql.js';
import * as sqlFile from '../raw-sql/sql-file.js';

const modules = [
  sql,
  sqlFile,
  createTable,
  addColumn,
  createIndex,
  addForeignKey,
  addCheck,
  setNotNull,
  addUnique,
  createEnum,
  addEnumValue,
  convertToEnum,
  changeType,
  dropColumn,
  dropTable,
  dropIndex,
  dropConstraint,
  enableExtension,
  renameColumn,
  renameColumnComplete,
  renameTable,
  renameTableComplete,
  backfillUpdate,
  backfillInsert,
  noNulls,
  noOrphans,
  unique,
  allowedValues,
  rowCount,
  perGroup,
  columnsMatch,
  sameTenant,
  query,
  migrationApplied,
  distribution,
  flag,
  approval,
  window,
  command,
];

/** kind name → kind. */
export const STEP_KINDS: ReadonlyMap<string, AnyStepKind> = new Map(
  modules.map((m) => [m.kind.kind, m.kind as AnyStepKind]),
);

export function stepKind(name: string): AnyStepKind | undefined {
  return STEP_KINDS.get(name);
}
