/**
 * `index-not-concurrent`: `CREATE INDEX` / `REINDEX` without `CONCURRENTLY` on an existing table
 * holds a SHARE (REINDEX: ACCESS EXCLUSIVE) lock for the whole build, blocking every write. A
 * plain `DROP INDEX` takes ACCESS EXCLUSIVE on the table too (warning). Indexes on tables created
 * earlier in the same file or plan are fine.
 */
import { displayTable, type RangeVar } from '../ast.js';
import { ormHelp } from '../orm-help.js';
import type { SqlRule } from '../rule.js';

/** The rule. */
export const rule = {
  kind: 'sql',
  id: 'index-not-concurrent',
  types: ['IndexStmt', 'ReindexStmt', 'DropStmt'],
  level: 'error',
  summary: 'CREATE INDEX / REINDEX without CONCURRENTLY on an existing table',
  check(st, ctx) {
    const n = st.node;
    if (st.type === 'IndexStmt' && !n.concurrent) {
      const rv = n.relation as RangeVar;
      if (ctx.isNew(rv)) return;
      const cols = ((n.indexParams as { IndexElem?: { name?: string } }[] | undefined) ?? [])
        .map((p) => p.IndexElem?.name)
        .filter(Boolean);
      const colsJs = cols.length ? `[${cols.map((c) => `'${c}'`).join(', ')}]` : '[…]';
      ctx.report({
        message: `${n.unique ? 'CREATE UNIQUE INDEX' : 'CREATE INDEX'} on existing table "${displayTable(rv)}" without CONCURRENTLY blocks writes to it until the build ends`,
        help: ormHelp(
          ctx.source.runner,
          'concurrent-index',
          `Use op.createIndex({ id, table: '${displayTable(rv)}', columns: ${colsJs}${n.unique ? ', unique: true' : ''} }), which builds it CONCURRENTLY, or write CREATE INDEX CONCURRENTLY in a sql step with transaction: false.`,
        ),
        at: rv.location,
        table: rv,
        waivable: 'small',
      });
    } else if (st.type === 'ReindexStmt') {
      const params = (n.params as { DefElem?: { defname?: string } }[] | undefined) ?? [];
      if (params.some((p) => p.DefElem?.defname === 'concurrently')) return;
      const rv = n.relation as RangeVar | undefined;
      const isTable = n.kind === 'REINDEX_OBJECT_TABLE';
      if (rv && isTable && ctx.isNew(rv)) return;
      ctx.report({
        message: `REINDEX${rv ? ` of "${displayTable(rv)}"` : ''} without CONCURRENTLY locks out ${n.kind === 'REINDEX_OBJECT_INDEX' ? 'writes and reads that use the index' : 'writes'} until it ends`,
        help: 'Use REINDEX … CONCURRENTLY (PostgreSQL 12+) in a sql step with transaction: false.',
        at: rv?.location,
        ...(rv && isTable ? { table: rv, waivable: 'small' as const } : {}),
      });
    } else if (st.type === 'DropStmt' && n.removeType === 'OBJECT_INDEX' && !n.concurrent) {
      ctx.report({
        level: 'warning',
        message:
          'DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on its table and waits behind every running query',
        help: 'Use op.dropIndex in the contract phase (DROP INDEX CONCURRENTLY, archived definition for rollback), or DROP INDEX CONCURRENTLY in a sql step with transaction: false.',
      });
    }
  },
} satisfies SqlRule;
