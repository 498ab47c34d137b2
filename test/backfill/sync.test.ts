import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { removeSyncTriggers } from '../../src/backfill/sync-trigger.js';
import { Db } from '../../src/db/connection.js';
import { DEFAULT_LOCK_POLICY } from '../../src/db/lock-policy.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { loadPlan } from '../../src/plan/load.js';
import { rollbackPlan } from '../../src/runner/rollback.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('backfill_sync');
});

/** "Old application code": inserts rows with only the legacy column and updates legacy values, until stopped. */
function oldCode(table: string) {
  let stop = false;
  let writes = 0;
  const done = (async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      while (!stop) {
        await c.query(`INSERT INTO ${table} (model) VALUES ('m' || floor(random() * 100))`);
        await c.query(
          `UPDATE ${table} SET model = 'u' || floor(random() * 100) WHERE id = (SELECT floor(random() * 20000)::int + 1)`,
        );
        writes += 2;
      }
    } finally {
      await c.end();
    }
  })();
  return { stop: async () => ((stop = true), await done, writes) };
}

describe('keepInSync', () => {
  it('keeps legacy and new columns consistent while old code writes during the backfill; removeSyncTriggers drops it', async () => {
    await query(url, `CREATE TABLE "Message" (id serial PRIMARY KEY, model text, "modelUsed" text)`);
    await query(url, `INSERT INTO "Message" (model) SELECT 'm' || (g % 50) FROM generate_series(1, 20000) g`);
    const file = writePlan(
      tempDir(),
      `{ id: 'sync', backfill: [backfill.update({ id: 'model', table: 'Message', set: { modelUsed: '"Message".model' }, where: '"modelUsed" IS NULL', keepInSync: true, batch: { size: 400, pauseMs: 5 } })],
      contract: [gate.flag({ id: 'cutover', flag: 'sync_cutover' })] }`,
    );
    const writers = [oldCode('"Message"'), oldCode('"Message"')];
    const r = await runFile(file, { databaseUrl: url });
    await new Promise((res) => setTimeout(res, 200)); // old code keeps writing after the backfill
    const writes = (await Promise.all(writers.map((w) => w.stop()))).reduce((a, b) => a + b, 0);
    // The plan waits at its gate (old code still live), so the trigger is still there.
    expect(r.exitCode, r.message).toBe(5);
    expect(writes).toBeGreaterThan(20);
    expect(
      (await query(url, `SELECT count(*)::int n FROM "Message" WHERE "modelUsed" IS DISTINCT FROM model`))[0].n,
    ).toBe(0);
    const trg = await query(
      url,
      `SELECT trigger_name, table_name, removed_at FROM tidemark.sync_triggers WHERE plan_id = 'sync'`,
    );
    expect(trg).toHaveLength(1);
    expect(trg[0].table_name).toBe('"public"."Message"');

    const db = new Db(url);
    try {
      const removed = await removeSyncTriggers(
        { db, ledger: new Ledger(db, 'tidemark'), policy: DEFAULT_LOCK_POLICY },
        'sync',
      );
      expect(removed.map((x) => x.stepId)).toEqual(['model']);
      expect(
        await removeSyncTriggers({ db, ledger: new Ledger(db, 'tidemark'), policy: DEFAULT_LOCK_POLICY }, 'sync'),
      ).toEqual([]);
    } finally {
      await db.close();
    }
    expect(
      (
        await query(
          url,
          `SELECT count(*)::int n FROM pg_trigger WHERE tgrelid = '"Message"'::regclass AND NOT tgisinternal`,
        )
      )[0].n,
    ).toBe(0);
    expect((await query(url, `SELECT count(*)::int n FROM pg_proc WHERE proname LIKE 'tidemark_sync%'`))[0].n).toBe(0);
    expect(
      (await query(url, `SELECT removed_at IS NOT NULL AS gone FROM tidemark.sync_triggers WHERE plan_id = 'sync'`))[0]
        .gone,
    ).toBe(true);
  });

  it('reverse: new code writing the new column fills the legacy one, old code writing the legacy one fills the new one', async () => {
    await query(url, `CREATE TABLE conv (id serial PRIMARY KEY, "tokensIn" int, "tokensInput" int)`);
    await query(url, `INSERT INTO conv ("tokensIn") SELECT g FROM generate_series(1, 1000) g`);
    const file = writePlan(
      tempDir(),
      `{ id: 'rev', backfill: [backfill.update({ id: 'tok', table: 'conv', set: { tokensInput: '"tokensIn"' }, keepInSync: { reverse: { tokensIn: '"tokensInput"' } }, down: 'UPDATE conv SET "tokensInput" = NULL' })],
      contract: [gate.flag({ id: 'cutover', flag: 'rev_cutover' })] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode).toBe(5);
    await query(url, `UPDATE conv SET "tokensInput" = 500 WHERE id = 1`); // new code
    await query(url, `INSERT INTO conv ("tokensInput") VALUES (77)`); // new code
    await query(url, `UPDATE conv SET "tokensIn" = 9 WHERE id = 2`); // old code
    await query(url, `INSERT INTO conv ("tokensIn") VALUES (88)`); // old code
    expect(
      await query(
        url,
        `SELECT "tokensIn" AS a, "tokensInput" AS b FROM conv WHERE id IN (1, 2) OR id > 1000 ORDER BY id`,
      ),
    ).toEqual([
      { a: 500, b: 500 },
      { a: 9, b: 9 },
      { a: 77, b: 77 },
      { a: 88, b: 88 },
    ]);
    expect(
      (await query(url, `SELECT count(*)::int n FROM conv WHERE "tokensIn" IS DISTINCT FROM "tokensInput"`))[0].n,
    ).toBe(0);

    // Rollback removes the trigger, then runs down.
    const rb = await rollbackPlan(await loadPlan(file), { databaseUrl: url });
    expect(rb.exitCode).toBe(0);
    expect(
      (
        await query(url, `SELECT count(*)::int n FROM pg_trigger WHERE tgrelid = 'conv'::regclass AND NOT tgisinternal`)
      )[0].n,
    ).toBe(0);
    expect((await query(url, `SELECT count("tokensInput")::int n FROM conv`))[0].n).toBe(0);
  });

  it('plan shows the trigger and the per-batch statement', async () => {
    const { describePlan } = await import('../../src/runner/describe.js');
    await query(url, `CREATE TABLE d (id int PRIMARY KEY, a int, b int)`);
    const file = writePlan(
      tempDir(),
      `{ id: 'desc', backfill: [backfill.update({ id: 'b', table: 'd', set: { b: 'a * 2' }, where: 'b IS NULL', keepInSync: true })] }`,
    );
    const d = await describePlan(await loadPlan(file), { databaseUrl: url });
    const sqls = d.steps[0].actions.map((a) => a.sql);
    expect(sqls[0]).toContain('CREATE OR REPLACE FUNCTION "public"."tidemark_desc_b_sync"() RETURNS trigger');
    expect(sqls[1]).toContain(
      'CREATE OR REPLACE TRIGGER "tidemark_desc_b_sync" BEFORE INSERT OR UPDATE ON "public"."d"',
    );
    expect(sqls[2]).toBe(
      'UPDATE "d" SET "b" = (a * 2) WHERE "id" > $1::integer AND "id" <= $2::integer AND (b IS NULL)',
    );
    expect(d.steps[0].notes.join('\n')).toContain('walks id in order');
  });
});
