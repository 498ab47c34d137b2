/**
 * `rls-hides-rows` (database, warning): with `--database-url`, a table the migration updates,
 * deletes from or copies rows out of has row-level security that applies to the connected role
 * (not a superuser, no BYPASSRLS, not the owner — or the owner under FORCE ROW LEVEL SECURITY).
 * The statement would silently see only the rows the policies allow, often none.
 */
import { quoteIdent } from '../../sql/ident.js';
import { displayTable, tableKey } from '../ast.js';
import type { DatabaseRule, TableTouch } from '../rule.js';

/** The rule. */
export const rule = {
  kind: 'database',
  id: 'rls-hides-rows',
  level: 'warning',
  summary: 'row-level security would hide rows from the migrating role',
  async check(db, touches, _config, report) {
    const first = new Map<string, TableTouch>();
    for (const t of touches) if (t.mode !== 'lock' && !first.has(tableKey(t.table))) first.set(tableKey(t.table), t);
    for (const touch of first.values()) {
      const rel = touch.table.schemaname
        ? `${quoteIdent(touch.table.schemaname)}.${quoteIdent(touch.table.relname)}`
        : quoteIdent(touch.table.relname);
      const r = await db.query<{ applies: boolean; role: string; policies: number; forced: boolean }>(
        `SELECT c.relrowsecurity AND NOT r.rolsuper AND NOT r.rolbypassrls
                AND (c.relforcerowsecurity OR NOT pg_has_role(current_user, c.relowner, 'USAGE')) AS applies,
                current_user AS role, c.relforcerowsecurity AS forced,
                (SELECT count(*)::int FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
           FROM pg_class c JOIN pg_roles r ON r.rolname = current_user
          WHERE c.oid = to_regclass($1)`,
        [rel],
      );
      const row = r.rows[0];
      if (!row?.applies) continue;
      const verb = touch.mode === 'write' ? 'change' : 'copy';
      report(touch, {
        message: `row-level security on "${displayTable(touch.table)}" applies to role "${row.role}"${row.forced ? ' (FORCE ROW LEVEL SECURITY)' : ''} with ${row.policies} polic${row.policies === 1 ? 'y' : 'ies'}: this statement would ${verb} only the rows they let it see${row.policies === 0 ? ' — none' : ''}`,
        help: 'Run the migration as the table owner or a role with BYPASSRLS, or use backfill.update({ …, perTenant: { column, setting } }), which runs tenant by tenant with SET LOCAL <setting>.',
      });
    }
  },
} satisfies DatabaseRule;
