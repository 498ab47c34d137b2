/**
 * The per-batch change of `backfill.update`. With `set`, one range `UPDATE` that names the table by
 * its own name (so `"MessageThread"."orgId"` in an expression works as in a hand-written UPDATE).
 * With `transform`, the range's rows are read and locked (`FOR NO KEY UPDATE`), handed to the
 * function, and its changes written back through a typed recordset, all in the batch's transaction.
 */
import type pg from 'pg';
import { quoteIdent } from '../sql/ident.js';
import { type KeyRange, keyAsText, keyOrder, rangePredicate } from '../sql/key-range.js';
import { Params } from '../sql/params.js';
import type { WalkScope } from './bounds.js';
import { groupByColumns, RECORDSET, recordsetColumns, toJsonParam } from './values.js';
import {
  type BatchWork,
  callTransform,
  conditions,
  type ScopeFilter,
  type TransformFn,
  TransformShapeError,
} from './work.js';

/** What an update backfill needs to know. */
export interface UpdateSpec {
  stepId: string;
  scope: WalkScope;
  set?: Record<string, string>;
  transform?: TransformFn;
  select?: string[];
  where?: string;
  /** Column name → type with typmod (transform only). */
  columnTypes: Map<string, string>;
}

/** The `SET` list of a `set` backfill. */
export function setList(set: Record<string, string>): string {
  return Object.entries(set)
    .map(([c, e]) => `${quoteIdent(c)} = (${e})`)
    .join(', ');
}

/** The range UPDATE of a `set` backfill. */
export function setStatement(
  spec: UpdateSpec,
  range: KeyRange,
  filter?: ScopeFilter,
): { sql: string; params: unknown[] } {
  const p = new Params();
  const sql = `UPDATE ${spec.scope.table.sql} SET ${setList(spec.set!)} ${conditions([rangePredicate(spec.scope.key, range, p), filter?.(p), spec.where && `(${spec.where})`])}`;
  return { sql, params: p.values };
}

function readStatement(
  spec: UpdateSpec,
  range: KeyRange,
  filter: ScopeFilter | undefined,
  lock: boolean,
): { sql: string; params: unknown[] } {
  const p = new Params();
  const t = spec.scope.table.sql;
  const cols = spec.select
    ? [...new Set([...spec.scope.key.columns, ...spec.select])].map((c) => `${t}.${quoteIdent(c)}`).join(', ')
    : `${t}.*`;
  const hidden = keyAsText(spec.scope.key, t).replace(/ AS k(\d+)/g, ' AS __tm_k$1');
  const sql = `SELECT ${cols}, ${hidden} FROM ${t} ${conditions([rangePredicate(spec.scope.key, range, p, t), filter?.(p), spec.where && `(${spec.where})`])} ORDER BY ${keyOrder(spec.scope.key, false, t)}${lock ? ' FOR NO KEY UPDATE' : ''}`;
  return { sql, params: p.values };
}

/** A key value as the transform saw it, normalised for matching what it returns. */
function keySig(values: unknown[]): string {
  return JSON.stringify(values.map((v) => (v instanceof Date ? v.toISOString() : v == null ? null : String(v))));
}

/** Read a range's rows as a transform receives them (key + `select`), split from their text keys. */
export async function readRows(
  client: pg.ClientBase,
  spec: UpdateSpec,
  range: KeyRange,
  filter: ScopeFilter | undefined,
  lock: boolean,
): Promise<{ rows: Record<string, unknown>[]; textKeys: string[][] }> {
  const q = readStatement(spec, range, filter, lock);
  const r = await client.query(q.sql, q.params);
  const n = spec.scope.key.columns.length;
  const rows: Record<string, unknown>[] = [];
  const textKeys: string[][] = [];
  for (const row of r.rows) {
    const tk: string[] = [];
    for (let i = 0; i < n; i++) {
      tk.push(String(row[`__tm_k${i}`]));
      delete row[`__tm_k${i}`];
    }
    rows.push(row);
    textKeys.push(tk);
  }
  return { rows, textKeys };
}

