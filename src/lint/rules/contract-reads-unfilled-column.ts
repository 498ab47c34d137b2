/**
 * `contract-reads-unfilled-column` (plan, warning): a contract step constrains, indexes or converts
 * a column that the expand phase added without a default and that no backfill fills (no
 * `backfill.update` `set`/`transform`/`keepInSync` on it, no `backfill.insert` `values`, no raw
 * `UPDATE … SET` in the backfill phase). Existing rows keep NULL there, so e.g. `op.setNotNull`
 * fails at the end of the wave.
 */

import type { Plan, PlannedStep } from '../../model/plan.js';
import { parseStatements } from '../../sql/parse.js';
import { alterCmds, asColumnDef, columnConstraints, type Node, type RangeVar, tableKey } from '../ast.js';
import { columnsRead, relDisplay, relKey, stepScripts } from '../plan-model.js';
import type { PlanRule } from '../rule.js';

function statements(plan: Plan, step: PlannedStep): { type: string; node: Node }[] {
  const s = stepScripts(plan, step);
  if (!s) return [];
  try {
    return s.texts.flatMap((t) => parseStatements(t.text));
  } catch {
    return [];
  }
}

/** The rule. */
export const rule = {
  kind: 'plan',
  id: 'contract-reads-unfilled-column',
  level: 'warning',
  summary: 'a contract step uses a column that expand added and no backfill fills',
  check(plan, report) {
    const added = new Map<string, string>(); // "table\0column" → display
    const filled = new Set<string>(); // "table\0column" or "table\0*"
    const key = (t: string, c: string) => `${t}\u0000${c}`;
    for (const step of plan.steps) {
      const o = step.options as Record<string, unknown>;
      if (step.phase === 'expand') {
        if (step.kind === 'op.addColumn' && o.default === undefined)
          added.set(key(relKey(o.table), o.column as string), `"${relDisplay(o.table)}"."${o.column as string}"`);
        for (const st of statements(plan, step)) {
          if (st.type !== 'AlterTableStmt') continue;
          const rv = st.node.relation as RangeVar;
          for (const c of alterCmds(st.node)) {
            const col = c.subtype === 'AT_AddColumn' ? asColumnDef(c.def) : undefined;
            if (
              col?.colname &&
              !columnConstraints(col).some((x) =>
                ['CONSTR_DEFAULT', 'CONSTR_IDENTITY', 'CONSTR_GENERATED'].includes(x.contype),
              )
            ) {
              added.set(
                key(tableKey(rv), col.colname),
                `"${rv.schemaname ? `${rv.schemaname}.` : ''}${rv.relname}"."${col.colname}"`,
              );
            }
          }
        }
      }
      if (step.kind === 'backfill.update') {
        const t = relKey(o.table);
        if (o.transform) filled.add(key(t, '*'));
        for (const c of Object.keys((o.set as object) ?? {})) filled.add(key(t, c));
        const ks = o.keepInSync as { reverse?: object } | undefined;
        for (const c of Object.keys(ks?.reverse ?? {})) filled.add(key(t, c));
      } else if (step.kind === 'backfill.insert') {
        const t = relKey(o.into);
        if (o.transform) filled.add(key(t, '*'));
        for (const c of Object.keys((o.values as object) ?? {})) filled.add(key(t, c));
      } else if (step.phase === 'backfill' || step.phase === 'expand') {
        for (const st of statements(plan, step)) {
          if (st.type !== 'UpdateStmt') continue;
          const t = tableKey(st.node.relation as RangeVar);
          for (const r of (st.node.targetList as Node[] | undefined) ?? []) {
            const name = (r.ResTarget as { name?: string } | undefined)?.name;
            if (name) filled.add(key(t, name));
          }
        }
      }
      if (step.phase !== 'contract') continue;
      const reads: { table: string; column: string }[] = [];
      const r = columnsRead(step);
      if (r) for (const c of r.columns) reads.push({ table: relKey(r.table), column: c });
      for (const st of statements(plan, step)) {
        if (st.type !== 'AlterTableStmt') continue;
        for (const c of alterCmds(st.node))
          if (c.subtype === 'AT_SetNotNull' && c.name)
            reads.push({ table: tableKey(st.node.relation as RangeVar), column: c.name });
      }
      for (const { table, column } of reads) {
        const k = key(table, column);
        if (!added.has(k) || filled.has(k) || filled.has(key(table, '*'))) continue;
        report({
          step,
          message: `step "${step.id}" uses ${added.get(k)}, which the expand phase added without a default and no backfill fills: existing rows are NULL there`,
          help: `Fill it with backfill.update({ id, table, set: { ${column}: '…' }, where: '"${column}" IS NULL' }) in the backfill phase (keepInSync: true for rows old code writes meanwhile).`,
        });
      }
    }
  },
} satisfies PlanRule;
