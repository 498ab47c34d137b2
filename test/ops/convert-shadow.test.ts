/**
 * op.convertToEnum above `shadowThresholdRows`: the shadow-column path with concurrent writers and
 * readers (every row converted, no reader waits beyond lock_timeout + margin, indexes and
 * constraints carried over under their names), a crash mid-backfill resumed by a rerun, a
 * rollback of the partial attempt, and the shadow rollback back to the original type.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load.js';
import { rollbackPlan } from '../../src/runner/rollback.js';
import { killWhen } from '../helpers/crash.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('ops_convert_shadow');
});
const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((t) => t.stop()));
});

const LOCK_TIMEOUT = 200;
/** Margin over lock_timeout for a reader's lock wait (measured server side). */
const MARGIN = 500;
/** Sanity bound on a reader's whole round trip, however busy the machine. */
const READ_BOUND = 5000;
const config = { shadowThresholdRows: 100, lockTimeoutMs: LOCK_TIMEOUT, backfill: { targetBatchMs: 100 } };
const STAGES = ['open', 'won', 'lost'];

/** A table per test, so a test that timed out on a busy machine cannot disturb the next one. */
const SETUP = (t: string) => `
  DROP TABLE IF EXISTS ${t} CASCADE;
  CREATE TABLE ${t} (
    id bigserial PRIMARY KEY,
    stage varchar(32) NOT NULL DEFAULT 'open' CONSTRAINT ${t}_stage_not_blank CHECK (stage <> ''),
    amount int,
    CONSTRAINT ${t}_stage_id_key UNIQUE (stage, id)
  );
  CREATE INDEX ${t}_stage_idx ON ${t} (stage);
  CREATE INDEX ${t}_stage_amount_idx ON ${t} (stage DESC, amount) WHERE amount > 0;
  CREATE INDEX ${t}_amount_idx ON ${t} (amount) INCLUDE (stage);
  COMMENT ON COLUMN ${t}.stage IS 'pipeline stage';
  INSERT INTO ${t} (stage, amount) SELECT (ARRAY['open', 'won', 'lost'])[1 + g % 3], g FROM generate_series(1, 10000) g;
  ANALYZE ${t};
`;

const PLAN = (id: string, t: string, extra = '') => `{
  id: '${id}',
  expand: [op.convertToEnum({ id: 'stage-enum', table: '${t}', column: 'stage', enum: '${t}_stage', values: ['open', 'won', 'lost']${extra} })],
}`;
/** Small pinned batches: the fill takes hundreds of batches, so a kill lands mid-walk. */
const SMALL = ', batch: { size: 20 }';

async function rollbackFile(file: string) {
  return rollbackPlan(await loadPlan(file), { databaseUrl: url, config });
}

/** True once the shadow backfill of plan `id` has committed `rows` rows or more (its cursor is saved with each batch). */
async function shadowWalked(id: string, rows: number): Promise<boolean> {
  const r = await query<{ progress: { shadow?: { cursor: string[] | null; rows: number } } | null }>(
    url,
    `SELECT progress FROM tidemark.steps WHERE plan_id = $1`,
    [id],
  );
  const s = r[0]?.progress?.shadow;
  return !!s?.cursor && s.rows >= rows;
}

async function enumExists(t: string): Promise<boolean> {
  return (await query(url, `SELECT to_regtype($1) AS t`, [`${t}_stage`]))[0].t !== null;
}

async function catalog(t: string) {
  const col = (
    await query(
      url,
      `SELECT format_type(atttypid, atttypmod) AS type, attnotnull, pg_get_expr(d.adbin, d.adrelid) AS def, col_description(a.attrelid, a.attnum) AS comment
    FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attrelid = $1::regclass AND a.attname = 'stage'`,
      [t],
    )
  )[0];
  const idx = await query(
    url,
    `SELECT c.relname, pg_get_indexdef(c.oid) AS def, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = $1::regclass ORDER BY 1`,
    [t],
  );
  const cons = await query(
    url,
    `SELECT conname, pg_get_constraintdef(oid) AS def, convalidated FROM pg_constraint WHERE conrelid = $1::regclass AND contype <> 'n' ORDER BY 1`,
    [t],
  );
  const cols = (
    await query(
      url,
      `SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attname`,
      [t],
    )
  ).map((r) => r.attname);
  const triggers = await query(url, `SELECT tgname FROM pg_trigger WHERE tgrelid = $1::regclass AND NOT tgisinternal`, [
    t,
  ]);
  return { col, idx, cons, cols, triggers };
}

