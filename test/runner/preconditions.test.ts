/**
 * Preconditions run once, before the plan's first step, whatever its kind (docs/proof.md): a plan whose
 * only other steps are checks or gates still evaluates them; a resumed run does not repeat them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('runner_preconditions');
});

describe('preconditions', () => {
  it('a failing precondition fails a plan whose only other steps are validate checks (exit 1, like verify)', async () => {
    await query(url, 'CREATE TABLE only_checks (id int primary key)');
    const file = writePlan(
      tempDir(),
      `{ id: 'checks-only',
      preconditions: [check.migrationApplied({ id: 'needs-base', tool: 'tidemark', name: 'base-plan-never-run' })],
      validate: [check.rowCount({ id: 'rows', table: 'only_checks', min: 0 })] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode, r.message).toBe(1);
    expect(r.message).toBe('precondition(s) failed: needs-base; nothing was changed');
    expect(r.checks.map((c) => [c.stepId, c.status])).toEqual([['needs-base', 'fail']]);
    // The validate check did not run: the run stopped before the plan's first step.
    expect(
      await query(
        url,
        `SELECT count(*)::int AS n FROM tidemark.check_results WHERE plan_id = 'checks-only' AND step_id = 'rows'`,
      ),
    ).toEqual([{ n: 0 }]);
  });

  it('a plan of a gate and checks evaluates its preconditions once; a resumed run does not repeat them', async () => {
    await query(url, 'CREATE TABLE gate_checks (id int primary key)');
    const file = writePlan(
      tempDir(),
      `{ id: 'gate-and-checks',
      preconditions: [check.rowCount({ id: 'has-rows', table: 'gate_checks', min: 1 })],
      validate: [gate.approval({ id: 'ok-to-check' }), check.rowCount({ id: 'rows', table: 'gate_checks', max: 10 })] }`,
    );
    const refused = await runFile(file, { databaseUrl: url });
    expect(refused.exitCode).toBe(1);
    expect(refused.message).toContain('precondition(s) failed: has-rows');
    await query(url, 'INSERT INTO gate_checks VALUES (1)');
    const gated = await runFile(file, { databaseUrl: url });
    expect(gated.exitCode, gated.message).toBe(5);
    expect(gated.checks.map((c) => c.stepId)).toEqual(['has-rows']);
    // The precondition would fail now, but a resumed run does not evaluate it again.
    await query(url, 'DELETE FROM gate_checks');
    const resumed = await runFile(file, { databaseUrl: url, approvals: ['ok-to-check'] });
    expect(resumed.exitCode, resumed.message).toBe(0);
    expect(resumed.checks.map((c) => c.stepId)).toEqual(['rows']);
  });
});
