/**
 * One statement's text with its own parse tree and tokens, so a mapping can take the exact text of
 * a column type, a default, a CHECK condition or an index expression as the migration wrote it
 * (libpg-query parses but does not print SQL back). Offsets are UTF-8 byte offsets of the
 * statement, as the parser reports them.
 */
import { pgParser } from '../sql/parse.js';

/** A token of the statement, from PostgreSQL's own scanner (quotes, dollar quotes, comments respected). */
export interface Token {
  start: number;
  end: number;
  text: string;
}

/** A statement, parsed on its own. Requires the parser to be loaded. */
export class SourceText {
  readonly bytes: Buffer;
  readonly tokens: Token[];
  readonly node: Record<string, unknown>;
  readonly type: string;

  constructor(readonly text: string) {
    this.bytes = Buffer.from(text, 'utf8');
    const scanned = pgParser().scanSync(text) as { tokens: Token[] };
    this.tokens = scanned.tokens.map((t) => ({ start: t.start, end: t.end, text: this.slice(t.start, t.end) }));
    const tree = pgParser().parseSync(text) as { stmts?: { stmt: Record<string, Record<string, unknown>> }[] };
    const stmt = tree.stmts?.[0]?.stmt ?? {};
    this.type = Object.keys(stmt)[0] ?? '';
    this.node = stmt[this.type] ?? {};
  }

  /** The text between two byte offsets, trimmed. */
  slice(from: number, to: number = this.bytes.length): string {
    return this.bytes.subarray(from, to).toString('utf8').trim();
  }

  /** Index of the first token starting at or after `offset`. */
  tokenAt(offset: number): number {
    const i = this.tokens.findIndex((t) => t.start >= offset);
    return i < 0 ? this.tokens.length : i;
  }

  /** Index of the first token at or after `from` (a token index) whose text is `word` (case-insensitive), at the depth it started; -1 if none before `limit`. */
  find(word: string, from: number, limit = this.tokens.length): number {
    let depth = 0;
    for (let i = from; i < limit; i++) {
      const t = this.tokens[i].text;
      if (depth === 0 && t.toUpperCase() === word.toUpperCase()) return i;
      if (t === '(' || t === '[') depth++;
      else if (t === ')' || t === ']') depth--;
      if (depth < 0) return -1;
    }
    return -1;
  }

  /** The token index of the `)` that closes the `(` at token `open`. */
  closing(open: number): number {
    let depth = 0;
    for (let i = open; i < this.tokens.length; i++) {
      const t = this.tokens[i].text;
      if (t === '(' || t === '[') depth++;
      else if (t === ')' || t === ']') {
        depth--;
        if (depth === 0) return i;
      }
    }
    return this.tokens.length - 1;
  }

  /**
   * Split the tokens `[from, to)` at top-level commas: byte ranges of each piece. Stops early at a
   * `)` that closes an enclosing parenthesis or at `;`.
   */
  splitTopLevel(from: number, to = this.tokens.length): { start: number; end: number }[] {
    const out: { start: number; end: number }[] = [];
    let depth = 0;
    let pieceStart = from < this.tokens.length ? this.tokens[from].start : this.bytes.length;
    let last = pieceStart;
    for (let i = from; i < to; i++) {
      const t = this.tokens[i];
      if (t.text === '(' || t.text === '[') depth++;
      else if (t.text === ')' || t.text === ']') {
        if (depth === 0) break;
        depth--;
      } else if (depth === 0 && (t.text === ',' || t.text === ';')) {
        out.push({ start: pieceStart, end: last });
        if (t.text === ';') return out;
        pieceStart = i + 1 < this.tokens.length ? this.tokens[i + 1].start : this.bytes.length;
        last = pieceStart;
        continue;
      }
      last = t.end;
    }
    out.push({ start: pieceStart, end: last });
    return out.filter((p) => p.end > p.start);
  }
}
