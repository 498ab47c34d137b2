/**
 * Regression: a misspelt column in a backfill's `set`, a `dropColumn` or a check passed `plan`,
 * `--dry-run` and `lint`; `run` applied the steps before it, then failed. The whole plan is now
 * checked against the live catalog and what earlier steps create before the first step
 * (docs/plans.md, "Checked before the first step"): a name nothing creates refuses the run with
 * exit 2, nothing applied and nothing in the ledger, every problem listed at once — and `plan` and
 * `run --dry-run` say the same.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../src/model/plan.js';
import { describePlan } from '../../src/runner/describe.js';
import { dryRunPlan } from '../../src/runner/dry-run.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { backfill, check, exec, op, plan, run, sql } from '../ops/op-harness.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('runner_plan_names');
});

/** A fresh `orders` table with emails, named for one test. */
async function orders(name: string): Promise<void> {
  await exec(
    url,
    `CREATE TABLE ${name} (id bigint PRIMARY KEY, email text)`,
    `INSERT INTO ${name} SELECT g, 'c' || (g % 7) || '@shop.test' FROM generate_series(1, 200) g`,
  );
}

interface Typos {
  setKey?: string;
  where?: string;
  checkColumn?: string;
  dropColumn?: string;
}

/**
 * The wave of the report: move orders' email to a customers table. Its fourth step (`link`) uses
 * what the first two create; `typos` misspell one name of a kind each.
 */
function wave(id: string, t: string, typos: Typos = {}): Promise<Plan> {
  const customers = `${t}_customers`;
  return plan({
    id,
    expand: [
      op.createTable({
        id: 'customers',
        table: customers,
        columns: { id: 'bigint GENERATED ALWAYS AS IDENTITY', email: 'text NOT NULL' },
        primaryKey: ['id'],
      }),
      op.addColumn({ id: 'orders-customer', table: t, column: 'customer_id', type: 'bigint' }),
    ],
    backfill: [
      backfill.insert({
        id: 'fill-customers',
        from: t,
        into: customers,
        values: { email: 'email' },
        where: `email IS NOT NULL AND id <= 7`,
      }),
      backfill.update({
        id: 'link',
        table: t,
        set: {
          [typos.setKey ?? 'customer_id']:
            `(SELECT c.id FROM ${customers} c WHERE c.email = ${t}.email ORDER BY c.id LIMIT 1)`,
        },
        where: typos.where ?? 'customer_id IS NULL',
      }),
    ],
    validate: [check.noNulls({ id: 'linked', table: t, column: typos.checkColumn ?? 'customer_id' })],
    contract: [op.dropColumn({ id: 'drop-email', table: t, column: typos.dropColumn ?? 'email' })],
  });
}

