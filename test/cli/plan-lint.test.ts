/**
 * `tidemark plan` shows the lint `run` acts on, worded as `run --dry-run` prints it: the warnings,
 * and the findings that would refuse the run (which `plan` itself does not refuse).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { cli } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('cli_plan_lint');
  await query(url, 'CREATE TABLE pl_people (id int PRIMARY KEY, name text, shout text)');
});

const lintLines = (out: string, mark: string) => out.split('\n').filter((l) => l.startsWith(`${mark} lint:`));

describe('plan shows the lint warnings', () => {
  it('the same warnings as --dry-run', async () => {
    const file = writePlan(
      tempDir(),
      `{ id: 'pl-warn', backfill: [backfill.update({ id: 'shout', table: 'pl_people', set: { shout: 'upper(name)' } })] }`,
    );
    const dry = await cli(['run', file, '--dry-run', '--database-url', url]);
    expect(dry.code, dry.stderr).toBe(0);
    const warned = lintLines(dry.stdout, '⚠');
    expect(warned.length, dry.stdout).toBeGreaterThan(0);
    expect(warned.join('\n')).toContain('step "shout"');
    const plan = await cli(['plan', file, '--database-url', url]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(lintLines(plan.stdout, '⚠')).toEqual(warned);
    const json = await cli(['plan', file, '--json', '--database-url', url]);
    const doc = JSON.parse(json.stdout.trim().split('\n').pop()!);
    expect(doc.lint.map((f: { text: string }) => `⚠ ${f.text}`)).toEqual(warned);
    expect(doc.lint[0]).toMatchObject({ level: 'warning', stepId: 'shout' });
  }, 180_000);

  it('a finding that refuses the run is shown by plan, which does not refuse', async () => {
    const file = writePlan(
      tempDir(),
      `{ id: 'pl-error', expand: [sql({ id: 'ix', up: 'CREATE INDEX pl_name ON pl_people (name)', down: 'DROP INDEX pl_name' })] }`,
    );
    const dry = await cli(['run', file, '--dry-run', '--database-url', url]);
    expect(dry.code).toBe(1);
    expect(dry.stderr).toContain('index-not-concurrent');
    const plan = await cli(['plan', file, '--database-url', url]);
    expect(plan.code, plan.stderr).toBe(0);
    const refused = lintLines(plan.stdout, '✗');
    expect(refused.join('\n'), plan.stdout).toMatch(
      /^✗ lint: step "ix" \(index-not-concurrent\): .* \(run refuses this\)$/,
    );
    expect(await query(url, `SELECT to_regclass('pl_name') AS ix`)).toEqual([{ ix: null }]);
  }, 180_000);
});
