/**
 * The per-batch change of `backfill.insert`: rows of `into` made from a key range of `from`. With
 * `values`, one `INSERT … SELECT` whose expressions name `from`'s columns bare or qualified by its
 * own name. With `transform`, the range's source rows go to the function, which returns any number
 * of rows to insert (seed 004 expands a JSON array into events); they are inserted through a typed
 * recordset. The cursor commits with the inserted rows, so a rerun never inserts a row twice.
 */
import { quoteIdent } from '../sql/ident.js';
import { type KeyRange, keyOrder, rangePredicate } from '../sql/key-range.js';
import { Params } from '../sql/params.js';
import type { WalkScope } from './bounds.js';
import type { TableInfo } from './key.js';
import { readRows, type UpdateSpec } from './update-work.js';
import { groupByColumns, RECORDSET, recordsetColumns, toJsonParam } from './values.js';
import {
  type BatchWork,
  callTransform,
  conditions,
  type ScopeFilter,
  type TransformFn,
  TransformShapeError,
} from './work.js';

/** `onConflict` as the plan gives it. */
export type OnConflict = 'ignore' | { target: string[]; update: string[] };

/** What an insert backfill needs to know. */
export interface InsertSpec {
  stepId: string;
  /** The source walk (`from` and its key). */
  scope: WalkScope;
  into: TableInfo;
  /** `into`'s column name → type with typmod. */
  intoTypes: Map<string, string>;
  values?: Record<string, string>;
  transform?: TransformFn;
  select?: string[];
  where?: string;
  onConflict?: OnConflict;
}

/** `ON CONFLICT …` or ''. */
export function conflictClause(c: OnConflict | undefined): string {
  if (!c) return '';
  if (c === 'ignore') return ' ON CONFLICT DO NOTHING';
  return ` ON CONFLICT (${c.target.map(quoteIdent).join(', ')}) DO UPDATE SET ${c.update.map((u) => `${quoteIdent(u)} = EXCLUDED.${quoteIdent(u)}`).join(', ')}`;
}

/** The `INSERT … SELECT` of a `values` backfill for one source range. */
export function valuesStatement(
  spec: InsertSpec,
  range: KeyRange,
  filter?: ScopeFilter,
): { sql: string; params: unknown[] } {
  const p = new Params();
  const cols = Object.keys(spec.values!);
  const exprs = cols.map((c) => `(${spec.values![c]})`);
  const from = spec.scope.table.sql;
  const sql = `INSERT INTO ${spec.into.sql} (${cols.map(quoteIdent).join(', ')}) SELECT ${exprs.join(', ')} FROM ${from} ${conditions([rangePredicate(spec.scope.key, range, p, from), filter?.(p), spec.where && `(${spec.where})`])} ORDER BY ${keyOrder(spec.scope.key, false, from)}${conflictClause(spec.onConflict)}`;
  return { sql, params: p.values };
}

/** The {@link BatchWork} of `backfill.insert`. */
export function insertWork(spec: InsertSpec): BatchWork {
  const readSpec: UpdateSpec = {
    stepId: spec.stepId,
    scope: spec.scope,
    select: spec.select,
    where: spec.where,
    columnTypes: new Map(),
  };
  return {
    scope: spec.scope,
    async run(client, range, filter) {
      if (spec.values) {
        const q = valuesStatement(spec, range, filter);
        return (await client.query(q.sql, q.params)).rowCount ?? 0;
      }
      const { rows } = await readRows(client, readSpec, range, filter, false);
      const out = await callTransform(spec.stepId, spec.transform!, rows);
      let n = 0;
      for (const g of groupByColumns(out)) {
        const unknown = g.columns.filter((c) => !spec.intoTypes.has(c));
        if (unknown.length)
          throw new TransformShapeError(
            spec.stepId,
            `step "${spec.stepId}": transform returned column(s) ${unknown.map((c) => `"${c}"`).join(', ')}, which ${spec.into.display} does not have`,
          );
        if (!g.columns.length) continue;
        const sql = `INSERT INTO ${spec.into.sql} (${g.columns.map(quoteIdent).join(', ')}) SELECT ${g.columns.map((c) => `${RECORDSET}.${quoteIdent(c)}`).join(', ')} FROM jsonb_to_recordset($1::jsonb) AS ${RECORDSET}(${recordsetColumns(g.columns, spec.intoTypes)})${conflictClause(spec.onConflict)}`;
        n += (await client.query(sql, [toJsonParam(g.rows)])).rowCount ?? 0;
      }
      return n;
    },
    template() {
      const k = spec.scope.key;
      const placeholder: KeyRange = { lo: k.columns.map(() => '…'), hi: k.columns.map(() => '…') };
      if (spec.values)
        return [
          {
            sql: valuesStatement(spec, placeholder).sql,
            lock: 'ROW EXCLUSIVE',
            note: 'per batch of source keys: $lo < key <= $hi, one short transaction with the cursor',
          },
        ];
      const p = new Params();
      const from = spec.scope.table.sql;
      const cols = spec.select
        ? [...new Set([...k.columns, ...spec.select])].map((c) => `${from}.${quoteIdent(c)}`).join(', ')
        : `${from}.*`;
      return [
        {
          sql: `SELECT ${cols} FROM ${from} ${conditions([rangePredicate(k, placeholder, p, from), spec.where && `(${spec.where})`])} ORDER BY ${keyOrder(k, false, from)}`,
          lock: 'ACCESS SHARE',
          note: 'per batch: the source rows handed to transform',
        },
        {
          sql: `INSERT INTO ${spec.into.sql} (<columns>) SELECT … FROM jsonb_to_recordset($1::jsonb) AS ${RECORDSET}(<column> <its type>, …)${conflictClause(spec.onConflict)}`,
          lock: 'ROW EXCLUSIVE',
          note: 'the rows transform returned, typed by their columns; same transaction',
        },
      ];
    },
  };
}
