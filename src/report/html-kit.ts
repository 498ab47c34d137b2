/**
 * Small HTML building blocks for the report: escaping, tables that scroll on a phone, badges and
 * collapsible samples. Everything is escaped here; callers pass plain text or already-built HTML
 * explicitly marked with {@link raw}.
 */
import { fmtValue, MARK, sampleTable } from './format.js';
import type { Cell, TableSpec } from './tables.js';

/** Already-safe HTML. */
export interface Raw {
  html: string;
}

/** Mark a string as already-safe HTML. */
export const raw = (html: string): Raw => ({ html });

/** Escape text for HTML content and attributes. */
export function h(s: string | number | null | undefined): string {
  return String(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const cellHtml = (c: string | Raw) => (typeof c === 'string' ? h(c) : c.html);

/** A table in a horizontally scrolling wrapper; `num` marks right-aligned (numeric) columns. */
export function htmlTable(header: string[], rows: (string | Raw)[][], num: number[] = [], cls = ''): string {
  if (!rows.length) return '';
  const th = header.map((x, i) => `<th${num.includes(i) ? ' class="n"' : ''}>${h(x)}</th>`).join('');
  const body = rows
    .map((r) => `<tr>${r.map((c, i) => `<td${num.includes(i) ? ' class="n"' : ''}>${cellHtml(c)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<div class="scroll"><table${cls ? ` class="${cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

/** A status badge: mark and word, coloured by status. */
export function badge(status: string, text?: string): Raw {
  return raw(
    `<span class="badge s-${h(status.replace(/[^a-z_]/g, ''))}">${MARK[status] ?? ''} ${h(text ?? status.replace('_', ' '))}</span>`,
  );
}

/** Inline code. */
export function c(s: string): Raw {
  return raw(`<code>${h(s)}</code>`);
}

/** A value (actual/expected) as inline code. */
export function val(v: unknown): Raw {
  return c(fmtValue(v));
}

/** A sample of rows as an expandable table. */
export function sampleDetails(summary: string, rows: readonly unknown[]): string {
  const t = sampleTable(rows);
  return `<details class="sample"><summary>${h(summary)}</summary>${htmlTable(t.columns, t.cells)}</details>`;
}

/** A section with an id (for the table of contents) and a heading. */
export function section(id: string, title: string, body: string): string {
  return body ? `<section id="${h(id)}"><h2>${h(title)}</h2>\n${body}\n</section>` : '';
}

/** Join HTML pieces, dropping empty ones. */
export function join(...parts: (string | false | null | undefined)[]): string {
  return parts.filter(Boolean).join('\n');
}

/** A {@link TableSpec} as an HTML table. */
export function tableHtml(t: TableSpec): string {
  const cell = (x: Cell) => (typeof x === 'string' ? x : 'code' in x ? c(x.code) : x.text);
  return htmlTable(
    t.header,
    t.rows.map((r) => r.map(cell)),
    t.right,
  );
}
