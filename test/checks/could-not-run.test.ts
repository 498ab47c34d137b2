/**
 * A check that cannot run (a missing table or column) is not a fifth status: it is `fail` — `warn`
 * under `severity: 'warn'` — with `error: true` and a message saying it could not run, in the
 * result, the `check.result` event (what `--json` prints), the ledger and the proof text. As a
 * failure it stops the run with exit 1 before the contract.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { formatProof } from '../../src/checks/proof-format.js';
import { PlanInvalidError } from '../../src/model/errors.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

let url: string;
const made = async (t: string) =>
  (await query<{ t: string | null }>(url, `SELECT to_regclass($1)::text AS t`, [t]))[0].t !== null;

beforeAll(async () => {
  url = await createTestDatabase('checks_could_not_run');
  await query(
    url,
    `CREATE TABLE cnr_items (id int PRIMARY KEY, qty int NOT NULL); INSERT INTO cnr_items VALUES (1, 3), (2, 5)`,
  );
});

describe('a check that could not run', () => {
  it('check.query with bad SQL fails the proof (exit 1), says it could not run, and the contract does not start', async () => {
    const file = writePlan(
      tempDir(),
      `{
      id: 'cnr-bad-sql',
      validate: [
        check.query({ id: 'no-negative-qty', title: 'No negative quantities', sql: 'SELECT id FROM cnr_items WHERE quantity < 0', expect: 'empty' }),
        check.rowCount({ id: 'two-items', table: 'cnr_items', equals: 2 }),
      ],
      contract: [sql({ id: 'make-after', up: 'CREATE TABLE cnr_after (id int)', down: 'DROP TABLE cnr_after' })],
    }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode).toBe(1);
    expect(r.status).toBe('failed');
    expect(r.message).toBe('the proof failed: no-negative-qty; the contract phase did not start');
    expect(await made('cnr_after')).toBe(false);
    expect(r.steps.find((s) => s.stepId === 'make-after')).toBeUndefined();

    const [bad, good] = r.checks;
    expect(bad).toMatchObject({
      stepId: 'no-negative-qty',
      status: 'fail',
      error: true,
      actual: null,
      expected: null,
      sample: [],
    });
    expect(bad.message).toMatch(/^the check could not run: column "quantity" does not exist/);
    expect(good).toMatchObject({ stepId: 'two-items', status: 'pass' });
    expect(good.error).toBeUndefined();

    // The event `--json` prints as it is: no status outside pass | fail | warn | superseded.
    const events = r.events
      .filter((e) => e.type === 'check.result')
      .map((e) => JSON.parse(JSON.stringify(e)) as { result: { stepId: string; status: string; error?: boolean } });
    expect(events.map((e) => [e.result.stepId, e.result.status, e.result.error])).toEqual([
      ['no-negative-qty', 'fail', true],
      ['two-items', 'pass', undefined],
    ]);
    expect(r.events).toContainEqual({
      type: 'proof.end',
      phase: 'validate',
      passed: false,
      failed: ['no-negative-qty'],
      warned: [],
    });

    // The ledger row is a failure (its schema is unchanged) whose message says why.
    const stored = await query<{ status: string; message: string }>(
      url,
      `SELECT status, message FROM tidemark.check_results WHERE plan_id = 'cnr-bad-sql' AND step_id = 'no-negative-qty'`,
    );
    expect(stored).toHaveLength(1);
    expect(stored[0].status).toBe('fail');
    expect(stored[0].message).toMatch(/^the check could not run: column "quantity" does not exist/);
    expect(
      await query(
        url,
        `SELECT status FROM tidemark.steps WHERE plan_id = 'cnr-bad-sql' AND step_id = 'no-negative-qty'`,
      ),
    ).toEqual([{ status: 'failed' }]);

    // The proof says it could not run, once, on the check's own line.
    const text = formatProof(r.checks, { color: false }).split('\n');
    expect(text[0]).toMatch(
      /^no-negative-qty {2}✗ {2}No negative quantities: the check could not run: column "quantity" does not exist/,
    );
    expect(text.filter((l) => l.includes('could not run'))).toHaveLength(1);
    expect(text.at(-1)).toBe('❌ 1 of 2 checks failed: no-negative-qty');

    // Fixing the check lets the next run prove and go on to the contract.
    const fixed = writePlan(
      tempDir(),
      `{
      id: 'cnr-bad-sql',
      validate: [
        check.query({ id: 'no-negative-qty', title: 'No negative quantities', sql: 'SELECT id FROM cnr_items WHERE qty < 0', expect: 'empty' }),
        check.rowCount({ id: 'two-items', table: 'cnr_items', equals: 2 }),
      ],
      contract: [sql({ id: 'make-after', up: 'CREATE TABLE cnr_after (id int)', down: 'DROP TABLE cnr_after' })],
    }`,
    );
    const again = await runFile(fixed, { databaseUrl: url });
    expect(again.exitCode, again.message).toBe(0);
    expect(await made('cnr_after')).toBe(true);
  });

  it('a syntax error in check.query is refused before anything runs (exit 2), naming the step and field', async () => {
    const file = writePlan(
      tempDir(),
      `{
      id: 'cnr-syntax',
      validate: [check.query({ id: 'typo', title: 'Typo', sql: 'SELEC id FROM cnr_items', expect: 'empty' })],
    }`,
    );
    // The parser reads check.query's sql at validation (docs/plans.md, "SQL fragments").
    const e = await runFile(file, { databaseUrl: url }).catch((x) => x);
    expect(e).toBeInstanceOf(PlanInvalidError);
    expect(e.exitCode).toBe(2);
    expect((e as PlanInvalidError).issues).toEqual([
      expect.objectContaining({
        phase: 'validate',
        stepId: 'typo',
        field: 'sql',
        message: expect.stringMatching(/^does not parse: syntax error at or near "SELEC"/),
      }),
    ]);
  });

  it('under severity warn it is a warning flagged error, and the run goes on', async () => {
    const file = writePlan(
      tempDir(),
      `{
      id: 'cnr-warn',
      validate: [check.query({ id: 'maybe-broken', title: 'Optional probe', sql: 'SELECT * FROM cnr_missing_table', expect: 'empty', severity: 'warn' })],
      contract: [sql({ id: 'make-warned', up: 'CREATE TABLE cnr_warned (id int)', down: 'DROP TABLE cnr_warned' })],
    }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode, r.message).toBe(0);
    expect(r.checks[0]).toMatchObject({
      status: 'warn',
      error: true,
      message: expect.stringMatching(/^the check could not run: relation "cnr_missing_table" does not exist/),
    });
    expect(await made('cnr_warned')).toBe(true);
    expect(await query(url, `SELECT status, severity FROM tidemark.check_results WHERE plan_id = 'cnr-warn'`)).toEqual([
      { status: 'warn', severity: 'warn' },
    ]);
    expect(formatProof(r.checks, { color: false }).split('\n')[0]).toMatch(
      /^maybe-broken {2}⚠ {2}Optional probe: the check could not run: relation "cnr_missing_table"/,
    );
  });

  it('a check on a missing table does not say "fix the data, the samples name the rows": it says the table does not exist and what to do', async () => {
    // Named in the check's options: refused before anything runs, as a typo.
    const named = writePlan(
      tempDir(),
      `{ id: 'cnr-missing-named', validate: [check.noNulls({ id: 'filled', table: 'cnr_nowhere', column: 'qty' })] }`,
    );
    const refused = await runFile(named, { databaseUrl: url });
    expect(refused.exitCode).toBe(2);
    expect(refused.message).toContain('"cnr_nowhere"');
    expect(refused.message).toContain('typo?');

    // Inside a check.query's SQL it is found by the proof: it could not run, and the hint says why.
    const file = writePlan(
      tempDir(),
      `{
      id: 'cnr-missing-table',
      validate: [
        check.query({ id: 'filled', title: 'qty filled', sql: 'SELECT count(*) FROM cnr_nowhere WHERE qty IS NULL', expect: { equals: 0 } }),
        check.rowCount({ id: 'too-many', table: 'cnr_items', equals: 3 }),
      ],
    }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode).toBe(1);
    expect(r.checks[0]).toMatchObject({ stepId: 'filled', error: true });
    expect(r.checks[0].message).toContain('"cnr_nowhere" does not exist');
    expect(r.hint).toContain('filled could not run: a table or column the check names does not exist');
    expect(r.hint).toContain('check the names in the plan, or run the step that creates it first');
    // The other check failed on its data: for it, the samples are still what to read.
    expect(r.hint).toContain('Fix the data (the samples above name the rows)');

    const alone = writePlan(
      tempDir(),
      `{ id: 'cnr-missing-only', validate: [check.query({ id: 'filled', title: 'qty filled', sql: 'SELECT count(*) FROM cnr_nowhere', expect: { equals: 0 } })] }`,
    );
    const only = await runFile(alone, { databaseUrl: url });
    expect(only.hint).not.toMatch(/fix the data|samples/i);
  });
});
