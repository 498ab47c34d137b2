/**
 * `table-rewrite`: statements that rewrite a whole existing table under an ACCESS EXCLUSIVE lock —
 * `ADD COLUMN` with a volatile default (`gen_random_uuid()`, `random()`, `clock_timestamp()`,
 * `nextval()`…), a serial or identity column, a stored generated column; `SET LOGGED` /
 * `SET UNLOGGED`, `SET TABLESPACE`, `SET ACCESS METHOD`, `SET EXPRESSION`; `VACUUM FULL`, `CLUSTER`.
 * A default whose volatility is unknown (a user function) is a warning.
 */
import {
  alterCmds,
  asColumnDef,
  columnConstraints,
  displayTable,
  functionNames,
  type Node,
  type RangeVar,
  typeNameOf,
} from '../ast.js';
import type { RuleContext, SqlRule } from '../rule.js';

const VOLATILE = new Set([
  'random',
  'gen_random_uuid',
  'uuid_generate_v1',
  'uuid_generate_v1mc',
  'uuid_generate_v4',
  'uuidv4',
  'uuidv7',
  'clock_timestamp',
  'timeofday',
  'nextval',
  'gen_random_bytes',
  'txid_current',
  'setseed',
  'random_normal',
]);
/** Functions known not to be volatile, so a default using them is stored once, without a rewrite. */
const STABLE = new Set([
  'now',
  'transaction_timestamp',
  'statement_timestamp',
  'current_setting',
  'lower',
  'upper',
  'concat',
  'length',
  'to_jsonb',
  'to_json',
  'jsonb_build_object',
  'json_build_object',
  'jsonb_build_array',
  'json_build_array',
  'array',
  'make_interval',
  'to_timestamp',
  'date_trunc',
  'timezone',
  'coalesce',
  'nullif',
  'greatest',
  'least',
  'round',
  'abs',
  'md5',
  'btrim',
  'trim',
  'replace',
  'format',
]);
const SERIAL = new Set(['serial', 'serial4', 'bigserial', 'serial8', 'smallserial', 'serial2']);

const REWRITING_CMDS: Record<string, string> = {
  AT_SetLogged: 'SET LOGGED',
  AT_SetUnLogged: 'SET UNLOGGED',
  AT_SetTableSpace: 'SET TABLESPACE',
  AT_SetAccessMethod: 'SET ACCESS METHOD',
  AT_SetExpression: 'SET EXPRESSION',
};

function report(ctx: RuleContext, rv: RangeVar, what: string, help: string, at?: number): void {
  ctx.report({
    message: `${what} rewrites all of "${displayTable(rv)}" under an ACCESS EXCLUSIVE lock (no reads, no writes until it ends)`,
    help,
    at: at ?? rv.location,
    table: rv,
    waivable: 'small',
  });
}

