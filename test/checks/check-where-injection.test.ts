/**
 * A check's `where` ran extra statements, writes included: `true)) AS c0 FROM "inj"; DELETE FROM y;
 * SELECT count(*) FILTER (WHERE (true` closed the parentheses of the fused scan and `run`/`verify`
 * deleted the rows of `y`. Now the fragment is refused at validation (exit 2, naming step and field,
 * `lint` too), and — validation bypassed — every check runs read-only over the extended protocol,
 * so nothing is ever deleted and `plan` never labels the joined statements read-only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kind as noNulls } from '../../src/checks/no-nulls.js';
import { kind as queryCheck } from '../../src/checks/query.js';
import { lint } from '../../src/lint/index.js';
import { PlanInvalidError } from '../../src/model/errors.js';
import type { Plan } from '../../src/model/plan.js';
import { check, definePlan } from '../../src/plan/define.js';
import { validatePlan } from '../../src/plan/validate.js';
import { describePlan } from '../../src/runner/describe.js';
import { runPlan } from '../../src/runner/run.js';
import { verifyPlan } from '../../src/runner/verify.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { cli } from '../helpers/run.js';
import { Db, readCtx } from './context.js';

const PAYLOAD = 'true)) AS c0 FROM "inj"; DELETE FROM y; SELECT count(*) FILTER (WHERE (true';

let url: string;
let db: Db;
const rowsOfY = async () => Number((await query<{ n: string }>(url, 'SELECT count(*) AS n FROM y'))[0].n);

beforeAll(async () => {
  url = await createTestDatabase('checks_where_injection');
  db = new Db(url);
  await query(
    url,
    `CREATE TABLE inj (id int PRIMARY KEY, c int, d int, e int);
     INSERT INTO inj SELECT g, g, g, NULL FROM generate_series(1, 5) g;
     CREATE TABLE y (id int PRIMARY KEY);
     INSERT INTO y SELECT generate_series(1, 3);
     -- A function that writes: what a single-statement fragment could still call.
     CREATE FUNCTION purge_y() RETURNS boolean LANGUAGE sql AS 'DELETE FROM y RETURNING true';`,
  );
});
afterAll(() => db.close());

/**
 * A valid plan of two per-row checks on inj (they fuse into one scan), whose first `where` is then
 * swapped for `where`. Left alone, `e-set` fails (e is NULL everywhere, so its `where` is evaluated)
 * without `error`; `d-set` passes.
 */
async function bypassed(where: string, id: string): Promise<Plan> {
  const plan = await validatePlan(
    definePlan({
      id,
      validate: [
        check.noNulls({ id: 'e-set', table: 'inj', column: 'e', where: 'true' }),
        check.noNulls({ id: 'd-set', table: 'inj', column: 'd' }),
      ],
    }),
  );
  (plan.steps[0].options as { where?: string }).where = where;
  return plan;
}

