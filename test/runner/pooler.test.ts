/**
 * Through a real PgBouncer: a transaction-mode pool is refused before anything is locked or
 * written (its session advisory lock would land on whichever backend served the statement, and
 * could leak to another client); a session-mode pool works like a direct connection.
 * Without a pgbouncer binary the tests say loudly that they are skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load.js';
import { rollbackPlan } from '../../src/runner/rollback.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { type Bouncer, PGBOUNCER_CANDIDATES, pgbouncerPath, startPgBouncer } from '../helpers/pgbouncer.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

if (!pgbouncerPath) {
  const bar = '!'.repeat(100);
  console.warn(
    `\n${bar}\n!! SKIPPED: the pooler tests — no pgbouncer found (looked at ${PGBOUNCER_CANDIDATES.join(', ')}).\n!! Install Debian's pgbouncer (apt-get install -y pgbouncer) or set TIDEMARK_PGBOUNCER to its binary.\n${bar}\n`,
  );
}

const PLAN = `{
  id: 'pooled',
  expand: [
    sql({ id: 'table', up: 'CREATE TABLE pooled (id bigint PRIMARY KEY, v int)', down: 'DROP TABLE pooled' }),
    op.createIndex({ id: 'v-idx', table: 'pooled', columns: ['v'] }),
  ],
  backfill: [backfill.update({ id: 'fill', table: 'pooled', set: { v: 'id * 2' }, where: 'v IS NULL' })],
}`;

let url: string;
let file: string;
const bouncers: Bouncer[] = [];

beforeAll(async () => {
  url = await createTestDatabase('runner_pooler');
  file = writePlan(tempDir(), PLAN, 'pooled.plan.ts');
});

afterAll(async () => {
  for (const b of bouncers) await b.stop();
});

const exists = async (sqlText: string) => (await query<{ x: boolean }>(url, `SELECT ${sqlText} AS x`))[0].x;

describe.skipIf(!pgbouncerPath)('through PgBouncer', () => {
  it('pool_mode=transaction: refused (exit 2) before any lock is taken or anything written, saying what to do', async () => {
    const b = await startPgBouncer(url, 'transaction');
    bouncers.push(b);
    const r = await runFile(file, { databaseUrl: b.url });
    expect(r.exitCode).toBe(2);
    expect(r.message).toMatch(/transaction-mode pooler/);
    expect(r.hint).toMatch(/directly or at a session-mode pool/);
    expect(await exists(`to_regnamespace('tidemark') IS NULL`)).toBe(true);
    expect(await exists(`to_regclass('pooled') IS NULL`)).toBe(true);
    // (advisory locks of this database only: other test files hold theirs on the same server)
    expect(
      await exists(
        `NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))`,
      ),
    ).toBe(true);

    const rb = await rollbackPlan(await loadPlan(file), { databaseUrl: b.url });
    expect(rb.exitCode).toBe(2);
    expect(rb.message).toMatch(/transaction-mode pooler/);
  });

  it('pool_mode=session: runs like a direct connection; a rerun is a no-op; rollback works', async () => {
    const b = await startPgBouncer(url, 'session');
    bouncers.push(b);
    const first = await runFile(file, { databaseUrl: b.url });
    expect(first.message).toBeUndefined();
    expect(first.exitCode).toBe(0);
    expect(await exists(`to_regclass('pooled_v_idx') IS NOT NULL`)).toBe(true);
    const second = await runFile(file, { databaseUrl: b.url });
    expect(second.exitCode).toBe(0);
    expect(second.status).toBe('nothing');
    const rb = await rollbackPlan(await loadPlan(file), { databaseUrl: b.url });
    expect(rb.message).toMatch(/rolled back/);
    expect(await exists(`to_regclass('pooled') IS NULL`)).toBe(true);
  });
});
