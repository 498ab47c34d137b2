/**
 * Seed 002's tenancy wave with `op.*` steps, on tables that receive reads and writes the whole
 * time: tenant_id added, backfilled, NOT NULL, tenant-scoped uniques, then the status columns with
 * defaults converted to enums (`leads` and `deals` above `shadowThresholdRows`: through a shadow
 * column; `invoices` below it: in place). At the moment a blocking DDL is about to run, another
 * session opens a transaction on its table (a report, a forgotten psql), so the DDL really meets
 * the lock queue: no reader or writer waits much longer than lock_timeout, and rollback brings the
 * schema and data back.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { TidemarkEvent } from '../../src/kind/events.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { exec, op, plan, rollback, run, session, sleep, sql } from './op-harness.js';

const LOCK_TIMEOUT = 150;
const MARGIN = 400;
/** Longer than LOCK_TIMEOUT + MARGIN: a DDL waiting behind it without lock_timeout would fail the test. */
const HOLD = 1500;
const ROWS = 20_000;
/** Small enough that `invoices` converts in place and `leads`/`deals` through a shadow column. */
const SHADOW_THRESHOLD = 1000;
const INVOICES = 300;
/** A hold released by an event (the swap meeting the queue) gives up after this long. */
const HOLD_CAP = 10_000;
const CONFIG = { lockTimeoutMs: LOCK_TIMEOUT, lockRetries: 30, shadowThresholdRows: SHADOW_THRESHOLD };
let url: string;

beforeAll(async () => {
  url = await createTestDatabase('ops_seed_002_wave');
  await exec(
    url,
    "CREATE TABLE leads (id bigint PRIMARY KEY, email text NOT NULL, status text NOT NULL DEFAULT 'new')",
    "CREATE TABLE deals (id bigint PRIMARY KEY, stage text DEFAULT 'lead')",
    "CREATE TABLE invoices (id bigint PRIMARY KEY, status varchar(20) NOT NULL DEFAULT 'open')",
    'CREATE TABLE contracts (id bigint PRIMARY KEY, deal_id bigint NOT NULL, status text)',
    `INSERT INTO leads SELECT g, 'lead' || g || '@example.com', CASE WHEN g % 4 = 0 THEN 'won' ELSE 'new' END FROM generate_series(1, ${ROWS}) g`,
    `INSERT INTO deals SELECT g, (ARRAY['lead', 'open', 'won', 'lost'])[1 + g % 4] FROM generate_series(1, ${ROWS}) g`,
    `INSERT INTO invoices SELECT g, (ARRAY['open', 'paid', 'void'])[1 + g % 3] FROM generate_series(1, ${INVOICES}) g`,
    `INSERT INTO contracts SELECT g, g, 'draft' FROM generate_series(1, ${ROWS}) g`,
    'ANALYZE',
  );
});

/** Columns, constraints, indexes, triggers and enums of the wave's tables. */
async function schema(): Promise<unknown> {
  return {
    columns: await query(
      url,
      `SELECT table_name, column_name, row_number() OVER (PARTITION BY table_name ORDER BY ordinal_position)::int AS position,
      data_type, udt_name, character_maximum_length, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2`,
    ),
    constraints: await query(
      url,
      `SELECT conrelid::regclass::text AS t, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND contype <> 'n' ORDER BY 1, 2`,
    ),
    indexes: await query(
      url,
      `SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2`,
    ),
    triggers: await query(
      url,
      `SELECT tgrelid::regclass::text AS t, tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2`,
    ),
    enums: await query(url, `SELECT typname FROM pg_type WHERE typtype = 'e' ORDER BY 1`),
  };
}
async function data(): Promise<unknown> {
  return query(
    url,
    `SELECT (SELECT md5(string_agg(l::text, ',' ORDER BY id)) FROM leads l) AS leads, (SELECT md5(string_agg(c::text, ',' ORDER BY id)) FROM contracts c) AS contracts,
    (SELECT md5(string_agg(d::text, ',' ORDER BY id)) FROM deals d) AS deals, (SELECT md5(string_agg(i::text, ',' ORDER BY id)) FROM invoices i) AS invoices`,
  );
}
/** Every row's status as text, whatever the column's type. */
async function statuses(): Promise<unknown> {
  return query(
    url,
    `SELECT (SELECT md5(string_agg(id || ':' || status::text, ',' ORDER BY id)) FROM leads) AS leads, (SELECT md5(string_agg(id || ':' || coalesce(stage::text, '-'), ',' ORDER BY id)) FROM deals) AS deals,
    (SELECT md5(string_agg(id || ':' || status::text, ',' ORDER BY id)) FROM invoices) AS invoices`,
  );
}

