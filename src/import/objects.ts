/**
 * Enums, extensions, renames and drops: `CREATE TYPE … AS ENUM` → `op.createEnum`, `ALTER TYPE … ADD
 * VALUE` → `op.addEnumValue`, `CREATE EXTENSION` → `op.enableExtension`, `RENAME` →
 * `op.renameColumn` / `op.renameTable` (both names keep working until contract), `DROP TABLE` /
 * `DROP INDEX` → their ops in contract (the data archived for rollback). See docs/import.md.
 */
import { type RangeVar, strings } from '../lint/ast.js';
import type { Available } from './alter-table.js';
import type { Mapping } from './constraint.js';
import type { ImportPhase } from './model.js';
import { kebab, key, qualified, relation } from './names.js';
import type { SourceText } from './source-text.js';

/** A mapping, or the reason it stays SQL and the phase that SQL belongs in. */
export type PhasedMapping = Mapping | { keep: string; phase: ImportPhase };

/** `CREATE TYPE … AS ENUM`. */
export function mapCreateEnum(src: SourceText): PhasedMapping {
  const parts = strings(src.node.typeName);
  const values = strings(src.node.vals);
  if (!values.length) return { keep: 'an enum without values' };
  return {
    steps: [
      {
        builder: 'op.createEnum',
        idHint: kebab('enum', parts[parts.length - 1]),
        phase: 'expand',
        options: { name: qualified(parts), values },
        creates: [key.type(parts)],
      },
    ],
  };
}

/** `ALTER TYPE … ADD VALUE` (a renamed value stays SQL). */
export function mapAlterEnum(src: SourceText): PhasedMapping {
  const n = src.node;
  const parts = strings(n.typeName);
  if (n.oldVal) return { keep: 'renaming an enum value: catalog-only, but code that writes the old label fails' };
  const value = n.newVal as string | undefined;
  if (!value) return { keep: 'an ALTER TYPE this import does not read' };
  const neighbor = n.newValNeighbor as string | undefined;
  return {
    steps: [
      {
        builder: 'op.addEnumValue',
        idHint: kebab('enum-value', parts[parts.length - 1], value),
        phase: 'expand',
        options: {
          enum: qualified(parts),
          value,
          ...(neighbor ? { [n.newValIsAfter === false ? 'before' : 'after']: neighbor } : {}),
        },
        uses: [key.type(parts)],
      },
    ],
  };
}

/** `CREATE EXTENSION name [SCHEMA s]`. */
export function mapCreateExtension(src: SourceText): PhasedMapping {
  const n = src.node;
  const opts = ((n.options as { DefElem: { defname: string; arg?: { String?: { sval?: string } } } }[]) ?? []).map(
    (o) => o.DefElem,
  );
  if (opts.some((o) => o.defname !== 'schema')) return { keep: 'VERSION or CASCADE has no op.enableExtension option' };
  const schema = opts.find((o) => o.defname === 'schema')?.arg?.String?.sval;
  return {
    steps: [
      {
        builder: 'op.enableExtension',
        idHint: kebab('extension', String(n.extname)),
        phase: 'expand',
        options: { name: n.extname, ...(schema ? { schema } : {}) },
      },
    ],
  };
}

/** `ALTER TABLE … RENAME [COLUMN] a TO b`, `ALTER TABLE a RENAME TO b`. */
export function mapRename(src: SourceText, available: Available): PhasedMapping {
  const n = src.node;
  const rv = n.relation as RangeVar | undefined;
  const to = n.newname as string;
  if (n.renameType === 'OBJECT_COLUMN' && rv && n.relationType === 'OBJECT_TABLE') {
    if (!available('op.renameColumn'))
      return {
        keep: 'renaming a column breaks the code still using the old name; this Tidemark has no op.renameColumn yet to keep both names working',
      };
    return {
      steps: [
        {
          builder: 'op.renameColumn',
          idHint: kebab('rename', rv.relname, String(n.subname)),
          phase: 'expand',
          options: { table: relation(rv), from: n.subname, to },
          creates: [key.column(rv, to)],
          uses: [key.column(rv, String(n.subname))],
        },
      ],
    };
  }
  if (n.renameType === 'OBJECT_TABLE' && rv) {
    if (!available('op.renameTable'))
      return {
        keep: 'renaming a table breaks the code still using the old name; this Tidemark has no op.renameTable yet to keep both names working',
      };
    return {
      steps: [
        {
          builder: 'op.renameTable',
          idHint: kebab('rename', rv.relname),
          phase: 'expand',
          options: { table: relation(rv), to },
          creates: [key.table({ schemaname: rv.schemaname, relname: to })],
          uses: [key.table(rv)],
        },
      ],
    };
  }
  return { keep: 'a rename of this kind of object: catalog-only, kept as written' };
}

/** `DROP TABLE|INDEX …` in contract; other drops stay SQL, in contract. */
export function mapDrop(src: SourceText): PhasedMapping {
  const n = src.node;
  const objects = ((n.objects as { List?: { items?: unknown[] } }[]) ?? []).map((o) => strings(o.List?.items));
  const contract = (keep: string): PhasedMapping => ({ keep, phase: 'contract' });
  if (n.behavior === 'DROP_CASCADE') return contract('DROP … CASCADE also drops what depends on it: kept as written');
  if (!objects.length || objects.some((o) => !o.length)) return contract('a drop kept as written');
  const rv = (parts: string[]) => ({
    schemaname: parts.length > 1 ? parts[parts.length - 2] : undefined,
    relname: parts[parts.length - 1],
  });
  if (n.removeType === 'OBJECT_TABLE')
    return {
      steps: objects.map((o) => ({
        builder: 'op.dropTable',
        idHint: kebab('drop', o[o.length - 1]),
        phase: 'contract' as const,
        options: { table: relation(rv(o)) },
        drops: [key.table(rv(o))],
      })),
    };
  if (n.removeType === 'OBJECT_INDEX')
    return {
      steps: objects.map((o) => ({
        builder: 'op.dropIndex',
        idHint: kebab('drop', o[o.length - 1]),
        phase: 'contract' as const,
        options: { name: relation(rv(o)) },
        drops: [key.index(o[o.length - 1])],
      })),
    };
  return contract(
    `no op drops a ${String(n.removeType).replace('OBJECT_', '').toLowerCase()}: kept as written, in contract`,
  );
}
