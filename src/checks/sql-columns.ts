/**
 * The column names a SQL expression mentions (`"Message"."model"`, `model`), read with the real
 * PostgreSQL parser. Used to tell that a check's `equals` or `where` names a column an applied
 * contract step dropped (the check is then superseded, not failed).
 */
import { ensureParser, parseStatements } from '../sql/parse.js';

/** Load the parser (once) so {@link columnRefs} can run synchronously. */
export const loadSqlParser = ensureParser;

/** Last field of every column reference in `expression`; empty when it does not parse or the parser is not loaded. */
export function columnRefs(expression: string): string[] {
  const names = new Set<string>();
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (n && typeof n === 'object') {
      for (const [k, v] of Object.entries(n)) {
        if (k === 'ColumnRef') {
          const fields = (v as { fields?: { String?: { sval?: string } }[] }).fields ?? [];
          const last = fields[fields.length - 1]?.String?.sval;
          if (last) names.add(last);
        } else walk(v);
      }
    }
  };
  try {
    walk(parseStatements(`SELECT (${expression})`).map((s) => s.node));
  } catch {
    return [];
  }
  return [...names];
}
