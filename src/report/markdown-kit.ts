/**
 * Small Markdown building blocks for GitHub-flavoured Markdown: escaped table cells, inline code
 * that survives backticks, fenced blocks that survive fences, tables and collapsible sections.
 */

import type { Cell, TableSpec } from './tables.js';

/** Escape text for a table cell or a line: pipes, newlines and HTML-looking brackets. */
export function esc(s: string): string {
  return s
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r?\n/g, '<br>')
    .replace(/([*_[\]])/g, '\\$1');
}

/** Inline code, whatever backticks the text holds (pipes escaped for tables). */
export function code(s: string): string {
  const text = s.replace(/\r?\n/g, ' ');
  const runs = text.match(/`+/g) ?? [];
  const fence = '`'.repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text.replace(/\|/g, '\\|')}${pad}${fence}`;
}

/** A fenced block (longer fence than any in the text). */
export function fence(text: string, lang = ''): string {
  const runs = text.match(/`{3,}/g) ?? [];
  const f = '`'.repeat(Math.max(3, ...runs.map((r) => r.length + 1)));
  return `${f}${lang}\n${text}\n${f}`;
}

/** A table from a header and rows of already-formatted cells. */
export function table(header: string[], rows: string[][], align?: ('l' | 'r')[]): string {
  if (!rows.length) return '';
  const sep = header.map((_, i) => (align?.[i] === 'r' ? '---:' : '---'));
  return [`| ${header.join(' | ')} |`, `| ${sep.join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** A collapsible section (GitHub renders `<details>`; a blank line lets Markdown work inside). */
export function details(summary: string, body: string): string {
  return `<details><summary>${summary}</summary>\n\n${body}\n\n</details>`;
}

/** Escape for HTML inside `<summary>`. */
export function htmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A {@link TableSpec} as a Markdown table. */
export function tableMarkdown(t: TableSpec): string {
  const cell = (c: Cell) => (typeof c === 'string' ? c : 'code' in c ? code(c.code) : esc(c.text));
  return table(
    t.header,
    t.rows.map((r) => r.map(cell)),
    t.right && t.header.map((_, i) => (t.right!.includes(i) ? 'r' : 'l')),
  );
}
