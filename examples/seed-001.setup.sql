-- Seed 001, "before": the junkquote database as the Batch 1 migration found it — 8 tables, every id a UUID
-- (the lesson of the seed's "UUID vs TEXT"), a Prisma history, and realistic, awkward data:
--
--   * 12,000 leads from 9,000 people: 3,000 are repeat leads whose phone is typed another way
--     ("(555) 000-0042", "555-000-0042", "+1 555 000 0042", "5550000042") and whose email differs in case;
--   * 42 leads with no usable phone (NULL, or junk such as '12345'): no customer can be made from them;
--   * 78 people who gave the call centre a placeholder email ('none@none.com', 'NoEmail@JunkQuote.com'):
--     a unique email on Customer fails on them — the proof catches it before the contract;
--   * SMS leads carry their conversation in "stateMetadata".history, some with the legacy role 'bot';
--   * 3,986 jobs, 23,000 audit rows (the SMS, web and phone events Batch 2 turns into Conversations).
--
-- Deterministic: ids are md5-derived UUIDs, so every load gives the same rows.
-- Load it with: psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f examples/seed-001.setup.sql

CREATE TABLE "_prisma_migrations" (
  id varchar(36) PRIMARY KEY,
  checksum varchar(64) NOT NULL,
  finished_at timestamptz,
  migration_name varchar(255) NOT NULL,
  logs text,
  rolled_back_at timestamptz,
  started_at timestamptz NOT NULL DEFAULT now(),
  applied_steps_count integer NOT NULL DEFAULT 0
);
INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count) VALUES
  ('9b1c0f52-5d7e-4a55-8a6f-1f2d8d0c0001', md5('init'), '2025-10-20 09:00:02+00', '20251020090000_init', '2025-10-20 09:00:00+00', 1),
  ('9b1c0f52-5d7e-4a55-8a6f-1f2d8d0c0002', md5('quotes'), '2025-10-28 14:10:01+00', '20251028141000_quotes_and_photos', '2025-10-28 14:10:00+00', 1);

