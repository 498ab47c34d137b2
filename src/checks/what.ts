/**
 * What a check measures, in a few words, from its kind and options — shown on its proof line when
 * the plan gave it no `title`, so `leads-have-tenant  ✓  0 (expected: 0)` reads
 * `leads-have-tenant  ✓  leads.tenant_id NULL: 0 (expected: 0)`, like a hand-written proof script.
 */

import type { RelationName } from '../model/plan.js';
import { displayRelation } from '../sql/ident.js';

type Options = Record<string, unknown>;

const rel = (v: unknown) => displayRelation(v as RelationName);
const list = (v: unknown) => (Array.isArray(v) ? v.join(', ') : String(v));
const where = (o: Options) => (typeof o.where === 'string' ? ` where ${o.where}` : '');

/** The words for a check, or undefined for a kind that has none (its title says it). */
export function checkWhat(kind: string, o: Options): string | undefined {
  switch (kind) {
    case 'check.noNulls':
      return `${rel(o.table)}.${o.column} NULL${where(o)}`;
    case 'check.noOrphans': {
      const r = o.references as { table: RelationName; column: string };
      return `${rel(o.table)}.${o.column} without a ${rel(r.table)}.${r.column}`;
    }
    case 'check.unique':
      return `duplicate (${list(o.columns)}) in ${rel(o.table)}${where(o)}`;
    case 'check.allowedValues':
      return `${rel(o.table)}.${o.column} outside ${list(o.values)}`;
    case 'check.rowCount':
      return o.unchanged ? `rows in ${rel(o.table)} (unchanged)` : `rows in ${rel(o.table)}`;
    case 'check.perGroup':
      return `${rel(o.table)} groups by ${list(o.groupBy)} out of range${where(o)}`;
    case 'check.columnsMatch':
      return `${rel(o.table)}.${o.column} ≠ ${o.equals}${where(o)}`;
    case 'check.sameTenant': {
      const r = o.references as { table: RelationName };
      return `${rel(o.table)} rows whose ${rel(r.table)} is in another tenant`;
    }
    case 'check.migrationApplied':
      return `${o.tool} migration ${o.name} applied`;
    case 'check.distribution':
      return `${rel(o.table)}.${o.column} by value${where(o)}`;
    default:
      return undefined;
  }
}
