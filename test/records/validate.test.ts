/**
 * `definePlan({ records })` is bad input (exit 2) when a record names an unknown tool, lacks its
 * migration, or its files cannot give what the ORM's history needs — each problem naming the plan
 * and the field, before anything is written. No database here.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PlanInvalidError } from '../../src/model/errors.js';
import { alembicDownInSql } from '../../src/plan/orm-records.js';
import { validatePlan } from '../../src/plan/validate.js';
import { tempDir, writeFiles } from '../helpers/plan-files.js';

const plan = (records: unknown, extra: Record<string, unknown> = {}) => ({
  id: 'orm-plan',
  __tidemarkPlan: true,
  records,
  ...extra,
});

async function problems(def: unknown, file?: string): Promise<string> {
  try {
    await validatePlan(def, file);
  } catch (e) {
    expect(e).toBeInstanceOf(PlanInvalidError);
    expect((e as PlanInvalidError).exitCode).toBe(2);
    return (e as Error).message;
  }
  throw new Error('expected the plan to be invalid');
}

describe('records: validation', () => {
  it('names the plan and the field of a bad tool, a missing migration, an unknown key, a non-array', async () => {
    const m = await problems(
      plan([{ tool: 'flyway', migration: 'V1' }, { tool: 'prisma' }, { tool: 'alembic', migration: 'x', when: 1 }]),
    );
    expect(m).toContain('plan "orm-plan" is invalid');
    expect(m).toContain('records[0].tool: must be one of prisma, drizzle, alembic');
    expect(m).toContain('records[1].migration');
    expect(m).toContain('records[2]');
    expect(await problems(plan('prisma:x'))).toContain('records: must be an array of { tool, migration, dir? }');
  });

  it('says where it looked when the files are missing, and when Alembic has no down revision to move from', async () => {
    const dir = tempDir();
    const file = join(dir, 'x.plan.ts');
    const m = await problems(
      plan([
        { tool: 'prisma', migration: '20250101_init', dir: 'prisma/migrations' },
        { tool: 'drizzle', migration: '0000_init', dir: 'drizzle' },
        { tool: 'alembic', migration: 'abc123' },
      ]),
      file,
    );
    expect(m).toContain('records[0].dir: migration.sql of Prisma migration "20250101_init" not found');
    expect(m).toContain('records[1].dir: drizzle journal');
    expect(m).toContain('records[2].dir: the down revision of Alembic revision "abc123" is unknown');
  });

  it("resolves Alembic's down revision from offline SQL, a versions folder, or the plan's own sql steps", async () => {
    const offline = `BEGIN;\nCREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));\n
INSERT INTO alembic_version (version_num) VALUES ('a1') RETURNING alembic_version.version_num;\n
UPDATE alembic_version SET version_num='b2' WHERE alembic_version.version_num = 'a1';\nCOMMIT;\n`;
    expect(alembicDownInSql(offline, 'a1')).toBeNull();
    expect(alembicDownInSql(offline, 'b2')).toBe('a1');
    expect(alembicDownInSql(offline, 'c3')).toBeUndefined();

    const dir = tempDir();
    writeFiles(dir, {
      'versions/b2.py': `revision = 'b2'\ndown_revision = 'a1'\n`,
      'versions/m3.py': `revision = 'm3'\ndown_revision = ('b2', 'x9')\n`,
      'up.sql': offline,
    });
    const file = join(dir, 'x.plan.ts');
    const fromFolder = await validatePlan(plan([{ tool: 'alembic', migration: 'b2', dir: 'versions' }]), file);
    expect(fromFolder.records).toEqual([{ tool: 'alembic', migration: 'b2', down: 'a1' }]);
    const fromFile = await validatePlan(plan([{ tool: 'alembic', migration: 'a1', dir: 'up.sql' }]), file);
    expect(fromFile.records).toEqual([{ tool: 'alembic', migration: 'a1', down: null }]);
    const fromSteps = await validatePlan(
      plan([{ tool: 'alembic', migration: 'b2' }], {
        expand: [
          {
            kind: 'sql',
            options: {
              id: 'up',
              up: "ALTER TABLE t ADD COLUMN c int; UPDATE alembic_version SET version_num='b2' WHERE alembic_version.version_num = 'a1'",
            },
          },
        ],
      }),
      file,
    );
    expect(fromSteps.records).toEqual([{ tool: 'alembic', migration: 'b2', down: 'a1' }]);
    expect(await problems(plan([{ tool: 'alembic', migration: 'm3', dir: 'versions' }]), file)).toContain('is a merge');
    // Given outright (as `tidemark import` writes it from the offline SQL); only for alembic.
    const given = await validatePlan(
      plan([
        { tool: 'alembic', migration: 'b2', downRevision: 'a1' },
        { tool: 'alembic', migration: 'a1', downRevision: null },
      ]),
      file,
    );
    expect(given.records).toEqual([
      { tool: 'alembic', migration: 'b2', down: 'a1' },
      { tool: 'alembic', migration: 'a1', down: null },
    ]);
    expect(await problems(plan([{ tool: 'prisma', migration: 'x', downRevision: 'a1' }]), file)).toContain(
      'records[0].downRevision: is only for alembic records',
    );
  });
});
