/**
 * `run --dry-run` previews the refusals of a real run (docs/cli.md): drift of an applied step (exit 4)
 * and raw SQL with unsuppressed error-level lint findings (exit 1), with the same message — and
 * still writes nothing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('runner_dry_refusals');
});

/** Every row of the ledger tables a run writes, to show a dry run changed nothing. */
async function ledgerSnapshot(): Promise<unknown[]> {
  return query(
    url,
    `SELECT (SELECT count(*)::int FROM tidemark.runs) AS runs, (SELECT count(*)::int FROM tidemark.step_history) AS history,
    (SELECT count(*)::int FROM tidemark.drift_acceptances) AS accepted, (SELECT json_agg(s ORDER BY plan_id, step_id) FROM tidemark.steps s) AS steps`,
  );
}

describe('dry run refusals', () => {
  it("drift of an applied step: the dry run refuses with the real run's exit 4 and message, and records nothing", async () => {
    const dir = tempDir();
    const body = (up: string) =>
      `{ id: 'dry-drift', expand: [sql({ id: 'mk', up: ${JSON.stringify(up)} }), sql({ id: 'later', up: 'CREATE TABLE dry_drift_later (id int)' })] }`;
    expect(
      (await runFile(writePlan(dir, body('CREATE TABLE dry_drift (id int)')), { databaseUrl: url, to: 'mk' })).exitCode,
    ).toBe(0);
    const changed = writePlan(dir, body('CREATE TABLE dry_drift (id bigint)'));
    const before = await ledgerSnapshot();
    const dry = await runFile(changed, { databaseUrl: url, dryRun: true });
    expect(await ledgerSnapshot()).toEqual(before);
    const real = await runFile(changed, { databaseUrl: url });
    expect(real.exitCode).toBe(4);
    expect(dry.exitCode).toBe(4);
    expect(dry.status).toBe('drift');
    expect(dry.message).toBe(real.message);
    expect(dry.hint).toBe(real.hint);
    expect(dry.events.some((e) => e.type === 'step.dry-run')).toBe(false);
    // --accept-changed: the dry run previews past the drift, and still records no acceptance.
    const before2 = await ledgerSnapshot();
    const accepted = await runFile(changed, { databaseUrl: url, dryRun: true, acceptChanged: ['mk'] });
    expect(accepted.exitCode, accepted.message).toBe(0);
    expect(accepted.events.find((e) => e.type === 'notice' && e.stepId === 'mk')).toMatchObject({ level: 'warn' });
    expect(accepted.steps.map((s) => [s.stepId, s.outcome])).toEqual([['later', 'dry-run']]);
    expect(await ledgerSnapshot()).toEqual(before2);
    expect(await query(url, `SELECT to_regclass('dry_drift_later') AS t`)).toEqual([{ t: null }]);
  });

  it("raw SQL with an error-level lint finding: the dry run refuses with the real run's exit 1 and message", async () => {
    await query(url, 'CREATE TABLE dry_lint (id int primary key, v text)');
    const file = writePlan(
      tempDir(),
      `{ id: 'dry-lint', expand: [sql({ id: 'blocking-index', up: 'CREATE INDEX dry_lint_v ON dry_lint (v)' })] }`,
    );
    const dry = await runFile(file, { databaseUrl: url, dryRun: true });
    expect(await query(url, `SELECT count(*)::int AS n FROM tidemark.steps WHERE plan_id = 'dry-lint'`)).toEqual([
      { n: 0 },
    ]);
    const real = await runFile(file, { databaseUrl: url });
    expect(real.exitCode).toBe(1);
    expect(dry.exitCode).toBe(1);
    expect(dry.message).toBe(real.message);
    expect(dry.message).toContain('step "blocking-index" (index-not-concurrent)');
    expect(dry.events.some((e) => e.type === 'step.dry-run')).toBe(false);
    expect(await query(url, `SELECT to_regclass('dry_lint_v') AS i`)).toEqual([{ i: null }]);
  });

  it('with no ledger there is nothing to drift from: the dry run previews and creates no ledger', async () => {
    const fresh = await createTestDatabase('runner_dry_refusals_fresh');
    const file = writePlan(
      tempDir(),
      `{ id: 'dry-new', expand: [sql({ id: 'mk', up: 'CREATE TABLE dry_new (id int)' })] }`,
    );
    const dry = await runFile(file, { databaseUrl: fresh, dryRun: true });
    expect(dry.exitCode, dry.message).toBe(0);
    expect(await query(fresh, `SELECT to_regnamespace('tidemark') AS s`)).toEqual([{ s: null }]);
  });
});