CREATE TABLE "User" (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL UNIQUE,
  name text NOT NULL,
  role text NOT NULL DEFAULT 'operator',
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE "Setting" (
  key text PRIMARY KEY,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE "Lead" (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text,
  phone text,
  email text,
  address text,
  source text NOT NULL,                       -- 'sms' | 'web' | 'phone'
  status text NOT NULL DEFAULT 'new',
  "stateMetadata" jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE "Job" (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  lead_id uuid NOT NULL REFERENCES "Lead" (id) ON DELETE RESTRICT,
  status text NOT NULL DEFAULT 'scheduled',
  scheduled_for timestamptz,
  price_cents integer,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX "Job_lead_id_idx" ON "Job" (lead_id);

CREATE TABLE "Quote" (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  lead_id uuid NOT NULL REFERENCES "Lead" (id) ON DELETE CASCADE,
  amount_cents integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX "Quote_lead_id_idx" ON "Quote" (lead_id);

CREATE TABLE "Photo" (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  lead_id uuid NOT NULL REFERENCES "Lead" (id) ON DELETE CASCADE,
  url text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX "Photo_lead_id_idx" ON "Photo" (lead_id);

CREATE TABLE "Audit" (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  lead_id uuid REFERENCES "Lead" (id) ON DELETE SET NULL,
  action text NOT NULL,                       -- 'lead.created' | 'sms.inbound' | 'sms.outbound' | 'status.changed'
  channel text,                               -- 'sms' | 'web' | 'phone' | NULL (internal events)
  payload jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX "Audit_lead_id_idx" ON "Audit" (lead_id);

INSERT INTO "User" (id, email, name, role) VALUES
  (md5('user1')::uuid, 'dispatch@junkquote.com', 'Dispatch', 'admin'),
  (md5('user2')::uuid, 'ops@junkquote.com', 'Ops', 'operator');
INSERT INTO "Setting" (key, value) VALUES
  ('CONTEXT_MEMORY_ENABLED', 'false'), ('quote.minimum_cents', '9900');

-- Leads. Person p (1..9000) has the phone 555-000-pppp; leads 9001..12000 are repeat leads of earlier people.
INSERT INTO "Lead" (id, name, phone, email, address, source, status, "stateMetadata", created_at, updated_at)
SELECT md5('lead' || g)::uuid,
       CASE WHEN g % 97 = 0 THEN NULL ELSE 'Customer ' || p END,
       CASE
         WHEN g % 500 = 0 THEN NULL                                   -- no phone at all
         WHEN g % 700 = 3 THEN '12345'                                -- junk
         ELSE CASE g % 4
                WHEN 0 THEN '(555) ' || substr(d, 4, 3) || '-' || substr(d, 7, 4)
                WHEN 1 THEN '555-' || substr(d, 4, 3) || '-' || substr(d, 7, 4)
                WHEN 2 THEN '+1 555 ' || substr(d, 4, 3) || ' ' || substr(d, 7, 4)
                ELSE d
              END
       END,
       CASE
         WHEN p % 211 = 7 THEN CASE WHEN g % 2 = 0 THEN 'none@none.com' ELSE 'NONE@none.com' END
         WHEN p % 263 = 11 THEN 'NoEmail@JunkQuote.com'
         WHEN p % 5 = 0 THEN NULL
         WHEN g > 9000 THEN 'Customer' || p || '@Example.com'         -- same person, other case
         ELSE 'customer' || p || '@example.com'
       END,
       p || ' Haul Street',
       src,
       (ARRAY['new', 'quoted', 'booked', 'lost'])[1 + g % 4],
       CASE WHEN src = 'sms' THEN jsonb_build_object(
         'state', 'QUOTED',
         'history', jsonb_build_array(
           jsonb_build_object('role', 'user', 'content', 'Hi, can you take away an old couch? #' || g, 'at', created),
           jsonb_build_object('role', CASE WHEN g % 10 = 1 THEN 'bot' ELSE 'assistant' END,
                              'content', 'Sure! Send a photo and we will quote it.', 'at', created + interval '1 minute'),
           jsonb_build_object('role', 'user', 'content', 'Photo sent', 'at', created + interval '3 minutes')))
       END,
       created, created
FROM (
  SELECT g, p, '555' || lpad(p::text, 7, '0') AS d,
         CASE WHEN g % 3 = 0 THEN 'sms' WHEN g % 3 = 1 THEN 'web' ELSE 'phone' END AS src,
         timestamptz '2025-01-01 08:00+00' + g * interval '20 minutes' AS created
  FROM (SELECT g, CASE WHEN g <= 9000 THEN g ELSE 1 + (g * 7919) % 9000 END AS p FROM generate_series(1, 12000) g) s
) l;

-- Jobs: for every third lead that left a usable phone.
INSERT INTO "Job" (id, lead_id, status, scheduled_for, price_cents, created_at)
SELECT md5('job' || g)::uuid, md5('lead' || g)::uuid, (ARRAY['scheduled', 'done', 'cancelled'])[1 + g % 3],
       timestamptz '2025-01-03 08:00+00' + g * interval '20 minutes', 9900 + (g % 40) * 500,
       timestamptz '2025-01-01 09:00+00' + g * interval '20 minutes'
FROM generate_series(1, 12000) g
WHERE g % 3 = 1 AND g % 500 <> 0 AND g % 700 <> 3;

INSERT INTO "Quote" (id, lead_id, amount_cents, created_at)
SELECT md5('quote' || g)::uuid, md5('lead' || g)::uuid, 9900 + (g % 50) * 500, timestamptz '2025-01-01 08:30+00' + g * interval '20 minutes'
FROM generate_series(1, 12000) g WHERE g % 2 = 0;

INSERT INTO "Photo" (id, lead_id, url, created_at)
SELECT md5('photo' || g)::uuid, md5('lead' || g)::uuid, 'https://cdn.junkquote.com/p/' || g || '.jpg', timestamptz '2025-01-01 08:05+00' + g * interval '20 minutes'
FROM generate_series(1, 12000) g WHERE g % 4 = 0;

-- Audit: every lead's creation on its channel; SMS leads' inbound and outbound messages; internal status changes.
INSERT INTO "Audit" (id, lead_id, action, channel, payload, created_at)
SELECT md5('audit' || g || '/' || k)::uuid, md5('lead' || g)::uuid, a.action, a.channel, jsonb_build_object('lead', g),
       timestamptz '2025-01-01 08:00+00' + g * interval '20 minutes' + k * interval '1 minute'
FROM generate_series(1, 12000) g
CROSS JOIN LATERAL (VALUES
  (0, 'lead.created', CASE WHEN g % 3 = 0 THEN 'sms' WHEN g % 3 = 1 THEN 'web' ELSE 'phone' END),
  (1, CASE WHEN g % 3 = 0 THEN 'sms.inbound' END, 'sms'),
  (2, CASE WHEN g % 3 = 0 THEN 'sms.outbound' END, 'sms'),
  (3, CASE WHEN g % 4 = 2 THEN 'status.changed' END, NULL)
) AS a(k, action, channel)
WHERE a.action IS NOT NULL;

ANALYZE;
