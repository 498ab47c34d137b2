/**
 * Moving `transform` results into SQL with their types. Rows travel as ONE jsonb parameter read by
 * `jsonb_to_recordset(…) AS v("col" type, …)` with each column's own type, so objects land in
 * json/jsonb as objects (never as a JSON string), Dates as timestamps, bigint strings as bigint.
 * Rows that set different columns are grouped, so a column a row leaves out is never overwritten.
 */
import { quoteIdent } from '../sql/ident.js';

/** The alias of the recordset in generated statements (unlikely to clash with a user table). */
export const RECORDSET = '__tidemark_v';

/** JSON for PostgreSQL: Dates as UTC instants, Buffers as bytea hex, bigint as text. */
export function toJsonParam(rows: readonly Record<string, unknown>[]): string {
  return JSON.stringify(rows.map((r) => convertRow(r)));
}

function convertRow(r: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) out[k] = convert(v, true);
  return out;
}

function convert(v: unknown, top: boolean): unknown {
  if (v === undefined) return null;
  if (v instanceof Date) return dateToPg(v);
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return top ? `\\x${v.toString('hex')}` : v.toString('base64');
  if (Array.isArray(v)) return v.map((x) => convert(x, top));
  if (v && typeof v === 'object' && !(v as { toJSON?: unknown }).toJSON) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = convert(x, false);
    return o;
  }
  return v;
}

/**
 * `2026-02-03T04:05:06.789+00:00`: the instant in UTC. A `timestamptz` column stores that instant; a
 * `timestamp` column stores its UTC wall-clock time — the convention of Prisma, Drizzle and most ORMs,
 * and the way Tidemark reads `timestamp` values too (see `TYPES` in db/connection.ts), so the result
 * never depends on the time zone of the machine running Tidemark.
 */
export function dateToPg(d: Date): string {
  const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');
  const y = d.getUTCFullYear();
  const year = y < 1 ? `${pad(1 - y, 4)}` : pad(y, 4);
  const s = `${year}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}+00:00`;
  return y < 1 ? `${s} BC` : s;
}

/** `AS __tidemark_v("id" bigint, "payload" jsonb)`: the recordset's column definitions. */
export function recordsetColumns(columns: readonly string[], types: ReadonlyMap<string, string>): string {
  return columns.map((c) => `${quoteIdent(c)} ${types.get(c)}`).join(', ');
}

/** Rows grouped by the exact set of columns they carry (in first-seen order). */
export function groupByColumns<T extends Record<string, unknown>>(
  rows: readonly T[],
): { columns: string[]; rows: T[] }[] {
  const groups = new Map<string, { columns: string[]; rows: T[] }>();
  for (const r of rows) {
    const cols = Object.keys(r).filter((k) => r[k] !== undefined);
    const sig = [...cols].sort().join('\u0000');
    let g = groups.get(sig);
    if (!g) groups.set(sig, (g = { columns: cols, rows: [] }));
    g.rows.push(r);
  }
  return [...groups.values()];
}
