/**
 * `unbatched-data-change`: `UPDATE` or `DELETE` on an existing table without a `WHERE` clause, or
 * with one that does not bound it by shape (src/lint/bounded-where.ts), may change most of the
 * table in one transaction — row locks on all of them, a burst of WAL and bloat, replicas falling
 * behind, no progress and no resume; `TRUNCATE` loses every row under an ACCESS EXCLUSIVE lock.
 * Tables created in the same file or plan are fine, and so are the migration tools' own history
 * tables. With `--database-url` the planner's estimate of the rows it touches decides (EXPLAIN, no
 * execution): a statement touching fewer than `smallTableRows` rows is waived.
 */
import { displayTable, type Node, type RangeVar } from '../ast.js';
import { boundedByShape } from '../bounded-where.js';
import type { SqlRule } from '../rule.js';

/** The migration tools' own history tables: one row each, written by the tool. */
const TOOL_TABLES = new Set(['alembic_version', '_prisma_migrations', '__drizzle_migrations', 'schema_migrations']);

/** The rule. */
export const rule = {
  kind: 'sql',
  id: 'unbatched-data-change',
  types: ['UpdateStmt', 'DeleteStmt', 'TruncateStmt'],
  level: 'error',
  summary: 'whole-table UPDATE/DELETE in one transaction, or TRUNCATE',
  check(st, ctx) {
    const n = st.node;
    if ((st.type === 'UpdateStmt' || st.type === 'DeleteStmt') && !boundedByShape(n.whereClause as Node | undefined)) {
      const rv = n.relation as RangeVar;
      if (ctx.isNew(rv) || TOOL_TABLES.has(rv.relname)) return;
      const where = n.whereClause ? 'with a WHERE that is not bounded by key' : 'without WHERE';
      const t = displayTable(rv);
      const isUpdate = st.type === 'UpdateStmt';
      const cols = isUpdate
        ? ((n.targetList as Node[] | undefined) ?? [])
            .map((r) => (r.ResTarget as { name?: string } | undefined)?.name)
            .filter(Boolean)
        : [];
      ctx.report({
        message: `${isUpdate ? 'UPDATE' : 'DELETE FROM'} "${t}" ${where} ${isUpdate ? 'rewrites' : 'deletes'} ${n.whereClause ? 'every matching row — possibly most of the table —' : 'every row'} in one transaction: row locks on all of them, no progress, no resume`,
        help: isUpdate
          ? `Use backfill.update({ id, table: '${t}', set: { ${cols.map((c) => `${c}: '…'`).join(', ')} }, where: '<rows not yet done>' }): batched by key, resumable, idempotent with its where. Or bound it by key (WHERE id BETWEEN … AND …) and loop.`
          : `Delete in batches by key (a backfill step), or keep the rows and drop the table in the contract phase with op.dropTable (archived, restorable).`,
        at: rv.location,
        table: rv,
        waivable: 'small',
        estimate: st.text,
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
