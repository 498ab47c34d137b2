/**
 * Small, synchronous helpers over SQL text that plan validation can use without a database or the
 * parser: the bare words of a fragment (strings, quoted names and comments skipped), literals and
 * dollar-quoted bodies for the DDL that cannot take `$n` parameters, and dotted names quoted part by
 * part.
 */
import { quoteIdent } from './ident.js';

/**
 * The bare words of a SQL fragment, upper-cased, in order. String literals (`'…'`, `E'…'`,
 * `$tag$…$tag$`), quoted identifiers (`"…"`) and comments are skipped, so a name or a value can
 * never look like a keyword. `(` is kept as a word so callers can tell a function call.
 */
export function sqlWords(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '-' && text[i + 1] === '-') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? n : nl + 1;
    } else if (c === '/' && text[i + 1] === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (text[i] === '/' && text[i + 1] === '*') depth++, (i += 2);
        else if (text[i] === '*' && text[i + 1] === '/') depth--, (i += 2);
        else i++;
      }
    } else if (c === "'" || ((c === 'E' || c === 'e') && text[i + 1] === "'")) {
      const escapes = c !== "'";
      i += escapes ? 2 : 1;
      while (i < n) {
        if (escapes && text[i] === '\\') i += 2;
        else if (text[i] === "'" && text[i + 1] === "'") i += 2;
        else if (text[i] === "'") break;
        else i++;
      }
      i++;
    } else if (c === '"') {
      i++;
      while (i < n) {
        if (text[i] === '"' && text[i + 1] === '"') i += 2;
        else if (text[i] === '"') break;
        else i++;
      }
      i++;
    } else if (c === '$') {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i));
      if (m) {
        const end = text.indexOf(m[0], i + m[0].length);
        i = end < 0 ? n : end + m[0].length;
      } else i++;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_$\u0080-\uffff]/.test(text[j])) j++;
      out.push(text.slice(i, j).toUpperCase());
      i = j;
    } else {
      if (c === '(') out.push('(');
      i++;
    }
  }
  return out;
}

/** True when `words` holds `phrase` (upper-case words) contiguously. */
export function hasPhrase(words: readonly string[], ...phrase: string[]): boolean {
  outer: for (let i = 0; i + phrase.length <= words.length; i++) {
    for (let k = 0; k < phrase.length; k++) if (words[i + k] !== phrase[k]) continue outer;
    return true;
  }
  return false;
}

/** Functions whose result changes per row (`provolatile = 'v'`) that people put in defaults. */
export const KNOWN_VOLATILE = new Set([
  'RANDOM',
  'RANDOM_NORMAL',
  'GEN_RANDOM_UUID',
  'UUIDV4',
  'UUIDV7',
  'UUID_GENERATE_V1',
  'UUID_GENERATE_V1MC',
  'UUID_GENERATE_V4',
  'CLOCK_TIMESTAMP',
  'TIMEOFDAY',
  'NEXTVAL',
  'SETVAL',
  'CURRVAL',
  'LASTVAL',
  'GEN_RANDOM_BYTES',
]);

/** Known volatile functions called in a SQL expression (by bare name, upper-cased). */
export function volatileCalls(expr: string): string[] {
  const w = sqlWords(expr);
  const found = new Set<string>();
  for (let i = 0; i + 1 < w.length; i++)
    if (w[i + 1] === '(' && KNOWN_VOLATILE.has(w[i])) found.add(w[i].toLowerCase());
  return [...found];
}

/**
 * A string literal for DDL that cannot take parameters (`CREATE TYPE … AS ENUM`, `ADD VALUE`):
 * quotes doubled, and the `E'…'` form with doubled backslashes when the value holds one, so the
 * result means the same whatever `standard_conforming_strings` says (PostgreSQL's quote_literal).
 */
export function quoteLiteral(value: string): string {
  if (value.includes('\u0000')) throw new Error('a SQL literal cannot contain a NUL byte');
  const body = value.replace(/'/g, "''");
  return value.includes('\\') ? `E'${body.replace(/\\/g, '\\\\')}'` : `'${body}'`;
}

/** Wrap a function body in a dollar quote whose tag does not occur inside it. */
export function dollarQuote(body: string): string {
  let tag = '$tm$';
  for (let i = 0; body.includes(tag); i++) tag = `$tm${i}$`;
  return `${tag}${body}${tag}`;
}

/** `name` or `schema.name` (an operator class, a type), each part quoted. */
export function quoteDotted(name: string): string {
  const parts = name.split('.');
  if (parts.length === 2 && parts[0] && parts[1]) return `${quoteIdent(parts[0])}.${quoteIdent(parts[1])}`;
  return quoteIdent(name);
}
