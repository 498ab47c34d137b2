/**
 * The statements a step executed, as the ledger keeps them (`step_statements`, ledger version 2):
 * one row per attempt that completed or failed, holding the SQL each `step.statement` event
 * announced, the table lock it takes (read from the SQL with PostgreSQL's parser), whether it ran
 * outside a transaction block, and — for a failed attempt — which statements were in the unit that
 * failed. Capped per attempt ({@link MAX_STATEMENTS}, {@link MAX_BYTES}); what is left out is counted.
 */
import type { Queryable } from '../db/connection.js';
import { ensureParser, parseStatements, statementTraits } from '../sql/parse.js';
import { redactedJson, redactText } from '../sql/redact.js';
import type { Ledger } from './ledger.js';

/** Statements kept per attempt at most (the last one announced is always kept). */
export const MAX_STATEMENTS = 200;
/** SQL bytes kept per attempt at most. */
export const MAX_BYTES = 64 * 1024;
/** One statement's text is cut beyond this many characters. */
export const MAX_STATEMENT_CHARS = 16 * 1024;

/** One executed statement. `failed`: in the transaction or statement that failed (so not in effect). */
export interface RecordedStatement {
  sql: string;
  lock: string | null;
  transaction: boolean;
  state: 'ran' | 'failed';
}

/** The statements of one attempt of a step. */
export interface StatementRecord {
  statements: RecordedStatement[];
  /** Statements announced but not kept (over the caps). */
  omitted: number;
}

/** A stored attempt, as the report reads it. */
export interface StatementAttempt extends StatementRecord {
  stepId: string;
  runId: number | null;
  outcome: 'completed' | 'failed';
  at: Date;
}

/** Strongest first. */
const LOCK_ORDER = [
  'ACCESS EXCLUSIVE',
  'EXCLUSIVE',
  'SHARE ROW EXCLUSIVE',
  'SHARE',
  'SHARE UPDATE EXCLUSIVE',
  'ROW EXCLUSIVE',
  'ROW SHARE',
  'ACCESS SHARE',
];

/** The strongest table lock a statement takes, or null (none, or it does not parse). */
export async function strongestLock(sql: string): Promise<string | null> {
  await ensureParser();
  try {
    const locks: string[] = parseStatements(sql)
      .map((s) => statementTraits(s).lock)
      .filter((l) => l !== 'none');
    return LOCK_ORDER.find((l) => locks.includes(l)) ?? null;
  } catch {
    return null;
  }
}

type Entry = { sql: string; transaction: boolean; settled: boolean; failed?: boolean };

/**
 * Collects one step attempt's announced statements. The step context calls {@link announce} on
 * each `step.statement` event, {@link outsideTransaction} when a statement goes to `waiting`, and
 * {@link settle} when a transaction or a waiting statement succeeded and {@link fail} when it
 * failed (a step may go on after a failed unit, e.g. dropping an INVALID index a failed build left).
 */
export class StatementLog {
  private kept: Entry[] = [];
  private last: Entry | undefined;
  private bytes = 0;
  private omitted = 0;

  announce(sql: string): void {
    const e: Entry = { sql: sql.trim(), transaction: true, settled: false };
    const size = Buffer.byteLength(e.sql, 'utf8');
    if (this.kept.length < MAX_STATEMENTS - 1 && this.bytes + size <= MAX_BYTES) {
      this.kept.push(e);
      this.bytes += size;
      return;
    }
    if (this.last) this.omitted++;
    this.last = e;
  }

  /**
   * The statement about to run through `waiting` (outside a transaction block). One that was not
   * announced is recorded here: whatever runs through `waiting` is part of what the step ran.
   */
  outsideTransaction(sql: string): void {
    const e = this.last ?? this.kept[this.kept.length - 1];
    if (e && !e.settled && e.sql === sql.trim()) {
      e.transaction = false;
      return;
    }
    this.announce(sql);
    (this.last ?? this.kept[this.kept.length - 1]).transaction = false;
  }

