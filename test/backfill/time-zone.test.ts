/**
 * A transform's timestamps never depend on the time zone of the machine running Tidemark:
 * `timestamp` (without time zone) values arrive as their UTC wall-clock time and Dates are written
 * back as UTC instants — so on a New York laptop, `new Date('2026-01-02T03:04:05.678Z')` lands in a
 * Prisma-style `timestamp(3)` column as `2026-01-02 03:04:05.678`, and a value read and written back
 * unchanged stays the same.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUtcTimestamp } from '../../src/db/connection.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

let url: string;
const tz = process.env.TZ;

beforeAll(async () => {
  process.env.TZ = 'America/New_York';
  url = await createTestDatabase('backfill_time_zone');
  await query(
    url,
    `CREATE TABLE events (id int PRIMARY KEY, "createdAt" timestamp(3) NOT NULL, "copiedAt" timestamp(3), "seenAt" timestamptz, "fixedAt" timestamp(3))`,
  );
  await query(
    url,
    `INSERT INTO events (id, "createdAt") SELECT g, timestamp '2025-11-04 23:30:00.125' + g * interval '1 hour' FROM generate_series(1, 50) g`,
  );
  await query(url, `CREATE TABLE copies (id int PRIMARY KEY, "createdAt" timestamp(3) NOT NULL)`);
});

afterAll(() => {
  if (tz === undefined) delete process.env.TZ;
  else process.env.TZ = tz;
});

describe('timestamps in transforms', () => {
  it('the machine runs in New York (the test would prove nothing in UTC)', () => {
    expect(new Date('2026-01-02T03:04:05Z').getHours()).toBe(22);
  });

  it('backfill.update: a timestamp read and written back is unchanged; a Date lands as its UTC time in timestamp and timestamptz', async () => {
    const file = writePlan(
      tempDir(),
      `{ id: 'tz-update', backfill: [backfill.update({ id: 'copy', table: 'events', select: ['createdAt'],
      transform: async (rows) => rows.map((r) => ({ id: r.id, copiedAt: r.createdAt, seenAt: new Date('2026-01-02T03:04:05.678Z'), fixedAt: new Date('2026-01-02T03:04:05.678Z') })) })] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.message).toBeUndefined();
    expect(
      await query(url, `SELECT count(*)::int AS n FROM events WHERE "copiedAt" IS DISTINCT FROM "createdAt"`),
    ).toEqual([{ n: 0 }]);
    const row = (
      await query<{ fixed: string; seen: string }>(
        url,
        `SELECT "fixedAt"::text AS fixed, to_char("seenAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') AS seen FROM events WHERE id = 1`,
      )
    )[0];
    expect(row).toEqual({ fixed: '2026-01-02 03:04:05.678', seen: '2026-01-02 03:04:05.678' });
  });

  it('backfill.insert: timestamps copied through a transform keep their wall-clock time', async () => {
    const file = writePlan(
      tempDir(),
      `{ id: 'tz-insert', backfill: [backfill.insert({ id: 'copy', from: 'events', into: 'copies', select: ['createdAt'],
      transform: async (rows) => rows.map((r) => ({ id: r.id, createdAt: r.createdAt })) })] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.message).toBeUndefined();
    expect(
      await query(
        url,
        `SELECT count(*)::int AS n FROM copies c JOIN events e USING (id) WHERE c."createdAt" = e."createdAt"`,
      ),
    ).toEqual([{ n: 50 }]);
  });

  it('parses every shape PostgreSQL prints for timestamp', () => {
    expect((parseUtcTimestamp('2026-01-02 03:04:05') as Date).toISOString()).toBe('2026-01-02T03:04:05.000Z');
    expect((parseUtcTimestamp('2026-01-02 03:04:05.123456') as Date).toISOString()).toBe('2026-01-02T03:04:05.123Z');
    expect((parseUtcTimestamp('0044-03-15 12:00:00 BC') as Date).getUTCFullYear()).toBe(-43);
    expect(parseUtcTimestamp('infinity')).toBe('infinity');
  });
});