/** The rule. */
export const rule = {
  kind: 'sql',
  id: 'table-rewrite',
  types: ['AlterTableStmt', 'VacuumStmt', 'ClusterStmt'],
  level: 'error',
  summary: 'volatile default, serial/identity/stored generated column, SET LOGGED/UNLOGGED, VACUUM FULL, CLUSTER',
  check(st, ctx) {
    const n = st.node;
    if (st.type === 'VacuumStmt') {
      const full = ((n.options as Node[] | undefined) ?? []).some(
        (o) => (o.DefElem as { defname?: string } | undefined)?.defname === 'full',
      );
      if (!full) return;
      for (const r of (n.rels as Node[] | undefined) ?? []) {
        const rv = (r.VacuumRelation as Node).relation as RangeVar;
        if (!ctx.isNew(rv))
          report(
            ctx,
            rv,
            'VACUUM FULL',
            'Use pg_repack (online), or plain VACUUM; never VACUUM FULL a live table from a migration.',
          );
      }
      if (!(n.rels as unknown[] | undefined)?.length)
        ctx.report({
          message: 'VACUUM FULL of the whole database rewrites every table under ACCESS EXCLUSIVE locks',
          help: 'Use pg_repack (online), or plain VACUUM.',
        });
      return;
    }
    if (st.type === 'ClusterStmt') {
      const rv = n.relation as RangeVar | undefined;
      if (!rv)
        ctx.report({
          message: 'CLUSTER without a table rewrites every clustered table under ACCESS EXCLUSIVE locks',
          help: 'Use pg_repack --order-by (online).',
        });
      else if (!ctx.isNew(rv))
        report(ctx, rv, 'CLUSTER', 'Use pg_repack --order-by (online), or leave the physical order alone.');
      return;
    }
    if (st.type !== 'AlterTableStmt') return;
    const rv = n.relation as RangeVar;
    if (ctx.isNew(rv)) return;
    const t = displayTable(rv);
    for (const c of alterCmds(n)) {
      if (REWRITING_CMDS[c.subtype]) {
        report(
          ctx,
          rv,
          REWRITING_CMDS[c.subtype],
          c.subtype === 'AT_SetExpression'
            ? 'Add a new generated column (op.addColumn) and switch to it.'
            : 'Do this on a new table and swap, or in a maintenance window behind gate.window (and suppress with a reason).',
        );
        continue;
      }
      if (c.subtype !== 'AT_AddColumn') continue;
      const col = asColumnDef(c.def);
      if (!col) continue;
      const name = col.colname ?? '?';
      const addHelp = `Use op.addColumn({ id, table: '${t}', column: '${name}', type }) without that default, then backfill.update({ id, table: '${t}', set: { ${name}: … }, where: '"${name}" IS NULL' }) in batches, then set the default for new rows.`;
      if (SERIAL.has(typeNameOf(col))) {
        report(
          ctx,
          rv,
          `ADD COLUMN "${name}" ${typeNameOf(col)}`,
          `A serial fills every existing row at once. Add it nullable with op.addColumn, create its sequence, fill existing rows with backfill.update({ id, table: '${t}', set: { ${name}: "nextval('…')" }, where: '"${name}" IS NULL' }), then set DEFAULT nextval('…').`,
          col.location,
        );
        continue;
      }
      for (const con of columnConstraints(col)) {
        if (con.contype === 'CONSTR_IDENTITY')
          report(
            ctx,
            rv,
            `ADD COLUMN "${name}" … GENERATED AS IDENTITY`,
            `An identity column fills every existing row at once. Add a plain nullable column with op.addColumn, fill it in batches with backfill.update, then ALTER COLUMN … ADD GENERATED BY DEFAULT AS IDENTITY (no rewrite) and SET NOT NULL with op.setNotNull.`,
            con.location,
          );
        else if (con.contype === 'CONSTR_GENERATED' && con.generated_kind === 's')
          report(
            ctx,
            rv,
            `ADD COLUMN "${name}" … GENERATED ALWAYS AS (…) STORED`,
            'Add a plain column, fill it with backfill.update({ keepInSync: true }) and a trigger, or use a VIRTUAL generated column (PostgreSQL 18).',
            con.location,
          );
        else if (con.contype === 'CONSTR_DEFAULT') {
          const fns = functionNames(con.raw_expr);
          // A function created earlier in the same file is judged by what it declares (docs/rules/table-rewrite.md).
          const declared = (f: string) => ctx.functionVolatility(f);
          const volatile = fns.filter((f) => VOLATILE.has(f) || declared(f) === 'volatile');
          const unknown = fns.filter((f) => !VOLATILE.has(f) && !STABLE.has(f) && !declared(f));
          if (volatile.length)
            report(
              ctx,
              rv,
              `ADD COLUMN "${name}" with the volatile default ${volatile[0]}()${VOLATILE.has(volatile[0]) ? '' : ' (declared VOLATILE in this file)'}`,
              addHelp,
              con.location,
            );
          else if (unknown.length) {
            ctx.report({
              level: 'warning',
              message: `ADD COLUMN "${name}" with a default calling ${unknown[0]}(): if that function is volatile, this rewrites all of "${t}" under an ACCESS EXCLUSIVE lock`,
              help: `Check that ${unknown[0]}() is STABLE or IMMUTABLE; if it is volatile: ${addHelp}`,
              at: con.location,
              table: rv,
              waivable: 'small',
            });
          }
        }
      }
    }
  },
} satisfies SqlRule;
