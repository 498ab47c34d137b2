/**
 * The proof as a person reads it, like seed 003's hand-written proof script: one line per check
 * beginning with its id (at column 0), then ✓ (pass) / ✗ (fail) / ⚠ (warning) / ↷ (superseded),
 * then actual vs expected — or, for a check that could not run (`error: true`), why; under a
 * failure its message and its sample as a small aligned table, indented under the text; under
 * `check.distribution` an aligned value/count table; and a final verdict line. A pure function of
 * the check outcomes, so `verify`, `run` and reports render the same text.
 */
import pc from 'picocolors';
import type { CheckOutcome } from '../kind/events.js';
import { SAMPLE_SIZE } from './sample.js';

/** Rendering options. */
export interface ProofFormatOptions {
  /** ANSI colours (picocolors). */
  color: boolean;
}

const MARK: Record<CheckOutcome['status'], string> = { pass: '✓', fail: '✗', warn: '⚠', superseded: '↷' };

/** Widest a table cell gets before it is cut with `…`. */
const MAX_CELL = 60;

/** One value as text: NULL, numbers, dates (ISO), JSON for objects; newlines shown as `⏎`. */
export function cellText(v: unknown): string {
  let s: string;
  if (v === null || v === undefined) s = 'NULL';
  else if (v instanceof Date) s = Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
  else if (typeof v === 'object') s = JSON.stringify(v);
  else s = String(v);
  s = s.replace(/\r?\n/g, '⏎');
  return s.length > MAX_CELL ? `${s.slice(0, MAX_CELL - 1)}…` : s;
}

/** Rows as an aligned table: header, a rule, then the rows; numbers right-aligned. */
export function alignedTable(
  rows: readonly Record<string, unknown>[],
  indent: string,
  paintHeader: (s: string) => string = String,
): string[] {
  const cols: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  if (!cols.length) return [];
  const cells = rows.map((r) => cols.map((c) => cellText(r[c])));
  const numeric = cols.map((_, i) =>
    rows.every((r) => {
      const v = r[cols[i]];
      return typeof v === 'number' || typeof v === 'bigint' || v === null || v === undefined;
    }),
  );
  const width = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const pad = (s: string, i: number) => (numeric[i] ? s.padStart(width[i]) : s.padEnd(width[i]));
  const line = (parts: string[]) => `${indent}${parts.join('  ')}`.trimEnd();
  return [
    paintHeader(line(cols.map(pad))),
    paintHeader(line(width.map((w) => '─'.repeat(w)))),
    ...cells.map((row) => line(row.map(pad))),
  ];
}

/** The lines of one check, its first line padded so marks align at `idWidth`. */
export function checkLines(r: CheckOutcome, idWidth: number, o: ProofFormatOptions): string[] {
  const c = pc.createColors(o.color);
  const paint =
    r.status === 'pass' ? c.green : r.status === 'warn' ? c.yellow : r.status === 'superseded' ? c.dim : c.red;
  const indent = ' '.repeat(idWidth + 5);
  const label = r.title && r.title !== r.stepId ? `${r.title}: ` : r.what ? `${r.what}: ` : '';
  let text: string;
  if (r.status === 'superseded') text = `${label}superseded — ${r.message ?? ''}`;
  else if (r.error) text = `${label}${r.message ?? 'the check could not run'}`;
  else if (r.distribution) text = `${label}${cellText(r.actual)}`;
  else text = `${label}${cellText(r.actual)} (expected: ${cellText(r.expected)})`;
  const lines = [`${r.stepId.padEnd(idWidth)}  ${paint(MARK[r.status])}  ${text}`];
  const shown = r.status === 'fail' || r.status === 'warn';
  if (shown && r.message && !r.error) lines.push(`${indent}${r.message}`);
  if (r.distribution?.length) {
    lines.push(
      ...alignedTable(
        r.distribution.map((d) => ({ value: d.value, count: d.count })),
        indent,
        c.dim,
      ),
    );
  }
  if (shown && r.sample.length) {
    lines.push(...alignedTable(r.sample as Record<string, unknown>[], indent, c.dim));
    if (r.sample.length >= SAMPLE_SIZE) lines.push(c.dim(`${indent}(first ${r.sample.length} rows shown)`));
  }
  return lines;
}

/** The verdict: `✅ All 7 checks passed` or `❌ 2 of 7 checks failed: a, b`, with warnings and superseded noted. */
export function verdictLine(results: readonly CheckOutcome[], o: ProofFormatOptions): string {
  const c = pc.createColors(o.color);
  const n = results.length;
  const noun = n === 1 ? 'check' : 'checks';
  const failed = results.filter((r) => r.status === 'fail').map((r) => r.stepId);
  const warned = results.filter((r) => r.status === 'warn').map((r) => r.stepId);
  const superseded = results.filter((r) => r.status === 'superseded').length;
  const notes = [
    ...(warned.length ? [`${warned.length} warning${warned.length === 1 ? '' : 's'}: ${warned.join(', ')}`] : []),
    ...(superseded ? [`${superseded} superseded`] : []),
  ];
  const tail = notes.length ? ` (${notes.join('; ')})` : '';
  if (n === 0) return 'No checks to run';
  if (failed.length) return c.red(`❌ ${failed.length} of ${n} ${noun} failed: ${failed.join(', ')}`) + tail;
  return c.green(`✅ All ${n} ${noun} passed`) + tail;
}

/** Render check outcomes as the proof text (no trailing newline). */
export function formatProof(results: readonly CheckOutcome[], o: ProofFormatOptions = { color: false }): string {
  const idWidth = Math.max(0, ...results.map((r) => r.stepId.length));
  const lines: string[] = [];
  for (const r of results) lines.push(...checkLines(r, idWidth, o));
  if (results.length) lines.push('');
  lines.push(verdictLine(results, o));
  return lines.join('\n');
}
