/**
 * The bulk copies of the op.* kinds go through the backfill engine: a convertToEnum shadow fill
 * and a dropColumn archive copy pause while `throttle.when` holds, write one batch record per
 * committed batch (sizes as `batch` pins them), and report progress like a backfill.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { TidemarkEvent } from '../../src/kind/events.js';
import { loadPlan } from '../../src/plan/load.js';
import { runPlan } from '../../src/runner/run.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('ops_walker');
});

async function batches(planId: string): Promise<{ n: number; rows: number; sizes: number[] }> {
  const r = await query<{ rows: string; size: number }>(
    url,
    `SELECT rows, size FROM tidemark.batches WHERE plan_id = $1 ORDER BY id`,
    [planId],
  );
  return { n: r.length, rows: r.reduce((a, b) => a + Number(b.rows), 0), sizes: r.map((b) => b.size) };
}

describe('op.* bulk copies through the backfill engine', () => {
  it('a convertToEnum shadow fill waits while throttle.when holds, then fills in recorded batches of the pinned size', async () => {
    await query(
      url,
      `DROP TABLE IF EXISTS w_deals, w_pause CASCADE;
       CREATE TABLE w_pause (on_hold boolean);
       INSERT INTO w_pause VALUES (true);
       CREATE TABLE w_deals (id bigserial PRIMARY KEY, stage text NOT NULL);
       INSERT INTO w_deals (stage) SELECT (ARRAY['open', 'won'])[1 + g % 2] FROM generate_series(1, 1000) g;
       ANALYZE w_deals;`,
    );
    const file = writePlan(
      tempDir(),
      `{ id: 'walk-enum', expand: [op.convertToEnum({ id: 'to-enum', table: 'w_deals', column: 'stage', enum: 'w_stage', values: ['open', 'won'], batch: { size: 100 }, throttle: { when: 'SELECT bool_or(on_hold) FROM w_pause', checkEveryMs: 50 } })] }`,
    );
    const events: TidemarkEvent[] = [];
    const run = runPlan(await loadPlan(file), {
      databaseUrl: url,
      config: { shadowThresholdRows: 0 },
      events: (e) => events.push(e),
    });
    // Paused: the shadow column exists, no batch commits while the condition holds.
    for (
      let i = 0;
      i < 200 && !events.some((e) => e.type === 'step.progress' && /throttle\.when/.test(e.note ?? ''));
      i++
    )
      await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500));
    expect((await batches('walk-enum')).n).toBe(0);
    await query(url, `UPDATE w_pause SET on_hold = false`);
    const r = await run;
    expect(r.message).toBeUndefined();
    expect(r.exitCode).toBe(0);
    const b = await batches('walk-enum');
    expect(b.rows).toBe(1000);
    expect(b.n).toBeGreaterThanOrEqual(10);
    expect(b.sizes.every((s) => s <= 100)).toBe(true);
    expect(events.some((e) => e.type === 'step.progress' && /resumed after/.test(e.note ?? ''))).toBe(true);
    expect(
      (
        await query(
          url,
          `SELECT format_type(atttypid, NULL) AS t FROM pg_attribute WHERE attrelid = 'w_deals'::regclass AND attname = 'stage'`,
        )
      )[0].t,
    ).toBe('w_stage');
  });

  it('a dropColumn archive copy writes batch records and progress events', async () => {
    await query(
      url,
      `DROP TABLE IF EXISTS w_orders CASCADE;
       CREATE TABLE w_orders (id int PRIMARY KEY, note text);
       INSERT INTO w_orders SELECT g, 'n' || g FROM generate_series(1, 500) g;`,
    );
    const file = writePlan(
      tempDir(),
      `{ id: 'walk-drop', contract: [op.dropColumn({ id: 'drop-note', table: 'w_orders', column: 'note', batch: { size: 50 } })] }`,
    );
    const events: TidemarkEvent[] = [];
    const r = await runPlan(await loadPlan(file), { databaseUrl: url, events: (e) => events.push(e) });
    expect(r.message).toBeUndefined();
    expect(r.exitCode).toBe(0);
    const b = await batches('walk-drop');
    expect(b.rows).toBe(500);
    expect(b.n).toBeGreaterThanOrEqual(10);
    expect(events.some((e) => e.type === 'step.progress' && e.note === 'archiving')).toBe(true);
  });
});
