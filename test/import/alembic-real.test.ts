/**
 * With Alembic itself (Debian's python3-alembic, or pip): `alembic upgrade <rev>:head --sql` →
 * `tidemark import sql` → `tidemark run` → `alembic current` shows the head and `alembic upgrade
 * head` runs nothing more. Needs the `alembic` command (with psycopg2); the test says loudly when it is skipped. Needs `npm run build` first.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir } from '../helpers/plan-files.js';
import { cli } from '../helpers/run.js';

const VERSIONS = fileURLToPath(new URL('../fixtures/import/alembic/versions/', import.meta.url));
const alembicOk = spawnSync('alembic', ['--version'], { encoding: 'utf8' }).status === 0;
const skip = !alembicOk;
if (skip)
  console.warn('alembic-real.test.ts SKIPPED: no `alembic` command (apt-get install python3-alembic python3-psycopg2)');

describe('import sql with Alembic itself', () => {
  it.skipIf(skip)(
    'offline SQL → import → run → alembic current is the head, alembic upgrade head runs nothing',
    async () => {
      const url = await createTestDatabase('import_alembic_real');
      const dir = tempDir();
      const alembic = (...args: string[]) =>
        spawnSync('alembic', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
      execFileSync('alembic', ['init', 'migrations'], { cwd: dir });
      const ini = join(dir, 'alembic.ini');
      writeFileSync(
        ini,
        readFileSync(ini, 'utf8').replace(
          /^sqlalchemy\.url = .*$/m,
          `sqlalchemy.url = ${url.replace(/^postgres:/, 'postgresql:')}`,
        ),
      );
      for (const f of readdirSync(VERSIONS)) cpSync(join(VERSIONS, f), join(dir, 'migrations/versions', f));
      expect(alembic('upgrade', '20260213_0001').status).toBe(0);
      const offline = alembic('upgrade', '20260213_0001:head', '--sql');
      expect(offline.status).toBe(0);
      writeFileSync(join(dir, 'up.sql'), offline.stdout);

      const imp = await cli(['import', 'sql', 'up.sql', '--out', 'plans/tenants.plan.ts'], { cwd: dir });
      expect(imp.code, imp.stderr).toBe(0);
      expect(imp.stdout).toContain('records: alembic:20260214_0002, alembic:20260214_0003');
      const run = await cli(['run', 'plans/tenants.plan.ts', '--database-url', url], { cwd: dir, timeoutMs: 180_000 });
      expect(run.code, run.stdout + run.stderr).toBe(0);

      expect(alembic('current').stdout).toContain('20260214_0003');
      const head = alembic('upgrade', 'head');
      expect(head.status).toBe(0);
      expect(head.stderr).not.toContain('Running upgrade');
      expect(await query(url, `SELECT version_num FROM alembic_version`)).toEqual([{ version_num: '20260214_0003' }]);
    },
    240_000,
  );
});
