import { beforeAll, describe, expect, it } from 'vitest';
import { producedText } from '../../src/backfill/dry-run-transform.js';
import type { TidemarkEvent } from '../../src/kind/events.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('backfill_dry_run');
  await query(url, `CREATE TABLE conv (id int PRIMARY KEY, intent text, "primaryIntent" text, payload text)`);
  await query(
    url,
    `INSERT INTO conv SELECT g, CASE WHEN g % 4 = 0 THEN NULL ELSE 'i' || g END, CASE WHEN g <= 10 THEN 'done' END, '{"n":' || g || '}' FROM generate_series(1, 100) g`,
  );
});

const lines = (events: TidemarkEvent[], stepId: string) =>
  events.flatMap((e) => (e.type === 'step.dry-run' && e.stepId === stepId ? e.lines : []));

describe('dry run', () => {
  it('counts exactly the rows a backfill would change, shows a before/after sample, writes nothing (no ledger)', async () => {
    const file = writePlan(
      tempDir(),
      `{ id: 'dry', backfill: [
      backfill.update({ id: 'intent', table: 'conv', set: { primaryIntent: 'upper(intent)' }, where: '"primaryIntent" IS NULL AND intent IS NOT NULL', keepInSync: true }),
      backfill.update({ id: 'tr', table: 'conv', select: ['payload'], transform: (rows) => rows.filter((r) => r.id % 2 === 0).map((r) => ({ id: r.id, intent: 'n' + JSON.parse(r.payload).n })) }),
    ] }`,
    );
    const r = await runFile(file, { databaseUrl: url, dryRun: true });
    expect(r.message).toBe('dry run: nothing was written');
    expect(r.exitCode).toBe(0);
    const l = lines(r.events, 'intent');
    expect(l[0]).toBe('backfill conv: would change 67 row(s) (where "primaryIntent" IS NULL AND intent IS NOT NULL)');
    expect(l[1]).toContain('keepInSync trigger');
    expect(l[2]).toBe("  id=11: primaryIntent NULL → 'I11'");
    expect(l).toHaveLength(2 + 5);
    expect(r.steps[0].rowsAffected).toBe(67);
    const t = lines(r.events, 'tr');
    expect(t[0]).toBe(
      "backfill conv: would change 50 row(s) of 100 read (the transform's changes, counted without writing)",
    );
    expect(t[1]).toBe("  id=2: intent (not selected) → 'n2'");
    // A table nothing creates is refused before any step, as `run` refuses it (docs/plans.md).
    const missing = writePlan(
      tempDir(),
      `{ id: 'dry-missing', backfill: [backfill.insert({ id: 'copy', from: 'conv', into: 'conv_copy', values: { id: 'id', intent: 'intent' } })] }`,
    );
    const refused = await runFile(missing, { databaseUrl: url, dryRun: true });
    expect(refused.exitCode).toBe(2);
    expect(refused.message).toContain('backfill › step "copy" › into: no step creates "conv_copy" — typo?');
    expect((await query(url, `SELECT to_regnamespace('tidemark') IS NULL AS none`))[0].none).toBe(true);
    expect((await query(url, `SELECT count(*)::int n FROM conv WHERE "primaryIntent" IS NOT NULL`))[0].n).toBe(10);
    expect((await query(url, `SELECT count(*)::int n FROM pg_trigger WHERE tgrelid = 'conv'::regclass`))[0].n).toBe(0);
  });

  it('says "up to N rows, after expand" for a column a pending expand step creates', async () => {
    const file = writePlan(
      tempDir(),
      `{ id: 'dry-expand',
      expand: [sql({ id: 'add-tokens', up: 'ALTER TABLE conv ADD COLUMN "tokensUsed" int', down: 'ALTER TABLE conv DROP COLUMN "tokensUsed"' }),
        sql({ id: 'copy-table', up: 'CREATE TABLE conv_copy (id int PRIMARY KEY, intent text)', down: 'DROP TABLE conv_copy' })],
      backfill: [backfill.update({ id: 'tokens', table: 'conv', set: { tokensUsed: 'length(payload)' }, where: '"tokensUsed" IS NULL' }),
        backfill.insert({ id: 'copy', from: 'conv', into: 'conv_copy', values: { id: 'id', intent: 'intent' } })],
    }`,
    );
    const r = await runFile(file, { databaseUrl: url, dryRun: true });
    expect(r.exitCode).toBe(0);
    expect(lines(r.events, 'tokens')).toEqual([
      'backfill conv: up to 100 rows, after expand (column "tokensUsed" created by pending expand step "add-tokens", "copy-table")',
    ]);
    expect(lines(r.events, 'copy')[0]).toBe(
      'backfill conv → conv_copy: would insert 100 row(s) from 100 source row(s) (conv_copy is created by pending expand step "add-tokens", "copy-table": after expand)',
    );
    expect(
      (
        await query(
          url,
          `SELECT count(*)::int n FROM information_schema.columns WHERE table_name = 'conv' AND column_name = 'tokensUsed'`,
        )
      )[0].n,
    ).toBe(0);
  });

  it('a volatile expression cannot write in the sample query (READ ONLY)', async () => {
    await query(url, `CREATE SEQUENCE dry_seq`);
    const file = writePlan(
      tempDir(),
      `{ id: 'dry-seq', backfill: [backfill.update({ id: 'n', table: 'conv', set: { payload: "nextval('dry_seq')::text" } })] }`,
    );
    const r = await runFile(file, { databaseUrl: url, dryRun: true });
    expect(r.exitCode).toBe(0);
    expect(lines(r.events, 'n').join('\n')).toContain('sample not computed');
    expect((await query(url, `SELECT last_value::int, is_called FROM dry_seq`))[0]).toEqual({
      last_value: 1,
      is_called: false,
    });
  });

  it("counts a transform's output without writing: rows an insert would make (1 → N), extrapolated past the limit", async () => {
    await query(url, `CREATE TABLE conv_events (conv_id int, n int, PRIMARY KEY (conv_id, n))`);
    const file = writePlan(
      tempDir(),
      `{ id: 'dry-events', backfill: [
      backfill.insert({ id: 'events', from: 'conv', into: 'conv_events', select: ['payload'], where: 'id <= 40',
        transform: (rows) => rows.flatMap((r) => (r.id % 4 === 0 ? [] : [1, 2, 3].map((n) => ({ conv_id: r.id, n })))) }),
    ] }`,
    );
    const r = await runFile(file, { databaseUrl: url, dryRun: true });
    expect(r.exitCode, r.message).toBe(0);
    expect(lines(r.events, 'events')[0]).toBe(
      "backfill conv → conv_events: would insert 90 row(s) from 40 source row(s) (where id <= 40) (the transform's output, counted without writing)",
    );
    expect((await query(url, `SELECT count(*)::int n FROM conv_events`))[0].n).toBe(0);
    expect(producedText({ walked: 100_000, produced: 250_000, total: 1_000_000 })).toBe(
      'about 2,500,000 row(s) (the transform ran on the first 100,000 of 1,000,000 source rows)',
    );
    expect(producedText({ walked: 40, produced: 90, total: 40 })).toBe('90 row(s)');
  });
});