/** Readers and writers running until stopped; each keeps its worst latency and its errors. */
function traffic() {
  let stop = false;
  const stats: Record<string, { worst: number; count: number; errors: string[] }> = {};
  const loop = async (
    name: string,
    body: (c: Awaited<ReturnType<typeof session>>, i: number) => Promise<unknown>,
    pauseMs = 5,
  ) => {
    const c = await session(url);
    const s = (stats[name] = { worst: 0, count: 0, errors: [] as string[] });
    for (let i = 0; !stop; i++) {
      const t = performance.now();
      try {
        await body(c, i);
      } catch (e) {
        s.errors.push((e as Error).message);
        await c.query('ROLLBACK').catch(() => undefined);
      }
      s.worst = Math.max(s.worst, performance.now() - t);
      s.count++;
      await sleep(pauseMs);
    }
    await c.end();
  };
  const id = (i: number) => 1 + ((i * 7919) % ROWS);
  const loops = [
    loop('read leads', (c, i) => c.query('SELECT * FROM leads WHERE id = $1', [id(i)])),
    loop('read contracts', (c, i) => c.query('SELECT * FROM contracts WHERE id = $1', [id(i)])),
    loop('read deals by stage', (c, i) =>
      c.query(`SELECT count(*) FROM deals WHERE stage = 'won' AND id BETWEEN $1 AND $1 + 50`, [id(i)]),
    ),
    loop('read invoices', (c, i) => c.query('SELECT * FROM invoices WHERE id = $1', [1 + (i % INVOICES)])),
    loop('write leads', (c, i) => c.query(`UPDATE leads SET status = status WHERE id = $1`, [id(i)])),
    loop('write deals', (c, i) => c.query(`UPDATE deals SET stage = stage WHERE id = $1`, [id(i)])),
    loop('write invoices', (c, i) =>
      c.query(`UPDATE invoices SET status = status WHERE id = $1`, [1 + ((i * 31) % INVOICES)]),
    ),
  ];
  return {
    async stop() {
      stop = true;
      await Promise.all(loops);
      return stats;
    },
  };
}

/**
 * A session opening a transaction on `table` (default `leads`) when `on` sees its event, before the
 * DDL it announces runs (the step's own connection needs more round trips than the holder's).
 * It commits after HOLD ms, or, with `until`, once `until` sees its event (at most HOLD_CAP ms).
 */
interface Hold {
  on: (e: TidemarkEvent) => boolean;
  table?: string;
  until?: (e: TidemarkEvent) => boolean;
}
/** Hold when a statement matching `re` is announced. */
const atStatement = (re: RegExp): Hold => ({ on: (e) => e.type === 'step.statement' && re.test(e.sql) });
const atStart = (stepId: string, table: string): Hold => ({
  on: (e) => e.type === 'step.start' && e.stepId === stepId,
  table,
});
const atRolledBack = (stepId: string, table: string): Hold => ({
  on: (e) => e.type === 'rollback.step' && e.stepId === stepId,
  table,
});
/** From the shadow backfill's first batch until the swap has met the queue. */
const untilSwap = (stepId: string, table: string): Hold => ({
  on: (e) => e.type === 'step.progress' && e.stepId === stepId && e.note === 'shadow backfill',
  until: (e) => swapRetried(e, stepId),
  table,
});
const swapRetried = (e: TidemarkEvent, stepId: string) =>
  e.type === 'lock.retry' && e.what.includes(`step "${stepId}": swap`);

