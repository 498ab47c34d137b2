/**
 * What the linter learns while it reads statements in order: tables and functions created in a
 * scope (a file or a plan), and CHECK constraints added and validated on each table (across every file of the
 * run, so `VALIDATE CONSTRAINT` in one migration covers `SET NOT NULL` in the next).
 */
import { type RangeVar, tableKey } from './ast.js';

type TableRef = Pick<RangeVar, 'schemaname' | 'relname'>;

/** A function's declared volatility (`CREATE FUNCTION` without one means volatile). */
export type Volatility = 'volatile' | 'stable' | 'immutable';

interface CheckInfo {
  /** Columns the expression proves NOT NULL; null when the expression is unknown. */
  columns: string[] | null;
  validated: boolean;
}

/** Run-wide lint state. */
export class LintState {
  private readonly created = new Map<string, Set<string>>();
  private readonly functions = new Map<string, Map<string, Volatility>>();
  private readonly checks = new Map<string, Map<string, CheckInfo>>();
  /** Per table: columns proven NOT NULL by a validated check; `*` when a check of unknown shape was validated. */
  private readonly proven = new Map<string, Set<string>>();

  /** Record a table created in `scope`. */
  addTable(scope: string, table: TableRef): void {
    let s = this.created.get(scope);
    if (!s) this.created.set(scope, (s = new Set()));
    s.add(tableKey(table));
  }

  /** True when `table` was created earlier in `scope`. */
  isNew(scope: string, table: TableRef): boolean {
    const s = this.created.get(scope);
    return s !== undefined && s.size > 0 && s.has(tableKey(table));
  }

  /** Record a function created in `scope` with its volatility (by its unqualified, lower-case name). */
  addFunction(scope: string, name: string, volatility: Volatility): void {
    let m = this.functions.get(scope);
    if (!m) this.functions.set(scope, (m = new Map()));
    m.set(name.toLowerCase(), volatility);
  }

  /** The volatility of a function created earlier in `scope`, or undefined when it was not. */
  functionVolatility(scope: string, name: string): Volatility | undefined {
    return this.functions.get(scope)?.get(name.toLowerCase());
  }

  /** Record a CHECK constraint (validated or NOT VALID) with the columns it proves NOT NULL. */
  addCheck(table: TableRef, name: string | undefined, columns: string[], validated: boolean): void {
    const m = this.checksOf(table);
    const info = { columns, validated };
    m.set(name ?? `#${m.size}`, info);
    if (validated) this.prove(table, info);
  }

  /** Record `VALIDATE CONSTRAINT name`. A constraint we did not see added counts as "shape unknown". */
  validate(table: TableRef, name: string): void {
    const m = this.checksOf(table);
    let c = m.get(name);
    if (c) c.validated = true;
    else m.set(name, (c = { columns: null, validated: true }));
    this.prove(table, c);
  }

  /** A validated check proves `column` NOT NULL (or one of unknown shape was validated on the table). */
  notNullProven(table: TableRef, column: string): boolean {
    if (this.proven.size === 0) return false;
    const p = this.proven.get(tableKey(table));
    return p !== undefined && (p.has('*') || p.has(column));
  }

  private prove(table: TableRef, c: CheckInfo): void {
    const k = tableKey(table);
    let p = this.proven.get(k);
    if (!p) this.proven.set(k, (p = new Set()));
    for (const col of c.columns ?? ['*']) p.add(col);
  }

  private checksOf(table: TableRef): Map<string, CheckInfo> {
    const k = tableKey(table);
    let m = this.checks.get(k);
    if (!m) this.checks.set(k, (m = new Map()));
    return m;
  }
}
