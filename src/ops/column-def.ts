/**
 * An `op.createTable` column definition (`'uuid NOT NULL REFERENCES "Job" (id) ON DELETE CASCADE'`)
 * read through the real PostgreSQL parser: its type name, whether it is the primary key, and the
 * foreign key it declares inline. Pure: nothing here talks to the database.
 */
import { type QualifiedName, quoteIdent } from '../sql/ident.js';
import { ensureParser, parseStatements } from '../sql/parse.js';

/** What a column definition declares, as far as foreign keys care. */
export interface ColumnDef {
  /** The type as a string `to_regtype` understands (`pg_catalog."varchar"(20)`, `"MessageRole"`). */
  type: string;
  primaryKey: boolean;
  /** An inline `REFERENCES table [(column)]`; `column` absent means the referenced table's primary key. */
  references?: { table: QualifiedName; column?: string };
}

type Node = Record<string, unknown>;

const sval = (n: unknown): string => (n as { String?: { sval?: string } })?.String?.sval ?? '';

/** The type text of a parsed `TypeName`: names quoted, integer modifiers kept, array bounds as `[]`. */
function typeText(t: Node): string {
  const names = ((t.names as unknown[]) ?? []).map(sval);
  let s = names.map(quoteIdent).join('.');
  const mods = ((t.typmods as Node[]) ?? []).map((m) => (m.A_Const as { ival?: { ival?: number } } | undefined)?.ival);
  if (mods.length && mods.every((m) => m !== undefined)) s += `(${mods.map((m) => m!.ival ?? 0).join(', ')})`;
  s += '[]'.repeat(((t.arrayBounds as unknown[]) ?? []).length);
  return s;
}

/**
 * Parse one column definition; null when the parser cannot read it (PostgreSQL reports that when
 * the step runs) or it has no plain type.
 */
export async function parseColumnDef(definition: string): Promise<ColumnDef | null> {
  await ensureParser();
  let stmt: Node | undefined;
  try {
    const [s, ...more] = parseStatements(`CREATE TABLE _tidemark_probe (_c ${definition})`);
    if (s?.type === 'CreateStmt' && !more.length) stmt = s.node;
  } catch {
    return null;
  }
  const col = ((stmt?.tableElts as Node[] | undefined) ?? [])[0]?.ColumnDef as Node | undefined;
  const tn = col?.typeName as Node | undefined;
  if (!col || !tn || (tn.pct_type ?? tn.setof)) return null;
  const out: ColumnDef = { type: typeText(tn), primaryKey: false };
  for (const c of (col.constraints as Node[] | undefined) ?? []) {
    const k = c.Constraint as Node;
    if (k.contype === 'CONSTR_PRIMARY') out.primaryKey = true;
    if (k.contype === 'CONSTR_FOREIGN') {
      const pk = k.pktable as { schemaname?: string; relname: string };
      const attrs = ((k.pk_attrs as unknown[]) ?? []).map(sval);
      out.references = {
        table: { ...(pk.schemaname ? { schema: pk.schemaname } : {}), name: pk.relname },
        ...(attrs[0] ? { column: attrs[0] } : {}),
      };
    }
  }
  return out;
}
