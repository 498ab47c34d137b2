/**
 * Seed 004 (Phase 4.5 → Phase 5.0 "Intelligence Core") end to end, as a user runs it: the example plan
 * (examples/seed-004.plan.ts) through the BUILT CLI against the example's "before" database
 * (examples/seed-004.setup.sql). The seed's hand-written pieces each get their Tidemark counterpart:
 * the three backfill scripts (a row-by-row loop among them), validate-migration.ts (the proof catches the
 * clock-skewed events, warns about negative KPIs, names the orphans that campaigns deleted mid-wave leave),
 * "fix any data integrity issues" + re-run (`--redo`), the cutover flag and the DBA sign-off (gates), the
 * rollback SQL (`rollback --phase backfill`, `rollback`), and the summary (`report`).
 *
 * Needs `npm run build` first (the CLI runs from dist).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { connect, createTestDatabase, query } from '../helpers/db.js';
import { cli } from '../helpers/run.js';

const PLAN = fileURLToPath(new URL('../../examples/seed-004.plan.ts', import.meta.url));
const SETUP = fileURLToPath(new URL('../../examples/seed-004.setup.sql', import.meta.url));
const WINDOW = `now() - interval '90 days'`;
/** What ON DELETE CASCADE would have done, and agent-video-07's clock put back 5 years (the operator's fix). */
const FIX = [
  `UPDATE "Campaign" c SET "metadata" = jsonb_set(c."metadata", '{agentTasks}', (
     SELECT jsonb_agg(CASE WHEN t.task->>'agentId' = 'agent-video-07' AND (t.task->>'completedAt')::timestamptz > now()
                           THEN t.task || jsonb_build_object('completedAt', (t.task->>'completedAt')::timestamptz - interval '5 years')
                           ELSE t.task END ORDER BY t.n)
       FROM jsonb_array_elements(c."metadata"->'agentTasks') WITH ORDINALITY AS t(task, n)))
   WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(c."metadata"->'agentTasks') x
                  WHERE x->>'agentId' = 'agent-video-07' AND (x->>'completedAt')::timestamptz > now())`,
  `DELETE FROM "PromptPerformance" p WHERE NOT EXISTS (SELECT 1 FROM "Campaign" c WHERE c."id" = p."campaignId")`,
];

let url: string;
let before: { schema: unknown; tables: string[] };

/**
 * The CLI as the team runs it, the actor named, from a laptop in New York: the plan writes the events'
 * timestamps as UTC strings (Prisma's timestamp(3) convention), so they must not depend on the local time
 * zone — a transform returning Dates would land 5 hours off here.
 */
const tm = (...args: string[]) =>
  cli([...args, '--database-url', url], { env: { TIDEMARK_ACTOR: 'dba@apex', TZ: 'America/New_York' } });
const one = async <T = number>(sql: string): Promise<T> => Object.values((await query(url, sql))[0])[0] as T;
const count = (sql: string) => one<number>(`SELECT count(*)::int FROM (${sql}) x`);