async function holdersOn(holds: Hold[]) {
  const sessions = await Promise.all(holds.map(() => session(url)));
  const fired = new Set<number>();
  const seen = holds.map(() => {
    let resolve!: () => void;
    return { p: new Promise<void>((r) => (resolve = r)), resolve };
  });
  const held: Promise<unknown>[] = [];
  return {
    events: (e: TidemarkEvent) => {
      holds.forEach((h, k) => {
        if (fired.has(k) && h.until?.(e)) seen[k].resolve();
        if (fired.has(k) || !h.on(e)) return;
        fired.add(k);
        const c = sessions[k];
        const release = () => (h.until ? Promise.race([seen[k].p, sleep(HOLD_CAP)]) : sleep(HOLD));
        held.push(
          c
            .query(`BEGIN; SELECT count(*) FROM ${h.table ?? 'leads'} WHERE id < 100`)
            .then(release)
            .then(() => c.query('COMMIT')),
        );
      });
    },
    async done() {
      await Promise.all(held);
      await Promise.all(sessions.map((c) => c.end()));
      return fired.size;
    },
  };
}

/** The `what` of every lock retry of the step, e.g. `step "x": add shadow column`. */
function retriesOf(events: TidemarkEvent[], stepId: string): string[] {
  return events.flatMap((e) => (e.type === 'lock.retry' && e.what.includes(`step "${stepId}"`) ? [e.what] : []));
}

function expectResponsive(stats: Record<string, { worst: number; count: number; errors: string[] }>) {
  for (const [name, s] of Object.entries(stats)) {
    expect(s.errors, name).toEqual([]);
    expect(s.count, name).toBeGreaterThan(10);
    expect(s.worst, `${name}: worst ${s.worst.toFixed(0)} ms`).toBeLessThan(LOCK_TIMEOUT + MARGIN);
  }
}

const TENANT = '00000000-0000-0000-0000-000000000001';
const fill = (table: string) =>
  sql({
    id: `fill-${table}`,
    transaction: false,
    up: Array.from(
      { length: 10 },
      (_, k) =>
        `UPDATE ${table} SET tenant_id = '${TENANT}' WHERE tenant_id IS NULL AND id > ${k * (ROWS / 10)} AND id <= ${(k + 1) * (ROWS / 10)}`,
    ),
    down: Array.from(
      { length: 10 },
      (_, k) => `UPDATE ${table} SET tenant_id = NULL WHERE id > ${k * (ROWS / 10)} AND id <= ${(k + 1) * (ROWS / 10)}`,
    ),
  });

function wavePlan() {
  return plan({
    id: 'tenancy-wave',
    expand: [
      op.createTable({
        id: 'tenants',
        table: 'tenants',
        columns: { id: 'uuid', tenant_key: 'text NOT NULL UNIQUE' },
        primaryKey: ['id'],
      }),
      sql({
        id: 'default-tenant',
        up: `INSERT INTO tenants VALUES ('${TENANT}', 'default')`,
        down: 'DELETE FROM tenants',
      }),
      op.addColumn({
        id: 'leads-tenant',
        table: 'leads',
        column: 'tenant_id',
        type: 'uuid',
        references: { table: 'tenants', column: 'id' },
      }),
      op.addColumn({
        id: 'deals-tenant',
        table: 'deals',
        column: 'tenant_id',
        type: 'uuid',
        references: { table: 'tenants', column: 'id' },
      }),
      op.addColumn({
        id: 'contracts-tenant',
        table: 'contracts',
        column: 'tenant_id',
        type: 'uuid',
        references: { table: 'tenants', column: 'id' },
      }),
      op.addColumn({
        id: 'leads-created',
        table: 'leads',
        column: 'created_at',
        type: 'timestamptz',
        default: 'now()',
      }),
      op.createEnum({ id: 'lead-status', name: 'lead_status', values: ['new', 'won', 'lost'] }),
    ],
    backfill: [fill('leads'), fill('deals'), fill('contracts')],
    contract: [
      op.setNotNull({ id: 'leads-tenant-nn', table: 'leads', column: 'tenant_id' }),
      op.setNotNull({ id: 'deals-tenant-nn', table: 'deals', column: 'tenant_id' }),
      op.setNotNull({ id: 'contracts-tenant-nn', table: 'contracts', column: 'tenant_id' }),
      op.addUnique({ id: 'leads-email-per-tenant', table: 'leads', columns: ['tenant_id', 'email'] }),
      op.addUnique({ id: 'contracts-deal-per-tenant', table: 'contracts', columns: ['tenant_id', 'deal_id'] }),
      op.addForeignKey({
        id: 'contracts-deal',
        table: 'contracts',
        columns: ['deal_id'],
        references: { table: 'deals', columns: ['id'] },
      }),
      op.createIndex({ id: 'leads-tenant-status', table: 'leads', columns: ['tenant_id', 'status'] }),
      op.createIndex({ id: 'leads-tenant-created', table: 'leads', columns: ['tenant_id', 'created_at'] }),
      op.addCheck({
        id: 'contracts-status',
        table: 'contracts',
        name: 'contracts_status_known',
        expression: "status IN ('draft', 'signed')",
      }),
      op.createIndex({ id: 'deals-tenant-stage', table: 'deals', columns: ['tenant_id', 'stage'] }),
      // Revision F: the status columns with defaults become enums (indexes on them rebuilt on the enum).
      op.convertToEnum({ id: 'leads-status-enum', table: 'leads', column: 'status', enum: 'lead_status' }),
      op.convertToEnum({
        id: 'deals-stage-enum',
        table: 'deals',
        column: 'stage',
        enum: 'deal_stage',
        values: ['lead', 'open', 'won', 'lost'],
      }),
      op.convertToEnum({
        id: 'invoices-status-enum',
        table: 'invoices',
        column: 'status',
        enum: 'invoice_status',
        values: ['open', 'paid', 'void'],
      }),
    ],
  });
}