const pause = () => new Promise((r) => setTimeout(r, 5));

/**
 * Writers on disjoint ids (so the last committed value per id is known), readers timing each query
 * (on warm connections), and a monitor sampling every 20 ms how long any reader has been waiting
 * for a lock (server side, so a busy machine's scheduling noise does not count as blocking).
 */
async function traffic(t: string) {
  const pool = new pg.Pool({ connectionString: url, max: 7 });
  pool.on('error', () => undefined);
  const warm = await Promise.all(Array.from({ length: 7 }, () => pool.connect()));
  for (const c of warm) c.release();
  const expected = new Map<string, string>();
  const errors: string[] = [];
  let maxReadMs = 0;
  let maxLockWaitMs = 0;
  let reads = 0;
  let writes = 0;
  let stop = false;
  const writer = async (parity: number) => {
    let i = 0;
    while (!stop) {
      i++;
      const stage = STAGES[(i + parity) % 3];
      try {
        if (i % 4 === 0) {
          const r = await pool.query(`INSERT INTO ${t} (stage, amount) VALUES ($1, $2) RETURNING id::text AS id`, [
            stage,
            -i,
          ]);
          expected.set(r.rows[0].id, stage);
        } else {
          const id = String(2 * (1 + ((i * 7919) % 4999)) - parity);
          await pool.query(`UPDATE ${t} SET stage = $1 WHERE id = $2`, [stage, id]);
          expected.set(id, stage);
        }
        writes++;
      } catch (e) {
        errors.push((e as Error).message);
      }
      await pause();
    }
  };
  const reader = async () => {
    let i = 0;
    while (!stop) {
      const started = performance.now();
      try {
        await pool.query(`SELECT stage FROM ${t} WHERE id = $1`, [1 + (i++ % 10000)]);
      } catch (e) {
        errors.push((e as Error).message);
      }
      maxReadMs = Math.max(maxReadMs, performance.now() - started);
      reads++;
      await pause();
    }
  };
  const monitor = async () => {
    const c = await pool.connect();
    try {
      while (!stop) {
        const r = await c.query<{ ms: number }>(
          `SELECT extract(epoch FROM clock_timestamp() - query_start)::float8 * 1000 AS ms FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1`,
          [`SELECT stage FROM ${t} %`],
        );
        for (const x of r.rows) maxLockWaitMs = Math.max(maxLockWaitMs, x.ms);
        await new Promise((res) => setTimeout(res, 20));
      }
    } finally {
      c.release();
    }
  };
  const loops = [writer(0), writer(1), reader(), reader(), monitor()];
  let stopped: Promise<void> | undefined;
  const handle = {
    expected,
    errors,
    get maxReadMs() {
      return maxReadMs;
    },
    get maxLockWaitMs() {
      return maxLockWaitMs;
    },
    get counts() {
      return { reads, writes };
    },
    stop(): Promise<void> {
      stop = true;
      stopped ??= Promise.all(loops).then(() => pool.end());
      return stopped;
    },
  };
  running.push(handle);
  return handle;
}

/** Every row holds the value its last committed write gave it. */
async function assertRows(t: string, expected: Map<string, string>) {
  const rows = await query<{ id: string; stage: string }>(url, `SELECT id::text AS id, stage::text AS stage FROM ${t}`);
  expect(rows.length).toBe(expected.size);
  expect(rows.filter((x) => expected.get(x.id) !== x.stage)).toEqual([]);
}

