/**
 * The report model: one plan's wave as the ledger and the catalog know it, the single source the
 * Markdown, HTML and JSON renderers draw from. The zod schema is the contract: the JSON format is
 * this model serialized, and `docs/report-schema.json` is generated from it ({@link reportJsonSchema}).
 * Bump {@link REPORT_FORMAT_VERSION} on any change that is not purely additive.
 */
import { z } from 'zod';

/** Version of the JSON report format (`version` in every report). */
export const REPORT_FORMAT_VERSION = 2;

const iso = z.string().describe('ISO 8601 timestamp (UTC)');
const ms = z.number().describe('milliseconds');

/** One statement a step ran or would run, with the strongest table lock it takes. */
export const actionSchema = z.object({
  sql: z.string(),
  lock: z.string().nullable().describe('strongest table lock, e.g. ACCESS EXCLUSIVE; null when none'),
  transaction: z.boolean().describe('false: ran outside a transaction block (CONCURRENTLY)'),
  note: z.string().nullable(),
  state: z
    .enum(['ran', 'failed'])
    .nullable()
    .describe(
      'ran: executed, as recorded in the ledger; failed: the statement (or the transaction holding it) that failed, so not in effect; null: not executed (would run)',
    ),
  runId: z.number().nullable().describe('the run that executed it (recorded statements)'),
});

/** A database object a step created, altered or dropped, read from its DDL. */
export const objectChangeSchema = z.object({
  stepId: z.string(),
  change: z.enum(['created', 'altered', 'dropped']),
  type: z.enum([
    'table',
    'column',
    'index',
    'enum',
    'enum value',
    'constraint',
    'extension',
    'trigger',
    'function',
    'view',
    'sequence',
    'schema',
    'type',
  ]),
  name: z.string().describe('object name; for a column: the column name'),
  table: z.string().nullable().describe('the table it belongs to (columns, indexes, constraints, triggers)'),
  detail: z.string().nullable().describe('column type, enum values, constraint kind…'),
});

const percentiles = z.object({ p50: ms, p90: ms, p99: ms, max: ms, mean: ms });

/** Batches of one backfill: throughput, latency, throttling, poison rows and a chartable series. */
export const backfillSchema = z.object({
  stepId: z.string(),
  table: z.string().nullable(),
  rows: z
    .number()
    .describe(
      'rows written by the current pass, summed over its batches (a pass before a --redo or a rollback is in earlierPasses)',
    ),
  earlierPasses: z
    .object({ passes: z.number().int(), rows: z.number(), batches: z.number().int() })
    .describe('passes superseded by a --redo or a rollback: not counted in rows, batches or the statistics'),
  batches: z.number().int(),
  activeMs: ms.describe('time spent inside batches'),
  wallMs: ms.describe('first batch start to last batch end, pauses included'),
  rowsPerSecond: z.number().nullable().describe('rows / (time inside batches + throttling pauses)'),
  batchMs: percentiles.nullable(),
  batchSize: z.object({ min: z.number(), max: z.number(), mean: z.number() }).nullable(),
  throttledMs: ms,
  throttledBatches: z.number().int(),
  progress: z.object({
    done: z.number().describe('rows walked (or written, when the backfill does not say)'),
    total: z.number().nullable(),
    percent: z.number().nullable(),
  }),
  poisonRows: z.object({
    count: z.number().int(),
    sample: z
      .array(z.object({ key: z.unknown(), error: z.string(), sqlstate: z.string().nullable(), at: iso }))
      .describe('up to 10'),
  }),
  workers: z
    .array(
      z.object({
        runId: z.number().int(),
        command: z.string().describe('run | work'),
        status: z.string(),
        host: z.string().nullable(),
        rows: z.number(),
        batches: z.number().int(),
        rangesFinished: z.number().int(),
      }),
    )
    .optional()
    .describe("a backfill worked by several workers (`tidemark work`): each one's share; absent for one worker"),
  series: z.object({
    t: z.array(z.number()).describe('seconds since the first batch started (bucket start)'),
    rowsPerSecond: z.array(z.number()),
    batchMs: z.array(z.number()).describe('mean batch duration in the bucket'),
    batchMsMax: z.array(z.number()),
    rows: z.array(z.number()),
    bucketSize: z.number().int().describe('batches per point (1: every batch)'),
  }),
});

