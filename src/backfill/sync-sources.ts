/**
 * When a keepInSync trigger may go. The trigger keeps old application code working while the wave is
 * in flight — including while a run waits at a gate in the contract phase — so it stays until the
 * step that drops what it reads or writes (the table, or one of the columns its `set` and `reverse`
 * name), or until the plan completes. See docs/backfill.md ("keepInSync").
 */
import { columnRefs } from '../checks/sql-columns.js';
import type { Plan, PlannedStep, RelationName } from '../model/plan.js';
import { parseRelation } from '../sql/ident.js';

const tableKey = (rel: unknown): string => {
  const q = parseRelation(rel as RelationName);
  return `${q.schema ?? 'public'}.${q.name}`;
};

/** The columns a keepInSync trigger of a `backfill.update` reads or writes. */
export function syncColumns(options: Record<string, unknown>): Set<string> {
  const cols = new Set<string>();
  const set = (options.set ?? {}) as Record<string, string>;
  const reverse = ((options.keepInSync as { reverse?: Record<string, string> } | undefined)?.reverse ?? {}) as Record<
    string,
    string
  >;
  for (const [column, expression] of [...Object.entries(set), ...Object.entries(reverse)]) {
    cols.add(column);
    for (const c of columnRefs(expression)) cols.add(c);
  }
  return cols;
}

/**
 * Ids of the keepInSync backfills whose trigger `step` would break: an `op.dropTable` of their
 * table, or an `op.dropColumn` of a column the trigger reads or writes. Their triggers are removed
 * just before `step` runs (requires the SQL parser to be loaded: the runner loads it for the plan).
 */
export function syncTriggersEndedBy(plan: Pick<Plan, 'steps'>, step: PlannedStep): string[] {
  if (step.kind !== 'op.dropTable' && step.kind !== 'op.dropColumn') return [];
  const o = step.options as Record<string, unknown>;
  const table = tableKey(o.table);
  return plan.steps
    .filter((b) => b.kind === 'backfill.update' && b.options.keepInSync && tableKey(b.options.table) === table)
    .filter((b) => step.kind === 'op.dropTable' || syncColumns(b.options).has(o.column as string))
    .map((b) => b.id);
}