describe('a check `where` that escapes its parentheses', () => {
  it('is refused at validation, naming phase, step and field', async () => {
    const e = await validatePlan(
      definePlan({
        id: 'inj',
        validate: [check.noNulls({ id: 'inj-check', table: 'inj', column: 'c', where: PAYLOAD })],
      }),
    ).catch((x) => x);
    expect(e).toBeInstanceOf(PlanInvalidError);
    expect((e as PlanInvalidError).issues).toEqual([
      expect.objectContaining({
        phase: 'validate',
        stepId: 'inj-check',
        field: 'where',
        message: expect.stringContaining('closes a ")" it did not open'),
      }),
    ]);
  });

  it('`run` and `lint` exit 2 naming the step and field; y keeps its rows', async () => {
    const dir = tempDir();
    const file = writePlan(
      dir,
      `{ id: 'inj-cli', validate: [check.noNulls({ id: 'inj-check', table: 'inj', column: 'c', where: ${JSON.stringify(PAYLOAD)} })] }`,
    );
    const run = await cli(['run', file, '--database-url', url]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/inj-check/);
    expect(run.stderr).toMatch(/where/);
    expect(await rowsOfY()).toBe(3);

    const lintErr = await lint([file], { cwd: dir }).catch((x) => x);
    expect(lintErr).toBeInstanceOf(PlanInvalidError);
    expect((lintErr as PlanInvalidError).issues).toEqual([
      expect.objectContaining({ stepId: 'inj-check', field: 'where' }),
    ]);
  });

  it('called directly (no validation), the scan runs as one statement: it cannot run, nothing is deleted', async () => {
    const r = noNulls.evaluate(readCtx(db), { id: 'direct', table: 'inj', column: 'c', where: PAYLOAD });
    await expect(r).rejects.toThrow(/cannot insert multiple commands into a prepared statement/);
    expect(await rowsOfY()).toBe(3);
  });

  it('called directly with one statement that writes, the read-only transaction refuses it (SQLSTATE 25006)', async () => {
    const r = noNulls.evaluate(readCtx(db), { id: 'direct', table: 'inj', column: 'e', where: 'purge_y()' });
    await expect(r).rejects.toMatchObject({ code: '25006' });
    expect(await rowsOfY()).toBe(3);
  });

  it('through run and verify (the fused scan, then each check alone), the check could not run and y keeps its rows', async () => {
    // The escaping payload does not even reach a check: run's names-and-fragments check refuses it first (exit 2).
    const refused = await runPlan(await bypassed(PAYLOAD, 'inj-run'), { databaseUrl: url });
    expect(refused.exitCode).toBe(2);
    expect(await rowsOfY()).toBe(3);
    // One expression that writes passes that check; the read-only transaction refuses the write.
    const r = await runPlan(await bypassed('purge_y()', 'inj-run-fn'), { databaseUrl: url });
    expect(r.checks.find((c) => c.stepId === 'e-set')).toMatchObject({ status: 'fail', error: true });
    expect(r.checks.find((c) => c.stepId === 'd-set')).toMatchObject({ status: 'pass' });
    for (const where of [PAYLOAD, 'purge_y()']) {
      const v = await verifyPlan(await bypassed(where, 'inj-verify'), { databaseUrl: url });
      expect(v.checks.find((c) => c.stepId === 'e-set')).toMatchObject({ status: 'fail', error: true });
      expect(await rowsOfY()).toBe(3);
    }
  });

  it('`plan` never labels the joined statements read-only: it refuses them', async () => {
    await expect(describePlan(await bypassed(PAYLOAD, 'inj-plan'), { databaseUrl: url })).rejects.toThrow(
      /step "e-set" › where/,
    );
    const clean = await describePlan(await bypassed('c > 0', 'inj-plan-ok'), { databaseUrl: url });
    expect(clean.steps[0].actions[0].note).toMatch(/^read-only; one scan for 2 checks/);
  });
});

describe('check.query', () => {
  it('a write inside the one query fails with SQLSTATE 25006: the check could not run, nothing is deleted', async () => {
    const plan = await validatePlan(
      definePlan({
        id: 'inj-query',
        validate: [
          check.query({
            id: 'sneaky',
            title: 'Sneaky',
            sql: 'WITH d AS (DELETE FROM y RETURNING 1) SELECT count(*) FROM d',
            expect: 'empty',
          }),
        ],
      }),
    );
    const r = await runPlan(plan, { databaseUrl: url });
    expect(r.checks[0]).toMatchObject({
      status: 'fail',
      error: true,
      message: expect.stringMatching(/^the check could not run: cannot execute \w+ in a read-only transaction/),
    });
    expect(await rowsOfY()).toBe(3);
  });

  it('several statements are refused at validation, and when called directly', async () => {
    const sql = 'SELECT 1; DELETE FROM y';
    const e = await validatePlan(
      definePlan({ id: 'inj-q2', validate: [check.query({ id: 'two', title: 'Two', sql, expect: 'empty' })] }),
    ).catch((x) => x);
    expect((e as PlanInvalidError).issues).toEqual([
      expect.objectContaining({ stepId: 'two', field: 'sql', message: expect.stringContaining('holds 2 statements') }),
    ]);
    await expect(queryCheck.evaluate(readCtx(db), { id: 'two', title: 'Two', sql, expect: 'empty' })).rejects.toThrow(
      /holds 2 statements/,
    );
    expect(await rowsOfY()).toBe(3);
  });
});
