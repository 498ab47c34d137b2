-- The "before" of seed 004 (Phase 4.5 → Phase 5.0 "Intelligence Core"): the Phase 4.5 schema as Prisma
-- created it, with ~13,000 rows of realistic data, including the rows the seed's validation script worries
-- about. Load it into an empty database, then run examples/seed-004.plan.ts:
--
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f examples/seed-004.setup.sql
--   npx tidemark plan examples/seed-004.plan.ts
--
-- Every timestamp is relative to now(), so the seed's "last 90 days" window always holds the same rows:
-- campaigns 1–450 are inside it (at most 86 days old), 451–600 outside (95 days and older); KPI snapshots
-- of days 0–89 inside, 90–109 outside (2 hours' margin on each side of the boundary).
--
-- The awkward rows (what the seed's validate-migration.ts looks for):
--   * agent tasks recorded by a worker whose clock ran 5 years ahead ("agent-video-07", campaigns 97, 194,
--     291, 388): backfilled as-is they are future-dated IntelligenceEvent rows — an error in the proof;
--   * negative `pipeline_velocity` snapshots (every 17th day): negative KPI values, "may be valid" — a warning;
--   * campaigns with no `agentTasks` key at all (every 50th), tasks without `model`/`tokensOut` (legacy
--     agents), and publish jobs with NULL metrics (failed publishes): the transform and the SQL must cope.
-- Orphaned PromptPerformance rows need no setup: they appear when the application deletes campaigns while
-- the migration is in flight, before the foreign key exists (the test does exactly that).

CREATE TABLE "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
);
INSERT INTO "_prisma_migrations" ("id", "checksum", "finished_at", "migration_name", "started_at", "applied_steps_count") VALUES
  ('0b6c7a52-0001-4a8e-9d7e-5f1a2b3c4d01', 'a1b2c3', now() - interval '200 days', '20250402120000_init', now() - interval '200 days', 1),
  ('0b6c7a52-0002-4a8e-9d7e-5f1a2b3c4d02', 'd4e5f6', now() - interval '130 days', '20250627080000_publishing', now() - interval '130 days', 1),
  ('0b6c7a52-0003-4a8e-9d7e-5f1a2b3c4d03', '0718a9', now() - interval '40 days', '20250926090000_phase_4_5_1_verified_clean', now() - interval '40 days', 1);

CREATE TABLE "Campaign" (
  "id" TEXT NOT NULL PRIMARY KEY,
  "tenantId" TEXT NOT NULL,
  "name" TEXT NOT NULL,
  "status" TEXT NOT NULL DEFAULT 'draft',
  -- Phase 4.5 kept the user's prompt and the agents' telemetry here: { prompt?, agentTasks?: [...] }
  "metadata" JSONB NOT NULL DEFAULT '{}',
  "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" TIMESTAMP(3) NOT NULL
);
CREATE INDEX "Campaign_tenantId_createdAt_idx" ON "Campaign" ("tenantId", "createdAt");

CREATE TABLE "Asset" (
  "id" TEXT NOT NULL PRIMARY KEY,
  "campaignId" TEXT NOT NULL REFERENCES "Campaign" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "type" TEXT NOT NULL,
  "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX "Asset_campaignId_idx" ON "Asset" ("campaignId");

CREATE TABLE "PublishJob" (
  "id" TEXT NOT NULL PRIMARY KEY,
  "assetId" TEXT NOT NULL REFERENCES "Asset" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "channel" TEXT NOT NULL,
  "status" TEXT NOT NULL,
  "impressions" INTEGER,
  "clicks" INTEGER,
  "conversions" INTEGER,
  "publishedAt" TIMESTAMP(3)
);
CREATE INDEX "PublishJob_assetId_idx" ON "PublishJob" ("assetId");

-- What calculateHistoricalKPIs() read: one snapshot per tenant, metric, period and day.
CREATE TABLE "KPISnapshot" (
  "id" TEXT NOT NULL PRIMARY KEY,
  "tenantId" TEXT NOT NULL,
  "metricName" TEXT NOT NULL,
  "metricValue" DOUBLE PRECISION NOT NULL,
  "period" TEXT NOT NULL,
  "department" TEXT,
  "takenAt" TIMESTAMP(3) NOT NULL
);

-- 600 campaigns over three tenants; every 4th has a prompt (150). Campaign g has g % 11 agent tasks.
INSERT INTO "Campaign" ("id", "tenantId", "name", "status", "metadata", "createdAt", "updatedAt")
SELECT 'cmp_' || lpad(g::text, 4, '0'),
       (ARRAY['tnt_acme', 'tnt_globex', 'tnt_initech'])[1 + g % 3],
       'Campaign ' || g,
       (ARRAY['draft', 'active', 'completed', 'archived'])[1 + g % 4],
       '{}',
       c.at, c.at + interval '3 hours'
FROM generate_series(1, 600) g
CROSS JOIN LATERAL (SELECT CASE WHEN g <= 450 THEN now() - interval '2 hours' - g * interval '0.19 days'
                                ELSE now() - interval '95 days' - (g - 450) * interval '0.2 days' END::timestamp(3) AS at) c;

UPDATE "Campaign" c
SET "metadata" = CASE WHEN n % 50 = 0 THEN '{}'::jsonb ELSE jsonb_build_object('agentTasks', tasks) END
             || CASE WHEN n % 4 = 0 THEN jsonb_build_object('prompt', 'Launch ' || c."name" || ': ' || (ARRAY['B2B SaaS founders', 'RevOps leaders', 'agency owners'])[1 + n % 3] || ', confident tone') ELSE '{}'::jsonb END
FROM (
  SELECT g AS n, coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
           'agentId', CASE WHEN g % 97 = 0 AND k = 1 THEN 'agent-video-07'
                           ELSE 'agent-' || (ARRAY['strategy', 'copy', 'visual', 'video'])[1 + (g + k) % 4] || '-' || lpad(((g * k) % 6)::text, 2, '0') END,
           'assetId', 'ast_' || lpad(g::text, 4, '0') || '_' || (1 + k % 3),
           'duration', 800 + (g * k * 37) % 9000,
           'tokensIn', 200 + (g * k * 13) % 3000,
           'tokensOut', CASE WHEN (g + k) % 23 = 0 THEN NULL ELSE 50 + (g * k * 7) % 1500 END,
           'cost', round(((g * k) % 400) / 10000.0, 4),
           'success', (g * k) % 13 <> 0,
           'model', CASE WHEN (g + k) % 23 = 0 THEN NULL ELSE (ARRAY['gpt-4o', 'claude-3-5-sonnet', 'gpt-4o-mini'])[1 + (g + k) % 3] END,
           'completedAt', (cc."createdAt" + k * interval '7 minutes' + CASE WHEN g % 97 = 0 AND k = 1 THEN interval '5 years' ELSE interval '0' END)::timestamptz
         )) ORDER BY k) FILTER (WHERE k IS NOT NULL), '[]'::jsonb) AS tasks
  FROM generate_series(1, 600) g
  JOIN "Campaign" cc ON cc."id" = 'cmp_' || lpad(g::text, 4, '0')
  LEFT JOIN LATERAL generate_series(1, g % 11) k ON true
  GROUP BY g
) t
WHERE c."id" = 'cmp_' || lpad(t.n::text, 4, '0');

