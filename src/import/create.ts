/**
 * `CREATE TABLE` → `op.createTable` (its columns as written, the primary key by name; other table
 * constraints become their own ops after it), and `CREATE [UNIQUE] INDEX` → `op.createIndex`, built
 * `CONCURRENTLY` on a table that exists. See docs/import.md.
 */
import { asColumnDef, asConstraint, type ConstraintNode, type RangeVar, strings } from '../lint/ast.js';
import { columnParts } from './column.js';
import { type Mapping, mapConstraint } from './constraint.js';
import type { ImportedStep } from './model.js';
import { kebab, key, relation } from './names.js';
import type { SourceText } from './source-text.js';

const INDEX_METHODS = new Set(['btree', 'gin', 'gist', 'brin', 'hash', 'spgist', 'hnsw', 'ivfflat']);

/** `CREATE TABLE`. */
export function mapCreateTable(src: SourceText): Mapping {
  const n = src.node;
  const rv = n.relation as (RangeVar & { relpersistence?: string }) | undefined;
  if (!rv) return { keep: 'a CREATE TABLE without a table' };
  if (rv.relpersistence && rv.relpersistence !== 'p') return { keep: 'a temporary or unlogged table: kept as written' };
  if (n.inhRelations || n.partspec || n.partbound || n.ofTypename || n.options || n.tablespacename || n.accessMethod)
    return {
      keep: 'INHERITS, PARTITION, OF, WITH or TABLESPACE has no op.createTable option; a new table blocks nobody',
    };
  if (n.if_not_exists) return { keep: 'CREATE TABLE IF NOT EXISTS: kept as written; a new table blocks nobody' };
  const elts = (n.tableElts as Record<string, unknown>[] | undefined) ?? [];
  const open = src.find('(', src.tokenAt(rv.location ?? 0));
  if (open < 0) return { keep: 'the column list could not be read' };
  const pieces = src.splitTopLevel(open + 1);
  if (pieces.length !== elts.length) return { keep: 'the column list could not be read' };
  const columns: Record<string, string> = {};
  let primaryKey: string[] | undefined;
  const after: ImportedStep[] = [];
  for (let i = 0; i < elts.length; i++) {
    const { start, end } = pieces[i];
    const col = asColumnDef(elts[i]);
    if (col) {
      const parts = columnParts(src, col, start, end);
      columns[parts.name] = parts.definition;
      continue;
    }
    const con = asConstraint(elts[i]) as (ConstraintNode & Record<string, unknown>) | undefined;
    if (!con) return { keep: 'LIKE or another table element op.createTable does not take' };
    const keys = strings(con.keys);
    if (
      con.contype === 'CONSTR_PRIMARY' &&
      !primaryKey &&
      keys.length &&
      (!con.conname || con.conname === `${rv.relname}_pkey`) &&
      !(con.including as unknown[] | undefined)?.length
    ) {
      primaryKey = keys;
      continue;
    }
    const m = mapConstraint(src, rv, con, start, end);
    if ('keep' in m) return { keep: `a table constraint: ${m.keep}` };
    // A constraint of a table created here holds on no existing row: it belongs with the table.
    after.push(...m.steps.map((s) => ({ ...s, constrains: [key.table(rv)] })));
  }
  if (!Object.keys(columns).length) return { keep: 'a table without columns' };
  const t = relation(rv);
  const creates = [key.table(rv), ...Object.keys(columns).map((c) => key.column(rv, c))];
  if (primaryKey) creates.push(key.unique(rv, primaryKey), key.constraint(rv, `${rv.relname}_pkey`));
  for (const [c, def] of Object.entries(columns))
    if (/\b(PRIMARY\s+KEY|UNIQUE)\b/i.test(def)) creates.push(key.unique(rv, [c]));
  return {
    steps: [
      {
        builder: 'op.createTable',
        idHint: kebab('create', rv.relname),
        phase: 'expand',
        options: { table: t, columns, ...(primaryKey ? { primaryKey } : {}) },
        creates,
      },
      ...after,
    ],
  };
}

