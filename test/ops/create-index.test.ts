import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir } from '../helpers/plan-files.js';
import { describedSql, exec, op, plan, rollback, run, session, sleep, stepStatus } from './op-harness.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('ops_create_index');
  await exec(
    url,
    'CREATE TABLE leads (id bigint PRIMARY KEY, tenant_id int, status text, email text, score int, deleted_at timestamptz)',
    `INSERT INTO leads SELECT g, g % 7, CASE WHEN g % 3 = 0 THEN 'won' ELSE 'new' END, 'User' || g || '@X.io', g, NULL FROM generate_series(1, 3000) g`,
  );
});

const index = async (name: string) =>
  (
    await query<{ valid: boolean; def: string }>(
      url,
      `SELECT i.indisvalid AS valid, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1`,
      [name],
    )
  )[0];

describe('op.createIndex', () => {
  it('CONCURRENTLY on a table with rows; rollback drops it CONCURRENTLY; applies again', async () => {
    const p = await plan({
      id: 'ci-life',
      expand: [op.createIndex({ id: 'tenant-status', table: 'leads', columns: ['tenant_id', 'status'] })],
    });
    const d = await describedSql(url, p);
    expect(d['tenant-status']).toEqual([
      'CREATE INDEX CONCURRENTLY "leads_tenant_id_status_idx" ON "leads" ("tenant_id", "status")',
    ]);
    const r = await run(url, p);
    expect(r.message).toBeUndefined();
    expect(r.statements).toEqual(d['tenant-status']);
    expect(await index('leads_tenant_id_status_idx')).toEqual({
      valid: true,
      def: 'CREATE INDEX leads_tenant_id_status_idx ON public.leads USING btree (tenant_id, status)',
    });
    expect((await describedSql(url, p, true))['tenant-status']).toEqual([
      'DROP INDEX CONCURRENTLY IF EXISTS "public"."leads_tenant_id_status_idx"',
    ]);
    const down = await rollback(url, p);
    expect(down.statements).toEqual(['DROP INDEX CONCURRENTLY IF EXISTS "public"."leads_tenant_id_status_idx"']);
    expect(await index('leads_tenant_id_status_idx')).toBeUndefined();
    expect((await run(url, p)).exitCode).toBe(0);
    expect(await index('leads_tenant_id_status_idx')).toMatchObject({ valid: true });
    await rollback(url, p);
  });

  it('expressions, operator classes, order, partial, include, methods — as PostgreSQL reads them back', async () => {
    const p = await plan({
      id: 'ci-shapes',
      expand: [
        op.enableExtension({ id: 'ext-trgm', name: 'pg_trgm' }),
        op.createIndex({
          id: 'trgm',
          table: 'leads',
          columns: [{ column: 'email', opclass: 'gin_trgm_ops' }],
          using: 'gin',
        }),
        op.createIndex({
          id: 'lower',
          table: 'leads',
          columns: [{ expression: 'lower(email)' }],
          unique: true,
          where: 'deleted_at IS NULL',
        }),
        op.createIndex({
          id: 'ordered',
          table: 'leads',
          columns: [{ column: 'tenant_id' }, { column: 'score', order: 'desc' }],
          include: ['status'],
          name: 'Leads By Score',
        }),
        op.createIndex({ id: 'brin', table: 'leads', columns: ['id'], using: 'brin' }),
        op.createIndex({ id: 'hash', table: 'leads', columns: ['status'], using: 'hash' }),
      ],
    });
    const d = await describedSql(url, p);
    const lowerName = (d.lower[0].match(/INDEX CONCURRENTLY "([^"]+)"/) ?? [])[1];
    expect(lowerName).toMatch(/^leads_expr_[0-9a-f]{8}_idx$/);
    expect(d).toMatchObject({
      trgm: ['CREATE INDEX CONCURRENTLY "leads_email_idx" ON "leads" USING gin ("email" "gin_trgm_ops")'],
      lower: [`CREATE UNIQUE INDEX CONCURRENTLY "${lowerName}" ON "leads" ((lower(email))) WHERE (deleted_at IS NULL)`],
      ordered: ['CREATE INDEX CONCURRENTLY "Leads By Score" ON "leads" ("tenant_id", "score" DESC) INCLUDE ("status")'],
      brin: ['CREATE INDEX CONCURRENTLY "leads_id_idx" ON "leads" USING brin ("id")'],
      hash: ['CREATE INDEX CONCURRENTLY "leads_status_idx" ON "leads" USING hash ("status")'],
    });
    const r = await run(url, p);
    expect(r.message).toBeUndefined();
    expect(await index('leads_email_idx')).toEqual({
      valid: true,
      def: 'CREATE INDEX leads_email_idx ON public.leads USING gin (email gin_trgm_ops)',
    });
    expect(await index(lowerName)).toEqual({
      valid: true,
      def: `CREATE UNIQUE INDEX ${lowerName} ON public.leads USING btree (lower(email)) WHERE (deleted_at IS NULL)`,
    });
    expect(await index('Leads By Score')).toEqual({
      valid: true,
      def: 'CREATE INDEX "Leads By Score" ON public.leads USING btree (tenant_id, score DESC) INCLUDE (status)',
    });
    expect((await index('leads_id_idx')).def).toContain('USING brin (id)');
    expect((await index('leads_status_idx')).def).toContain('USING hash (status)');
    await rollback(url, p);
    for (const n of ['leads_email_idx', lowerName, 'Leads By Score', 'leads_id_idx', 'leads_status_idx'])
      expect(await index(n)).toBeUndefined();
    expect(await query(url, `SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'pg_trgm'`)).toEqual([
      { n: 0 },
    ]);
  });

  it('refuses impossible combinations at plan validation', async () => {
    await expect(
      plan({
        id: 'ci-bad',
        expand: [
          op.createIndex({ id: 'a', table: 'leads', columns: ['email'], using: 'gin', unique: true }),
          op.createIndex({
            id: 'b',
            table: 'leads',
            columns: [{ column: 'email', order: 'desc' }],
            using: 'hash',
            include: ['id'],
          }),
        ],
      }),
    ).rejects.toThrow(
      /step "a" › unique: a gin index cannot be unique[\s\S]*step "b" › include: a hash index has no INCLUDE[\s\S]*step "b" › columns\[0\]\.order: a hash index has no order/,
    );
  });

  it('a table created earlier in the plan and still empty gets a plain CREATE INDEX in a transaction', async () => {
    const p = await plan({
      id: 'ci-new-table',
      expand: [
        op.createTable({
          id: 'runs',
          table: 'agent_runs',
          columns: { id: 'bigint', tenant_id: 'int', created_at: 'timestamptz' },
          primaryKey: ['id'],
        }),
        op.createIndex({ id: 'runs-tenant', table: 'agent_runs', columns: ['tenant_id', 'created_at'] }),
      ],
    });
    const d = await describedSql(url, p);
    expect(d['runs-tenant']).toEqual([
      'CREATE INDEX "agent_runs_tenant_id_created_at_idx" ON "agent_runs" ("tenant_id", "created_at")',
    ]);
    const r = await run(url, p);
    expect(r.message).toBeUndefined();
    expect(r.statements).toEqual([...d.runs, ...d['runs-tenant']]);
    expect(await index('agent_runs_tenant_id_created_at_idx')).toMatchObject({ valid: true });
    await rollback(url, p);
    expect(await index('agent_runs_tenant_id_created_at_idx')).toBeUndefined();
  });

  it('waits for an old idle transaction instead of failing in lock_timeout, and succeeds', async () => {
    const old = await session(url);
    await old.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await old.query('SELECT count(*) FROM leads');
    const p = await plan({
      id: 'ci-wait',
      expand: [op.createIndex({ id: 'score', table: 'leads', columns: ['score'] })],
    });
    const t0 = Date.now();
    const running = run(url, p, { lockTimeoutMs: 200, lockRetries: 2 });
    await sleep(1500);
    expect(await index('leads_score_idx')).toMatchObject({ valid: false }); // still waiting: never reported as done
    await old.query('COMMIT');
    await old.end();
    const r = await running;
    expect(r.message).toBeUndefined();
    expect(Date.now() - t0).toBeGreaterThan(1400);
    expect(await index('leads_score_idx')).toMatchObject({ valid: true });
    await rollback(url, p);
  });

  it('drops an INVALID leftover CONCURRENTLY and rebuilds it; refuses while another build of it is running', async () => {
    // A build that is still running elsewhere: an old snapshot keeps it waiting.
    const old = await session(url);
    const other = await session(url);
    await old.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await old.query('SELECT 1 FROM leads LIMIT 1');
    const otherBuild = other.query('CREATE INDEX CONCURRENTLY leads_email_idx ON leads (email)').catch((e: Error) => e);
    await sleep(500);
    const p = await plan({
      id: 'ci-leftover',
      expand: [op.createIndex({ id: 'email', table: 'leads', columns: ['email'] })],
    });
    const busy = await run(url, p);
    expect(busy.exitCode).toBe(1);
    expect(busy.message).toContain(`index "leads_email_idx" on leads is still being built by backend pid ${other.pid}`);
    // That build dies and leaves its INVALID index behind.
    await old.query(`SELECT pg_cancel_backend(${other.pid})`);
    expect(await otherBuild).toBeInstanceOf(Error);
    await old.query('COMMIT');
    await old.end();
    await other.end();
    expect(await index('leads_email_idx')).toMatchObject({ valid: false });

    const r = await run(url, p);
    expect(r.message).toBeUndefined();
    expect(r.statements).toEqual([
      'DROP INDEX CONCURRENTLY IF EXISTS "public"."leads_email_idx"',
      'CREATE INDEX CONCURRENTLY "leads_email_idx" ON "leads" ("email")',
    ]);
    expect(r.events.some((e) => e.type === 'notice' && e.message.includes('INVALID'))).toBe(true);
    expect(await index('leads_email_idx')).toMatchObject({ valid: true });
    await rollback(url, p);
  });

  it('a unique build on duplicates fails with a sample and leaves no INVALID index; rerun after the fix', async () => {
    await exec(url, `UPDATE leads SET email = 'dup@x.io' WHERE id IN (11, 12)`);
    const p = await plan({
      id: 'ci-unique',
      expand: [op.createIndex({ id: 'email-u', table: 'leads', columns: ['email'], unique: true })],
    });
    const r = await run(url, p);
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain('1 value(s) of email appear more than once in leads (2 rows)');
    expect(r.message).toContain('{"id":"11","email":"dup@x.io"}');
    expect(await index('leads_email_idx')).toBeUndefined();
    await exec(url, `UPDATE leads SET email = 'u' || id WHERE id IN (11, 12)`);
    expect((await run(url, p)).exitCode).toBe(0);
    expect(await index('leads_email_idx')).toMatchObject({ valid: true });
    await rollback(url, p);
  });

  it('after kill -9 of the runner mid-build, a rerun replaces the INVALID index; the step is done once', async () => {
    const dir = tempDir();
    const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
    const script = join(dir, 'runner.mjs');
    writeFileSync(
      script,
      `
      const { definePlan, op, validatePlan, runPlan } = await import(${JSON.stringify(dist)});
      const plan = await validatePlan(definePlan({ id: 'ci-kill', expand: [op.createIndex({ id: 'status', table: 'leads', columns: ['status', 'id'] })] }));
      await runPlan(plan, { databaseUrl: process.argv[2] });
    `,
    );
    const old = await session(url);
    await old.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await old.query('SELECT 1 FROM leads LIMIT 1');
    const child = spawn(process.execPath, [script, url], { stdio: 'ignore' });
    const watcher = await session(url); // pg_stat_progress_* is a per-transaction snapshot: poll outside \`old\`
    let building = false;
    for (let i = 0; i < 200 && !building; i++) {
      await sleep(50);
      building =
        (
          await watcher.query(
            `SELECT 1 FROM pg_stat_progress_create_index p JOIN pg_class c ON c.oid = p.index_relid WHERE c.relname = 'leads_status_id_idx'`,
          )
        ).rowCount === 1;
    }
    expect(building).toBe(true);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // The server has not noticed yet; end the orphaned build as it eventually would.
    await watcher.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_progress_create_index WHERE relid = 'leads'::regclass`,
    );
    await watcher.end();
    await old.query('COMMIT');
    await old.end();
    await sleep(200);
    expect(await index('leads_status_id_idx')).toMatchObject({ valid: false });
    expect(await stepStatus(url, 'ci-kill', 'status')).toBe('running');

    const p = await plan({
      id: 'ci-kill',
      expand: [op.createIndex({ id: 'status', table: 'leads', columns: ['status', 'id'] })],
    });
    const r = await run(url, p);
    expect(r.message).toBeUndefined();
    expect(r.statements).toEqual([
      'DROP INDEX CONCURRENTLY IF EXISTS "public"."leads_status_id_idx"',
      'CREATE INDEX CONCURRENTLY "leads_status_id_idx" ON "leads" ("status", "id")',
    ]);
    expect(await index('leads_status_id_idx')).toMatchObject({ valid: true });
    expect(await stepStatus(url, 'ci-kill', 'status')).toBe('completed');
    expect((await run(url, p)).statements).toEqual([]);
    await rollback(url, p);
  });
});
