/**
 * `tidemark plan` prints the SQL each check runs: exactly the statement (and parameters) the
 * runner sends when it evaluates the check — for per-row checks the one fused scan of their group,
 * on the group's first check — and running that printed SQL gives the counts the check reports.
 * Gates get one line saying what opens them. Describing writes nothing.
 */

import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LOCK_POLICY } from '../../src/db/lock-policy.js';
import type { CheckOutcome } from '../../src/kind/events.js';
import { formatAction } from '../../src/kind/format-action.js';
import type { Plan } from '../../src/model/plan.js';
import { loadPlan } from '../../src/plan/load.js';
import type { Session } from '../../src/runner/context.js';
import { describePlan, type PlanDescription, type StepDescription } from '../../src/runner/describe.js';
import { evaluateCheck } from '../../src/runner/evaluate-check.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';
import { Db } from './context.js';

/** One statement sent to the server. */
interface Sent {
  sql: string;
  params: unknown[];
}

/** A Db that records every statement sent through it (pool queries and borrowed clients). */
class SpyDb extends Db {
  sent: Sent[] = [];
  override async query<R extends pg.QueryResultRow = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    this.sent.push({ sql, params: params ?? [] });
    return super.query<R>(sql, params);
  }
  override async rows<R extends pg.QueryResultRow = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
  ): Promise<R[]> {
    this.sent.push({ sql, params: params ?? [] });
    return super.rows<R>(sql, params);
  }
  override async withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return super.withClient(async (c) => {
      const original = c.query;
      c.query = ((sql: string, params?: unknown[]) => {
        this.sent.push({ sql, params: params ?? [] });
        return (original as (sql: string, params?: unknown[]) => Promise<pg.QueryResult>).call(c, sql, params);
      }) as typeof c.query;
      try {
        return await fn(c);
      } finally {
        c.query = original;
      }
    });
  }
}

let url: string;
/** The same database, every transaction read-only: a write by `plan` would fail. */
let readOnlyUrl: string;
let file: string;

beforeAll(async () => {
  url = await createTestDatabase('checks_describe');
  const u = new URL(url);
  u.searchParams.set('options', '-c default_transaction_read_only=on');
  readOnlyUrl = u.toString();
  await query(
    url,
    `
    CREATE TABLE "Lead" (id int PRIMARY KEY, email text, status text, "emailLower" text, "orgId" int);
    INSERT INTO "Lead" SELECT g,
      CASE WHEN g % 10 = 0 THEN NULL ELSE 'u' || (g % 40) || '@x.io' END,
      CASE WHEN g % 7 = 0 THEN 'spam' ELSE (ARRAY['new', 'won', 'lost'])[1 + g % 3] END,
      CASE WHEN g % 9 = 0 THEN 'WRONG' ELSE lower('u' || (g % 40) || '@x.io') END,
      g % 5
      FROM generate_series(1, 120) g;
    CREATE TABLE "Org" (id int PRIMARY KEY);
    INSERT INTO "Org" VALUES (0), (1), (2);
    CREATE TABLE "Note" (id int PRIMARY KEY, "leadId" int, "orgId" int);
    INSERT INTO "Note" SELECT g, g, CASE WHEN g % 4 = 0 THEN 9 ELSE g % 5 END FROM generate_series(1, 30) g;
    CREATE TABLE _prisma_migrations (id varchar(36) PRIMARY KEY, checksum varchar(64) NOT NULL, finished_at timestamptz, migration_name varchar(255) NOT NULL,
      logs text, rolled_back_at timestamptz, started_at timestamptz NOT NULL DEFAULT now(), applied_steps_count int NOT NULL DEFAULT 0);
    INSERT INTO _prisma_migrations VALUES ('1', 'x', now(), '20260101000000_init', NULL, NULL, now(), 1);
  `,
  );
  file = writePlan(
    tempDir(),
    `{
    id: 'describe-checks',
    preconditions: [check.migrationApplied({ id: 'prisma-init', tool: 'prisma', name: '20260101000000' })],
    expand: [op.createTable({ id: 'customer-table', table: 'Customer', columns: { id: 'int PRIMARY KEY', name: 'text' } })],
    validate: [
      check.noNulls({ id: 'email-set', table: 'Lead', column: 'email' }),
      check.allowedValues({ id: 'status-ok', table: 'Lead', column: 'status', values: ['new', 'won', 'lost'] }),
      check.unique({ id: 'email-unique', table: 'Lead', columns: ['email'], where: 'status <> \\'spam\\'' }),
      check.columnsMatch({ id: 'email-lower', table: 'Lead', column: 'emailLower', equals: 'lower(email)', where: 'email IS NOT NULL' }),
      check.perGroup({ id: 'leads-per-org', table: 'Lead', groupBy: 'orgId', min: 1, max: 20 }),
      check.rowCount({ id: 'lead-count', table: 'Lead', min: 1 }),
      check.query({ id: 'no-lost', title: 'No lost leads', sql: \`SELECT count(*) FROM "Lead" WHERE status = 'lost'\`, expect: { equals: 0 } }),
      check.noOrphans({ id: 'lead-org', table: 'Lead', column: 'orgId', references: { table: 'Org', column: 'id' } }),
      check.sameTenant({ id: 'note-tenant', table: 'Note', column: 'leadId', tenantColumn: 'orgId', references: { table: 'Lead', column: 'id', tenantColumn: 'orgId' } }),
      check.distribution({ id: 'status-mix', table: 'Lead', column: 'status' }),
      check.noNulls({ id: 'customer-named', table: 'Customer', column: 'name' }),
    ],
    contract: [
      gate.flag({ id: 'readers', flag: 'readers_on' }),
      gate.approval({ id: 'ship-it' }),
      gate.window({ id: 'night', between: ['02:00', '04:00'], timezone: 'Europe/Paris' }),
      gate.command({ id: 'typecheck', command: 'npm run typecheck' }),
    ],
  }`,
  );
});

