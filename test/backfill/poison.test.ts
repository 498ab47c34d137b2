import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('backfill_poison');
});

async function table(name: string, rows: number, bad: number[]): Promise<void> {
  await query(
    url,
    `CREATE TABLE ${name} (id int PRIMARY KEY, raw text, n int CHECK (n >= 0), hits int NOT NULL DEFAULT 0)`,
  );
  await query(
    url,
    `INSERT INTO ${name} (id, raw) SELECT g, CASE WHEN g = ANY($1) THEN 'x' || g ELSE g::text END FROM generate_series(1, ${rows}) g`,
    [bad],
  );
}

describe('poison rows', () => {
  it("onError 'stop': isolates the failing rows by bisection, saves the rest, fails naming them; a rerun retries them first", async () => {
    await table('p_stop', 3000, [1234, 1240]);
    const file = writePlan(
      tempDir(),
      `{ id: 'p-stop', backfill: [backfill.update({ id: 'cast', table: 'p_stop', set: { n: 'raw::int', hits: 'hits + 1' }, batch: { size: 500 } })] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain('2 row(s) failed and were left unchanged');
    expect(r.message).toContain('id=1234: invalid input syntax for type integer: "x1234" [22P02]');
    expect(r.message).toContain('id=1240');
    // The rest of the failing batch (1001..1500) was saved; nothing after it ran.
    expect((await query(url, `SELECT count(*)::int n FROM p_stop WHERE hits = 1`))[0].n).toBe(1498);
    expect((await query(url, `SELECT min(id)::int lo, max(id)::int hi FROM p_stop WHERE hits = 0`))[0]).toEqual({
      lo: 1234,
      hi: 3000,
    });
    const poison = await query(
      url,
      `SELECT key, sqlstate FROM tidemark.poison_rows WHERE plan_id = 'p-stop' ORDER BY id`,
    );
    expect(poison).toEqual([
      { key: { id: '1234' }, sqlstate: '22P02' },
      { key: { id: '1240' }, sqlstate: '22P02' },
    ]);
    const failed = r.events.find((e) => e.type === 'step.failed');
    expect(failed).toBeTruthy();

    // Still bad: the retry fails again, nothing else moves.
    const again = await runFile(file, { databaseUrl: url });
    expect(again.exitCode).toBe(1);
    expect((await query(url, `SELECT count(*)::int n FROM p_stop WHERE hits = 1`))[0].n).toBe(1498);

    // Fixed: the retried rows go first, then the walk continues; every row exactly once.
    await query(url, `UPDATE p_stop SET raw = '7' WHERE id IN (1234, 1240)`);
    const fixed = await runFile(file, { databaseUrl: url });
    expect(fixed.message).toBeUndefined();
    expect(fixed.exitCode).toBe(0);
    expect(await query(url, `SELECT hits, count(*)::int n FROM p_stop GROUP BY hits`)).toEqual([{ hits: 1, n: 3000 }]);
    expect((await query(url, `SELECT n FROM p_stop WHERE id = 1234`))[0].n).toBe(7);
  });

  it("onError 'skip': continues past the failing rows and reports them at the end", async () => {
    await table('p_skip', 2000, [10, 1999]);
    await query(url, `UPDATE p_skip SET raw = '-5' WHERE id = 700`); // violates the CHECK: a 23514
    const file = writePlan(
      tempDir(),
      `{ id: 'p-skip', backfill: [backfill.update({ id: 'cast', table: 'p_skip', set: { n: 'raw::int' }, onError: 'skip', batch: { size: 256 } })] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.message).toBeUndefined();
    expect(r.exitCode).toBe(0);
    expect(r.steps[0].rowsAffected).toBe(1997);
    const done = r.events.find((e) => e.type === 'step.done');
    expect(done && 'notes' in done ? done.notes?.join('\n') : '').toContain(
      "3 row(s) failed and were skipped (onError: 'skip')",
    );
    // (the plan's lint warning — this backfill has no `where` — is a notice too: left out here)
    expect(
      r.events
        .filter((e) => e.type === 'notice' && e.level === 'warn' && !e.message.startsWith('lint:'))
        .map((e) => (e as { message: string }).message),
    ).toEqual([
      expect.stringContaining('row id=10 failed [22P02]'),
      expect.stringContaining('row id=700 failed [23514]'),
      expect.stringContaining('row id=1999 failed [22P02]'),
    ]);
    expect((await query(url, `SELECT count(*)::int n FROM p_skip WHERE n IS NULL`))[0].n).toBe(3);
    expect((await query(url, `SELECT count(*)::int n FROM tidemark.poison_rows WHERE plan_id = 'p-skip'`))[0].n).toBe(
      3,
    );
  });

  it('stops when most of a batch fails: a wrong expression, not bad rows', async () => {
    await query(url, `CREATE TABLE p_all (id int PRIMARY KEY, raw text, n int)`);
    await query(url, `INSERT INTO p_all SELECT g, 'x', NULL FROM generate_series(1, 5000) g`);
    const file = writePlan(
      tempDir(),
      `{ id: 'p-all', backfill: [backfill.update({ id: 'cast', table: 'p_all', set: { n: 'raw::int' }, onError: 'skip', batch: { size: 2000 } })] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain('100 rows of one batch failed');
  });

  it('a transform that throws on a row is bisected like a data error', async () => {
    await query(url, `CREATE TABLE p_tr (id int PRIMARY KEY, v int, w int)`);
    await query(url, `INSERT INTO p_tr SELECT g, g, NULL FROM generate_series(1, 300) g`);
    const file = writePlan(
      tempDir(),
      `{ id: 'p-tr', backfill: [backfill.update({ id: 't', table: 'p_tr', select: ['v'], onError: 'skip', batch: { size: 100 },
      transform: (rows) => rows.map((r) => { if (r.v === 150) throw new Error('cannot map 150'); return { id: r.id, w: r.v * 10 }; }) })] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode).toBe(0);
    expect(r.steps[0].rowsAffected).toBe(299);
    const p = await query(url, `SELECT key, error FROM tidemark.poison_rows WHERE plan_id = 'p-tr'`);
    expect(p).toEqual([{ key: { id: '150' }, error: 'transform threw: cannot map 150' }]);
  });

  it('with concurrent batches, the batches after a failing one are rolled back and redone: rows exactly once', async () => {
    await table('p_conc', 4000, [1500, 3333]);
    const file = writePlan(
      tempDir(),
      `{ id: 'p-conc', backfill: [backfill.update({ id: 'cast', table: 'p_conc', set: { n: 'raw::int', hits: 'hits + 1' }, onError: 'skip', batch: { size: 200, concurrency: 3 } })] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.message).toBeUndefined();
    expect(r.steps[0].rowsAffected).toBe(3998);
    expect(await query(url, `SELECT hits, count(*)::int n FROM p_conc GROUP BY hits ORDER BY hits`)).toEqual([
      { hits: 0, n: 2 },
      { hits: 1, n: 3998 },
    ]);
  });
});
