/** Aligned text tables for CLI listings: the proof's table layout, so every table in the output looks alike. */
import { alignedTable, cellText } from '../../checks/proof-format.js';

/** Format a value for a table cell: NULL, ISO dates, JSON for objects, long text cut. */
export const cell = cellText;

/** Rows of objects → aligned lines (header, rule, rows). */
export function textTable(rows: Record<string, unknown>[], indent = ''): string[] {
  return alignedTable(rows, indent);
}
