import { beforeAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

/** The plan problems of a file (its load must fail). */
async function loadError(file: string): Promise<string> {
  try {
    await loadPlan(file);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the plan loaded');
}

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('backfill_update');
});

describe('backfill.update with set', () => {
  it('fills a column in batches, naming the table by its own name, and is idempotent with where', async () => {
    await query(
      url,
      `CREATE TABLE "MessageThread" (id bigint PRIMARY KEY, "orgId" int, intent text, "primaryIntent" text, n int)`,
    );
    await query(url, `INSERT INTO "MessageThread" SELECT g, g % 7, 'i' || g, NULL, 0 FROM generate_series(1, 5000) g`);
    const file = writePlan(
      tempDir(),
      `{
      id: 'bf-set',
      backfill: [backfill.update({ id: 'fill', table: 'MessageThread', set: { primaryIntent: '"MessageThread".intent || \\':\\' || "orgId"' }, where: '"primaryIntent" IS NULL', batch: { size: 700 } })],
    }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.message).toBeUndefined();
    expect(r.exitCode).toBe(0);
    const bad = await query(
      url,
      `SELECT count(*)::int AS n FROM "MessageThread" WHERE "primaryIntent" IS DISTINCT FROM intent || ':' || "orgId"`,
    );
    expect(bad[0].n).toBe(0);
    const batches = await query(
      url,
      `SELECT count(*)::int AS n, sum(rows)::int AS rows FROM tidemark.batches WHERE step_id = 'fill'`,
    );
    expect(batches[0]).toEqual({ n: 8, rows: 5000 });
    const prog = r.events.filter((e) => e.type === 'step.progress');
    expect(prog.length).toBeGreaterThanOrEqual(8);
    expect(prog.at(-1)).toMatchObject({ done: 5000, total: 5000 });
  });
});

describe('keys', () => {
  it('walks a composite primary key in order', async () => {
    await query(url, `CREATE TABLE comp (org int, code text, v int, w int, PRIMARY KEY (org, code))`);
    await query(url, `INSERT INTO comp SELECT g % 5, 'c' || g, g, NULL FROM generate_series(1, 2000) g`);
    const file = writePlan(
      tempDir(),
      `{ id: 'bf-comp', backfill: [backfill.update({ id: 'w', table: 'comp', set: { w: 'v * 2' }, batch: { size: 150 } })] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode).toBe(0);
    expect((await query(url, `SELECT count(*)::int n FROM comp WHERE w IS DISTINCT FROM v * 2`))[0].n).toBe(0);
    const b = await query<{ key_to: Record<string, string> }>(
      url,
      `SELECT key_to FROM tidemark.batches WHERE plan_id = 'bf-comp' ORDER BY id LIMIT 1`,
    );
    expect(Object.keys(b[0].key_to)).toEqual(['org', 'code']);
  });

  it('uses a given unique NOT NULL key on a table without a primary key', async () => {
    await query(url, `CREATE TABLE nopk (ext uuid NOT NULL UNIQUE, v int, w int)`);
    await query(url, `INSERT INTO nopk SELECT gen_random_uuid(), g, NULL FROM generate_series(1, 300) g`);
    const file = writePlan(
      tempDir(),
      `{ id: 'bf-nopk', backfill: [backfill.update({ id: 'w', table: 'nopk', key: ['ext'], set: { w: 'v + 1' }, batch: { size: 64 } })] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.message).toBeUndefined();
    expect((await query(url, `SELECT count(*)::int n FROM nopk WHERE w IS DISTINCT FROM v + 1`))[0].n).toBe(0);
  });

  it('refuses a table with neither a primary key nor a given key, with the reason, writing nothing', async () => {
    await query(url, `CREATE TABLE heap (a int NOT NULL, b int, v int)`);
    await query(url, `CREATE UNIQUE INDEX ON heap (a)`);
    await query(url, `INSERT INTO heap SELECT g, NULL, g FROM generate_series(1, 10) g`);
    const file = writePlan(
      tempDir(),
      `{ id: 'bf-heap', backfill: [backfill.update({ id: 'w', table: 'heap', set: { b: 'v' } })] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode).toBe(2);
    expect(r.message).toContain('step "w" › key');
    expect(r.message).toContain('has no primary key');
    expect(r.message).toContain(`['a']`);
    expect((await query(url, `SELECT count(b)::int n FROM heap`))[0].n).toBe(0);
    const nullable = writePlan(
      tempDir(),
      `{ id: 'bf-heap2', backfill: [backfill.update({ id: 'w', table: 'heap', key: ['b'], set: { v: 'a' } })] }`,
    );
    const r2 = await runFile(nullable, { databaseUrl: url });
    expect(r2.exitCode).toBe(2);
    expect(r2.message).toContain('no unique index on (b)');
  });
});

describe('edge cases', () => {
  it('completes on an empty table', async () => {
    await query(url, `CREATE TABLE empty_t (id int PRIMARY KEY, v int)`);
    const file = writePlan(
      tempDir(),
      `{ id: 'bf-empty', backfill: [backfill.update({ id: 'w', table: 'empty_t', set: { v: '1' } })] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode).toBe(0);
    expect(r.steps[0]).toMatchObject({ outcome: 'applied', rowsAffected: 0 });
  });

  it('lands a non-idempotent set exactly once per row', async () => {
    await query(url, `CREATE TABLE hits (id int PRIMARY KEY, hits int NOT NULL DEFAULT 0)`);
    await query(url, `INSERT INTO hits (id) SELECT g FROM generate_series(1, 3000) g`);
    const file = writePlan(
      tempDir(),
      `{ id: 'bf-hits', backfill: [backfill.update({ id: 'h', table: 'hits', set: { hits: 'hits + 1' } })] }`,
    );
    expect((await runFile(file, { databaseUrl: url })).exitCode).toBe(0);
    expect((await runFile(file, { databaseUrl: url })).status).toBe('nothing');
    expect(await query(url, `SELECT hits, count(*)::int n FROM hits GROUP BY hits`)).toEqual([{ hits: 1, n: 3000 }]);
  });

  it('starts small and keeps every batch near the target', async () => {
    await query(url, `CREATE TABLE slow (id int PRIMARY KEY, v int)`);
    await query(url, `INSERT INTO slow SELECT g, NULL FROM generate_series(1, 8000) g`);
    // About 0.2 ms of CPU per row: a batch of 1000 rows would take 4 × the target.
    await query(
      url,
      `CREATE FUNCTION slow_id(i int) RETURNS int LANGUAGE sql AS $$ SELECT i + (SELECT count(*) FROM generate_series(1, 3000))::int * 0 $$`,
    );
    const file = writePlan(
      tempDir(),
      `{ id: 'bf-slow', backfill: [backfill.update({ id: 's', table: 'slow', set: { v: 'slow_id(id)' }, batch: { targetMs: 100 } })] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode).toBe(0);
    const b = await query<{ size: number; duration_ms: number }>(
      url,
      `SELECT size, duration_ms FROM tidemark.batches WHERE plan_id = 'bf-slow' ORDER BY id`,
    );
    expect(b[0].size).toBeLessThanOrEqual(16);
    // "No batch much over 2 × target". A loaded test machine can stall any one batch, so: nearly all
    // under 2 × target and none wildly over (a fixed 1000-row first batch would take ~15 × target).
    const d = b.map((x) => x.duration_ms);
    expect(d[0]).toBeLessThan(200);
    expect(d.filter((x) => x < 200).length / d.length).toBeGreaterThan(0.9);
    expect(Math.max(...d)).toBeLessThan(500);
    expect(Math.max(...b.map((x) => x.size))).toBeGreaterThan(100);
  });
  it('cancels a batch that runs past 1.5 × target (rows suddenly costlier) and retries it smaller', async () => {
    await query(url, `CREATE TABLE dense (id int PRIMARY KEY, v int)`);
    await query(url, `INSERT INTO dense SELECT g, NULL FROM generate_series(1, 30000) g`);
    // Rows 20001..20600 cost ~100 × more than the others: a batch sized on the cheap rows would run for seconds.
    await query(
      url,
      `CREATE FUNCTION costly(i int) RETURNS int LANGUAGE sql AS $$ SELECT CASE WHEN i BETWEEN 20001 AND 20600 THEN i + (SELECT count(*) FROM generate_series(1, 20000))::int * 0 ELSE i END $$`,
    );
    const file = writePlan(
      tempDir(),
      `{ id: 'bf-dense', backfill: [backfill.update({ id: 'd', table: 'dense', set: { v: 'costly(id)' }, batch: { targetMs: 100 } })] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.message).toBeUndefined();
    expect((await query(url, `SELECT count(*)::int n FROM dense WHERE v IS DISTINCT FROM id`))[0].n).toBe(0);
    const notes = r.events.flatMap((e) => (e.type === 'step.progress' && e.note ? [e.note] : []));
    expect(
      notes.some((n) => /^a batch of \d+ rows ran past 1\.5 × target: cancelled, retrying with \d+$/.test(n)),
    ).toBe(true);
    const d = (
      await query<{ ms: number }>(url, `SELECT duration_ms AS ms FROM tidemark.batches WHERE plan_id = 'bf-dense'`)
    ).map((x) => x.ms);
    expect(Math.max(...d)).toBeLessThan(400);
  });
});

describe('transform', () => {
  it('gets bigint as strings and timestamps as Dates, and writes objects as jsonb and Dates as timestamps', async () => {
    await query(
      url,
      `CREATE TABLE ev (id bigint PRIMARY KEY, created timestamptz NOT NULL, local_ts timestamp, payload text, meta jsonb, seen timestamptz, kinds text, skip boolean)`,
    );
    await query(
      url,
      `INSERT INTO ev SELECT g, '2024-01-01T00:00:00Z'::timestamptz + g * interval '1 hour', '2024-03-04 05:06:07.891', '{"n":' || g || '}', NULL, NULL, NULL, g % 10 = 0 FROM generate_series(1, 500) g`,
    );
    const file = writePlan(
      tempDir(),
      `{ id: 'bf-tr', backfill: [backfill.update({ id: 't', table: 'ev', select: ['created', 'local_ts', 'payload', 'skip'], batch: { size: 120 },
      transform: async (rows) => rows.filter((r) => !r.skip).map((r) => ({
        id: r.id,
        meta: { parsed: JSON.parse(r.payload), tags: ['a', 'b'], at: r.created },
        seen: new Date(r.created.getTime() + 1000),
        local_ts: r.local_ts,
        kinds: typeof r.id + '/' + (r.created instanceof Date),
      })),
    })] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.message).toBeUndefined();
    expect(r.exitCode).toBe(0);
    const rows = await query(
      url,
      `SELECT id::int, jsonb_typeof(meta) AS t, meta->'parsed'->>'n' AS n, meta->'tags' AS tags, seen = created + interval '1 second' AS seen_ok, local_ts::text AS lt, kinds FROM ev ORDER BY id LIMIT 2`,
    );
    expect(rows[0]).toEqual({
      id: 1,
      t: 'object',
      n: '1',
      tags: ['a', 'b'],
      seen_ok: true,
      lt: '2024-03-04 05:06:07.891',
      kinds: 'string/true',
    });
    expect((await query(url, `SELECT count(*)::int n FROM ev WHERE meta IS NULL`))[0].n).toBe(50);
    expect(r.steps[0].rowsAffected).toBe(450);
  });

  it('fails clearly when transform returns a row outside its batch or an unknown column', async () => {
    await query(url, `CREATE TABLE tr2 (id int PRIMARY KEY, v int)`);
    await query(url, `INSERT INTO tr2 SELECT g, g FROM generate_series(1, 10) g`);
    const file = writePlan(
      tempDir(),
      `{ id: 'bf-tr2', backfill: [backfill.update({ id: 't', table: 'tr2', transform: (rows) => rows.map((r) => ({ id: r.id, nope: 1 })) })] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain('transform set column "nope"');
    const file2 = writePlan(
      tempDir(),
      `{ id: 'bf-tr3', backfill: [backfill.update({ id: 't', table: 'tr2', transform: (rows) => [{ id: 999, v: 1 }] })] }`,
    );
    const r2 = await runFile(file2, { databaseUrl: url });
    expect(r2.exitCode).toBe(1);
    expect(r2.message).toContain('not in the batch');
  });
});

describe('bad input', () => {
  it('lists every option problem at once before anything runs', async () => {
    await query(url, `CREATE TABLE bi (id int PRIMARY KEY, a int, b int)`);
    const file = writePlan(
      tempDir(),
      `{ id: 'bf-bad', backfill: [
      backfill.update({ id: 'both', table: 'bi', set: { a: '1' }, transform: (r) => r }),
      backfill.update({ id: 'sync-tr', table: 'bi', transform: (r) => r, keepInSync: true }),
      backfill.update({ id: 'sel', table: 'bi', set: { a: '1' }, select: ['b'] }),
    ] }`,
    );
    const msg = await loadError(file);
    expect(msg).toContain('step "both" › transform: give exactly one of `set`');
    expect(msg).toContain('step "sync-tr" › keepInSync: cannot be used with `transform`');
    expect(msg).toContain('step "sel" › select: is only used with `transform`');
  });

  it('names the field of a wrong expression and writes nothing', async () => {
    await query(url, `CREATE TABLE bx (id int PRIMARY KEY, a int, b text)`);
    await query(url, `INSERT INTO bx SELECT g, NULL, 'x' FROM generate_series(1, 10) g`);
    const file = writePlan(
      tempDir(),
      `{ id: 'bf-bx', backfill: [backfill.update({ id: 'w', table: 'bx', set: { a: 'nosuch + 1', b: '42' }, where: 'zzz IS NULL', keepInSync: true })] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode).toBe(2);
    expect(r.message).toContain('step "w" › set.a: column "nosuch" does not exist');
    expect(r.message).toContain('step "w" › where: column "zzz" does not exist');
    expect((await query(url, `SELECT count(a)::int n FROM bx`))[0].n).toBe(0);
    expect((await query(url, `SELECT count(*)::int n FROM pg_trigger WHERE tgrelid = 'bx'::regclass`))[0].n).toBe(0);
  });

  it('refuses a keepInSync expression the trigger could not evaluate (schema-qualified column)', async () => {
    await query(url, `CREATE TABLE bq (id int PRIMARY KEY, a int, b int)`);
    const file = writePlan(
      tempDir(),
      `{ id: 'bf-bq', backfill: [backfill.update({ id: 'w', table: 'bq', set: { b: 'public.bq.a + 1' }, keepInSync: true })] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode).toBe(2);
    expect(r.message).toContain('step "w" › set.b: ');
    expect(r.message).toContain('as the keepInSync trigger evaluates it');
    expect((await query(url, `SELECT count(*)::int n FROM pg_trigger WHERE tgrelid = 'bq'::regclass`))[0].n).toBe(0);
  });
});