/** Nothing applied: no customers table, orders as it was, no step of the plan attempted. */
async function nothingApplied(planId: string, t: string): Promise<void> {
  expect((await query(url, `SELECT to_regclass('${t}_customers') AS r`))[0].r).toBeNull();
  const cols = await query<{ attname: string }>(
    url,
    `SELECT attname FROM pg_attribute WHERE attrelid = '${t}'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
  );
  expect(cols.map((c) => c.attname)).toEqual(['id', 'email']);
  if ((await query(url, `SELECT to_regclass('tidemark.steps') AS r`))[0].r)
    expect(
      await query(
        url,
        `SELECT step_id FROM tidemark.steps WHERE plan_id = $1 AND (attempts > 0 OR status <> 'pending')`,
        [planId],
      ),
    ).toEqual([]);
}

describe('a typo is refused before the first step', () => {
  it.each([
    [
      'backfill set key',
      { setKey: 'customer_idd' },
      'backfill › step "link" › set.customer_idd: no step creates "%t"."customer_idd" — typo?',
    ],
    [
      'where fragment',
      { where: 'custmer_id IS NULL' },
      'backfill › step "link" › where: column "custmer_id" does not exist, and no earlier step creates it — typo?',
    ],
    [
      'check column',
      { checkColumn: 'customer_idd' },
      'validate › step "linked" › column: no step creates "%t"."customer_idd" — typo?',
    ],
    [
      'dropColumn column',
      { dropColumn: 'emial' },
      'contract › step "drop-email" › column: no step creates "%t"."emial" — typo?',
    ],
  ] as [string, Typos, string][])(
    '%s: exit 2, nothing applied, nothing in the ledger',
    async (label, typos, expected) => {
      const t = `pn_${label.replace(/\W+/g, '_').toLowerCase()}`;
      await orders(t);
      const id = `typo-${label.replace(/\W+/g, '-').toLowerCase()}`;
      const r = await run(url, await wave(id, t, typos));
      expect(r.exitCode, r.message).toBe(2);
      expect(r.message).toContain(expected.replace('%t', t));
      expect(r.events.some((e) => e.type === 'step.start')).toBe(false);
      await nothingApplied(id, t);
    },
  );

  it('lists every problem at once; plan and run --dry-run refuse with the same problems', async () => {
    const t = 'pn_all';
    await orders(t);
    const p = await wave('typo-all', t, {
      setKey: 'customer_idd',
      where: 'custmer_id IS NULL',
      checkColumn: 'customer_idd',
      dropColumn: 'emial',
    });
    const r = await run(url, p);
    expect(r.exitCode).toBe(2);
    expect(r.message).toContain('plan "typo-all" is invalid (3 problems)');
    for (const line of [
      `set.customer_idd: no step creates "${t}"."customer_idd" — typo?`,
      `validate › step "linked" › column: no step creates "${t}"."customer_idd" — typo?`,
      `contract › step "drop-email" › column: no step creates "${t}"."emial" — typo?`,
    ])
      expect(r.message).toContain(line);
    await nothingApplied('typo-all', t);

    const dry = await dryRunPlan(p, { databaseUrl: url });
    expect(dry.exitCode).toBe(2);
    expect(dry.message).toBe(r.message);
    await expect(describePlan(p, { databaseUrl: url })).rejects.toThrow(r.message!);
    await nothingApplied('typo-all', t);
  });

  it('a name only a later step creates says so', async () => {
    const t = 'pn_later';
    await orders(t);
    const p = await plan({
      id: 'later-step',
      expand: [
        op.createIndex({ id: 'by-note', table: t, columns: ['note'] }),
        op.addColumn({ id: 'note', table: t, column: 'note', type: 'text' }),
      ],
    });
    const r = await run(url, p);
    expect(r.exitCode).toBe(2);
    expect(r.message).toContain(`step "by-note" › columns: "${t}"."note" is created only by a later step, "note"`);
    await nothingApplied('later-step', t);
  });
});

describe('a correct plan whose steps use what earlier steps create', () => {
  it('passes the check and runs to the end', async () => {
    const t = 'pn_ok';
    await orders(t);
    const r = await run(url, await wave('names-ok', t));
    expect(r.message).toBeUndefined();
    expect(r.exitCode).toBe(0);
    expect((await query(url, `SELECT count(*)::int n, count(customer_id)::int linked FROM ${t}`))[0]).toEqual({
      n: 200,
      linked: 200,
    });
  });

  it('a type an earlier step creates (op.createEnum) is not mistaken for a typo, and fragments using it are prepared', async () => {
    const t = 'pn_enum';
    await orders(t);
    const moodPlan = (id: string, ok: string) =>
      plan({
        id,
        expand: [
          op.createEnum({ id: 'mood', name: `${t}_mood`, values: ['ok', 'meh'] }),
          op.addColumn({ id: 'orders-mood', table: t, column: 'mood', type: `${t}_mood` }),
        ],
        backfill: [
          backfill.update({
            id: 'fill-mood',
            table: t,
            set: { mood: `CASE WHEN id % 2 = 0 THEN '${ok}'::${t}_mood ELSE 'meh'::${t}_mood END` },
            where: 'mood IS NULL',
          }),
        ],
        validate: [check.noNulls({ id: 'moody', table: t, column: 'mood' })],
      });
    // A value the enum lacks is found before the first step, with nothing applied.
    const refused = await run(url, await moodPlan('enum-typo', 'okk'));
    expect(refused.exitCode).toBe(2);
    expect(refused.message).toContain('invalid input value for enum');
    expect((await query(url, `SELECT to_regtype('${t}_mood') AS r`))[0].r).toBeNull();

    const r = await run(url, await moodPlan('enum-made', 'ok'));
    expect(r.message).toBeUndefined();
    expect(r.exitCode).toBe(0);
    // Every fragment was prepared in advance: no "checked when the step starts" notice.
    expect(r.events.filter((e) => e.type === 'notice' && /not checked before/.test(e.message))).toEqual([]);
  });

  it('a table made by raw SQL: its names are taken from the statement; fragments over it wait for their step', async () => {
    const t = 'pn_raw';
    await orders(t);
    const p = await plan({
      id: 'raw-made',
      expand: [
        sql({
          id: 'audit',
          up: `CREATE TABLE ${t}_audit (id bigint PRIMARY KEY, note text)`,
          down: `DROP TABLE ${t}_audit`,
        }),
      ],
      backfill: [
        backfill.insert({
          id: 'copy',
          from: t,
          into: `${t}_audit`,
          values: { id: 'id', note: 'email' },
          where: `NOT EXISTS (SELECT 1 FROM ${t}_audit a WHERE a.id = ${t}.id)`,
        }),
      ],
      validate: [check.noNulls({ id: 'noted', table: `${t}_audit`, column: 'note' })],
    });
    const r = await run(url, p);
    expect(r.message).toBeUndefined();
    expect(r.exitCode).toBe(0);
    expect((await query(url, `SELECT count(*)::int n FROM ${t}_audit`))[0].n).toBe(200);

    const typo = await plan({
      id: 'raw-made-typo',
      expand: [
        sql({
          id: 'audit2',
          up: `CREATE TABLE ${t}_audit2 (id bigint PRIMARY KEY, note text)`,
          down: `DROP TABLE ${t}_audit2`,
        }),
      ],
      validate: [check.noNulls({ id: 'noted', table: `${t}_audit2`, column: 'note_' })],
    });
    const refused = await run(url, typo);
    expect(refused.exitCode).toBe(2);
    expect(refused.message).toContain(`no step creates "${t}_audit2"."note_" — typo?`);
    expect((await query(url, `SELECT to_regclass('${t}_audit2') AS r`))[0].r).toBeNull();
  });
});
