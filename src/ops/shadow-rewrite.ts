/**
 * Rewriting an index definition (`pg_get_indexdef`) so it indexes a shadow column instead of the
 * original one: the same access method, operator classes, ordering, INCLUDE list, expressions and
 * predicate, under a new name, built `CONCURRENTLY`. References are found with the real
 * PostgreSQL parser (column references in expressions and the predicate by their position) and
 * its scanner (plain column elements), never by searching the text, so a value, a function or a
 * type that happens to share the column's name is left alone.
 */
import { quoteIdent } from '../sql/ident.js';
import { ensureParser, pgParser } from '../sql/parse.js';

interface Token {
  start: number;
  end: number;
  text: string;
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

/** A token's identifier value: quoted ones unquoted, bare ones case-folded. */
function identOf(t: Token): string {
  if (t.text.startsWith('"')) return t.text.slice(1, -1).replace(/""/g, '"');
  return t.text.toLowerCase();
}

/** Positions of `ColumnRef`s naming `column` (unqualified), anywhere in a parse tree. */
function columnRefs(node: unknown, column: string, out: number[]): void {
  if (Array.isArray(node)) {
    for (const x of node) columnRefs(x, column, out);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  const ref = o.ColumnRef as { fields?: { String?: { sval?: string } }[]; location?: number } | undefined;
  if (ref) {
    const f = ref.fields ?? [];
    if (f.length === 1 && f[0].String?.sval === column && typeof ref.location === 'number') out.push(ref.location);
    return;
  }
  for (const v of Object.values(o)) columnRefs(v, column, out);
}

/** Plain column elements (`col`, `col opclass DESC`) of the parenthesised list opening at token `open`. */
function plainElements(tokens: Token[], open: number, column: string, edits: Edit[], replacement: string): number {
  let depth = 0;
  let count = 0;
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.text === '(') depth++;
    else if (t.text === ')') {
      depth--;
      if (depth === 0) break;
    }
    const startsElement =
      depth === 1 && (tokens[i - 1].text === '(' || tokens[i - 1].text === ',') && i - 1 >= open && t.text !== '(';
    if (!startsElement) continue;
    const next = tokens[i + 1]?.text;
    if (identOf(t) === column && next !== '(' && next !== '.') {
      edits.push({ start: t.start, end: t.end, text: replacement });
      count++;
    }
  }
  return count;
}

/**
 * `CREATE [UNIQUE] INDEX CONCURRENTLY <newName> ON … (<shadow> …) … WHERE <predicate on shadow>`
 * from an index definition on `column`. Throws when a reference cannot be rewritten safely.
 */
export async function rewriteIndexDef(def: string, column: string, shadow: string, newName: string): Promise<string> {
  await ensureParser();
  const tree = pgParser().parseSync(def) as { stmts: { stmt: { IndexStmt?: Record<string, unknown> } }[] };
  const stmt = tree.stmts[0]?.stmt.IndexStmt;
  if (!stmt) throw new Error(`not an index definition: ${def}`);
  const tokens = (pgParser().scanSync(def) as { tokens: Token[] }).tokens;
  const q = quoteIdent(shadow);
  const edits: Edit[] = [];

  // The name: the token after INDEX; CONCURRENTLY goes between them.
  const indexTok = tokens.findIndex((t) => t.text.toUpperCase() === 'INDEX');
  if (indexTok < 0) throw new Error(`not an index definition: ${def}`);
  edits.push({ start: tokens[indexTok].end, end: tokens[indexTok].end, text: ' CONCURRENTLY' });
  const nameTok = tokens[indexTok + 1];
  edits.push({ start: nameTok.start, end: nameTok.end, text: quoteIdent(newName) });

  // Column references inside expressions and the predicate.
  const refs: number[] = [];
  columnRefs(stmt, column, refs);
  for (const loc of refs) {
    const t = tokens.find((x) => x.start === loc);
    if (!t || identOf(t) !== column) throw new Error(`cannot locate the reference to "${column}" in: ${def}`);
    edits.push({ start: t.start, end: t.end, text: q });
  }

  // Plain column elements of the key list and the INCLUDE list.
  const named = [
    ...((stmt.indexParams as unknown[]) ?? []),
    ...((stmt.indexIncludingParams as unknown[]) ?? []),
  ].filter((e) => (e as { IndexElem?: { name?: string } }).IndexElem?.name === column).length;
  let found = 0;
  const using = tokens.findIndex((t, i) => i > indexTok && t.text.toUpperCase() === 'USING');
  if (using >= 0) found += plainElements(tokens, using + 2, column, edits, q);
  const include = tokens.findIndex((t) => t.text.toUpperCase() === 'INCLUDE');
  if (include >= 0) found += plainElements(tokens, include + 1, column, edits, q);
  if (found !== named) throw new Error(`cannot rewrite the column list of: ${def}`);

  const buf = Buffer.from(def, 'utf8');
  const seen = new Set<number>();
  let out = buf;
  for (const e of edits.sort((a, b) => b.start - a.start || b.end - a.end)) {
    if (e.end > e.start && seen.has(e.start)) continue;
    seen.add(e.start);
    out = Buffer.concat([out.subarray(0, e.start), Buffer.from(e.text, 'utf8'), out.subarray(e.end)]);
  }
  return out.toString('utf8');
}