/** Columns, constraints, indexes and triggers of the public schema. */
async function schema(): Promise<unknown> {
  return {
    columns: await query(
      url,
      `SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2`,
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
    functions: await query(url, `SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace ORDER BY 1`),
  };
}
const tables = async () =>
  (await query<{ t: string }>(url, `SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).map(
    (r) => r.t,
  );
/** The legacy data, as the application left it (Campaign without the new column). */
const legacyData = () =>
  query(
    url,
    `SELECT
  (SELECT md5(string_agg(concat_ws('|', "id", "tenantId", "name", "status", "metadata", "createdAt", "updatedAt"), ',' ORDER BY "id")) FROM "Campaign") AS campaigns,
  (SELECT md5(string_agg(a::text, ',' ORDER BY "id")) FROM "Asset" a) AS assets,
  (SELECT md5(string_agg(j::text, ',' ORDER BY "id")) FROM "PublishJob" j) AS jobs,
  (SELECT md5(string_agg(k::text, ',' ORDER BY "id")) FROM "KPISnapshot" k) AS snapshots`,
  );
const ledgerExists = () => one<boolean>(`SELECT to_regnamespace('tidemark') IS NOT NULL`);
const fkOnPromptPerformance = () =>
  query(
    url,
    `SELECT conname, convalidated, confdeltype FROM pg_constraint WHERE conrelid = to_regclass('"PromptPerformance"') AND contype = 'f'`,
  );
const syncTriggers = () =>
  query(url, `SELECT tgname FROM pg_trigger WHERE tgrelid = '"Campaign"'::regclass AND NOT tgisinternal`);

/** Independent answers from the legacy data: what the seed's scripts would have produced. */
const tasksInWindow = () =>
  count(
    `SELECT 1 FROM "Campaign" c, jsonb_array_elements(coalesce(c."metadata"->'agentTasks', '[]')) t WHERE c."createdAt" >= ${WINDOW}`,
  );
const publishedInWindow = () =>
  count(`SELECT c."id" FROM "Campaign" c JOIN "Asset" a ON a."campaignId" = c."id" JOIN "PublishJob" j ON j."assetId" = a."id"
  WHERE c."createdAt" >= ${WINDOW} GROUP BY c."id" HAVING sum(j."impressions") > 0`);

beforeAll(async () => {
  url = await createTestDatabase('seeds_seed_004');
  const c = await connect(url);
  try {
    await c.query(readFileSync(SETUP, 'utf8'));
  } finally {
    await c.end();
  }
  before = { schema: await schema(), tables: await tables() };
});

describe('seed 004: Phase 5.0 data migration & backfill, through the CLI', () => {
  it("the example data is the seed's world: 600 campaigns, agent telemetry in JSON, the awkward rows", async () => {
    expect(before.tables).toEqual(['Asset', 'Campaign', 'KPISnapshot', 'PublishJob', '_prisma_migrations']);
    expect(await one(`SELECT count(*)::int FROM "Campaign"`)).toBe(600);
    expect(await tasksInWindow()).toBe(2205);
    expect(await publishedInWindow()).toBe(360);
    expect(
      await count(
        `SELECT 1 FROM "Campaign" c, jsonb_array_elements(c."metadata"->'agentTasks') t WHERE (t->>'completedAt')::timestamptz > now()`,
      ),
    ).toBe(6);
    expect(await count(`SELECT 1 FROM "KPISnapshot" WHERE "metricValue" < 0 AND "takenAt" >= ${WINDOW}`)).toBe(90);
  });

  it('plan prints the SQL of every step and writes nothing, the ledger included', async () => {
    const r = await tm('plan', PLAN);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('CREATE TABLE "IntelligenceEvent" ("id" text NOT NULL, "eventType" text NOT NULL');
    expect(r.stdout).toContain('ALTER TABLE "Campaign" ADD COLUMN "prompt" text;');
    expect(r.stdout).toContain(
      'CREATE INDEX "IntelligenceEvent_tenantId_eventType_createdAt_idx" ON "IntelligenceEvent" ("tenantId", "eventType", "createdAt")',
    );
    expect(r.stdout).toContain('ON CONFLICT ("id") DO UPDATE SET "payload" = EXCLUDED."payload"');
    expect(r.stdout).toContain(
      `INSERT INTO "KPIHistory" ("id", "metricName", "metricValue", "period", "department", "metadata", "createdAt", "tenantId") SELECT`,
    );
    expect(r.stdout).toContain('flag "phase5_code_live" must be on');
    expect(r.stdout).toContain('approval: run with --approve dba-sign-off');
    expect(r.stdout).toContain(
      'FOREIGN KEY ("campaignId") REFERENCES "Campaign" ("id") ON DELETE CASCADE ON UPDATE CASCADE NOT VALID',
    );
    expect(await tables()).toEqual(before.tables);
    expect(await schema()).toEqual(before.schema);
    expect(await ledgerExists()).toBe(false);
  });

  it('run --dry-run counts what each backfill would write, with samples, and writes nothing', async () => {
    const r = await tm('run', PLAN, '--dry-run');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('DRY RUN');
    expect(r.stdout).toMatch(/backfill Campaign → IntelligenceEvent: 450 source row\(s\)/);
    expect(r.stdout).toMatch(/id = 'evt_cmp_0001_1', eventType = 'AgentTaskCompleted', entityType = 'agent'/);
    expect(r.stdout).toContain(`would insert up to ${await publishedInWindow()} row(s) from 360 source row(s)`);
    expect(r.stdout).toContain('would insert up to 5400 row(s) from 5400 source row(s)');
    expect(r.stdout).toContain('backfill Campaign: up to 600 rows, after expand');
    expect(r.stdout).toContain('contract step: not run in a dry run');
    expect(await schema()).toEqual(before.schema);
    expect(await ledgerExists()).toBe(false);
  });

  it('run: expand and backfill the whole scope, then the proof catches the future-dated events (exit 1) and the contract does not start', async () => {
    const r = await tm('run', PLAN);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^baseline-phase-4-5\s+✓/m);
    expect(r.stdout).toMatch(/^no-future-dated-events\s+✗ {2}No future-dated events: 4 row\(s\)/m);
    expect(r.stdout).toMatch(/evt_cmp_0097_1\s+agent-video-07\s+2031-/);
    expect(r.stdout).toMatch(/^no-negative-kpi-values\s+⚠ {2}Negative KPI values \(may be valid\): 90 row\(s\)/m);
    expect(r.stdout).toMatch(/^no-orphaned-prompt-performance\s+✓/m);
    expect(r.stderr + r.stdout).toContain('the proof failed: no-future-dated-events; the contract phase did not start');

    // IntelligenceEvent: one row per agent task (not per campaign), payload a JSON object, severity from success.
    expect(await one(`SELECT count(*)::int FROM "IntelligenceEvent"`)).toBe(await tasksInWindow());
    expect(await count(`SELECT 1 FROM "IntelligenceEvent" WHERE jsonb_typeof("payload") <> 'object'`)).toBe(0);
    expect(await one(`SELECT count(*)::int FROM "IntelligenceEvent" WHERE "severity" = 'high'`)).toBe(
      await count(
        `SELECT 1 FROM "Campaign" c, jsonb_array_elements(c."metadata"->'agentTasks') t WHERE c."createdAt" >= ${WINDOW} AND NOT (t->>'success')::boolean`,
      ),
    );
    // A legacy task without `model` and `tokensOut` (campaign 20, task 3): JSON nulls, not missing keys.
    const payloadOf = (id: string) =>
      query(
        url,
        `SELECT "entityType", "entityId", "tenantId", "payload" FROM "IntelligenceEvent" WHERE "id" = '${id}'`,
      );
    expect(await payloadOf('evt_cmp_0020_3')).toEqual(
      await query(
        url,
        `SELECT 'agent' AS "entityType", t->>'agentId' AS "entityId", c."tenantId",
        jsonb_build_object('campaignId', c."id", 'assetId', t->'assetId', 'duration', t->'duration', 'tokensIn', t->'tokensIn', 'tokensOut', t->'tokensOut',
          'cost', t->'cost', 'success', t->'success', 'model', t->'model') AS "payload"
      FROM "Campaign" c, jsonb_array_elements(c."metadata"->'agentTasks') WITH ORDINALITY AS x(t, n) WHERE c."id" = 'cmp_0020' AND x.n = 3`,
      ),
    );
    expect((await payloadOf('evt_cmp_0020_3'))[0].payload).toMatchObject({
      model: null,
      tokensOut: null,
      campaignId: 'cmp_0020',
    });
    // Timestamps: the task's completedAt, in UTC (Prisma's convention for timestamp(3)).
    expect(
      await count(`SELECT 1 FROM "IntelligenceEvent" e JOIN "Campaign" c ON c."id" = e."payload"->>'campaignId',
        jsonb_array_elements(c."metadata"->'agentTasks') WITH ORDINALITY AS x(t, n)
      WHERE e."id" = 'evt_' || c."id" || '_' || x.n AND e."createdAt" IS DISTINCT FROM ((t->>'completedAt')::timestamptz AT TIME ZONE 'UTC')::timestamp(3)`),
    ).toBe(0);

    // PromptPerformance: one row per published campaign of the window, the sums and rates of its publish jobs.
    expect(await one(`SELECT count(*)::int FROM "PromptPerformance"`)).toBe(await publishedInWindow());
    const sums = `SELECT c."id", sum(j."impressions")::int AS impressions, sum(j."clicks")::int AS clicks, sum(j."conversions")::int AS conversions,
        sum(j."clicks")::float8 / sum(j."impressions") AS ctr, sum(j."conversions")::float8 / greatest(sum(j."clicks"), 1) AS cvr
      FROM "Campaign" c JOIN "Asset" a ON a."campaignId" = c."id" JOIN "PublishJob" j ON j."assetId" = a."id" GROUP BY c."id"`;
    expect(
      await count(`SELECT 1 FROM "PromptPerformance" p JOIN (${sums}) s ON s."id" = p."campaignId"
      WHERE (p."impressions", p."clicks", p."conversions", p."ctr", p."cvr") IS DISTINCT FROM (s.impressions, s.clicks, s.conversions, s.ctr, s.cvr)`),
    ).toBe(0);
    expect(
      await query(
        url,
        `SELECT "campaignId", "promptText", "rewardScore" FROM "PromptPerformance" WHERE "campaignId" IN ('cmp_0004', 'cmp_0006') ORDER BY 1`,
      ),
    ).toEqual([
      { campaignId: 'cmp_0004', promptText: 'Launch Campaign 4: RevOps leaders, confident tone', rewardScore: 0 },
      { campaignId: 'cmp_0006', promptText: 'Legacy campaign (no prompt recorded)', rewardScore: 0 },
    ]);
    expect(await count(`SELECT 1 FROM "PromptPerformance" WHERE "campaignId" = 'cmp_0005'`)).toBe(0); // never published

    // KPIHistory: each snapshot of the window, with its own tenant (the seed wrote 'default').
    expect(await query(url, `SELECT "tenantId", count(*)::int AS n FROM "KPIHistory" GROUP BY 1 ORDER BY 1`)).toEqual(
      ['tnt_acme', 'tnt_globex', 'tnt_initech'].map((tenantId) => ({ tenantId, n: 1800 })),
    );
    expect(await query(url, `SELECT "department", count(*)::int AS n FROM "KPIHistory" GROUP BY 1 ORDER BY 1`)).toEqual(
      [
        { department: 'executive', n: 2700 },
        { department: 'marketing', n: 1350 },
        { department: 'sales', n: 1350 },
      ],
    );
    // Campaign.prompt from metadata; old code's writes are kept in sync until the contract.
    expect(await one(`SELECT count(*)::int FROM "Campaign" WHERE "prompt" IS NOT NULL`)).toBe(150);
    expect(await syncTriggers()).toHaveLength(1);
    // The contract did not start.
    expect(await fkOnPromptPerformance()).toEqual([]);
    expect(await one(`SELECT status FROM tidemark.steps WHERE step_id = 'prompt-performance-campaign-fk'`)).toBe(
      'pending',
    );
  });

  it('while the wave is stopped the Phase 4.5 app keeps writing: prompts stay in sync, and campaigns it deletes leave orphans that verify names', async () => {
    await query(
      url,
      `INSERT INTO "Campaign" ("id", "tenantId", "name", "metadata", "updatedAt") VALUES ('cmp_0601', 'tnt_acme', 'Spring launch', '{"prompt": "Spring launch for agency owners"}', now())`,
    );
    expect(await one(`SELECT "prompt" FROM "Campaign" WHERE "id" = 'cmp_0601'`)).toBe(
      'Spring launch for agency owners',
    );
    await query(url, `DELETE FROM "Campaign" WHERE "id" IN ('cmp_0011', 'cmp_0012')`);

    const r = await tm('verify', PLAN);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^no-orphaned-prompt-performance\s+✗ {2}No orphaned PromptPerformance records: 2 \(expected: 0\)/m,
    );
    expect(r.stdout).toMatch(/pp_cmp_0011\s+cmp_0011/);
    expect(r.stdout).toMatch(/^no-future-dated-events\s+✗/m);
    expect(r.stdout).toMatch(/^campaign-prompt-copied\s+✓/m);
  });

  it('after the data is fixed, run --redo re-derives the events (an upsert: no duplicates), proves again and stops at the cutover flag (exit 5)', async () => {
    const events = await one(`SELECT count(*)::int FROM "IntelligenceEvent"`);
    for (const s of FIX) await query(url, s);
    const r = await tm('run', PLAN, '--redo', 'intelligence-events');
    expect(r.code).toBe(5);
    expect(r.stdout).toContain('step "intelligence-events" will run again (--redo)');
    expect(r.stdout).toMatch(/^no-future-dated-events\s+✓/m);
    expect(r.stdout).toMatch(/^no-orphaned-prompt-performance\s+✓/m);
    expect(r.stdout).toContain('All 11 checks passed (1 warning: no-negative-kpi-values)');
    expect(r.stdout).toContain('gate "phase5-code-live" is closed: flag "phase5_code_live" has never been set');
    expect(r.stdout).toContain('to open it: npx tidemark flag set phase5_code_live on');

    expect(await one(`SELECT count(*)::int FROM "IntelligenceEvent"`)).toBe(events); // cmp_0011/12's events stay: telemetry
    expect(await count(`SELECT 1 FROM "IntelligenceEvent" WHERE "createdAt" > now()`)).toBe(0);
    expect(
      await one(`SELECT "createdAt" < now() - interval '1 day' FROM "IntelligenceEvent" WHERE "id" = 'evt_cmp_0097_1'`),
    ).toBe(true);
    expect(
      await count(
        `SELECT 1 FROM "PromptPerformance" p WHERE NOT EXISTS (SELECT 1 FROM "Campaign" c WHERE c."id" = p."campaignId")`,
      ),
    ).toBe(0);
    expect(await fkOnPromptPerformance()).toEqual([]);
  });

  it('flag on, then the DBA sign-off: the contract adds the cascading foreign key and removes the sync trigger', async () => {
    expect((await tm('flag', 'set', 'phase5_code_live', 'on')).code).toBe(0);
    const waiting = await tm('run', PLAN);
    expect(waiting.code).toBe(5);
    expect(waiting.stdout).toMatch(/gate "phase5-code-live" open: flag "phase5_code_live" is on \(set by dba@apex/);
    expect(waiting.stdout).toContain('gate "dba-sign-off" is closed: waiting for approval "dba-sign-off"');
    expect(await fkOnPromptPerformance()).toEqual([]);

    const r = await tm('run', PLAN, '--approve', 'dba-sign-off');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/removed the keepInSync trigger "[^"]+" from "public"\."Campaign"/);
    expect(await fkOnPromptPerformance()).toEqual([
      { conname: 'PromptPerformance_campaignId_fkey', convalidated: true, confdeltype: 'c' },
    ]);
    expect(await syncTriggers()).toEqual([]);
    expect(await query(url, `SELECT gate_id, approved_by FROM tidemark.approvals`)).toEqual([
      { gate_id: 'dba-sign-off', approved_by: 'dba@apex' },
    ]);
    // The relation works as Prisma declares it: deleting a campaign now takes its PromptPerformance along.
    await query(url, `DELETE FROM "Campaign" WHERE "id" = 'cmp_0013'`);
    expect(await count(`SELECT 1 FROM "PromptPerformance" WHERE "campaignId" = 'cmp_0013'`)).toBe(0);
  });

  it('verify prints the proof, one line per check from its id (exit 0); a second run changes nothing', async () => {
    const v = await tm('verify', PLAN);
    expect(v.code).toBe(0);
    for (const id of [
      'baseline-phase-4-5',
      'every-agent-task-has-an-event',
      'one-prompt-performance-per-campaign',
      'kpi-history-complete',
      'kpi-snapshots-unchanged',
      'no-orphaned-prompt-performance',
      'no-future-dated-events',
      'campaign-prompt-copied',
      'prompt-performance-ctr',
      'event-severity-known',
      'event-severities',
    ]) {
      expect(v.stdout).toMatch(new RegExp(`^${id}\\s+✓`, 'm'));
    }
    expect(v.stdout).toMatch(/^no-negative-kpi-values\s+⚠/m);
    expect(v.stdout).toMatch(/^\s+info\s+\d+$/m); // the distribution of severities

    const data = await query(
      url,
      `SELECT (SELECT md5(string_agg(e::text, ',' ORDER BY "id")) FROM "IntelligenceEvent" e) AS e,
      (SELECT md5(string_agg(p::text, ',' ORDER BY "id")) FROM "PromptPerformance" p) AS p, (SELECT md5(string_agg(k::text, ',' ORDER BY "id")) FROM "KPIHistory" k) AS k`,
    );
    const again = await tm('run', PLAN);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to do: every step is applied');
    expect(again.stdout).not.toMatch(/^→ /m);
    expect(
      await query(
        url,
        `SELECT (SELECT md5(string_agg(e::text, ',' ORDER BY "id")) FROM "IntelligenceEvent" e) AS e,
      (SELECT md5(string_agg(p::text, ',' ORDER BY "id")) FROM "PromptPerformance" p) AS p, (SELECT md5(string_agg(k::text, ',' ORDER BY "id")) FROM "KPIHistory" k) AS k`,
      ),
    ).toEqual(data);
  });

  it('report --format md is the summary the seed asks for: scope, steps, backfills, validation checklist, sign-off, rollback', async () => {
    const r = await tm('report', PLAN, '--format', 'md');
    expect(r.code).toBe(0);
    const md = r.stdout;
    expect(md).toMatch(/^# Phase 5\.0: Intelligence Core data migration & backfill \(seed 004\) — ✅ Completed/);
    for (const section of [
      '## What was done',
      '## Steps',
      '## Backfills',
      '## Verification checklist (the proof)',
      '## Gates and approvals',
      '## Rollback procedure',
    ]) {
      expect(md).toContain(section);
    }
    expect(md).toContain(
      '**Tables created** (4): `IntelligenceEvent`, `PromptPerformance`, `KPIHistory`, `AgentFeedback`',
    );
    expect(md).toMatch(/\| `Campaign` \| `prompt` \| `text` \| `campaign-prompt` \|/);
    expect(md).toMatch(/\| `kpi-history` \| `KPISnapshot → KPIHistory` \| 5,400 \|/);
    expect(md).toContain('⚠️ **`no-negative-kpi-values`** — Negative KPI values (may be valid)');
    expect(md).toContain('✅ **`no-orphaned-prompt-performance`** — No orphaned PromptPerformance records');
    expect(md).toMatch(/\| `dba-sign-off` \| dba@apex \|/);
    expect(md).toMatch(/\| `phase5_code_live` \| on \| dba@apex \|/);
    expect(md).toContain(`DELETE FROM "IntelligenceEvent" WHERE "id" LIKE 'evt\\_%';`);
  });

  it('rollback --phase backfill is the seed\'s "truncate and re-run" (Scenario 2), sparing rows the new code wrote; run refills', async () => {
    // Phase 5 code is live and writes its own events (cuid ids), which a TRUNCATE would lose.
    await query(
      url,
      `INSERT INTO "IntelligenceEvent" ("id", "eventType", "entityType", "entityId", "payload", "tenantId") VALUES ('clx8d2p0k0000qzrm7h3a9f1e', 'PublishingStatus', 'channel', 'linkedin', '{"ok": true}', 'tnt_acme')`,
    );
    const r = await tm('rollback', PLAN, '--phase', 'backfill');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/campaign-prompt-from-metadata — backfill without `down`/);
    expect(await query(url, `SELECT "id" FROM "IntelligenceEvent"`)).toEqual([{ id: 'clx8d2p0k0000qzrm7h3a9f1e' }]);
    expect(
      await one(`SELECT ((SELECT count(*) FROM "PromptPerformance") + (SELECT count(*) FROM "KPIHistory"))::int`),
    ).toBe(0);
    expect(await fkOnPromptPerformance()).toEqual([]);

    const rerun = await tm('run', PLAN, '--approve', 'dba-sign-off');
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toMatch(/the proof runs again/);
    expect(await one(`SELECT count(*)::int FROM "IntelligenceEvent" WHERE "id" LIKE 'evt\\_%'`)).toBe(
      await tasksInWindow(),
    );
    expect(await one(`SELECT count(*)::int FROM "PromptPerformance"`)).toBe(await publishedInWindow());
    expect(await one(`SELECT count(*)::int FROM "KPIHistory"`)).toBe(5400);
    expect(await fkOnPromptPerformance()).toHaveLength(1);
  });

  it('rollback (Scenario 1, without restoring a snapshot) brings back the Phase 4.5 schema and leaves the legacy data as the app left it', async () => {
    const data = await legacyData();
    const r = await tm('rollback', PLAN);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/rolled back \d+ step\(s\)/);
    for (const id of [
      'intelligence-event-table',
      'prompt-performance-table',
      'kpi-history-table',
      'agent-feedback-table',
      'campaign-prompt',
    ])
      expect(r.stdout).toContain(`${id} undone`);
    expect(await tables()).toEqual(before.tables);
    expect(await schema()).toEqual(before.schema);
    expect(await legacyData()).toEqual(data);
  });
});