describe('seed 002 wave under traffic', () => {
  let before: { schema: unknown; data: unknown; statuses: unknown };
  it('runs expand → backfill → contract, enum conversions included, with readers and writers never waiting much past lock_timeout', async () => {
    before = { schema: await schema(), data: await data(), statuses: await statuses() };
    const p = await wavePlan();
    const holders = await holdersOn([
      atStatement(/^ALTER TABLE "leads" ADD COLUMN "tenant_id"/),
      atStatement(/ADD CONSTRAINT "leads_tenant_id_not_null_check"/),
      atStatement(/ADD CONSTRAINT "leads_tenant_id_email_key" UNIQUE USING INDEX/),
      atStart('leads-status-enum', 'leads'),
      untilSwap('deals-stage-enum', 'deals'),
      atStart('invoices-status-enum', 'invoices'),
    ]);
    const load = traffic();
    await sleep(200);
    const r = await run(url, p, CONFIG, { events: holders.events });
    const stats = await load.stop();
    expect(await holders.done()).toBe(6);
    expect(r.message).toBeUndefined();
    expect(r.exitCode).toBe(0);
    expectResponsive(stats);
    expect(r.events.filter((e) => e.type === 'lock.retry').length).toBeGreaterThanOrEqual(3); // the DDL did meet the queue
    // The conversions' blocking DDL met the queue too: the shadow column's ADD COLUMN, the swap, the in-place ALTER.
    expect(retriesOf(r.events, 'leads-status-enum')).toContain('step "leads-status-enum": add shadow column');
    expect(retriesOf(r.events, 'deals-stage-enum')).toContain('step "deals-stage-enum": swap');
    expect(retriesOf(r.events, 'invoices-status-enum')).toContain('step "invoices-status-enum"');
    const paths = Object.fromEntries(
      r.events.flatMap((e) =>
        e.type === 'step.done' && e.kind === 'op.convertToEnum' ? [[e.stepId, e.notes?.join('; ')]] : [],
      ),
    );
    expect(paths).toEqual({
      'leads-status-enum': expect.stringMatching(/^converted through a shadow column/),
      'deals-stage-enum': expect.stringMatching(/^converted through a shadow column/),
      'invoices-status-enum': 'converted in place',
    });
    expect(await query(url, `SELECT count(*)::int AS n FROM leads WHERE tenant_id = $1`, [TENANT])).toEqual([
      { n: ROWS },
    ]);
    expect(
      await query(
        url,
        `SELECT attrelid::regclass::text AS t FROM pg_attribute WHERE attname = 'tenant_id' AND attnotnull AND attrelid::regclass::text IN ('leads', 'deals', 'contracts') ORDER BY 1`,
      ),
    ).toEqual([{ t: 'contracts' }, { t: 'deals' }, { t: 'leads' }]);
    expect(await query(url, `SELECT count(*)::int AS n FROM pg_index WHERE NOT indisvalid`)).toEqual([{ n: 0 }]);
    expect(await query(url, `SELECT count(*)::int AS n FROM pg_constraint WHERE NOT convalidated`)).toEqual([{ n: 0 }]);
    // Every row converted, value for value; the columns and their defaults are the enums; nothing of the shadow left.
    expect(await statuses()).toEqual(before.statuses);
    expect(
      await query(
        url,
        `SELECT table_name, column_name, udt_name, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public' AND column_name IN ('status', 'stage') ORDER BY 1`,
      ),
    ).toEqual([
      { table_name: 'contracts', column_name: 'status', udt_name: 'text', is_nullable: 'YES', column_default: null },
      {
        table_name: 'deals',
        column_name: 'stage',
        udt_name: 'deal_stage',
        is_nullable: 'YES',
        column_default: "'lead'::deal_stage",
      },
      {
        table_name: 'invoices',
        column_name: 'status',
        udt_name: 'invoice_status',
        is_nullable: 'NO',
        column_default: "'open'::invoice_status",
      },
      {
        table_name: 'leads',
        column_name: 'status',
        udt_name: 'lead_status',
        is_nullable: 'NO',
        column_default: "'new'::lead_status",
      },
    ]);
    expect(
      await query(
        url,
        `SELECT indexdef FROM pg_indexes WHERE indexname IN ('leads_tenant_id_status_idx', 'deals_tenant_id_stage_idx') ORDER BY 1`,
      ),
    ).toEqual([
      { indexdef: 'CREATE INDEX deals_tenant_id_stage_idx ON public.deals USING btree (tenant_id, stage)' },
      { indexdef: 'CREATE INDEX leads_tenant_id_status_idx ON public.leads USING btree (tenant_id, status)' },
    ]);
    expect(
      await query(
        url,
        `SELECT attrelid::regclass::text AS t, attname FROM pg_attribute WHERE attname LIKE '%tm%' AND NOT attisdropped AND attrelid::regclass::text IN ('leads', 'deals', 'invoices')`,
      ),
    ).toEqual([]);
    expect(await query(url, `SELECT tgname FROM pg_trigger WHERE NOT tgisinternal`)).toEqual([]);
    expect(await query(url, `SELECT count(*)::int AS n FROM pg_proc WHERE proname LIKE '%enum_sync%'`)).toEqual([
      { n: 0 },
    ]);
    // The enum is enforced from now on.
    await expect(exec(url, `UPDATE leads SET status = 'spam' WHERE id = 1`)).rejects.toThrow(
      /invalid input value for enum lead_status/,
    );
  });

  it('rolls the whole wave back under traffic: the original schema (text/varchar columns and their defaults) and data', async () => {
    const holders = await holdersOn([
      atStatement(/^ALTER TABLE "leads" DROP CONSTRAINT IF EXISTS "leads_tenant_id_email_key"/),
      atStatement(/^ALTER TABLE "leads" ALTER COLUMN "tenant_id" DROP NOT NULL/),
      atStatement(/^ALTER TABLE "leads" DROP COLUMN IF EXISTS "tenant_id"/),
      { on: (e) => e.type === 'run.start', table: 'invoices' },
      untilSwap('deals-stage-enum', 'deals'),
      atRolledBack('deals-stage-enum', 'leads'),
    ]);
    const load = traffic();
    await sleep(200);
    const r = await rollback(url, await wavePlan(), { config: CONFIG, events: holders.events });
    const stats = await load.stop();
    expect(await holders.done()).toBe(6);
    expect(r.message).toMatch(/^rolled back 23 step\(s\)/);
    expectResponsive(stats);
    expect(r.events.filter((e) => e.type === 'lock.retry').length).toBeGreaterThanOrEqual(3); // the DDL did meet the queue
    expect(retriesOf(r.events, 'invoices-status-enum')).toContain('rollback of step "invoices-status-enum"');
    expect(retriesOf(r.events, 'deals-stage-enum')).toContain('rollback of step "deals-stage-enum": swap');
    expect(retriesOf(r.events, 'leads-status-enum')).toContain(
      'rollback of step "leads-status-enum": add shadow column',
    );
    expect(await schema()).toEqual(before.schema);
    expect(await data()).toEqual(before.data);
  });
});