/** One step: what the ledger recorded and what it did. */
export const stepSchema = z.object({
  id: z.string(),
  phase: z.string(),
  kind: z.string(),
  category: z.string().describe('sql | op | backfill | check | gate'),
  title: z.string(),
  status: z.string().describe('pending | running | completed | failed | rolled_back | skipped'),
  attempts: z.number().int(),
  startedAt: iso.nullable(),
  finishedAt: iso.nullable(),
  durationMs: ms.nullable(),
  rowsAffected: z.number().nullable(),
  retries: z.number().int().describe('lock-timeout retries'),
  lockWaitMs: ms.describe('time lost to lock timeouts and backoff'),
  error: z.string().nullable(),
  actions: z
    .array(actionSchema)
    .describe(
      'statements: for a step that ran, those it executed as recorded in the ledger; for one that never ran, what it would run now (as `tidemark plan` prints it)',
    ),
  actionsSource: z
    .enum(['ran', 'would run', 'not recorded', 'none'])
    .describe(
      "ran: recorded when executed; would run: the kind's description against the database now; not recorded: the step ran under a Tidemark that did not record statements (ledger version 1); none: checks, gates, or no plan file",
    ),
  actionsNote: z
    .string()
    .nullable()
    .describe('why the statements are not listed, when they are not; what was left out'),
  locks: z.array(z.string()).describe('distinct table locks its statements take, strongest first'),
  objects: z.array(objectChangeSchema),
  history: z.array(z.object({ event: z.string(), at: iso, runId: z.number().nullable(), detail: z.unknown() })),
});

/** The latest result of one check (or its absence). */
export const checkSchema = z.object({
  stepId: z.string(),
  phase: z.string(),
  kind: z.string(),
  title: z.string(),
  status: z.enum(['pass', 'fail', 'warn', 'superseded', 'not_run']),
  error: z
    .boolean()
    .describe(
      'true when the check could not run (bad SQL, a missing table or column): status is then fail, or warn under severity warn, and message says why',
    ),
  severity: z.enum(['error', 'warn']),
  actual: z.unknown(),
  expected: z.unknown(),
  sample: z.array(z.unknown()).describe('up to 10 offending rows (keys and values)'),
  distribution: z
    .array(z.object({ value: z.unknown(), count: z.number() }))
    .nullable()
    .describe('check.distribution: counts per value'),
  message: z.string().nullable(),
  at: iso.nullable(),
  runId: z.number().nullable(),
  durationMs: ms.nullable(),
  current: z.boolean().describe('false when the check changed since this result was recorded'),
});

const sizeSchema = z.object({
  tableBytes: z.number(),
  indexBytes: z.number(),
  totalBytes: z.number(),
  rowsEstimate: z.number().nullable(),
});

/** What `tidemark plan --rollback` says rollback would run now. */
export const rollbackStepSchema = z.object({
  stepId: z.string(),
  phase: z.string(),
  kind: z.string(),
  actions: z.array(actionSchema),
  notes: z.array(z.string()),
  irreversible: z.string().nullable(),
});

