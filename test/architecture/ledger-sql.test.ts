/**
 * All SQL on the ledger's tables lives in src/ledger/ (docs/architecture.md): other layers call its
 * functions. Read from the source: a statement naming a ledger table through the ledger schema
 * (`${l.s}.batches`, `${quoteIdent(schema)}.runs`, `"${schema}".steps`) outside src/ledger/ fails
 * this test. The ledger's tables are read from its migrations, so a new table is covered at once.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(__dirname, '../../src');
const LEDGER = join(SRC, 'ledger');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|mts)$/.test(e) && !e.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Every table the ledger's migrations create (`CREATE TABLE {{schema}}.name`). */
function ledgerTables(): string[] {
  const text = readFileSync(join(LEDGER, 'schema.ts'), 'utf8');
  return [...text.matchAll(/CREATE TABLE \{\{schema\}\}\.(\w+)/g)].map((m) => m[1]);
}

/**
 * A ledger table qualified by an interpolated schema: `${…}.table`, `"${…}".table`, `${…}."table"`,
 * or a schema concatenated with `'.table'`.
 */
function ledgerTablePattern(tables: string[]): RegExp {
  const t = `(?:${tables.join('|')})`;
  return new RegExp(`\\$\\{[^{}\`]*\\}"?\\."?${t}\\b|\\+\\s*['"\`]"?\\."?${t}\\b`, 'g');
}

/** `file:line: text` for each statement on a ledger table outside src/ledger/. */
function offenders(): string[] {
  const pattern = ledgerTablePattern(ledgerTables());
  const out: string[] = [];
  for (const f of sourceFiles(SRC)) {
    if (f.startsWith(`${LEDGER}/`)) continue;
    const lines = readFileSync(f, 'utf8').split('\n');
    lines.forEach((line, i) => {
      for (const m of line.matchAll(pattern)) out.push(`${relative(SRC, f)}:${i + 1}: ${m[0]}`);
    });
  }
  return out;
}

describe('the ledger owns its SQL', () => {
  it('reads the ledger tables from its migrations', () => {
    expect(ledgerTables()).toEqual(
      expect.arrayContaining(['plans', 'runs', 'steps', 'batches', 'check_results', 'archives', 'sync_triggers']),
    );
  });

  it('recognises the ways a statement names a ledger table through the ledger schema', () => {
    const p = ledgerTablePattern(ledgerTables());
    const hits = (s: string) => [...s.matchAll(p)].length;
    expect(hits(`SELECT * FROM \${l.s}.batches WHERE plan_id = $1`)).toBe(1);
    expect(hits(`UPDATE \${ctx.ledger.s}.sync_triggers SET removed_at = now()`)).toBe(1);
    expect(hits(`SELECT run_id FROM \${quoteIdent(schema)}.runs`)).toBe(1);
    expect(hits(`SELECT step_id FROM "\${ls}".steps`)).toBe(1);
    expect(hits(`quoteIdent(schema) + '.plans'`)).toBe(1);
    // Not ledger tables: user tables, or names that merely start like one.
    expect(hits(`SELECT count(*) FROM \${table.sql}`)).toBe(0);
    expect(hits(`\${quoteIdent(schema)}.\${quoteIdent(name)}`)).toBe(0);
    expect(hits(`\${plan.id}.stepsDone`)).toBe(0);
  });

  it('no file outside src/ledger/ writes SQL on the ledger tables', () => {
    expect(offenders(), 'move the statement into a function of src/ledger/ and call it').toEqual([]);
  });
});