const sessions: Db[] = [];
afterAll(async () => {
  for (const db of sessions) await db.close();
});

function spySession(plan: Plan): Session & { db: SpyDb } {
  const db = new SpyDb(url);
  sessions.push(db);
  return {
    db,
    plan,
    ledgerSchema: 'tidemark',
    policy: DEFAULT_LOCK_POLICY,
    emit: () => undefined,
    appliedSteps: new Set(),
    fused: new Map(),
    settings: { backfillTargetMs: 200, shadowThresholdRows: 1_000_000, approvals: [], actor: 'tester' },
  };
}

const stepOf = (d: PlanDescription, id: string): StepDescription => d.steps.find((s) => s.stepId === id)!;

/** What the server holds that `plan` could have written: the ledger's schema and the data. */
async function footprint(): Promise<unknown> {
  return query(
    url,
    `SELECT (SELECT count(*) FROM pg_namespace WHERE nspname = 'tidemark') AS ledger,
    (SELECT count(*) FROM pg_class WHERE relname = 'Customer') AS customer, (SELECT md5(string_agg(l::text, ',' ORDER BY id)) FROM "Lead" l) AS leads`,
  );
}

describe('plan prints the SQL each check runs', () => {
  it('prints the statement the check executes, and that statement gives the counts the check reports', async () => {
    const plan = await loadPlan(file);
    const before = await footprint();
    expect(await query(readOnlyUrl, 'SHOW default_transaction_read_only')).toEqual([
      { default_transaction_read_only: 'on' },
    ]);
    const d = await describePlan(plan, { databaseUrl: readOnlyUrl });
    expect(await footprint()).toEqual(before);

    // The four per-row checks of "Lead" in the validate run: one fused scan, printed once, on the first.
    const scan = stepOf(d, 'email-set');
    expect(scan.actions).toHaveLength(1);
    expect(scan.actions[0]).toMatchObject({
      lock: 'ACCESS SHARE',
      note: 'read-only; one scan for 4 checks: email-set, status-ok, email-lower, lead-count',
    });
    expect(scan.actions[0].sql).toMatch(/^SELECT count\(\*\) FILTER .* AS c3 FROM "Lead"$/);
    expect(scan.actions[0].params).toEqual([['new', 'won', 'lost', 'lost', 'lost', 'lost', 'lost', 'lost', 'lost']]);
    for (const id of ['status-ok', 'email-lower', 'lead-count']) {
      expect(stepOf(d, id).actions).toEqual([]);
      expect(stepOf(d, id).notes[0]).toBe('fused into the scan of email-set (one pass over Lead for 4 checks)');
    }
    expect(scan.notes).toEqual(['only when it fails: one more query fetches up to 10 rows with email NULL, by key']);

    // Set checks and the query check: their main statement, with the parameters the runner binds.
    const uniq = stepOf(d, 'email-unique');
    expect(uniq.actions.map((a) => a.sql)).toEqual([
      `SELECT count(*) AS groups, coalesce(sum(n), 0) AS rows FROM (SELECT count(*) AS n FROM "Lead" WHERE (status <> 'spam') GROUP BY "email" HAVING count(*) > 1 AND "email" IS NOT NULL) d`,
    ]);
    expect(stepOf(d, 'leads-per-org').actions[0].params).toEqual([1, 20]);
    expect(stepOf(d, 'no-lost').actions).toEqual([
      {
        sql: `SELECT count(*) FROM "Lead" WHERE status = 'lost'`,
        lock: 'ACCESS SHARE',
        note: 'read-only: runs between BEGIN READ ONLY and ROLLBACK',
      },
    ]);

    // Evaluate every "Lead" check as the runner does, recording what it sends.
    const s = spySession(plan);
    const results = new Map<string, CheckOutcome>();
    for (const st of plan.steps.filter(
      (x) => ['preconditions', 'validate'].includes(x.phase) && x.id !== 'customer-named',
    ))
      results.set(st.id, await evaluateCheck(s, st, null));
    const printed = d.steps.filter((x) => ['preconditions', 'validate'].includes(x.phase)).flatMap((x) => x.actions);
    expect(printed).toHaveLength(8);
    for (const a of printed) expect(s.db.sent).toContainEqual({ sql: a.sql, params: a.params ?? [] });
    // The fused statement was sent once, for all four checks.
    expect(s.db.sent.filter((x) => x.sql === scan.actions[0].sql)).toHaveLength(1);

    // Run what was printed: it gives exactly what the checks report.
    const run = async (step: string) =>
      (await query(url, stepOf(d, step).actions[0].sql, stepOf(d, step).actions[0].params))[0];
    const fused = await run('email-set');
    expect(results.get('email-set')!.actual).toBe(12);
    expect([fused.c0, fused.c1, fused.c2, fused.c3].map(Number)).toEqual(
      ['email-set', 'status-ok', 'email-lower', 'lead-count'].map((id) => results.get(id)!.actual),
    );
    expect(Number((await run('email-unique')).groups)).toBe(results.get('email-unique')!.actual);
    const groups = await run('leads-per-org');
    expect(`${groups.bad} of ${groups.groups} group(s) out of range`).toBe(results.get('leads-per-org')!.actual);
    expect(Number((await run('no-lost')).count)).toBe(results.get('no-lost')!.actual);
    expect(Number((await run('lead-org')).n)).toBe(results.get('lead-org')!.actual);
    expect(Number((await run('note-tenant')).n)).toBe(results.get('note-tenant')!.actual);
    expect(results.get('status-mix')!.actual).toBe(
      `${(await query(url, stepOf(d, 'status-mix').actions[0].sql)).length} value(s), 120 row(s)`,
    );
    expect((await run('prisma-init')).migration_name).toBe('20260101000000_init');
    expect(stepOf(d, 'prisma-init').actions[0].params).toEqual(['20260101000000']);
    // Every kind found something to report: the statements were compared on real counts.
    expect(
      [
        'email-set',
        'status-ok',
        'email-unique',
        'email-lower',
        'leads-per-org',
        'no-lost',
        'lead-org',
        'note-tenant',
      ].map((id) => results.get(id)!.status),
    ).toEqual(Array(8).fill('fail'));
    expect(results.get('prisma-init')!.status).toBe('pass');
  });

  it('says a table that an earlier step creates does not exist yet, then prints its SQL once it does', async () => {
    const plan = await loadPlan(file);
    const d = await describePlan(plan, { databaseUrl: readOnlyUrl });
    expect(stepOf(d, 'customer-named')).toMatchObject({
      actions: [],
      notes: [
        'table "Customer" does not exist yet (an earlier step of the plan must create it): the SQL is built when the check runs',
        expect.stringMatching(/^only when it fails/),
      ],
    });

    expect((await runFile(file, { databaseUrl: url, phase: 'expand' })).exitCode).toBe(0);
    const ledgerRows = async () =>
      query(
        url,
        `SELECT (SELECT count(*) FROM tidemark.runs) AS runs, (SELECT count(*) FROM tidemark.check_results) AS checks, (SELECT md5(string_agg(s::text, ',' ORDER BY step_id)) FROM tidemark.steps s) AS steps`,
      );
    const before = await ledgerRows();
    const after = await describePlan(plan, { databaseUrl: readOnlyUrl });
    expect(await ledgerRows()).toEqual(before);
    expect(stepOf(after, 'customer-table').status).toBe('completed');
    expect(stepOf(after, 'customer-named').actions.map(formatAction)).toEqual([
      'SELECT count(*) FILTER (WHERE ("name" IS NULL)) AS c0 FROM "Customer";  -- lock: ACCESS SHARE; read-only',
    ]);
  });

  it('describes each gate in one line', async () => {
    const plan = await loadPlan(file);
    const d = await describePlan(plan, { databaseUrl: readOnlyUrl });
    expect(
      ['readers', 'ship-it', 'night', 'typecheck'].map((id) => [stepOf(d, id).actions, stepOf(d, id).notes]),
    ).toEqual([
      [[], ['flag "readers_on" must be on (npx tidemark flag set readers_on on)']],
      [[], ['approval: run with --approve ship-it']],
      [[], ['window 02:00–04:00 Europe/Paris']],
      [[], ["command: npm run typecheck (in the plan's directory; must exit 0 within 10 min)"]],
    ]);
  });
});
