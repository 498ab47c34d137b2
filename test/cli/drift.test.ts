/**
 * Drift (exit 4) says which option fields of which applied step changed — against the definition
 * the ledger kept when it was applied — and the ways out as commands; `--accept-changed` records
 * the new definition, so the next run has no drift.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { cli } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('cli_drift');
  await query(url, 'CREATE TABLE dr_people (id int PRIMARY KEY, name text)');
});

const body = (type: string, label: string) =>
  `{ id: 'drifty', expand: [
    op.addColumn({ id: 'add-nick', table: 'dr_people', column: 'nick', type: '${type}' }),
    sql({ id: 'mark', up: "COMMENT ON TABLE dr_people IS '${label}'", down: 'COMMENT ON TABLE dr_people IS NULL' }),
  ] }`;

describe('drift', () => {
  it('names the changed fields and the ways out; --accept-changed records the new definition', async () => {
    const dir = tempDir();
    const file = writePlan(dir, body('text', 'v1'), 'drifty.plan.ts');
    expect((await cli(['run', file, '--database-url', url], { cwd: dir })).code).toBe(0);
    const kept = await query<{ definition: { options: { type: string } } }>(
      url,
      `SELECT definition FROM tidemark.steps WHERE plan_id = 'drifty' AND step_id = 'add-nick'`,
    );
    expect(kept[0].definition.options.type).toBe('text');

    writePlan(dir, body('varchar(40)', 'v2'), 'drifty.plan.ts');
    const r = await cli(['run', file, '--database-url', url], { cwd: dir });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain('step "add-nick": applied with checksum');
    expect(r.stderr).toContain('    type: "text" → "varchar(40)"');
    expect(r.stderr).toContain(`    up: "COMMENT ON TABLE dr_people IS 'v1'" → "COMMENT ON TABLE dr_people IS 'v2'"`);
    expect(r.stderr).toContain('npx tidemark run drifty.plan.ts --accept-changed add-nick --accept-changed mark');
    expect(r.stderr).toContain('npx tidemark rollback drifty.plan.ts --to add-nick');
    // --dry-run refuses with the same fields.
    const dry = await cli(['run', file, '--dry-run', '--database-url', url], { cwd: dir });
    expect(dry.code).toBe(4);
    expect(dry.stderr).toContain('    type: "text" → "varchar(40)"');

    const accepted = await cli(
      ['run', file, '--accept-changed', 'add-nick', '--accept-changed', 'mark', '--database-url', url],
      { cwd: dir },
    );
    expect(accepted.code, accepted.stderr).toBe(0);
    const after = await query<{ definition: { options: { type: string } } }>(
      url,
      `SELECT definition FROM tidemark.steps WHERE plan_id = 'drifty' AND step_id = 'add-nick'`,
    );
    expect(after[0].definition.options.type).toBe('varchar(40)');
    // Accepted, not applied: the column is still text.
    expect(
      await query(
        url,
        `SELECT data_type FROM information_schema.columns WHERE table_name = 'dr_people' AND column_name = 'nick'`,
      ),
    ).toEqual([{ data_type: 'text' }]);
    expect((await cli(['run', file, '--database-url', url], { cwd: dir })).code).toBe(0);
  }, 180_000);

  it('a step applied before the ledger kept definitions: says so instead of listing fields', async () => {
    const dir = tempDir();
    const file = writePlan(
      dir,
      body('text', 'old')
        .replace("'drifty'", "'drifty-old'")
        .replace(/dr_people/g, 'dr_old'),
    );
    await query(url, 'CREATE TABLE dr_old (id int PRIMARY KEY)');
    expect((await cli(['run', file, '--database-url', url])).code).toBe(0);
    await query(url, `UPDATE tidemark.steps SET definition = NULL WHERE plan_id = 'drifty-old'`);
    writePlan(
      dir,
      body('int', 'old')
        .replace("'drifty'", "'drifty-old'")
        .replace(/dr_people/g, 'dr_old'),
    );
    const r = await cli(['run', file, '--database-url', url]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('the ledger holds no copy of the definition it was applied with');
  }, 180_000);
});
