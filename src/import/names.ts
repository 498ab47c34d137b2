/**
 * Names as an imported plan writes them: a table as `'name'`, `'schema.name'`, or `{ schema, name }`
 * when a part itself holds a dot; and the keys the ordering uses to see which step needs which object.
 */
import type { RelationName } from '../sql/ident.js';

/** A parser `RangeVar` (or the parts of a qualified name). */
export interface RangeVarLike {
  schemaname?: string;
  relname: string;
}

/** The relation as a plan names it. */
export function relation(rv: RangeVarLike): RelationName {
  if (!rv.schemaname) return rv.relname.includes('.') ? { name: rv.relname } : rv.relname;
  if (rv.schemaname.includes('.') || rv.relname.includes('.')) return { schema: rv.schemaname, name: rv.relname };
  return `${rv.schemaname}.${rv.relname}`;
}

/** A qualified name from its parts (`['public', 'Role']`) as a plan names it. */
export function qualified(parts: string[]): RelationName {
  return parts.length > 1 ? relation({ schemaname: parts[0], relname: parts[parts.length - 1] }) : parts[0];
}

/** The table part of an object key: unqualified names are taken as `public`, as ORMs write them. */
function tkey(rv: RangeVarLike): string {
  return `${(rv.schemaname ?? 'public').toLowerCase() === 'public' ? 'public' : rv.schemaname}.${rv.relname}`;
}

export const key = {
  table: (rv: RangeVarLike) => `table:${tkey(rv)}`,
  column: (rv: RangeVarLike, column: string) => `column:${tkey(rv)}.${column}`,
  index: (name: string) => `index:${name}`,
  constraint: (rv: RangeVarLike, name: string) => `constraint:${tkey(rv)}.${name}`,
  type: (parts: string[]) =>
    `type:${parts.length > 1 && parts[0] !== 'public' ? parts.join('.') : parts[parts.length - 1]}`,
  /** A unique index or constraint on these columns: what a foreign key needs on its referenced side. */
  unique: (rv: RangeVarLike, columns: string[]) => `unique:${tkey(rv)}(${columns.join(',')})`,
};

/** PostgreSQL's foreign-key action codes → the plan's words; `no action` (the default) → undefined. */
export function fkAction(code: unknown): 'cascade' | 'restrict' | 'set null' | 'set default' | undefined {
  switch (code) {
    case 'c':
      return 'cascade';
    case 'r':
      return 'restrict';
    case 'n':
      return 'set null';
    case 'd':
      return 'set default';
    default:
      return undefined;
  }
}

/** A kebab-case fragment of a name, for step ids. */
export function kebab(...parts: (string | undefined)[]): string {
  return (
    parts
      .filter((p): p is string => !!p)
      .join('-')
      .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'step'
  );
}

/** Every table a statement names: its own `relation` and every `RangeVar` inside it. */
export function relationsOf(tree: unknown): RangeVarLike[] {
  const out: RangeVarLike[] = [];
  const visit = (n: unknown): void => {
    if (Array.isArray(n)) for (const x of n) visit(x);
    else if (n && typeof n === 'object') {
      for (const [k, v] of Object.entries(n as Record<string, unknown>)) {
        if (
          (k === 'relation' || k === 'RangeVar' || k === 'pktable') &&
          v &&
          typeof (v as RangeVarLike).relname === 'string'
        )
          out.push(v as RangeVarLike);
        visit(v);
      }
    }
  };
  visit(tree);
  return out;
}
