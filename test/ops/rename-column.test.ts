/**
 * op.renameColumn: two applications — one using the old name, one the new — write and read from
 * before expand to just before contract with zero errors (INSERT … RETURNING, UPDATE, ON CONFLICT
 * through either name) and every row equal in both names; the completion in contract leaves only
 * the new name; rollback before completion restores the table exactly; a kill -9 in the middle of
 * the fill, then a rerun, finishes with every row copied once; bad input exits 2 with nothing written.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { TidemarkEvent } from '../../src/kind/events.js';
import { describePlan } from '../../src/runner/describe.js';
import { killWhen } from '../helpers/crash.js';
import { connect, createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { cli } from '../helpers/run.js';
import { exec, op, plan, rollback, run } from './op-harness.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('ops_rename_column');
});

const SETUP = (rows: number) => `
  DROP TABLE IF EXISTS users CASCADE;
  DROP SCHEMA IF EXISTS tidemark CASCADE;
  CREATE TABLE users (
    id bigserial PRIMARY KEY,
    email text NOT NULL UNIQUE CHECK (email <> ''),
    n int NOT NULL DEFAULT 0
  );
  CREATE INDEX users_email_n_idx ON users (email, n);
  INSERT INTO users (email, n) SELECT 'u' || g || '@x', g % 10 FROM generate_series(1, ${rows}) g;
`;

async function snapshot() {
  return {
    cols: await query(
      url,
      `SELECT attname, format_type(atttypid, atttypmod) AS type, attnotnull, pg_get_expr(d.adbin, d.adrelid) AS def
         FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = 'users'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY attnum`,
    ),
    idx: await query(url, `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'users' ORDER BY 1`),
    cons: await query(
      url,
      `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'users'::regclass ORDER BY 1`,
    ),
    trg: await query(url, `SELECT tgname FROM pg_trigger WHERE tgrelid = 'users'::regclass AND NOT tgisinternal`),
    data: await query(url, `SELECT md5(string_agg(u::text, '|' ORDER BY id)) AS h, count(*)::int AS n FROM users u`),
  };
}

/** An application using `col` for the email, until stopped: every statement checked, its slowest timed. */
function app(col: string, tag: string) {
  const state = { stop: false, errors: [] as string[], ops: 0, maxMs: 0 };
  const done = (async () => {
    const c = await connect(url);
    let i = 0;
    try {
      while (!state.stop) {
        i++;
        const email = `${tag}${i}@app`;
        const timed = async <T>(f: () => Promise<T>) => {
          const t0 = Date.now();
          const r = await f();
          state.maxMs = Math.max(state.maxMs, Date.now() - t0);
          state.ops++;
          return r;
        };
        try {
          const ins = await timed(() =>
            c.query(`INSERT INTO users ("${col}", n) VALUES ($1, 1) RETURNING id, "${col}" AS e`, [email]),
          );
          if (ins.rows[0].e !== email) state.errors.push(`insert returned ${ins.rows[0].e}`);
          const id = ins.rows[0].id;
          const upd = await timed(() =>
            c.query(`UPDATE users SET "${col}" = $2 WHERE id = $1 RETURNING "${col}" AS e`, [id, `u-${email}`]),
          );
          if (upd.rows[0].e !== `u-${email}`) state.errors.push(`update returned ${upd.rows[0].e}`);
          const up = await timed(() =>
            c.query(
              `INSERT INTO users ("${col}", n) VALUES ($1, 5) ON CONFLICT ("${col}") DO UPDATE SET n = users.n + 10 RETURNING n, "${col}" AS e`,
              [`u-${email}`],
            ),
          );
          if (up.rows[0].n !== 11 || up.rows[0].e !== `u-${email}`)
            state.errors.push(`upsert returned ${JSON.stringify(up.rows[0])}`);
          const other = await timed(() => c.query(`SELECT "${col}" AS e FROM users WHERE id = $1`, [Number(id) - 1]));
          if (other.rows[0] && other.rows[0].e == null) state.errors.push(`row ${Number(id) - 1} reads null`);
        } catch (e) {
          state.errors.push((e as Error).message);
        }
      }
    } finally {
      await c.end();
    }
  })();
  return { state, done };
}

