/**
 * The human reporter: each finding with its rule, a code frame of the statement with a caret
 * under the position, the help (the safe `op.*`) and the rule's doc page; then suppressed and
 * waived findings in one line each, and a summary. Colour only when asked.
 */
import { createColors } from 'picocolors';
import type { Finding } from '../finding.js';
import { ruleDocs } from '../finding.js';
import type { LintResult } from '../lint.js';

type Colors = ReturnType<typeof createColors>;

/** Up to 2 lines of context above the caret line and 1 below, all from the statement. */
function frame(f: Finding, c: Colors): string[] {
  if (!f.statement || !f.statementLine) return [];
  const lines = f.statement.split('\n').map((l) => l.replace(/\r$/, ''));
  const firstCol = f.statementColumn ?? 1;
  const idx = f.line - f.statementLine;
  if (idx < 0 || idx >= lines.length) return [];
  const from = Math.max(0, idx - 2);
  const to = Math.min(lines.length - 1, idx + 1);
  const width = String(f.statementLine + to).length;
  const gutter = (n?: number) => c.dim(`${n === undefined ? ' '.repeat(width) : String(n).padStart(width)} │`);
  const out = [gutter()];
  for (let i = from; i <= to; i++) {
    const pad = i === 0 ? ' '.repeat(firstCol - 1) : '';
    const text = pad + lines[i];
    out.push(`${gutter(f.statementLine + i)} ${text.length > 160 ? `${text.slice(0, 157)}…` : text}`);
    if (i === idx) {
      const before = text.slice(0, Math.max(0, f.column - 1)).replace(/[^\t]/g, ' ');
      out.push(`${gutter()} ${before}${(f.level === 'error' ? c.red : c.yellow)(c.bold('^'))}`);
    }
  }
  if (to < lines.length - 1) out.push(`${gutter()} ${c.dim('…')}`);
  return out;
}

/** One finding in full. */
export function renderFinding(f: Finding, c: Colors): string {
  const tag = f.level === 'error' ? c.red(c.bold(`error[${f.rule}]`)) : c.yellow(c.bold(`warning[${f.rule}]`));
  const step = f.stepId ? ` · step "${f.stepId}" (${f.phase})` : '';
  const lines = [
    `${tag} ${c.bold(f.message)}`,
    `  ${c.dim('-->')} ${f.file}:${f.line}:${f.column}${step}`,
    ...frame(f, c).map((l) => `  ${l}`),
  ];
  if (f.help) lines.push(`  ${c.cyan('= help:')} ${f.help}`);
  lines.push(`  ${c.dim(`= docs: ${ruleDocs(f.rule)}`)}`);
  return lines.join('\n');
}

/** The whole result for a terminal. */
export function renderTty(result: LintResult, opts: { color?: boolean } = {}): string {
  const c = createColors(!!opts.color);
  const out: string[] = [];
  const active = result.findings.filter((f) => !f.suppressed);
  for (const f of active) out.push(renderFinding(f, c), '');
  const suppressed = result.findings.filter((f) => f.suppressed);
  for (const f of suppressed)
    out.push(c.dim(`suppressed[${f.rule}] ${f.file}:${f.line}:${f.column} — ${f.suppressed!.reason}`));
  for (const f of result.waived) out.push(c.dim(`waived[${f.rule}] ${f.file}:${f.line}:${f.column} — ${f.waived}`));
  if (suppressed.length || result.waived.length) out.push('');
  const { errors, warnings, files } = result.counts;
  const extra = [
    suppressed.length && `${suppressed.length} suppressed`,
    result.waived.length && `${result.waived.length} waived by the live database`,
  ]
    .filter(Boolean)
    .join(' · ');
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  const head =
    errors || warnings
      ? `${errors ? c.red('✗') : c.yellow('⚠')} ${plural(errors, 'error')}, ${plural(warnings, 'warning')} in ${plural(files, 'file')}`
      : `${c.green('✓')} no problems in ${plural(files, 'file')}`;
  out.push(extra ? `${head} ${c.dim(`(${extra})`)}` : head);
  return `${out.join('\n')}\n`;
}