/** Check a transform's changes and pair each with its row's text key. */
export function matchChanges(
  spec: UpdateSpec,
  rows: Record<string, unknown>[],
  textKeys: string[][],
  changes: Record<string, unknown>[],
): Record<string, unknown>[] {
  const key = spec.scope.key.columns;
  const byKey = new Map<string, number>();
  rows.forEach((r, i) => {
    byKey.set(keySig(key.map((c) => r[c])), i);
  });
  const seen = new Set<number>();
  const out: Record<string, unknown>[] = [];
  for (const ch of changes) {
    const missing = key.filter((c) => !(c in ch));
    if (missing.length)
      throw new TransformShapeError(
        spec.stepId,
        `step "${spec.stepId}": a row returned by transform lacks its key column(s) ${missing.map((c) => `"${c}"`).join(', ')}: return { ...key, ...changes } for each row to change`,
      );
    const idx = byKey.get(keySig(key.map((c) => ch[c])));
    if (idx === undefined)
      throw new TransformShapeError(
        spec.stepId,
        `step "${spec.stepId}": transform returned a row whose key ${JSON.stringify(Object.fromEntries(key.map((c) => [c, ch[c]])))} is not in the batch it was given`,
      );
    if (seen.has(idx))
      throw new TransformShapeError(
        spec.stepId,
        `step "${spec.stepId}": transform returned the row ${JSON.stringify(Object.fromEntries(key.map((c) => [c, ch[c]])))} twice`,
      );
    seen.add(idx);
    const row: Record<string, unknown> = {};
    textKeys[idx].forEach((v, i) => {
      row[`__tm_k${i}`] = v;
    });
    for (const [c, v] of Object.entries(ch)) {
      if (key.includes(c) || v === undefined) continue;
      if (!spec.columnTypes.has(c))
        throw new TransformShapeError(
          spec.stepId,
          `step "${spec.stepId}": transform set column "${c}", which ${spec.scope.table.display} does not have`,
        );
      row[c] = v;
    }
    if (Object.keys(row).length > key.length) out.push(row);
  }
  return out;
}

/** Write matched changes through a typed recordset; returns rows updated. */
export async function writeChanges(
  client: pg.ClientBase,
  spec: UpdateSpec,
  changes: Record<string, unknown>[],
): Promise<number> {
  const t = spec.scope.table.sql;
  const k = spec.scope.key;
  let n = 0;
  for (const g of groupByColumns(changes)) {
    const cols = g.columns.filter((c) => !c.startsWith('__tm_k'));
    const types = new Map(spec.columnTypes);
    k.columns.forEach((_, i) => {
      types.set(`__tm_k${i}`, 'text');
    });
    const v = RECORDSET;
    const match = k.columns
      .map((c, i) => `${t}.${quoteIdent(c)} = ${v}.${quoteIdent(`__tm_k${i}`)}::${k.types[i]}`)
      .join(' AND ');
    const sql = `UPDATE ${t} SET ${cols.map((c) => `${quoteIdent(c)} = ${v}.${quoteIdent(c)}`).join(', ')}
      FROM jsonb_to_recordset($1::jsonb) AS ${v}(${recordsetColumns(g.columns, types)}) WHERE ${match}`;
    const r = await client.query(sql, [toJsonParam(g.rows)]);
    n += r.rowCount ?? 0;
  }
  return n;
}

/** The {@link BatchWork} of `backfill.update`. */
export function updateWork(spec: UpdateSpec): BatchWork {
  return {
    scope: spec.scope,
    async run(client, range, filter) {
      if (spec.set) {
        const q = setStatement(spec, range, filter);
        const r = await client.query(q.sql, q.params);
        return r.rowCount ?? 0;
      }
      const { rows, textKeys } = await readRows(client, spec, range, filter, true);
      const changes = await callTransform(spec.stepId, spec.transform!, rows);
      return writeChanges(client, spec, matchChanges(spec, rows, textKeys, changes));
    },
    template() {
      const k = spec.scope.key;
      const placeholder: KeyRange = { lo: k.columns.map(() => '…'), hi: k.columns.map(() => '…') };
      if (spec.set) {
        return [
          {
            sql: setStatement(spec, placeholder).sql,
            lock: 'ROW EXCLUSIVE',
            note: 'per batch: $lo < key <= $hi, one short transaction with the cursor',
          },
        ];
      }
      const read = readStatement(spec, placeholder, undefined, true).sql;
      const match = k.columns
        .map((c, i) => `${spec.scope.table.sql}.${quoteIdent(c)} = ${RECORDSET}."__tm_k${i}"::${k.types[i]}`)
        .join(' AND ');
      return [
        {
          sql: read,
          lock: 'ROW SHARE',
          note: 'per batch: the rows handed to transform, locked until the batch commits',
        },
        {
          sql: `UPDATE ${spec.scope.table.sql} SET <column> = ${RECORDSET}.<column>, … FROM jsonb_to_recordset($1::jsonb) AS ${RECORDSET}(<key as text>, <column> <its type>, …) WHERE ${match}`,
          lock: 'ROW EXCLUSIVE',
          note: 'the changes transform returned, typed by the columns they set; same transaction',
        },
      ];
    },
  };
}
