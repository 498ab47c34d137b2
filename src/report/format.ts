/**
 * Formatting shared by the report's builders and renderers: timestamps, durations, byte sizes,
 * numbers and check values, the same way in Markdown and HTML.
 */

/** A Date (or date-like) as an ISO string, or null. */
export function isoOf(d: unknown): string | null {
  if (d == null) return null;
  const date = d instanceof Date ? d : new Date(String(d));
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** `1,234,567`. */
export function fmtNum(n: number | null | undefined): string {
  return n == null ? '—' : n.toLocaleString('en-US', { maximumFractionDigits: 1 });
}

/** `850 ms`, `12.3 s`, `4 min 05 s`, `2 h 03 min`. */
export function fmtMs(ms: number | null | undefined): string {
  if (ms == null) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.round(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** `8.0 kB`, `1.2 MB` (powers of 1024, as PostgreSQL's pg_size_pretty). */
export function fmtBytes(b: number | null | undefined): string {
  if (b == null) return '—';
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let v = b;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} bytes` : `${v.toFixed(1)} ${units[i]}`;
}

/** A signed size change: `+1.2 MB`, `−8.0 kB`, `±0`. */
export function fmtBytesDelta(before: number | null | undefined, after: number | null | undefined): string {
  if (before == null || after == null) return '—';
  const d = after - before;
  if (d === 0) return '±0';
  return `${d > 0 ? '+' : '−'}${fmtBytes(Math.abs(d))}`;
}

/** `2026-02-13 14:03:22 UTC` from an ISO string. */
export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return iso
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC')
    .replace(/Z$/, ' UTC');
}

/** A check's actual or expected value on one line: strings as they are, the rest as JSON. */
export function fmtValue(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

/** A sample cell: NULL for null, JSON for objects, long values shortened. */
export function fmtCell(v: unknown, max = 80): string {
  if (v === null || v === undefined) return 'NULL';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Rows of objects → column names (union of keys, in order) and cell strings. */
export function sampleTable(rows: readonly unknown[]): { columns: string[]; cells: string[][] } {
  const objs = rows.map((r) =>
    r && typeof r === 'object' && !Array.isArray(r) ? (r as Record<string, unknown>) : { value: r },
  );
  const columns: string[] = [];
  for (const r of objs) for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
  return { columns, cells: objs.map((r) => columns.map((c) => fmtCell(r[c]))) };
}

/** Status marks used by every renderer. */
export const MARK: Record<string, string> = {
  pass: '✅',
  fail: '❌',
  warn: '⚠️',
  superseded: '➖',
  not_run: '⏳',
  completed: '✅',
  failed: '❌',
  running: '🔄',
  pending: '⏳',
  rolling_back: '⚠️',
  rolled_back: '↩️',
  skipped: '➖',
  open: '✅',
  closed: '⛔',
  not_reached: '⏳',
  in_progress: '🔄',
  waiting: '⏸️',
};
