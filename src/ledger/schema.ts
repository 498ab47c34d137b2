/**
 * The ledger's schema, as numbered migrations applied in place. Version N's SQL runs once, under
 * the ledger's install lock; add a new entry to upgrade, never edit an old one.
 * `{{schema}}` is replaced by the quoted ledger schema name.
 */

export const LEDGER_MIGRATIONS: readonly string[] = [
  // 1: the whole initial ledger.
  `
CREATE TABLE {{schema}}.meta (
  key   text PRIMARY KEY,
  value text NOT NULL
);

CREATE TABLE {{schema}}.plans (
  plan_id    text PRIMARY KEY,
  title      text NOT NULL,
  file       text,
  checksum   text NOT NULL,
  status     text NOT NULL DEFAULT 'pending',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  baseline_taken_at timestamptz
);

CREATE TABLE {{schema}}.runs (
  run_id      bigserial PRIMARY KEY,
  plan_id     text NOT NULL REFERENCES {{schema}}.plans (plan_id) ON DELETE CASCADE,
  command     text NOT NULL,
  options     jsonb NOT NULL DEFAULT '{}',
  plan_checksum text NOT NULL,
  status      text NOT NULL DEFAULT 'running'
              CHECK (status IN ('running', 'done', 'failed', 'gate', 'drift', 'crashed', 'rolled_back')),
  exit_code   int,
  message     text,
  run_by      text NOT NULL,
  host        text,
  pid         int,
  backend_pid int,
  tidemark_version text,
  server_version text,
  database    text,
  started_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at timestamptz
);
CREATE INDEX ON {{schema}}.runs (plan_id, run_id DESC);

CREATE TABLE {{schema}}.steps (
  plan_id     text NOT NULL REFERENCES {{schema}}.plans (plan_id) ON DELETE CASCADE,
  step_id     text NOT NULL,
  phase       text NOT NULL,
  kind        text NOT NULL,
  position    int NOT NULL,
  title       text,
  checksum    text NOT NULL,
  status      text NOT NULL DEFAULT 'pending'
              CHECK (status IN ('pending', 'running', 'completed', 'failed', 'rolled_back', 'skipped')),
  run_id      bigint REFERENCES {{schema}}.runs (run_id) ON DELETE SET NULL,
  attempts    int NOT NULL DEFAULT 0,
  started_at  timestamptz,
  finished_at timestamptz,
  duration_ms double precision,
  rows_affected bigint,
  progress    jsonb,
  details     jsonb,
  error       text,
  retries     int NOT NULL DEFAULT 0,
  lock_wait_ms double precision NOT NULL DEFAULT 0,
  PRIMARY KEY (plan_id, step_id)
);

CREATE TABLE {{schema}}.step_history (
  id          bigserial PRIMARY KEY,
  plan_id     text NOT NULL,
  step_id     text NOT NULL,
  run_id      bigint,
  event       text NOT NULL,
  detail      jsonb,
  at          timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX ON {{schema}}.step_history (plan_id, step_id, id);

CREATE TABLE {{schema}}.batches (
  id          bigserial PRIMARY KEY,
  plan_id     text NOT NULL,
  step_id     text NOT NULL,
  run_id      bigint,
  batch_no    int NOT NULL,
  key_from    jsonb,
  key_to      jsonb,
  rows        bigint NOT NULL,
  size        int,
  duration_ms double precision NOT NULL,
  throttled_ms double precision NOT NULL DEFAULT 0,
  at          timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX ON {{schema}}.batches (plan_id, step_id, id);

CREATE TABLE {{schema}}.poison_rows (
  id          bigserial PRIMARY KEY,
  plan_id     text NOT NULL,
  step_id     text NOT NULL,
  run_id      bigint,
  key         jsonb NOT NULL,
  error       text NOT NULL,
  sqlstate    text,
  at          timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX ON {{schema}}.poison_rows (plan_id, step_id);

CREATE TABLE {{schema}}.check_results (
  id          bigserial PRIMARY KEY,
  plan_id     text NOT NULL,
  step_id     text NOT NULL,
  run_id      bigint,
  phase       text NOT NULL,
  kind        text NOT NULL,
  status      text NOT NULL CHECK (status IN ('pass', 'fail', 'warn', 'superseded', 'error')),
  severity    text NOT NULL DEFAULT 'error',
  actual      jsonb,
  expected    jsonb,
  sample      jsonb,
  message     text,
  plan_checksum text NOT NULL,
  step_checksum text NOT NULL,
  duration_ms double precision,
  at          timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX ON {{schema}}.check_results (plan_id, step_id, id DESC);

CREATE TABLE {{schema}}.validations (
  id          bigserial PRIMARY KEY,
  plan_id     text NOT NULL,
  run_id      bigint,
  plan_checksum text NOT NULL,
  passed      boolean NOT NULL,
  failed_checks text[] NOT NULL DEFAULT '{}',
  at          timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX ON {{schema}}.validations (plan_id, id DESC);

CREATE TABLE {{schema}}.gate_results (
  id          bigserial PRIMARY KEY,
  plan_id     text NOT NULL,
  step_id     text NOT NULL,
  run_id      bigint,
  kind        text NOT NULL,
  open        boolean NOT NULL,
  reason      text,
  detail      jsonb,
  at          timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE {{schema}}.flags (
  name        text PRIMARY KEY,
  enabled     boolean NOT NULL,
  set_by      text NOT NULL,
  set_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE {{schema}}.flag_history (
  id          bigserial PRIMARY KEY,
  name        text NOT NULL,
  enabled     boolean NOT NULL,
  set_by      text NOT NULL,
  at          timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE {{schema}}.approvals (
  id          bigserial PRIMARY KEY,
  plan_id     text NOT NULL,
  gate_id     text NOT NULL,
  run_id      bigint,
  approved_by text NOT NULL,
  at          timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE {{schema}}.baselines (
  plan_id     text NOT NULL,
  table_name  text NOT NULL,
  row_count   bigint NOT NULL,
  run_id      bigint,
  taken_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (plan_id, table_name)
);

CREATE TABLE {{schema}}.drift_acceptances (
  id          bigserial PRIMARY KEY,
  plan_id     text NOT NULL,
  step_id     text NOT NULL,
  run_id      bigint,
  old_checksum text NOT NULL,
  new_checksum text NOT NULL,
  accepted_by text NOT NULL,
  at          timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE {{schema}}.archives (
  id          bigserial PRIMARY KEY,
  plan_id     text NOT NULL,
  step_id     text NOT NULL,
  kind        text NOT NULL,
  object      text NOT NULL,
  archive_schema text NOT NULL,
  archive_table  text,
  definition  jsonb NOT NULL DEFAULT '{}',
  restored_at timestamptz,
  at          timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE {{schema}}.sync_triggers (
  plan_id     text NOT NULL,
  step_id     text NOT NULL,
  table_name  text NOT NULL,
  trigger_name text NOT NULL,
  function_name text NOT NULL,
  installed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  removed_at  timestamptz,
  PRIMARY KEY (plan_id, step_id, trigger_name)
);

CREATE TABLE {{schema}}.object_stats (
  id          bigserial PRIMARY KEY,
  plan_id     text NOT NULL,
  run_id      bigint,
  moment      text NOT NULL,
  stats       jsonb NOT NULL,
  at          timestamptz NOT NULL DEFAULT clock_timestamp()
);
`,
  // 2: the statements each step attempt executed (src/ledger/statements.ts), for the report.
  `
CREATE TABLE {{schema}}.step_statements (
  id          bigserial PRIMARY KEY,
  plan_id     text NOT NULL,
  step_id     text NOT NULL,
  run_id      bigint,
  outcome     text NOT NULL CHECK (outcome IN ('completed', 'failed')),
  statements  jsonb NOT NULL,
  omitted     int NOT NULL DEFAULT 0,
  at          timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX ON {{schema}}.step_statements (plan_id, step_id, id);
`,
  // 3: a step whose rollback has started but not finished (docs/ledger.md): marked before its
  // rollback touches the database, so a kill mid-rollback never leaves it looking applied.
  `
ALTER TABLE {{schema}}.steps DROP CONSTRAINT IF EXISTS steps_status_check;
ALTER TABLE {{schema}}.steps ADD CONSTRAINT steps_status_check
  CHECK (status IN ('pending', 'running', 'completed', 'failed', 'rolling_back', 'rolled_back', 'skipped'));
`,
  // 4: a backfill's key ranges, leased by its workers (`run` and `tidemark work`, docs/work.md). Each
  // range keeps its own cursor (`progress`), committed with each of its batches.
  `
CREATE TABLE IF NOT EXISTS {{schema}}.backfill_ranges (
  plan_id     text NOT NULL,
  step_id     text NOT NULL,
  range_no    int NOT NULL,
  lo          text[],
  hi          text[],
  state       text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done')),
  holder_run_id bigint,
  lease_until timestamptz,
  leased_at   timestamptz,
  takeovers   int NOT NULL DEFAULT 0,
  progress    jsonb NOT NULL,
  PRIMARY KEY (plan_id, step_id, range_no)
);
`,
  // 5: the ORM history rows a plan's \`records\` wrote (src/ledger/orm-records.ts, docs/orm-records.md):
  // what a whole-plan rollback removes. Written in the same transaction as the ORM's row.
  `
CREATE TABLE IF NOT EXISTS {{schema}}.orm_records (
  plan_id     text NOT NULL,
  tool        text NOT NULL,
  migration   text NOT NULL,
  detail      jsonb NOT NULL DEFAULT '{}',
  run_id      bigint,
  written_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  removed_at  timestamptz,
  PRIMARY KEY (plan_id, tool, migration)
);
`,
  // 6: a run stopped by SIGINT/SIGTERM after its current batch is `interrupted` (docs/cli.md); each
  // step keeps the definition it was applied with, so drift can say which fields changed (docs/plans.md).
  `
ALTER TABLE {{schema}}.runs DROP CONSTRAINT IF EXISTS runs_status_check;
ALTER TABLE {{schema}}.runs ADD CONSTRAINT runs_status_check
  CHECK (status IN ('running', 'done', 'failed', 'gate', 'drift', 'crashed', 'rolled_back', 'interrupted'));
ALTER TABLE {{schema}}.steps ADD COLUMN IF NOT EXISTS definition jsonb;
`,
];

/** The version a fully upgraded ledger has. */
export const LEDGER_VERSION = LEDGER_MIGRATIONS.length;