describe('op.convertToEnum through a shadow column', () => {
  const T = 'deals_traffic';
  const file = () => writePlan(tempDir(), PLAN('enum-shadow', T));
  let planFile: string;
  let before: Awaited<ReturnType<typeof catalog>>;
  let expected: Map<string, string>;

  it('converts every row under concurrent writes; readers never wait beyond lock_timeout + margin', async () => {
    await query(url, SETUP(T));
    before = await catalog(T);
    const initial = new Map(
      (await query<{ id: string; stage: string }>(url, `SELECT id::text AS id, stage FROM ${T}`)).map((r) => [
        r.id,
        r.stage,
      ]),
    );
    planFile = file();
    const t = await traffic(T);
    await new Promise((res) => setTimeout(res, 200));
    const r = await runFile(planFile, { databaseUrl: url, config });
    await new Promise((res) => setTimeout(res, 200));
    await t.stop();
    expect(r.message).toBeUndefined();
    expect(r.exitCode).toBe(0);
    expect(t.errors).toEqual([]);
    expect(t.counts.writes).toBeGreaterThan(20);
    expect(t.maxLockWaitMs).toBeLessThan(LOCK_TIMEOUT + MARGIN);
    expect(t.maxReadMs).toBeLessThan(READ_BOUND);
    expect(r.events.some((e) => e.type === 'step.progress' && e.note === 'shadow backfill')).toBe(true);
    // Every DDL statement of the shadow path is announced, as the in-place path's are.
    const said = r.events.flatMap((e) => (e.type === 'step.statement' ? [e.sql] : []));
    expect(said.some((x) => /ADD COLUMN/.test(x))).toBe(true);
    expect(said.some((x) => /CREATE TRIGGER/.test(x))).toBe(true);
    expect(said.filter((x) => /CREATE (UNIQUE )?INDEX CONCURRENTLY/.test(x)).length).toBe(
      before.idx.filter((i) => /stage/.test(String(i.def))).length,
    );
    expect(said.some((x) => /RENAME COLUMN/.test(x))).toBe(true);

    const after = await catalog(T);
    expect(after.col).toEqual({
      type: `${T}_stage`,
      attnotnull: true,
      def: `'open'::${T}_stage`,
      comment: 'pipeline stage',
    });
    expect(after.cols).toEqual(before.cols);
    expect(after.triggers).toEqual([]);
    expect(after.idx.map((i) => [i.relname, i.indisvalid])).toEqual(before.idx.map((i) => [i.relname, true]));
    expect(after.idx.find((i) => i.relname === `${T}_stage_idx`)!.def).toBe(
      `CREATE INDEX ${T}_stage_idx ON public.${T} USING btree (stage)`,
    );
    expect(after.idx.find((i) => i.relname === `${T}_stage_amount_idx`)!.def).toBe(
      `CREATE INDEX ${T}_stage_amount_idx ON public.${T} USING btree (stage DESC, amount) WHERE (amount > 0)`,
    );
    expect(after.idx.find((i) => i.relname === `${T}_amount_idx`)!.def).toBe(
      `CREATE INDEX ${T}_amount_idx ON public.${T} USING btree (amount) INCLUDE (stage)`,
    );
    expect(after.cons).toEqual(before.cons);
    expect(await query(url, `SELECT count(*)::int AS n FROM pg_proc WHERE proname LIKE $1`, [`${T}%sync`])).toEqual([
      { n: 0 },
    ]);
    expected = new Map([...initial, ...t.expected]);
    await assertRows(T, expected);
  });

  it('converts back to the original type the same way under traffic; the created enum is dropped', async () => {
    expect(planFile).toBeDefined();
    const t = await traffic(T);
    const rb = await rollbackFile(planFile);
    await t.stop();
    expect(rb.message).toMatch(/rolled back 1/);
    expect(t.errors).toEqual([]);
    expect(t.maxLockWaitMs).toBeLessThan(LOCK_TIMEOUT + MARGIN);
    expect(t.maxReadMs).toBeLessThan(READ_BOUND);
    const back = await catalog(T);
    expect(back.col).toEqual(before.col);
    expect(back.idx).toEqual(before.idx);
    expect(back.cons).toEqual(before.cons);
    expect(back.triggers).toEqual([]);
    expect(await enumExists(T)).toBe(false);
    await assertRows(T, new Map([...expected, ...t.expected]));
  });

  it('resumes after a kill -9 mid-backfill; rows written in between are converted', async () => {
    const C = 'deals_crash';
    await query(url, SETUP(C));
    const f = writePlan(tempDir(), PLAN('enum-crash', C, SMALL));
    await killWhen(f, url, config, () => shadowWalked('enum-crash', 3));
    const mid = await catalog(C);
    expect(mid.cols).toContain('stage_tm_enum');
    expect(mid.col.type).toBe('character varying(32)');
    const p = await query<{ progress: { shadow: { cursor: string[]; rows: number } } }>(
      url,
      `SELECT progress FROM tidemark.steps WHERE plan_id = 'enum-crash'`,
    );
    expect(p[0].progress.shadow.cursor).not.toBeNull();
    expect(p[0].progress.shadow.rows).toBeGreaterThan(0);

    // the trigger keeps the shadow equal meanwhile
    await query(
      url,
      `UPDATE ${C} SET stage = 'won' WHERE id IN (1, 9999); INSERT INTO ${C} (stage, amount) VALUES ('lost', -1)`,
    );
    expect((await query(url, `SELECT stage_tm_enum::text AS s FROM ${C} WHERE id = 9999`))[0].s).toBe('won');
    const r2 = await runFile(f, { databaseUrl: url, config });
    expect(r2.message).toBeUndefined();
    expect(r2.exitCode).toBe(0);
    expect(r2.events.some((e) => e.type === 'notice' && /resuming the shadow backfill/.test(e.message))).toBe(true);
    expect((await query(url, `SELECT count(*)::int AS n FROM ${C}`))[0].n).toBe(10001);
    expect(await query(url, `SELECT id, stage::text AS stage FROM ${C} WHERE id IN (1, 2, 9999) ORDER BY id`)).toEqual([
      { id: '1', stage: 'won' },
      { id: '2', stage: 'lost' },
      { id: '9999', stage: 'won' },
    ]);
    expect((await rollbackFile(f)).exitCode).toBe(0);
  });

  it('refuses up front an index that cannot exist on the enum (a text cast in a predicate), nothing changed', async () => {
    const B = 'deals_bad_index';
    await query(url, `${SETUP(B)}CREATE INDEX ${B}_not_lost_idx ON ${B} (amount) WHERE stage <> 'lost';`);
    const before = await catalog(B);
    const f = writePlan(tempDir(), PLAN('enum-bad-index', B));
    const r = await runFile(f, { databaseUrl: url, config });
    expect(r.exitCode).toBe(1);
    expect(r.message).toMatch(
      /on an empty copy of the table, the conversion fails: functions in index predicate must be marked IMMUTABLE/,
    );
    expect(await catalog(B)).toEqual(before);
    expect(await enumExists(B)).toBe(false);
  });

  it('rolls back a conversion that stopped half-way: shadow column, trigger and created enum removed', async () => {
    const P = 'deals_partial';
    await query(url, SETUP(P));
    const before = await catalog(P);
    const f = writePlan(tempDir(), PLAN('enum-partial', P, SMALL));
    await killWhen(f, url, config, () => shadowWalked('enum-partial', 1));
    const rb = await rollbackFile(f);
    expect(rb.message).toMatch(/rolled back 1/);
    expect(await catalog(P)).toEqual(before);
    expect(await enumExists(P)).toBe(false);
  });

  it('handles names with quotes, spaces, dots and Unicode (the index rewrite uses the parser, not text search)', async () => {
    await query(
      url,
      `
      DROP TABLE IF EXISTS "Odd ""Deals"".v2" CASCADE;
      CREATE TABLE "Odd ""Deals"".v2" ("ID" bigint PRIMARY KEY, "Stäge; x" text NOT NULL DEFAULT 'open', "Stäge; x_2" text);
      CREATE INDEX "idx ""1""" ON "Odd ""Deals"".v2" ("Stäge; x", "Stäge; x_2") INCLUDE ("ID");
      INSERT INTO "Odd ""Deals"".v2" SELECT g, (ARRAY['open', 'won'])[1 + g % 2], 'Stäge; x' FROM generate_series(1, 500) g;`,
    );
    const f = writePlan(
      tempDir(),
      `{ id: 'enum-odd', expand: [op.convertToEnum({ id: 'odd', table: { name: 'Odd "Deals".v2' }, column: 'Stäge; x', enum: { name: 'Odd "Stage"' }, values: ['open', 'won'] })] }`,
    );
    const r = await runFile(f, { databaseUrl: url, config });
    expect(r.message).toBeUndefined();
    expect(
      (await query(url, `SELECT progress->>'path' AS p FROM tidemark.steps WHERE plan_id = 'enum-odd'`))[0].p,
    ).toBe('shadow');
    const idx = await query(
      url,
      `SELECT pg_get_indexdef(c.oid) AS def, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'idx "1"'`,
    );
    expect(idx).toEqual([
      {
        def: 'CREATE INDEX "idx ""1""" ON public."Odd ""Deals"".v2" USING btree ("Stäge; x", "Stäge; x_2") INCLUDE ("ID")',
        indisvalid: true,
      },
    ]);
    const type = async () =>
      (
        await query(
          url,
          `SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = '"Odd ""Deals"".v2"'::regclass AND attname = 'Stäge; x'`,
        )
      )[0].t;
    expect(await type()).toBe('"Odd ""Stage"""');
    expect(
      (await query(url, `SELECT count(*)::int AS n FROM "Odd ""Deals"".v2" WHERE "Stäge; x_2" = 'Stäge; x'`))[0].n,
    ).toBe(500);
    expect((await rollbackFile(f)).exitCode).toBe(0);
    expect(await type()).toBe('text');
  });

  it('after kill -9 of the runner mid-backfill, a rerun resumes after the last saved key and completes', async () => {
    const K = 'deals_kill';
    await query(url, SETUP(K).replace('generate_series(1, 10000)', 'generate_series(1, 20000)'));
    const dir = tempDir();
    const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
    const script = join(dir, 'runner.mjs');
    const def = `{ id: 'enum-kill', expand: [op.convertToEnum({ id: 'stage-enum', table: '${K}', column: 'stage', enum: '${K}_stage', values: ['open', 'won', 'lost'], batch: { size: 50 } })] }`;
    writeFileSync(
      script,
      `
      const { definePlan, op, validatePlan, runPlan } = await import(${JSON.stringify(dist)});
      const plan = await validatePlan(definePlan(${def}));
      await runPlan(plan, { databaseUrl: process.argv[2], config: { shadowThresholdRows: 0, backfill: { targetBatchMs: 2 } } });
    `,
    );
    const child = spawn(process.execPath, [script, url], { stdio: 'ignore' });
    let cursor: unknown = null;
    for (let i = 0; i < 600 && !cursor; i++) {
      await new Promise((r) => setTimeout(r, 25));
      const p = await query<{ c: unknown }>(
        url,
        `SELECT progress->'shadow'->'cursor' AS c FROM tidemark.steps WHERE plan_id = 'enum-kill'`,
      ).catch(() => []);
      cursor = p[0]?.c ?? null;
    }
    expect(cursor).not.toBeNull();
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await query(
      url,
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'tidemark:enum-kill%' AND pid <> pg_backend_pid()`,
    );
    expect((await catalog(K)).col.type).toBe('character varying(32)');
    await query(url, `UPDATE ${K} SET stage = 'won' WHERE id = 19999`);

    const f = writePlan(tempDir(), def);
    const r = await runFile(f, {
      databaseUrl: url,
      config: { ...config, shadowThresholdRows: 0, backfill: { targetBatchMs: 200 } },
    });
    expect(r.message).toBeUndefined();
    expect(r.events.some((e) => e.type === 'step.start' && e.resumed)).toBe(true);
    expect(r.events.some((e) => e.type === 'notice' && /resuming the shadow backfill/.test(e.message))).toBe(true);
    expect((await catalog(K)).col.type).toBe(`${K}_stage`);
    expect((await query(url, `SELECT stage::text AS s FROM ${K} WHERE id = 19999`))[0].s).toBe('won');
    expect(
      (
        await query(
          url,
          `SELECT count(*)::int AS n FROM ${K} WHERE stage::text <> (ARRAY['open', 'won', 'lost'])[1 + id % 3] AND id <> 19999`,
        )
      )[0].n,
    ).toBe(0);
    expect((await query(url, `SELECT status FROM tidemark.steps WHERE plan_id = 'enum-kill'`))[0].status).toBe(
      'completed',
    );
    expect((await rollbackFile(f)).exitCode).toBe(0);
  });
});
