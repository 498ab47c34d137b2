/**
 * `ADD COLUMN` → `op.addColumn` (always nullable), and what the column's constraints need to hold
 * without a long lock: `NOT NULL DEFAULT x` becomes add (with the default) + `backfill.update` +
 * `op.setNotNull` in contract; a volatile default (`gen_random_uuid()`) is set after the column is
 * added and backfilled in batches, instead of rewriting the table; REFERENCES, UNIQUE and CHECK
 * become their ops. See docs/import.md.
 */
import type { ColumnDefNode, ConstraintNode } from '../lint/ast.js';
import { quoteIdent, quoteRelation } from '../sql/ident.js';
import { type ColumnParts, columnParts, defaultExpression, volatileDefault } from './column.js';
import { type Mapping, mapConstraint } from './constraint.js';
import type { ImportedStep } from './model.js';
import { kebab, key, type RangeVarLike, relation } from './names.js';
import type { SourceText } from './source-text.js';

const SERIAL = /^(small|big)?serial[248]?$/i;

/** Map `ADD COLUMN` standing in bytes `[start, end)` of the statement. */
export function mapAddColumn(
  src: SourceText,
  table: RangeVarLike,
  col: ColumnDefNode,
  start: number,
  end: number,
): Mapping {
  const c = columnParts(src, col, start, end);
  if (SERIAL.test(c.type.replace(/"/g, '')))
    return {
      keep: 'a serial column: its nextval() default rewrites the table under an exclusive lock (add an integer column, set the default, backfill)',
    };
  const t = relation(table);
  const colKey = key.column(table, c.name);
  let def: { con: ConstraintNode; text: string } | undefined;
  let notNull = false;
  const later: ImportedStep[] = [];
  for (const part of c.constraints) {
    const con = part.con;
    switch (con.contype) {
      case 'CONSTR_NULL':
        break;
      case 'CONSTR_NOTNULL':
        notNull = true;
        break;
      case 'CONSTR_DEFAULT':
        def = part;
        break;
      case 'CONSTR_FOREIGN':
      case 'CONSTR_UNIQUE':
      case 'CONSTR_CHECK': {
        const at = con.location ?? start;
        const m = mapConstraint(src, table, con as ConstraintNode & Record<string, unknown>, at, end, c);
        if ('keep' in m) return m;
        later.push(...m.steps);
        break;
      }
      default:
        return {
          keep: `a ${con.contype.replace('CONSTR_', '').toLowerCase()} column: adding it rewrites the table or builds an index under an exclusive lock`,
        };
    }
  }
  const steps: ImportedStep[] = [];
  const volatile = def ? volatileDefault(def.con, defaultExpression(def.text)) : false;
  const expr = def ? defaultExpression(def.text) : undefined;
  steps.push({
    builder: 'op.addColumn',
    idHint: kebab('add', table.relname, c.name),
    phase: 'expand',
    options: { table: t, column: c.name, type: c.type, ...(expr && !volatile ? { default: expr } : {}) },
    comment: notNull ? 'added nullable; NOT NULL is set in contract, once every row has a value' : undefined,
    creates: [colKey],
    uses: [key.table(table)],
  });
  if (expr && volatile) {
    steps.push({
      builder: 'sql',
      idHint: kebab('default', table.relname, c.name),
      phase: 'expand',
      options: {
        up: `ALTER TABLE ${quoteRelation(t)} ALTER COLUMN ${quoteIdent(c.name)} SET DEFAULT ${expr}`,
        down: `ALTER TABLE ${quoteRelation(t)} ALTER COLUMN ${quoteIdent(c.name)} DROP DEFAULT`,
      },
      comment: `a volatile default (${expr}) would rewrite the table under an exclusive lock: it is set for new rows only, and existing rows are filled by the backfill below`,
      uses: [colKey],
    });
  }
  if (expr && (notNull || volatile)) steps.push(fill(table, c, expr));
  if (notNull) {
    steps.push({
      builder: 'op.setNotNull',
      idHint: kebab('not-null', table.relname, c.name),
      phase: 'contract',
      options: { table: t, column: c.name },
      comment: expr
        ? undefined
        : 'NOT NULL without a default: rows that exist have no value — add a backfill.update for them, or setNotNull refuses with a sample',
      uses: [colKey],
    });
  }
  steps.push(...later);
  return { steps };
}

/** The batched fill of an added column with its default, for the rows that exist. */
function fill(table: RangeVarLike, c: ColumnParts, expr: string): ImportedStep {
  return {
    builder: 'backfill.update',
    idHint: kebab('fill', table.relname, c.name),
    phase: 'backfill',
    options: { table: relation(table), set: { [c.name]: expr }, where: `${quoteIdent(c.name)} IS NULL` },
    uses: [key.column(table, c.name)],
  };
}
