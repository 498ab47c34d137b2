/**
 * `unbatched-data-change`: `UPDATE` or `DELETE` without a `WHERE` clause on an existing table
 * changes every row in one transaction — row locks on all of them, a burst of WAL and bloat,
 * replicas falling behind, no progress and no resume; `TRUNCATE` loses every row under an ACCESS
 * EXCLUSIVE lock. Tables created in the same file or plan are fine.
 */
import { displayTable, type Node, type RangeVar } from '../ast.js';
import type { SqlRule } from '../rule.js';

/** The rule. */
export const rule = {
  kind: 'sql',
  id: 'unbatched-data-change',
  types: ['UpdateStmt', 'DeleteStmt', 'TruncateStmt'],
  level: 'error',
  summary: 'whole-table UPDATE/DELETE in one transaction, or TRUNCATE',
  check(st, ctx) {
    const n = st.node;
    if ((st.type === 'UpdateStmt' || st.type === 'DeleteStmt') && !n.whereClause) {
      const rv = n.relation as RangeVar;
      if (ctx.isNew(rv)) return;
      const t = displayTable(rv);
      const isUpdate = st.type === 'UpdateStmt';
      const cols = isUpdate
        ? ((n.targetList as Node[] | undefined) ?? [])
            .map((r) => (r.ResTarget as { name?: string } | undefined)?.name)
            .filter(Boolean)
        : [];
      ctx.report({
        message: `${isUpdate ? 'UPDATE' : 'DELETE FROM'} "${t}" without WHERE ${isUpdate ? 'rewrites' : 'deletes'} every row in one transaction: row locks on all of them, no progress, no resume`,
        help: isUpdate
          ? `Use backfill.update({ id, table: '${t}', set: { ${cols.map((c) => `${c}: '…'`).join(', ')} }, where: '<rows not yet done>' }): batched by key, resumable, idempotent with its where.`
          : `Delete in batches by key (a backfill step), or keep the rows and drop the table in the contract phase with op.dropTable (archived, restorable).`,
        at: rv.location,
        table: rv,
        waivable: 'small',
      });
    } else if (st.type === 'TruncateStmt') {
      const tables = ((n.relations as Node[] | undefined) ?? [])
        .map((r) => r.RangeVar as RangeVar)
        .filter((t) => !ctx.isNew(t));
      if (!tables.length) return;
      ctx.report({
        message: `TRUNCATE ${tables.map((t) => `"${displayTable(t)}"`).join(', ')} deletes every row under an ACCESS EXCLUSIVE lock and cannot be undone once committed`,
        help: 'Keep the data: drop the table in the contract phase with op.dropTable (rows archived, rollback restores them), or delete in batches with a backfill step.',
        at: tables[0].location,
        table: tables[0],
      });
    }
  },
} satisfies SqlRule;
