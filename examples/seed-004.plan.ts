/**
 * Seed 004 ("Phase 5 migration plan — data migration & backfill") as ONE Tidemark plan: the Intelligence
 * Core tables, Campaign.prompt, the three hand-written backfill scripts, validate-migration.ts as a proof,
 * the cutover gates and the rollback SQL. Comments name the part of the seed document each step replaces
 * (`§5.0.2 Step 1` = "Phase 5.0.2, Step 1: Backfill IntelligenceEvent from Agent Logs").
 *
 *   psql "$DATABASE_URL" -f examples/seed-004.setup.sql     # the Phase 4.5 "before", with awkward rows
 *   npx tidemark plan examples/seed-004.plan.ts             # every statement, nothing written
 *   npx tidemark run examples/seed-004.plan.ts --dry-run    # rows each backfill would write
 *   npx tidemark run examples/seed-004.plan.ts              # stops at the proof or at a gate, says why
 *
 * Not carried over, on purpose:
 * - "Backup / neon branches create / restore snapshot" (§5.0.1 steps 1 and Rollback Scenario 1): every step
 *   below has an automatic or written `down`, and nothing that exists is changed or dropped, so
 *   `tidemark rollback` is the undo. Keep your backups; they are not part of the plan.
 * - "During low-traffic window (2-4 AM UTC)" (§5.0.1 step 5): the DDL is lock-safe (lock_timeout, retries,
 *   CONCURRENTLY), so no window. `gate.window({ id, between: ['02:00', '04:00'], timezone: 'UTC' })` would
 *   restore it.
 * - "Log progress every 100 campaigns": Tidemark prints rows done / total, rows/s and ETA per backfill.
 * - AgentFeedback ("User feedback, ~100 records, Low"): the seed gives no source and no script, and its
 *   expected output shows 0 records, so the table is created and left empty.
 */
import { definePlan, op, backfill, check, gate } from 'tidemark';

/**
 * "last 90 days" (every script's `createdAt >= Date.now() - 90 days`). This example's data is relative to
 * now(); in a real wave that spans three days, pin it to a literal (`timestamp '2025-08-06'`) so the window
 * does not move between the backfill and the proof.
 */
const WINDOW = `CURRENT_TIMESTAMP - interval '90 days'`;

/** §5.0.2 Step 2's `publishJobs.reduce((sum, j) => sum + (j.<column> || 0), 0)`, in SQL, for the campaign being copied. */
const published = (column: 'impressions' | 'clicks' | 'conversions') =>
  `(SELECT coalesce(sum(j."${column}"), 0) FROM "Asset" a JOIN "PublishJob" j ON j."assetId" = a."id" WHERE a."campaignId" = "Campaign"."id")`;

/** An index named as Prisma names it (`<Table>_<columns>_idx`, Tidemark's default too), so `prisma migrate diff` sees no drift. */
const prismaIndex = (table: string, columns: string[]) =>
  op.createIndex({ id: [table, ...columns].map(kebab).join('-'), table, columns });

/** `KPIHistory` → `kpi-history`, `tenantId` → `tenant-id`. */
const kebab = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2').toLowerCase();

/** One agent task in Phase 4.5's `Campaign.metadata.agentTasks` (what parseAgentLogs() read). */
interface AgentTask {
  agentId?: string;
  assetId?: string;
  duration?: number;
  tokensIn?: number;
  tokensOut?: number;
  cost?: number;
  success?: boolean;
  model?: string;
  completedAt?: string;
}