/** The whole report. */
export const reportSchema = z
  .object({
    format: z.literal('tidemark-report'),
    version: z.literal(REPORT_FORMAT_VERSION),
    generatedAt: iso,
    tidemarkVersion: z.string(),
    plan: z.object({
      id: z.string(),
      title: z.string(),
      file: z.string().nullable().describe('plan file name as recorded'),
      path: z
        .string()
        .nullable()
        .describe('the plan file given to `report`, relative to the working directory when inside it'),
      checksum: z.string().describe('checksum recorded in the ledger'),
      currentChecksum: z.string().nullable().describe('checksum of the plan file given to `report`'),
      status: z.string().describe('ledger status: pending | in_progress | waiting | failed | completed | rolled_back'),
      createdAt: iso,
      completedAt: iso.nullable(),
    }),
    status: z.object({
      state: z.enum(['completed', 'in_progress', 'waiting', 'failed', 'rolled_back', 'pending']),
      label: z.string(),
      message: z.string().nullable().describe("the latest run's message (error, gate)"),
    }),
    database: z.object({
      url: z.string().describe('connection string, password redacted'),
      name: z.string(),
      serverVersion: z.string(),
      ledgerSchema: z.string(),
    }),
    runs: z.array(
      z.object({
        runId: z.number(),
        command: z.string(),
        status: z.string(),
        exitCode: z.number().nullable(),
        message: z.string().nullable(),
        runBy: z.string(),
        host: z.string().nullable(),
        tidemarkVersion: z.string().nullable(),
        serverVersion: z.string().nullable(),
        options: z.record(z.string(), z.unknown()),
        startedAt: iso,
        finishedAt: iso.nullable(),
        durationMs: ms.nullable(),
      }),
    ),
    summary: z.object({
      steps: z.object({
        total: z.number().int(),
        completed: z.number().int(),
        failed: z.number().int(),
        running: z.number().int(),
        pending: z.number().int(),
        rolledBack: z.number().int(),
      }),
      ranBy: z.array(z.string()),
      firstStartedAt: iso.nullable(),
      lastFinishedAt: iso.nullable(),
      stepMs: ms.describe('sum of step durations'),
      rowsAffected: z.number(),
      tablesCreated: z.array(z.string()),
      indexesCreated: z
        .array(z.string())
        .describe('tables, indexes, enums, columns and constraints created: those the wave did not drop again'),
      enumsCreated: z.array(z.object({ name: z.string(), values: z.string().nullable() })),
      columnsAdded: z.array(
        z.object({ table: z.string(), column: z.string(), type: z.string().nullable(), stepId: z.string() }),
      ),
      constraintsAdded: z.array(z.string()),
      objectsAltered: z
        .array(z.string())
        .describe('e.g. `customers.display_name: SET NOT NULL`, `enum customer_tier: + value`'),
      objectsDropped: z.array(z.string()),
      createdThenDropped: z
        .array(z.string())
        .describe('objects a step created and a later step of the wave dropped (not counted as created or dropped)'),
    }),
    phases: z.array(z.object({ phase: z.string(), steps: z.array(stepSchema) })),
    backfills: z.array(backfillSchema),
    proof: z.object({
      passed: z.boolean().nullable().describe('latest validate phase; null when it never ran'),
      validatedAt: iso.nullable(),
      failedChecks: z.array(z.string()),
      counts: z.object({
        pass: z.number().int(),
        fail: z.number().int(),
        warn: z.number().int(),
        superseded: z.number().int(),
        notRun: z.number().int(),
        couldNotRun: z.number().int().describe('checks that could not run (also counted in fail or warn)'),
      }),
      checks: z.array(checkSchema),
    }),
    gates: z.object({
      results: z.array(
        z.object({
          stepId: z.string(),
          kind: z.string(),
          phase: z.string(),
          state: z.enum(['open', 'closed', 'not_reached']),
          reason: z.string().nullable(),
          at: iso.nullable(),
          runId: z.number().nullable(),
          detail: z.unknown(),
          condition: z.string().nullable().describe('what the gate waits for: flag name, window, command'),
        }),
      ),
      approvals: z.array(
        z.object({ gateId: z.string(), approvedBy: z.string(), at: iso, runId: z.number().nullable() }),
      ),
      flags: z.array(
        z.object({
          name: z.string(),
          enabled: z.boolean().nullable(),
          setBy: z.string().nullable(),
          setAt: iso.nullable(),
          history: z.array(z.object({ enabled: z.boolean(), setBy: z.string(), at: iso })),
        }),
      ),
    }),
    impact: z.object({
      tables: z.array(
        z.object({
          name: z.string(),
          role: z.string().describe('created | altered | read | dropped'),
          rows: z.number().nullable().describe('rows now (exact below 1,000,000 estimated rows, else the estimate)'),
          rowsExact: z.boolean(),
          before: sizeSchema.nullable(),
          after: sizeSchema.nullable(),
        }),
      ),
      sizesRecorded: z.object({
        before: iso.nullable(),
        after: iso.nullable(),
        afterSource: z
          .enum(['run', 'report'])
          .describe(
            'run: recorded at the end of the latest run; report: read from the catalog when the report was built',
          ),
      }),
      wal: z.object({ bytes: z.number().nullable(), note: z.string() }),
      lockRetries: z.number().int(),
      lockWaitMs: ms,
      locksTaken: z.array(z.object({ lock: z.string(), steps: z.array(z.string()) })),
      syncTriggers: z.array(
        z.object({
          stepId: z.string(),
          table: z.string(),
          trigger: z.string(),
          installedAt: iso,
          removedAt: iso.nullable(),
        }),
      ),
    }),
    rollback: z.object({
      available: z.boolean().describe('false when no plan file was given or it could not be described'),
      command: z.string().nullable(),
      refuses: z.array(z.string()).describe('irreversible steps that make a whole rollback refuse'),
      steps: z.array(rollbackStepSchema).describe('newest first'),
      archives: z.array(
        z.object({
          stepId: z.string(),
          kind: z.string(),
          object: z.string(),
          archive: z.string(),
          at: iso,
          restoredAt: iso.nullable(),
        }),
      ),
      error: z.string().nullable(),
    }),
    drift: z.object({
      accepted: z.array(
        z.object({
          stepId: z.string(),
          oldChecksum: z.string(),
          newChecksum: z.string(),
          acceptedBy: z.string(),
          at: iso,
          runId: z.number().nullable(),
        }),
      ),
      changedSinceApplied: z
        .array(z.string())
        .describe('applied steps whose definition in the given plan file differs from the ledger'),
    }),
    next: z.array(z.object({ stepId: z.string().nullable(), text: z.string() })).describe('what remains to do'),
  })
  .describe("A Tidemark wave report: everything the ledger knows about one plan, with the catalog's sizes.");

/** The report model. */
export type ReportModel = z.infer<typeof reportSchema>;
export type ReportStep = z.infer<typeof stepSchema>;
export type ReportCheck = z.infer<typeof checkSchema>;
export type ReportBackfill = z.infer<typeof backfillSchema>;
export type ReportAction = z.infer<typeof actionSchema>;
export type ObjectChange = z.infer<typeof objectChangeSchema>;
export type SizeStat = z.infer<typeof sizeSchema>;

/** The JSON Schema (draft 2020-12) of the JSON report, as committed in `docs/report-schema.json`. */
export function reportJsonSchema(): Record<string, unknown> {
  const s = z.toJSONSchema(reportSchema, { target: 'draft-2020-12' }) as Record<string, unknown>;
  return {
    $schema: s.$schema,
    $id: `urn:tidemark:report:v${REPORT_FORMAT_VERSION}`,
    title: `Tidemark report, format version ${REPORT_FORMAT_VERSION}`,
    ...s,
  };
}
