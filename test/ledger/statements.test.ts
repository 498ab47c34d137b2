/**
 * What the ledger keeps of the statements a step ran: a statement with `password=` in it is stored
 * redacted and as valid JSON (redacting the JSON text as a whole used to eat its closing quote and
 * fail the step); a unit that failed stays "failed" even when a later unit of the step succeeds.
 */
import { describe, expect, it } from 'vitest';
import { StatementLog } from '../../src/ledger/statements.js';
import { redactedJson } from '../../src/sql/redact.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

describe('recorded statements', () => {
  it('a sql step whose SQL holds password=… completes; the ledger keeps it redacted, as valid JSON', async () => {
    const url = await createTestDatabase('ledger_statements');
    const file = writePlan(
      tempDir(),
      `{ id: 'dsn', expand: [
      sql({ id: 't', up: ["CREATE TABLE dsn_t (id int)", "COMMENT ON TABLE dsn_t IS 'dbname=x host=db.internal password=hunter2'"], down: 'DROP TABLE dsn_t' }),
    ] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.message).toBeUndefined();
    expect(r.exitCode).toBe(0);
    const rows = await query<{ statements: { sql: string; state: string }[] }>(
      url,
      `SELECT statements FROM tidemark.step_statements WHERE plan_id = 'dsn' AND step_id = 't'`,
    );
    expect(rows).toHaveLength(1);
    const sqls = rows[0].statements.map((x) => x.sql);
    expect(sqls.join('\n')).not.toContain('hunter2');
    // (a password= value runs to the next whitespace, so the closing quote goes with it: this is a record, not SQL to run)
    expect(sqls).toContain("COMMENT ON TABLE dsn_t IS 'dbname=x host=db.internal password=***");
  });

  it('redactedJson redacts each string and stays JSON', () => {
    const out = redactedJson({ a: 'x password=secret1', b: ['postgres://u:pw123@h/db'], c: 1 });
    expect(JSON.parse(out)).toEqual({ a: 'x password=***', b: ['postgres://u:***@h/db'], c: 1 });
  });

  it('a failed unit stays failed after a later unit of the same step succeeds', async () => {
    const log = new StatementLog();
    log.outsideTransaction('CREATE UNIQUE INDEX CONCURRENTLY i ON t (email)');
    log.fail();
    log.outsideTransaction('DROP INDEX CONCURRENTLY IF EXISTS i');
    log.settle();
    const rec = await log.toRecord('failed');
    expect(rec.statements.map((s) => [s.sql, s.state])).toEqual([
      ['CREATE UNIQUE INDEX CONCURRENTLY i ON t (email)', 'failed'],
      ['DROP INDEX CONCURRENTLY IF EXISTS i', 'ran'],
    ]);
  });
});