async function runTo(
  p: Awaited<ReturnType<typeof plan>>,
  phase: 'validate',
  config: object,
  events?: (e: TidemarkEvent) => void,
) {
  const { runPlan } = await import('../../src/runner/run.js');
  return runPlan(p, { databaseUrl: url, phase, config, events: events ?? (() => undefined) });
}

const renamePlan = () =>
  plan({
    id: 'rename-email',
    expand: [op.renameColumn({ id: 'rename-email', table: 'users', from: 'email', to: 'email_address' })],
  });

describe('op.renameColumn', () => {
  it('keeps both names working for two applications until contract; the completion leaves only the new name', async () => {
    await exec(url, SETUP(5_000));
    const p = await renamePlan();
    expect(p.steps.map((s) => `${s.phase}:${s.kind}:${s.id}`)).toEqual([
      'expand:op.renameColumn:rename-email',
      'contract:op.renameColumn.complete:rename-email-complete',
    ]);
    const d = await describePlan(p, { databaseUrl: url });
    expect(d.steps.map((s) => s.stepId)).toEqual(['rename-email', 'rename-email-complete']);

    const old = app('email', 'old');
    let fresh: ReturnType<typeof app> | undefined;
    const config = { lockTimeoutMs: 200, backfill: { targetBatchMs: 50 } };
    try {
      const r = await runTo(p, 'validate', config, (e) => {
        if (e.type === 'step.done' && e.stepId === 'rename-email') fresh = app('email_address', 'new');
      });
      expect(r.exitCode).toBe(0);
      expect(fresh).toBeDefined();
      await new Promise((res) => setTimeout(res, 1000));
    } finally {
      old.state.stop = true;
      if (fresh) fresh.state.stop = true;
      await Promise.all([old.done, fresh?.done]);
    }
    expect(old.state.errors).toEqual([]);
    expect(fresh!.state.errors).toEqual([]);
    expect(old.state.ops).toBeGreaterThan(10);
    expect(fresh!.state.ops).toBeGreaterThan(10);
    expect(old.state.maxMs).toBeLessThan(2_000);
    const diff = await query(url, `SELECT count(*)::int AS n FROM users WHERE email IS DISTINCT FROM email_address`);
    expect(diff[0].n).toBe(0);
    const all = await query(url, `SELECT count(*)::int AS n FROM users`);
    expect(all[0].n).toBeGreaterThan(5_000);
    // the original column (its index, constraints, default) carries the new name
    const idx = await query(url, `SELECT indexdef FROM pg_indexes WHERE indexname = 'users_email_key'`);
    expect(idx[0].indexdef).toContain('(email_address)');

    const c = await run(url, p, config);
    expect(c.exitCode).toBe(0);
    const cols = await query(
      url,
      `SELECT attname FROM pg_attribute WHERE attrelid = 'users'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    );
    expect(cols.map((x) => x.attname)).toEqual(['id', 'email_address', 'n']);
    expect(
      await query(url, `SELECT tgname FROM pg_trigger WHERE tgrelid = 'users'::regclass AND NOT tgisinternal`),
    ).toEqual([]);
    expect(
      await query(url, `SELECT indexname FROM pg_indexes WHERE tablename = 'users' AND indexname LIKE '%tmr'`),
    ).toEqual([]);
    const cons = await query(
      url,
      `SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype = 'c'`,
    );
    expect(cons[0].d).toContain('email_address');
  }, 180_000);

  it('rollback before the completion restores the table exactly; rollback after it too', async () => {
    await exec(url, SETUP(3_000));
    const before = await snapshot();
    const p = await renamePlan();
    expect((await runTo(p, 'validate', {})).exitCode).toBe(0);
    await exec(url, `INSERT INTO users (email_address) VALUES ('late@x')`, `DELETE FROM users WHERE email = 'late@x'`);
    expect((await rollback(url, p)).exitCode).toBe(0);
    expect(await snapshot()).toEqual(before);

    expect((await run(url, p)).exitCode).toBe(0);
    expect((await rollback(url, p)).exitCode).toBe(0);
    expect(await snapshot()).toEqual(before);
    // and once more forward: nothing left over from the first round
    expect((await run(url, p)).exitCode).toBe(0);
    const cols = await query(
      url,
      `SELECT attname FROM pg_attribute WHERE attrelid = 'users'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    );
    expect(cols.map((x) => x.attname)).toEqual(['id', 'email_address', 'n']);
  }, 180_000);

  it('a kill -9 in the middle of the fill, then a rerun: every row copied exactly once', async () => {
    await exec(url, SETUP(30_000));
    const file = writePlan(
      tempDir(),
      `{ id: 'rename-email', expand: [op.renameColumn({ id: 'rename-email', table: 'users', from: 'email', to: 'email_address' })] }`,
    );
    await killWhen(file, url, { backfill: { targetBatchMs: 10 } }, async () => {
      const r = await query(
        url,
        `SELECT (progress->'fill'->>'batches')::int AS b FROM tidemark.steps WHERE plan_id = 'rename-email' AND step_id = 'rename-email'`,
      );
      return Number(r[0]?.b ?? 0) >= 3;
    });
    const mid = await query(url, `SELECT count(*)::int AS n FROM users WHERE email_address IS NULL`);
    expect(mid[0].n).toBeGreaterThan(0);
    const r = await runTo(await renamePlan(), 'validate', {});
    expect(r.exitCode).toBe(0);
    expect(await query(url, `SELECT count(*)::int AS n FROM users WHERE email IS DISTINCT FROM email_address`)).toEqual(
      [{ n: 0 }],
    );
    const prog = await query(
      url,
      `SELECT (progress->>'rows')::int AS rows FROM tidemark.steps WHERE plan_id = 'rename-email' AND step_id = 'rename-email'`,
    );
    expect(prog[0].rows).toBe(30_000);
    const idx = await query(
      url,
      `SELECT count(*)::int AS n FROM pg_index WHERE indrelid = 'users'::regclass AND NOT indisvalid`,
    );
    expect(idx[0].n).toBe(0);
  }, 180_000);

  it('bad input — unknown table, unknown column, target name taken — exits 2 and writes nothing', async () => {
    await exec(url, SETUP(10));
    const before = await snapshot();
    const cases = [
      [`table: 'nope', from: 'email', to: 'e2'`, 'table'],
      [`table: 'users', from: 'nope', to: 'e2'`, 'from'],
      [`table: 'users', from: 'email', to: 'n'`, 'to'],
    ];
    for (const [opts, field] of cases) {
      const file = writePlan(tempDir(), `{ id: 'bad-rename', expand: [op.renameColumn({ id: 'r', ${opts} })] }`);
      const r = await cli(['run', file, '--database-url', url]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`step "r" › ${field}`);
    }
    expect(await snapshot()).toEqual(before);
  }, 180_000);

  it('--dry-run says what would happen and how long the fill is expected to take, and writes nothing', async () => {
    await exec(url, SETUP(5_000), 'ANALYZE users');
    const before = await snapshot();
    const { runPlan } = await import('../../src/runner/run.js');
    const lines: string[] = [];
    const r = await runPlan(await renamePlan(), {
      databaseUrl: url,
      dryRun: true,
      events: (e) => {
        if (e.type === 'step.dry-run') lines.push(...e.lines);
      },
    });
    expect(r.exitCode).toBe(0);
    const text = lines.join('\n');
    expect(text).toContain('ADD COLUMN "email_address" text');
    expect(text).toContain('CREATE UNIQUE INDEX CONCURRENTLY "users_email_key_tmr"');
    expect(text).toMatch(/fill: about 5000 row\(s\), expected to take about [\d.]+ m?s/);
    expect(text).toContain('DROP COLUMN IF EXISTS "email"');
    expect(await snapshot()).toEqual(before);
  });
});