  /** The unit that just ran (a transaction, or a waiting statement) succeeded. */
  settle(): void {
    for (const e of this.entries()) e.settled = true;
  }

  /** The unit that just ran failed: its statements are not in effect, whatever runs after it. */
  fail(): void {
    for (const e of this.entries()) {
      if (!e.settled) Object.assign(e, { settled: true, failed: true });
    }
  }

  get size(): number {
    return this.kept.length + (this.last ? 1 : 0) + this.omitted;
  }

  private entries(): Entry[] {
    return this.last ? [...this.kept, this.last] : this.kept;
  }

  /** The record to store: everything announced ran (`completed`), or the unsettled unit failed. */
  async toRecord(outcome: 'completed' | 'failed'): Promise<StatementRecord> {
    const statements: RecordedStatement[] = [];
    for (const e of this.entries()) {
      const sql =
        e.sql.length > MAX_STATEMENT_CHARS
          ? `${e.sql.slice(0, MAX_STATEMENT_CHARS)} /* … ${e.sql.length - MAX_STATEMENT_CHARS} more characters */`
          : e.sql;
      statements.push({
        sql: redactText(sql),
        lock: await strongestLock(e.sql),
        transaction: e.transaction,
        state: e.failed || (outcome === 'failed' && !e.settled) ? 'failed' : 'ran',
      });
    }
    return { statements, omitted: this.omitted };
  }
}

/** Store one attempt's statements; pass the step's transaction client to commit them with its completion. */
export async function recordStatements(
  l: Ledger,
  planId: string,
  stepId: string,
  runId: number,
  outcome: 'completed' | 'failed',
  rec: StatementRecord,
  client?: Queryable,
): Promise<void> {
  await (client ?? l.db.pool).query(
    `INSERT INTO ${l.s}.step_statements (plan_id, step_id, run_id, outcome, statements, omitted) VALUES ($1, $2, $3, $4, $5, $6)`,
    [planId, stepId, runId, outcome, redactedJson(rec.statements), rec.omitted],
  );
}

/**
 * The attempts that make up each step's current state: those after the step was last reset
 * (`--redo`) or rolled back, before its latest attempt. Empty for a ledger without the table (v1).
 */
export async function currentStatements(l: Ledger, planId: string): Promise<Map<string, StatementAttempt[]>> {
  const reg = await l.db.rows<{ reg: string | null }>(`SELECT to_regclass($1) AS reg`, [`${l.s}.step_statements`]);
  const out = new Map<string, StatementAttempt[]>();
  if (!reg[0].reg) return out;
  const rows = await l.db.rows<{
    step_id: string;
    run_id: string | null;
    outcome: 'completed' | 'failed';
    statements: RecordedStatement[];
    omitted: number;
    at: Date;
  }>(
    `SELECT t.step_id, t.run_id, t.outcome, t.statements, t.omitted, t.at
       FROM ${l.s}.step_statements t
      WHERE t.plan_id = $1
        AND t.at > coalesce((SELECT max(h.at) FROM ${l.s}.step_history h
                              WHERE h.plan_id = t.plan_id AND h.step_id = t.step_id AND h.event IN ('reset', 'rolled_back')
                                AND h.at < (SELECT max(x.at) FROM ${l.s}.step_statements x WHERE x.plan_id = t.plan_id AND x.step_id = t.step_id)),
                            '-infinity')
      ORDER BY t.id`,
    [planId],
  );
  for (const r of rows) {
    const list = out.get(r.step_id) ?? [];
    list.push({
      stepId: r.step_id,
      runId: r.run_id == null ? null : Number(r.run_id),
      outcome: r.outcome,
      statements: r.statements,
      omitted: Number(r.omitted),
      at: r.at,
    });
    out.set(r.step_id, list);
  }
  return out;
}