export default definePlan({
  id: 'phase5-intelligence-core',
  title: 'Phase 5.0: Intelligence Core data migration & backfill (seed 004)',

  // "Baseline: v4.5.1-verified-clean": the Phase 4.5 schema is what Prisma last applied.
  preconditions: [
    check.migrationApplied({ id: 'baseline-phase-4-5', tool: 'prisma', name: '20250926090000_phase_4_5_1_verified_clean' }),
  ],

  // §5.0.1 "Schema Migration": the migration.sql of `prisma migrate dev --create-only`, step by step, each
  // with its own `down` (Rollback Scenario 1 without the snapshot).
  expand: [
    op.createTable({
      id: 'intelligence-event-table',
      table: 'IntelligenceEvent',
      columns: {
        id: 'text NOT NULL',
        eventType: 'text NOT NULL', // AgentTaskCompleted, PromptPerformance, PublishingStatus, …
        entityType: 'text NOT NULL', // campaign, asset, agent, channel
        entityId: 'text NOT NULL',
        payload: 'jsonb NOT NULL',
        severity: `text NOT NULL DEFAULT 'info'`, // critical, high, medium, low, info, debug
        createdAt: 'timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP',
        tenantId: 'text NOT NULL',
      },
      primaryKey: ['id'],
    }),
    op.createTable({
      id: 'prompt-performance-table',
      table: 'PromptPerformance',
      // The relation to Campaign (onDelete: Cascade) is added in the contract phase, after the proof.
      columns: {
        id: 'text NOT NULL',
        campaignId: 'text NOT NULL',
        promptText: 'text NOT NULL',
        variantId: 'text',
        impressions: 'integer NOT NULL DEFAULT 0',
        clicks: 'integer NOT NULL DEFAULT 0',
        conversions: 'integer NOT NULL DEFAULT 0',
        ctr: 'double precision NOT NULL DEFAULT 0',
        cvr: 'double precision NOT NULL DEFAULT 0',
        avgTimeOnPage: 'double precision',
        bounceRate: 'double precision',
        rewardScore: 'double precision NOT NULL DEFAULT 0',
        createdAt: 'timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP',
        updatedAt: 'timestamp(3) NOT NULL',
      },
      primaryKey: ['id'],
    }),
    op.createTable({
      id: 'kpi-history-table',
      table: 'KPIHistory',
      columns: {
        id: 'text NOT NULL',
        metricName: 'text NOT NULL',
        metricValue: 'double precision NOT NULL',
        period: 'text NOT NULL', // 7d, 14d, 30d, qtd, ytd
        department: 'text',
        metadata: 'jsonb',
        createdAt: 'timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP',
        tenantId: 'text NOT NULL',
      },
      primaryKey: ['id'],
    }),
    op.createTable({
      id: 'agent-feedback-table',
      table: 'AgentFeedback',
      columns: {
        id: 'text NOT NULL',
        agentType: 'text NOT NULL',
        taskId: 'text NOT NULL',
        feedbackType: 'text NOT NULL',
        rating: 'integer',
        comment: 'text',
        actionTaken: 'text',
        createdAt: 'timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP',
        createdBy: 'text NOT NULL',
      },
      primaryKey: ['id'],
    }),
    // "ALTER TABLE "Campaign" ADD COLUMN "prompt" TEXT;"
    op.addColumn({ id: 'campaign-prompt', table: 'Campaign', column: 'prompt', type: 'text' }),
    // The @@index lines of the Prisma schema.
    prismaIndex('IntelligenceEvent', ['tenantId', 'eventType', 'createdAt']),
    prismaIndex('IntelligenceEvent', ['entityType', 'entityId']),
    prismaIndex('IntelligenceEvent', ['severity', 'createdAt']),
    prismaIndex('PromptPerformance', ['campaignId', 'rewardScore']),
    prismaIndex('PromptPerformance', ['variantId']),
    prismaIndex('KPIHistory', ['tenantId', 'metricName', 'createdAt']),
    prismaIndex('KPIHistory', ['period', 'department']),
    prismaIndex('AgentFeedback', ['agentType', 'createdAt']),
    prismaIndex('AgentFeedback', ['taskId']),
  ],

  backfill: [
    // Migration scope, "Campaign table → Enhanced with prompt field": the prompt Phase 4.5 kept in metadata.
    // keepInSync: Phase 4.5 code still writes metadata.prompt until the cutover; a trigger copies it meanwhile
    // and Tidemark removes it when the plan completes.
    backfill.update({
      id: 'campaign-prompt-from-metadata',
      title: 'Campaign.prompt from metadata.prompt',
      table: 'Campaign',
      set: { prompt: `"metadata"->>'prompt'` },
      where: `"prompt" IS NULL AND "metadata"->>'prompt' IS NOT NULL`,
      keepInSync: true,
    }),

    // §5.0.2 Step 1, scripts/migrate/backfill-intelligence-events.ts: its row-by-row
    // `for (campaign) for (task) await prisma.intelligenceEvent.create(…)` becomes batches of campaigns, each
    // one transaction with its cursor. The ids are derived from the task (not cuid()), so `onConflict` makes a
    // rerun — `tidemark run --redo intelligence-events` after fixing the source — an upsert instead of the
    // seed's "TRUNCATE … and re-run" (Rollback Scenario 2). The transform is written inline: Tidemark's
    // checksum covers its source text, not helpers it calls.
    backfill.insert({
      id: 'intelligence-events',
      title: 'One IntelligenceEvent per agent task of the last 90 days',
      from: 'Campaign',
      into: 'IntelligenceEvent',
      select: ['tenantId', 'metadata'],
      where: `"createdAt" >= ${WINDOW}`,
      onConflict: { target: ['id'], update: ['payload', 'severity', 'createdAt'] },
      transform: (campaigns) =>
        campaigns.flatMap((c) => {
          const tasks = ((c.metadata as { agentTasks?: AgentTask[] }).agentTasks ?? []);
          return tasks.flatMap((task, i) => task.agentId ? [{
            id: `evt_${String(c.id)}_${i + 1}`,
            eventType: 'AgentTaskCompleted',
            entityType: 'agent',
            entityId: task.agentId,
            payload: {
              campaignId: c.id,
              assetId: task.assetId ?? null,
              duration: task.duration ?? null,
              tokensIn: task.tokensIn ?? null,
              tokensOut: task.tokensOut ?? null,
              cost: task.cost ?? null,
              success: task.success ?? false,
              model: task.model ?? null,
            },
            severity: task.success ? 'info' : 'high',
            // An ISO string in UTC, not a Date: Tidemark writes a Date to a timestamp (without time zone) column as
            // the local time of the machine running it, and Prisma's timestamp(3) columns hold UTC. Left out: the default.
            createdAt: task.completedAt ? new Date(task.completedAt).toISOString() : undefined,
            tenantId: c.tenantId,
          }] : []);
        }),
      down: `DELETE FROM "IntelligenceEvent" WHERE "id" LIKE 'evt\\_%'`,
    }),

    // §5.0.2 Step 2, scripts/migrate/backfill-prompt-performance.ts: the per-campaign sums of its publish jobs,
    // only for campaigns with impressions (`if (impressions > 0)`), as one INSERT … SELECT per batch.
    // Runs after campaign-prompt-from-metadata, so `campaign.prompt || 'Legacy campaign …'` sees the prompts.
    backfill.insert({
      id: 'prompt-performance',
      title: 'PromptPerformance from the publishing history of the last 90 days',
      from: 'Campaign',
      into: 'PromptPerformance',
      where: `"createdAt" >= ${WINDOW} AND ${published('impressions')} > 0`,
      values: {
        id: `'pp_' || "Campaign"."id"`,
        campaignId: `"Campaign"."id"`,
        promptText: `coalesce("prompt", 'Legacy campaign (no prompt recorded)')`,
        impressions: published('impressions'),
        clicks: published('clicks'),
        conversions: published('conversions'),
        ctr: `${published('clicks')}::float8 / ${published('impressions')}`,
        cvr: `${published('conversions')}::float8 / greatest(${published('clicks')}, 1)`,
        rewardScore: '0', // "Will be calculated by learning optimizer"
        createdAt: '"createdAt"',
        updatedAt: 'CURRENT_TIMESTAMP',
      },
      onConflict: 'ignore',
      down: `DELETE FROM "PromptPerformance" WHERE "id" LIKE 'pp\\_%'`,
    }),

    // §5.0.2 Step 3, scripts/migrate/backfill-kpi-history.ts: its 90 × 5 × 4 calls to calculateHistoricalKPIs()
    // read the daily snapshots; here the snapshots are copied. The seed's `tenantId: 'default', // Update with
    // actual tenant ID` is fixed: each row keeps its tenant; `department: 'executive'` stays the default.
    backfill.insert({
      id: 'kpi-history',
      title: 'KPIHistory from the daily KPI snapshots of the last 90 days',
      from: 'KPISnapshot',
      into: 'KPIHistory',
      where: `"takenAt" >= ${WINDOW}`,
      values: {
        id: `'kpi_' || "id"`,
        metricName: '"metricName"',
        metricValue: '"metricValue"',
        period: '"period"',
        department: `coalesce("department", 'executive')`,
        metadata: `jsonb_build_object('source', 'KPISnapshot', 'snapshotId', "id")`,
        createdAt: '"takenAt"',
        tenantId: '"tenantId"',
      },
      onConflict: 'ignore',
      down: `DELETE FROM "KPIHistory" WHERE "id" LIKE 'kpi\\_%'`,
    }),
  ],

  // §5.0.3, scripts/migrate/validate-migration.ts: the same questions, answered with samples and recorded.
  // Its console.error lines are failures (the contract does not start); its console.warn is severity 'warn'.
  validate: [
    // "📊 Migration Results" — each count, as "nothing is missing".
    check.query({
      id: 'every-agent-task-has-an-event',
      title: 'Every agent task of the last 90 days has its IntelligenceEvent',
      sql: `SELECT c."id" AS "campaignId", t.n AS "task"
              FROM "Campaign" c, jsonb_array_elements(coalesce(c."metadata"->'agentTasks', '[]')) WITH ORDINALITY AS t(task, n)
             WHERE c."createdAt" >= ${WINDOW} AND t.task->>'agentId' IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM "IntelligenceEvent" e WHERE e."id" = 'evt_' || c."id" || '_' || t.n)
             ORDER BY 1, 2`,
      expect: 'empty',
    }),
    check.unique({
      id: 'one-prompt-performance-per-campaign',
      title: 'One PromptPerformance row per campaign (running the script twice doubled them)',
      table: 'PromptPerformance',
      columns: ['campaignId'],
    }),
    check.query({
      id: 'kpi-history-complete',
      title: 'One KPIHistory row per snapshot of the last 90 days',
      sql: `SELECT (SELECT count(*) FROM "KPISnapshot" WHERE "takenAt" >= ${WINDOW})
                 - (SELECT count(*) FROM "KPIHistory" WHERE "id" LIKE 'kpi\\_%') AS missing`,
      expect: { equals: 0 },
    }),
    check.rowCount({ id: 'kpi-snapshots-unchanged', title: 'The KPI snapshots are read, never written', table: 'KPISnapshot', unchanged: true }),
    // "🔍 Validating data integrity…"
    check.noOrphans({
      id: 'no-orphaned-prompt-performance',
      title: 'No orphaned PromptPerformance records',
      table: 'PromptPerformance',
      column: 'campaignId',
      references: { table: 'Campaign', column: 'id' },
    }),
    check.query({
      id: 'no-negative-kpi-values',
      title: 'Negative KPI values (may be valid)',
      sql: `SELECT "id", "tenantId", "metricName", "period", "metricValue", "createdAt" FROM "KPIHistory" WHERE "metricValue" < 0 ORDER BY "createdAt" DESC, "id"`,
      expect: 'empty',
      severity: 'warn',
    }),
    check.query({
      id: 'no-future-dated-events',
      title: 'No future-dated events',
      sql: `SELECT "id", "entityId", "createdAt", "tenantId" FROM "IntelligenceEvent" WHERE "createdAt" > CURRENT_TIMESTAMP ORDER BY "id"`,
      expect: 'empty',
    }),
    // What the seed's script did not check: that the copies are right.
    check.columnsMatch({
      id: 'campaign-prompt-copied',
      title: 'Campaign.prompt is metadata.prompt',
      table: 'Campaign',
      column: 'prompt',
      equals: `"metadata"->>'prompt'`,
    }),
    check.columnsMatch({
      id: 'prompt-performance-ctr',
      title: 'ctr is clicks / impressions',
      table: 'PromptPerformance',
      column: 'ctr',
      equals: '"clicks"::float8 / "impressions"',
    }),
    check.allowedValues({
      id: 'event-severity-known',
      title: 'Severities are the six of the schema',
      table: 'IntelligenceEvent',
      column: 'severity',
      values: ['critical', 'high', 'medium', 'low', 'info', 'debug'],
    }),
    check.distribution({ id: 'event-severities', title: 'Events by severity', table: 'IntelligenceEvent', column: 'severity' }),
  ],

  // §5.0.4 "Cutover" and the sign-off table: the constraint that could fail on live data waits for both.
  contract: [
    // Day 3 "Deploy Phase 5 code to production": `tidemark flag set phase5_code_live on` once it is live.
    gate.flag({ id: 'phase5-code-live', title: 'Phase 5 code runs in production', flag: 'phase5_code_live' }),
    // Sign-off "Database Admin — ⏳ Pending": `tidemark run … --approve dba-sign-off` records who and when.
    gate.approval({ id: 'dba-sign-off', title: 'Database Admin sign-off' }),
    // `campaign Campaign @relation(fields: [campaignId], references: [id], onDelete: Cascade)`: NOT VALID, then
    // VALIDATE — after the proof showed no orphans (campaigns deleted while the wave ran leave some).
    op.addForeignKey({
      id: 'prompt-performance-campaign-fk',
      table: 'PromptPerformance',
      columns: ['campaignId'],
      references: { table: 'Campaign', columns: ['id'] },
      onDelete: 'cascade',
      onUpdate: 'cascade',
    }),
  ],
});
