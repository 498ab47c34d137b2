/**
 * Seed 003 (number classes for message threads) as Tidemark backfills, including the TypeScript
 * transform that classifies clients from explicit recurrence flags.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('backfill_seed_003');
  await query(
    url,
    `CREATE TABLE "MessageNumber" (id text PRIMARY KEY, "orgId" text NOT NULL, "isActive" boolean NOT NULL, "createdAt" timestamptz NOT NULL, "numberClass" text)`,
  );
  await query(
    url,
    `INSERT INTO "MessageNumber" SELECT 'n' || g, 'org' || (g % 20), g % 7 <> 0, now() - g * interval '1 day', NULL FROM generate_series(1, 120) g`,
  );
  await query(
    url,
    `CREATE TABLE "MessageThread" (id text PRIMARY KEY, "orgId" text NOT NULL, "messageNumberId" text REFERENCES "MessageNumber", "numberClass" text, "bookingFlags" jsonb, "isOneTimeClient" boolean)`,
  );
  await query(
    url,
    `INSERT INTO "MessageThread" SELECT 't' || lpad(g::text, 6, '0'), 'org' || (g % 20), CASE WHEN g % 5 = 0 THEN 'n' || (g % 120 + 1) END, NULL,
      CASE g % 3 WHEN 0 THEN '{"recurring": true}'::jsonb WHEN 1 THEN '{"weeklyPlan": "mon"}'::jsonb END, NULL FROM generate_series(1, 30000) g`,
  );
});

describe('seed 003 backfills', () => {
  it('front desk per org, every thread numbered and classed, clients classified by a transform; a rerun is a no-op', async () => {
    const file = writePlan(
      tempDir(),
      `{
      id: 'phase-1-4',
      backfill: [
        backfill.update({ id: 'front-desk', table: 'MessageNumber', set: { numberClass: "'front_desk'" },
          where: '"id" IN (SELECT DISTINCT ON ("orgId") id FROM "MessageNumber" WHERE "isActive" ORDER BY "orgId", "createdAt")' }),
        backfill.update({ id: 'pool', table: 'MessageNumber', set: { numberClass: "'pool'" }, where: '"numberClass" IS NULL' }),
        backfill.update({ id: 'thread-number', table: 'MessageThread',
          set: { messageNumberId: '(SELECT n.id FROM "MessageNumber" n WHERE n."orgId" = "MessageThread"."orgId" AND n."numberClass" = \\'front_desk\\')' },
          where: '"messageNumberId" IS NULL' }),
        backfill.update({ id: 'thread-class', table: 'MessageThread',
          set: { numberClass: '(SELECT n."numberClass" FROM "MessageNumber" n WHERE n.id = "MessageThread"."messageNumberId")' },
          where: '"numberClass" IS NULL' }),
        backfill.update({ id: 'one-time-clients', table: 'MessageThread', select: ['bookingFlags'], where: '"isOneTimeClient" IS NULL',
          transform: (threads) => threads.map((t) => ({ id: t.id, isOneTimeClient: !(t.bookingFlags?.recurring === true || typeof t.bookingFlags?.weeklyPlan === 'string') })) }),
      ],
    }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.message).toBeUndefined();
    expect(r.exitCode).toBe(0);
    expect(
      await query(
        url,
        `SELECT count(*)::int n FROM (SELECT "orgId" FROM "MessageNumber" WHERE "numberClass" = 'front_desk' GROUP BY 1 HAVING count(*) = 1) x`,
      ),
    ).toEqual([{ n: 20 }]);
    expect(
      (
        await query(
          url,
          `SELECT count(*)::int n FROM "MessageThread" WHERE "messageNumberId" IS NULL OR "numberClass" IS NULL OR "isOneTimeClient" IS NULL`,
        )
      )[0].n,
    ).toBe(0);
    expect(
      await query(url, `SELECT "isOneTimeClient" AS one, count(*)::int n FROM "MessageThread" GROUP BY 1 ORDER BY 1`),
    ).toEqual([
      { one: false, n: 20000 },
      { one: true, n: 10000 },
    ]);
    const again = await runFile(file, { databaseUrl: url });
    expect(again.status).toBe('nothing');
  });
});
