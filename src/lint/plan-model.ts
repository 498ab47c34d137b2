/**
 * Reading a loaded plan the way plan rules need it: table keys, the columns each step reads or
 * fills, and the `up` SQL of raw steps.
 */

import type { Plan, PlannedStep, RelationName } from '../model/plan.js';
import { readScripts } from '../raw-sql/sql-file.js';
import { parseRelation } from '../sql/ident.js';

/** `schema.name` key of a plan relation (schema `public` when unqualified), matching `tableKey`. */
export function relKey(rel: unknown): string {
  const q = parseRelation(rel as RelationName);
  return `${q.schema ?? 'public'}.${q.name}`;
}

/** Readable name of a plan relation. */
export function relDisplay(rel: unknown): string {
  const q = parseRelation(rel as RelationName);
  return q.schema ? `${q.schema}.${q.name}` : q.name;
}

/** The `up` scripts of a `sql`/`sqlFile` step, with the file each comes from (sqlFile) and whether they run in one transaction. */
export function stepScripts(
  plan: Plan,
  step: PlannedStep,
): { texts: { text: string; file?: string }[]; transaction: boolean } | undefined {
  const o = step.options as Record<string, unknown>;
  if (step.kind === 'sql') {
    const up = o.up as string | string[];
    return { texts: (Array.isArray(up) ? up : [up]).map((text) => ({ text })), transaction: o.transaction !== false };
  }
  if (step.kind === 'sqlFile') {
    const up = o.up as string | string[];
    const files = Array.isArray(up) ? up : [up];
    const { texts, noTransaction } = readScripts(plan.dir, files);
    return {
      texts: texts.map((text, i) => ({ text, file: files[i] })),
      transaction: (o.transaction as boolean | undefined) ?? !noTransaction,
    };
  }
  return undefined;
}

/** Columns (table key → names) a step's options name as read: the column(s) it constrains, indexes or converts. */
export function columnsRead(step: PlannedStep): { table: unknown; columns: string[] } | undefined {
  const o = step.options as Record<string, unknown>;
  switch (step.kind) {
    case 'op.setNotNull':
    case 'op.convertToEnum':
      return { table: o.table, columns: [o.column as string] };
    case 'op.addUnique':
    case 'op.addForeignKey':
      return { table: o.table, columns: o.columns as string[] };
    case 'op.createIndex':
      return {
        table: o.table,
        columns: (o.columns as unknown[])
          .map((c) => (typeof c === 'string' ? c : (c as { column?: string }).column))
          .filter((c): c is string => !!c),
      };
    default:
      return undefined;
  }
}
