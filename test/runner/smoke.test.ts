import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('runner_smoke');
});

describe('runner smoke', () => {
  it('runs sql steps and checks, then is a no-op', async () => {
    const dir = tempDir();
    const file = writePlan(
      dir,
      `{
      id: 'smoke',
      expand: [sql({ id: 'create', up: 'CREATE TABLE t (id int primary key, v text)', down: 'DROP TABLE t' })],
      backfill: [sql({ id: 'fill', up: "INSERT INTO t SELECT g, 'x' FROM generate_series(1, 10) g" })],
      validate: [check.noNulls({ id: 'v-not-null', table: 't', column: 'v' }), check.rowCount({ id: 'ten', table: 't', equals: 10 })],
    }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.message).toBeUndefined();
    expect(r.exitCode).toBe(0);
    expect(r.checks.map((c) => c.status)).toEqual(['pass', 'pass']);
    const rows = await query(url, 'select count(*)::int n from t');
    expect(rows[0].n).toBe(10);
    const again = await runFile(file, { databaseUrl: url });
    expect(again.exitCode).toBe(0);
    expect(again.status).toBe('nothing');
  });
});