type IndexElem = {
  name?: string;
  expr?: unknown;
  opclass?: unknown[];
  opclassopts?: unknown[];
  ordering?: string;
  nulls_ordering?: string;
  collation?: unknown[];
};

/** `CREATE [UNIQUE] INDEX`. */
export function mapCreateIndex(src: SourceText): Mapping {
  const n = src.node;
  const rv = n.relation as RangeVar | undefined;
  if (!rv) return { keep: 'an index without a table' };
  const method = String(n.accessMethod ?? 'btree').toLowerCase();
  if (!INDEX_METHODS.has(method)) return { keep: `USING ${method} is not an op.createIndex method` };
  if (n.nulls_not_distinct || n.tableSpace || n.options)
    return { keep: 'NULLS NOT DISTINCT, WITH or TABLESPACE has no op.createIndex option' };
  const params = ((n.indexParams as { IndexElem: IndexElem }[]) ?? []).map((p) => p.IndexElem);
  const open = src.find('(', src.tokenAt(rv.location ?? 0));
  if (open < 0) return { keep: 'the index columns could not be read' };
  const pieces = src.splitTopLevel(open + 1);
  if (pieces.length !== params.length) return { keep: 'the index columns could not be read' };
  const columns: unknown[] = [];
  const used: string[] = [];
  for (let i = 0; i < params.length; i++) {
    const e = params[i];
    if (
      e.collation?.length ||
      e.opclassopts?.length ||
      (e.nulls_ordering && e.nulls_ordering !== 'SORTBY_NULLS_DEFAULT')
    )
      return { keep: 'COLLATE, opclass parameters or NULLS FIRST/LAST has no op.createIndex option' };
    const opclass = strings(e.opclass).join('.') || undefined;
    const order = e.ordering === 'SORTBY_DESC' ? 'desc' : e.ordering === 'SORTBY_ASC' ? 'asc' : undefined;
    if (e.name) {
      used.push(key.column(rv, e.name));
      columns.push(
        opclass || order ? { column: e.name, ...(opclass ? { opclass } : {}), ...(order ? { order } : {}) } : e.name,
      );
      continue;
    }
    if (order) return { keep: 'an expression with ASC/DESC has no op.createIndex option' };
    let text = src.slice(pieces[i].start, pieces[i].end);
    if (opclass) {
      const cut = text.lastIndexOf(strings(e.opclass).slice(-1)[0]);
      const tail = text.slice(0, cut).trimEnd();
      text = tail.replace(/("?[A-Za-z_][\w$]*"?\s*\.\s*)$/, '').trimEnd();
    }
    columns.push({ expression: text, ...(opclass ? { opclass } : {}) });
  }
  let where: string | undefined;
  if (n.whereClause) {
    const w = src.find('WHERE', src.closing(open) + 1);
    if (w < 0) return { keep: 'the WHERE clause could not be read' };
    where = src.slice(src.tokens[w].end).replace(/;\s*$/, '').trim();
  }
  const include = ((n.indexIncludingParams as { IndexElem: IndexElem }[] | undefined) ?? []).map(
    (p) => p.IndexElem.name,
  );
  if (include.some((c) => !c)) return { keep: 'INCLUDE of an expression' };
  const name = n.idxname as string | undefined;
  const unique = !!n.unique;
  const names = params.map((p) => p.name).filter((c): c is string => !!c);
  return {
    steps: [
      {
        builder: 'op.createIndex',
        idHint: kebab('index', name ?? `${rv.relname}-${names.join('-')}`),
        phase: 'expand',
        options: {
          table: relation(rv),
          columns,
          ...(unique ? { unique: true } : {}),
          ...(method !== 'btree' ? { using: method } : {}),
          ...(where ? { where } : {}),
          ...(include.length ? { include } : {}),
          ...(name ? { name } : {}),
        },
        creates: [
          ...(name ? [key.index(name)] : []),
          ...(unique && !where && names.length === params.length ? [key.unique(rv, names)] : []),
        ],
        uses: [key.table(rv), ...used],
        constrains: unique ? (used.length ? used : [key.table(rv)]) : undefined,
      },
    ],
  };
}
