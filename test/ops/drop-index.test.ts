/**
 * op.dropIndex: the exact SQL (asserted, then executed), DROP INDEX CONCURRENTLY with its
 * pg_get_indexdef recorded, rollback rebuilding it CONCURRENTLY (same definition and comment),
 * apply → rollback → apply, an INVALID leftover replaced on rollback, an index backing a
 * constraint refused.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load.js';
import { describePlan } from '../../src/runner/describe.js';
import { rollbackPlan } from '../../src/runner/rollback.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('ops_drop_index');
});

async function rollbackFile(file: string) {
  return rollbackPlan(await loadPlan(file), { databaseUrl: url });
}

async function indexes() {
  return query(
    url,
    `SELECT c.relname, pg_get_indexdef(c.oid) AS def, i.indisvalid, obj_description(c.oid, 'pg_class') AS comment
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'msgs'::regclass ORDER BY 1`,
  );
}

const SETUP = `
  DROP TABLE IF EXISTS msgs CASCADE;
  CREATE TABLE msgs (id int PRIMARY KEY, "threadId" int, body text, CONSTRAINT msgs_body_key UNIQUE (body));
  CREATE INDEX "msgs_Thread_idx" ON msgs ("threadId" DESC NULLS LAST, lower(body)) INCLUDE (id) WHERE "threadId" IS NOT NULL;
  COMMENT ON INDEX "msgs_Thread_idx" IS 'thread lookups';
  INSERT INTO msgs SELECT g, g % 10, 'b' || g FROM generate_series(1, 2000) g;
`;

describe('op.dropIndex', () => {
  it('drops concurrently, rebuilds the same index concurrently on rollback; apply → rollback → apply', async () => {
    await query(url, SETUP);
    const before = await indexes();
    const file = writePlan(
      tempDir(),
      `{ id: 'drop-idx', contract: [op.dropIndex({ id: 'drop-thread-idx', name: 'msgs_Thread_idx' })] }`,
    );
    const d = await describePlan(await loadPlan(file), { databaseUrl: url });
    expect(d.steps[0].actions).toEqual([
      expect.objectContaining({
        sql: 'DROP INDEX CONCURRENTLY IF EXISTS "public"."msgs_Thread_idx"',
        transaction: false,
        lock: 'SHARE UPDATE EXCLUSIVE',
      }),
    ]);

    const r = await runFile(file, { databaseUrl: url });
    expect(r.message).toBeUndefined();
    expect((await indexes()).map((i) => i.relname)).toEqual(['msgs_body_key', 'msgs_pkey']);
    const arch = await query<{ kind: string; definition: { def: string } }>(
      url,
      `SELECT kind, definition FROM tidemark.archives WHERE plan_id = 'drop-idx'`,
    );
    expect(arch[0].kind).toBe('index');
    expect(arch[0].definition.def).toBe(before.find((i) => i.relname === 'msgs_Thread_idx')!.def);

    const dd = await describePlan(await loadPlan(file), { databaseUrl: url, rollback: true });
    expect(dd.steps[0].actions.map((a) => a.sql)).toEqual([
      String(before.find((i) => i.relname === 'msgs_Thread_idx')!.def).replace(
        'CREATE INDEX ',
        'CREATE INDEX CONCURRENTLY ',
      ),
      `COMMENT ON INDEX "public"."msgs_Thread_idx" IS 'thread lookups'`,
    ]);
    const rb = await rollbackFile(file);
    expect(rb.exitCode).toBe(0);
    expect(await indexes()).toEqual(before);

    expect((await runFile(file, { databaseUrl: url })).exitCode).toBe(0);
    expect((await indexes()).length).toBe(2);
    expect((await rollbackFile(file)).exitCode).toBe(0);
    expect(await indexes()).toEqual(before);
  });

  it('replaces an INVALID leftover of the same name on rollback', async () => {
    await query(url, SETUP);
    const before = await indexes();
    const file = writePlan(
      tempDir(),
      `{ id: 'drop-idx-invalid', contract: [op.dropIndex({ id: 'drop-thread-idx', name: 'public.msgs_Thread_idx' })] }`,
    );
    expect((await runFile(file, { databaseUrl: url })).exitCode).toBe(0);
    // a failed concurrent build leaves an INVALID index under the name rollback needs
    await expect(
      query(url, `CREATE UNIQUE INDEX CONCURRENTLY "msgs_Thread_idx" ON msgs ("threadId")`),
    ).rejects.toMatchObject({ code: '23505' });
    expect((await indexes()).find((i) => i.relname === 'msgs_Thread_idx')?.indisvalid).toBe(false);
    expect((await rollbackFile(file)).exitCode).toBe(0);
    expect(await indexes()).toEqual(before);
  });

  it('refuses an index that backs a constraint, and a missing index; nothing is recorded', async () => {
    await query(url, SETUP);
    const file = writePlan(
      tempDir(),
      `{ id: 'drop-idx-refused', contract: [op.dropIndex({ id: 'drop-key', name: 'msgs_body_key' })] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode).toBe(1);
    expect(r.message).toMatch(/backs constraint "msgs_body_key": drop the constraint with op.dropConstraint/);
    const f2 = writePlan(
      tempDir(),
      `{ id: 'drop-idx-missing', contract: [op.dropIndex({ id: 'drop-none', name: 'nope_idx' })] }`,
    );
    const r2 = await runFile(f2, { databaseUrl: url });
    expect(r2.exitCode).toBe(1);
    expect(r2.message).toMatch(/index nope_idx does not exist/);
    expect(
      (
        await query(
          url,
          `SELECT count(*)::int AS n FROM tidemark.archives WHERE plan_id IN ('drop-idx-refused', 'drop-idx-missing')`,
        )
      )[0].n,
    ).toBe(0);
  });
});