-- Three assets per campaign; 0–3 publish jobs per asset (none for every 5th campaign: never published).
INSERT INTO "Asset" ("id", "campaignId", "type", "createdAt")
SELECT 'ast_' || lpad(g::text, 4, '0') || '_' || a, 'cmp_' || lpad(g::text, 4, '0'), (ARRAY['copy', 'image', 'video'])[a], c."createdAt" + a * interval '10 minutes'
FROM generate_series(1, 600) g CROSS JOIN generate_series(1, 3) a
JOIN "Campaign" c ON c."id" = 'cmp_' || lpad(g::text, 4, '0');

INSERT INTO "PublishJob" ("id", "assetId", "channel", "status", "impressions", "clicks", "conversions", "publishedAt")
SELECT 'pj_' || lpad(g::text, 4, '0') || '_' || a || '_' || j,
       'ast_' || lpad(g::text, 4, '0') || '_' || a,
       (ARRAY['linkedin', 'x', 'email', 'blog'])[1 + (g + a + j) % 4],
       CASE WHEN (g + a + j) % 19 = 0 THEN 'failed' ELSE 'published' END,
       CASE WHEN (g + a + j) % 19 = 0 THEN NULL ELSE 500 + (g * a * j * 131) % 20000 END,
       CASE WHEN (g + a + j) % 19 = 0 THEN NULL ELSE 10 + (g * a * j * 17) % 400 END,
       CASE WHEN (g + a + j) % 19 = 0 THEN NULL ELSE (g * a * j) % 25 END,
       c."createdAt" + interval '1 day' + j * interval '1 hour'
FROM generate_series(1, 600) g CROSS JOIN generate_series(1, 3) a CROSS JOIN generate_series(1, 3) j
JOIN "Campaign" c ON c."id" = 'cmp_' || lpad(g::text, 4, '0')
WHERE g % 5 <> 0 AND j <= 1 + (g + a) % 3;

-- 110 days × 3 tenants × 4 metrics × 5 periods = 6,600 snapshots; `pipeline_velocity` is negative every 17th day.
INSERT INTO "KPISnapshot" ("id", "tenantId", "metricName", "metricValue", "period", "department", "takenAt")
SELECT 'kps_' || t || '_' || m || '_' || p || '_' || d,
       (ARRAY['tnt_acme', 'tnt_globex', 'tnt_initech'])[t],
       (ARRAY['arr_run_rate', 'pipeline_velocity', 'win_rate', 'content_ctr'])[m],
       CASE (ARRAY['arr_run_rate', 'pipeline_velocity', 'win_rate', 'content_ctr'])[m]
         WHEN 'arr_run_rate' THEN 1200000 + t * 250000 + d * 1500
         WHEN 'pipeline_velocity' THEN CASE WHEN d % 17 = 0 THEN -1 * (120 + d) ELSE 4200 + (t * d * 31) % 900 END
         WHEN 'win_rate' THEN 0.18 + ((t + d) % 10) / 100.0
         ELSE 0.012 + ((t * d) % 30) / 1000.0 END,
       (ARRAY['7d', '14d', '30d', 'qtd', 'ytd'])[p],
       CASE WHEN m = 4 THEN 'marketing' WHEN m = 2 THEN 'sales' ELSE NULL END,
       (now() - interval '2 hours' - d * interval '1 day')::timestamp(3)
FROM generate_series(1, 3) t CROSS JOIN generate_series(1, 4) m CROSS JOIN generate_series(1, 5) p CROSS JOIN generate_series(0, 109) d;

ANALYZE;
