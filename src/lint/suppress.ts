/**
 * `-- tidemark-ignore <rule>[, <rule>…]: <reason>` comments. On the line(s) right above a
 * statement they cover that statement; in the comments at the top of a file (on line 1, or
 * separated from the first statement by a blank line) they cover the whole file. The reason is
 * required: a suppression without one, or naming an unknown rule, is itself a finding and
 * suppresses nothing. In plan files `//` comments work the same way above a step.
 */

/** One parsed suppression comment. */
export interface Directive {
  /** 1-based line of the comment. */
  line: number;
  /** Character offset of the comment's `--`/`//`. */
  offset: number;
  rules: string[];
  /** Empty when missing. */
  reason: string;
}

const DIRECTIVE = /^[ \t]*(?:--|\/\/)[ \t]*tidemark-ignore\b[ \t]*([^:\n]*?)[ \t]*(?::[ \t]*(.*?))?[ \t]*$/;
const COMMENT_LINE = /^[ \t]*(?:--|\/\/)/;

/** Every `tidemark-ignore` comment of a text. */
export function parseDirectives(text: string, lineStarts: readonly number[]): Directive[] {
  if (!text.includes('tidemark-ignore')) return [];
  const out: Directive[] = [];
  for (let i = 0; i < lineStarts.length; i++) {
    const lineEnd = i + 1 < lineStarts.length ? lineStarts[i + 1] - 1 : text.length;
    const line = text.slice(lineStarts[i], lineEnd).replace(/\r$/, '');
    if (!line.includes('tidemark-ignore')) continue;
    const m = DIRECTIVE.exec(line);
    if (!m) continue;
    const rules = m[1].split(/[\s,]+/).filter(Boolean);
    out.push({ line: i + 1, offset: lineStarts[i] + line.search(/--|\/\//), rules, reason: (m[2] ?? '').trim() });
  }
  return out;
}

/** Directives sorted into file-wide, per-statement and orphaned (standing above no statement). */
export interface DirectiveScopes {
  file: Directive[];
  /** statement index → directives right above it. */
  byStatement: Map<number, Directive[]>;
  orphans: Directive[];
}

/** Is line `n` (1-based) a comment-only line? */
function isComment(text: string, lineStarts: readonly number[], n: number): boolean {
  const s = lineStarts[n - 1];
  const e = n < lineStarts.length ? lineStarts[n] : text.length;
  return COMMENT_LINE.test(text.slice(s, e));
}

/**
 * Attach directives to statements. `firstLines[i]` is the 1-based line where statement i's first
 * token stands.
 */
export function scopeDirectives(
  directives: readonly Directive[],
  firstLines: readonly number[],
  text: string,
  lineStarts: readonly number[],
): DirectiveScopes {
  const out: DirectiveScopes = { file: [], byStatement: new Map(), orphans: [] };
  if (!directives.length) return out;
  // The comment block right above each statement: lines [top, first - 1].
  const blockTop = firstLines.map((first) => {
    let top = first;
    while (top > 1 && isComment(text, lineStarts, top - 1)) top--;
    return top;
  });
  for (const d of directives) {
    const firstLine = firstLines[0] ?? Infinity;
    if (d.line < firstLine && (d.line === 1 || d.line < blockTop[0])) {
      out.file.push(d);
      continue;
    }
    const i = firstLines.findIndex((first, k) => d.line >= blockTop[k] && d.line < first);
    if (i === -1) out.orphans.push(d);
    else {
      const list = out.byStatement.get(i) ?? [];
      list.push(d);
      out.byStatement.set(i, list);
    }
  }
  return out;
}
