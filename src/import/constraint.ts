/**
 * A table constraint (`ADD CONSTRAINT …`, or one declared in `CREATE TABLE`) → the safe operation
 * that adds it: a foreign key → `op.addForeignKey`, UNIQUE → `op.addUnique`, CHECK → `op.addCheck`,
 * a primary key → a unique index built concurrently, then `ADD PRIMARY KEY USING INDEX`. Each op adds
 * the constraint `NOT VALID` (or builds its index `CONCURRENTLY`) and validates it without blocking
 * writes (docs/import.md, "What maps to what").
 */
import type { ConstraintNode } from '../lint/ast.js';
import { strings } from '../lint/ast.js';
import { quoteIdent, quoteRelation } from '../sql/ident.js';
import { type ColumnParts, checkExpression } from './column.js';
import type { ImportedStep } from './model.js';
import { fkAction, kebab, key, type RangeVarLike, relation } from './names.js';
import type { SourceText } from './source-text.js';

/** The result of mapping one piece of SQL: steps, or the reason it stays SQL. */
export type Mapping = { steps: ImportedStep[] } | { keep: string };

/** Map a constraint on `table`; `column` when declared inline on that column; `[from, to)` its text. */
export function mapConstraint(
  src: SourceText,
  table: RangeVarLike,
  con: ConstraintNode & Record<string, unknown>,
  from: number,
  to: number,
  column?: ColumnParts,
): Mapping {
  const t = relation(table);
  const cols = column ? [column.name] : strings(con.keys ?? con.fk_attrs);
  const constrains = cols.length ? cols.map((c) => key.column(table, c)) : [key.table(table)];
  switch (con.contype) {
    case 'CONSTR_FOREIGN': {
      const refCols = strings(con.pk_attrs);
      if (!con.pktable) return { keep: 'a foreign key without a referenced table' };
      if (!refCols.length)
        return {
          keep: 'the foreign key names no referenced column (it means the primary key): op.addForeignKey needs the columns named',
        };
      if (con.skip_validation) return { keep: 'written NOT VALID on purpose: kept as written (it takes no long lock)' };
      if (con.fk_matchtype === 'f' || con.deferrable || (con.fk_del_set_cols as unknown[] | undefined)?.length)
        return { keep: 'MATCH FULL, DEFERRABLE or ON DELETE SET NULL (columns) has no op.addForeignKey option' };
      const onDelete = fkAction(con.fk_del_action);
      const onUpdate = fkAction(con.fk_upd_action);
      return {
        steps: [
          {
            builder: 'op.addForeignKey',
            idHint: kebab('fk', table.relname, cols.join('-')),
            phase: 'expand',
            options: {
              table: t,
              columns: cols,
              references: { table: relation(con.pktable), columns: refCols },
              ...(onDelete ? { onDelete } : {}),
              ...(onUpdate ? { onUpdate } : {}),
              ...(con.conname ? { name: con.conname } : {}),
            },
            creates: con.conname ? [key.constraint(table, con.conname)] : [],
            uses: [key.table(con.pktable), key.unique(con.pktable, refCols)],
            constrains,
          },
        ],
      };
    }
    case 'CONSTR_UNIQUE': {
      if (con.indexname) return { keep: 'UNIQUE USING INDEX: the index exists already; attaching it is catalog-only' };
      if (con.deferrable || (con.including as unknown[] | undefined)?.length || con.nulls_not_distinct)
        return { keep: 'DEFERRABLE, INCLUDE or NULLS NOT DISTINCT has no op.addUnique option' };
      const name = con.conname;
      return {
        steps: [
          {
            builder: 'op.addUnique',
            idHint: kebab('unique', table.relname, cols.join('-')),
            phase: 'expand',
            options: { table: t, columns: cols, ...(name ? { name } : {}) },
            creates: [key.unique(table, cols), ...(name ? [key.constraint(table, name), key.index(name)] : [])],
            uses: [key.table(table)],
            constrains,
          },
        ],
      };
    }
    case 'CONSTR_CHECK': {
      const expression = checkExpression(src, from, to);
      if (!expression) return { keep: 'the CHECK condition could not be read' };
      if (con.skip_validation) return { keep: 'written NOT VALID on purpose: kept as written (it takes no long lock)' };
      const name = con.conname ?? `${table.relname}_${column ? `${column.name}_` : ''}check`;
      return {
        steps: [
          {
            builder: 'op.addCheck',
            idHint: kebab('check', name),
            phase: 'expand',
            options: { table: t, name, expression },
            creates: [key.constraint(table, name)],
            uses: [key.table(table)],
            constrains,
          },
        ],
      };
    }
    case 'CONSTR_PRIMARY': {
      if (!cols.length || (con.including as unknown[] | undefined)?.length || con.indexname)
        return { keep: 'a primary key with INCLUDE or USING INDEX: kept as written' };
      const name = con.conname ?? `${table.relname}_pkey`;
      return {
        steps: [
          {
            builder: 'op.createIndex',
            idHint: kebab('pkey-index', table.relname),
            phase: 'expand',
            options: { table: t, columns: cols, unique: true, name },
            creates: [key.index(name), key.unique(table, cols)],
            uses: [key.table(table)],
            constrains,
          },
          {
            builder: 'sql',
            idHint: kebab('primary-key', table.relname),
            phase: 'expand',
            options: {
              up: `ALTER TABLE ${quoteRelation(t)} ADD CONSTRAINT ${quoteIdent(name)} PRIMARY KEY USING INDEX ${quoteIdent(name)}`,
              down: `ALTER TABLE ${quoteRelation(t)} DROP CONSTRAINT ${quoteIdent(name)}`,
            },
            comment:
              'the primary key takes the index built concurrently above: no scan under the exclusive lock (its columns must already be NOT NULL)',
            creates: [key.constraint(table, name)],
            constrains,
          },
        ],
      };
    }
    default:
      return {
        keep: `no safe operation adds a ${String(con.contype).replace('CONSTR_', '').toLowerCase()} constraint`,
      };
  }
}
