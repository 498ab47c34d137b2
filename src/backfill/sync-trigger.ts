/**
 * `keepInSync`: a BEFORE INSERT OR UPDATE trigger that applies a backfill's `set` to rows old
 * application code writes while the migration is in flight, and with `{ reverse }` fills the legacy
 * columns from rows new code writes. The expressions run against the written row under the table's
 * own name (`FROM (SELECT NEW.*) AS "Message"`), so they are used exactly as written in `set`.
 *
 * Direction: an UPDATE that changed a `set` column was written by new code (reverse applies);
 * an INSERT that fills a `set` column and leaves every `reverse` column NULL also; anything else
 * was written by old code (forward `set` applies). The backfill's own batches are recognised by
 * `SET LOCAL tidemark.backfill` and left alone. Installed lock-safely (ctx.tx), recorded in the
 * ledger's `sync_triggers` (src/ledger/sync-triggers.ts); {@link removeSyncTriggers} drops them
 * (contract phase, rollback).
 */
import type { Db } from '../db/connection.js';
import type { LockPolicy } from '../db/lock-policy.js';
import { type LockEvent, withLockRetry } from '../db/lock-safe.js';
import type { EventSink } from '../kind/events.js';
import type { Action, StepContext } from '../kind/step-kind.js';
import type { Ledger } from '../ledger/ledger.js';
import { installedSyncTriggers, markSyncTriggerRemoved, recordSyncTrigger } from '../ledger/sync-triggers.js';
import { sha256 } from '../sql/checksum.js';
import { generatedName, quoteIdent } from '../sql/ident.js';
import type { TableInfo } from './key.js';

/** The custom setting a batch sets so its own step's trigger leaves its writes alone. */
export const BACKFILL_SETTING = 'tidemark.backfill';

/** The value of {@link BACKFILL_SETTING} for one step. */
export function backfillMarker(planId: string, stepId: string): string {
  return `${planId}/${stepId}`;
}

/** What the trigger does. */
export interface SyncSpec {
  planId: string;
  stepId: string;
  table: TableInfo;
  set: Record<string, string>;
  reverse?: Record<string, string>;
}

/** Trigger and function names for a step (deterministic, within 63 bytes). */
export function syncNames(planId: string, stepId: string): { trigger: string; fn: string } {
  const base = generatedName(['tidemark', planId, stepId], 'sync', sha256);
  return { trigger: base, fn: base };
}

function dollarTag(texts: string[]): string {
  let tag = '$tidemark$';
  for (let i = 0; texts.some((t) => t.includes(tag)); i++) tag = `$tidemark${i}$`;
  return tag;
}

function assign(values: Record<string, string>, alias: string): string {
  const cols = Object.keys(values);
  return `SELECT ${cols.map((c) => `(${values[c]})`).join(', ')} INTO ${cols.map((c) => `NEW.${quoteIdent(c)}`).join(', ')} FROM (SELECT NEW.*) AS ${alias};`;
}

/** The statements that install the trigger (CREATE OR REPLACE: safe to run again). */
export function syncActions(s: SyncSpec): Action[] {
  const { trigger, fn } = syncNames(s.planId, s.stepId);
  const alias = quoteIdent(s.table.name);
  const fnName = `${quoteIdent(s.table.schema)}.${quoteIdent(fn)}`;
  const setCols = Object.keys(s.set);
  const changed = setCols.map((c) => `NEW.${quoteIdent(c)} IS DISTINCT FROM OLD.${quoteIdent(c)}`).join(' OR ');
  const lines = [
    'BEGIN',
    `  IF current_setting('${BACKFILL_SETTING}', true) = ${literal(backfillMarker(s.planId, s.stepId))} THEN RETURN NEW; END IF;`,
  ];
  if (s.reverse && Object.keys(s.reverse).length) {
    const legacyNull = Object.keys(s.reverse)
      .map((c) => `NEW.${quoteIdent(c)} IS NULL`)
      .join(' AND ');
    const newGiven = setCols.map((c) => `NEW.${quoteIdent(c)} IS NOT NULL`).join(' OR ');
    lines.push(
      `  IF (TG_OP = 'UPDATE' AND (${changed})) OR (TG_OP = 'INSERT' AND (${legacyNull}) AND (${newGiven})) THEN`,
      `    ${assign(s.reverse, alias)}`,
      '    RETURN NEW;',
      '  END IF;',
    );
  } else {
    lines.push(`  IF TG_OP = 'UPDATE' AND (${changed}) THEN RETURN NEW; END IF;`);
  }
  lines.push(`  ${assign(s.set, alias)}`, '  RETURN NEW;', 'END');
  const body = lines.join('\n');
  const tag = dollarTag([body]);
  return [
    {
      sql: `CREATE OR REPLACE FUNCTION ${fnName}() RETURNS trigger LANGUAGE plpgsql AS ${tag}\n${body}\n${tag}`,
      lock: 'none',
      note: `keepInSync: applies the backfill's set to rows old code writes${s.reverse ? ', and reverse to rows new code writes' : ''}`,
    },
    {
      sql: `CREATE OR REPLACE TRIGGER ${quoteIdent(trigger)} BEFORE INSERT OR UPDATE ON ${s.table.qualified} FOR EACH ROW EXECUTE FUNCTION ${fnName}()`,
      lock: 'SHARE ROW EXCLUSIVE',
      note: 'removed by the contract phase',
    },
  ];
}

/** A SQL string literal (for constants we generate, never for user values). */
function literal(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** Install (or refresh) the trigger and record it in the ledger, in one lock-safe transaction. */
export async function installSyncTrigger(ctx: StepContext, s: SyncSpec): Promise<void> {
  const { trigger, fn } = syncNames(s.planId, s.stepId);
  const actions = syncActions(s);
  await ctx.tx(`step "${s.stepId}": install the keepInSync trigger on ${s.table.display}`, async (client) => {
    for (const a of actions) await client.query(a.sql);
    await recordSyncTrigger(ctx.ledger, client, {
      planId: s.planId,
      stepId: s.stepId,
      table: s.table.qualified,
      trigger,
      fn: `${quoteIdent(s.table.schema)}.${quoteIdent(fn)}`,
    });
  });
}

/** The statements that remove a step's trigger (for `plan --rollback`). */
export function removeActions(s: Pick<SyncSpec, 'planId' | 'stepId' | 'table'>): Action[] {
  const { trigger, fn } = syncNames(s.planId, s.stepId);
  return [
    {
      sql: `DROP TRIGGER IF EXISTS ${quoteIdent(trigger)} ON ${s.table.qualified}`,
      lock: 'ACCESS EXCLUSIVE',
      note: 'the keepInSync trigger',
    },
    { sql: `DROP FUNCTION IF EXISTS ${quoteIdent(s.table.schema)}.${quoteIdent(fn)}()`, lock: 'none' },
  ];
}

/** What {@link removeSyncTriggers} needs: the runner's session has all of it. */
export interface SyncRemovalContext {
  db: Db;
  ledger: Ledger;
  policy: LockPolicy;
  emit?: EventSink;
}

/**
 * Drop the keepInSync triggers a plan (or one of its steps) installed and mark them removed in the
 * ledger, each in one lock-safe transaction. Idempotent. Returns the triggers removed.
 */
export async function removeSyncTriggers(
  s: SyncRemovalContext,
  planId: string,
  stepId?: string,
): Promise<{ stepId: string; table: string; trigger: string }[]> {
  const rows = await installedSyncTriggers(s.ledger, planId, stepId, s.db.pool);
  const removed: { stepId: string; table: string; trigger: string }[] = [];
  for (const r of rows) {
    const onEvent = (e: LockEvent) => s.emit?.({ ...e, stepId: r.step_id });
    await withLockRetry(
      s.db,
      s.policy,
      { what: `remove the keepInSync trigger "${r.trigger_name}" of step "${r.step_id}"`, onEvent },
      async (client) => {
        // Names come back from the catalog, quoted by PostgreSQL itself (the table may have been dropped).
        const t = await client.query<{ rel: string | null }>(`SELECT to_regclass($1)::text AS rel`, [r.table_name]);
        const rel = t.rows[0].rel;
        if (rel) {
          const has = await client.query(`SELECT 1 FROM pg_trigger WHERE tgrelid = $1::regclass AND tgname = $2`, [
            rel,
            r.trigger_name,
          ]);
          if (has.rows.length) await client.query(`DROP TRIGGER ${quoteIdent(r.trigger_name)} ON ${rel}`);
        }
        const fnOid = await client.query<{ oid: number | null }>(`SELECT to_regprocedure($1 || '()')::oid AS oid`, [
          r.function_name,
        ]);
        if (fnOid.rows[0].oid) {
          const name = await client.query<{ schema: string; name: string }>(
            `SELECT n.nspname AS schema, p.proname AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.oid = $1`,
            [fnOid.rows[0].oid],
          );
          await client.query(
            `DROP FUNCTION IF EXISTS ${quoteIdent(name.rows[0].schema)}.${quoteIdent(name.rows[0].name)}()`,
          );
        }
        await markSyncTriggerRemoved(s.ledger, client, planId, r.step_id, r.trigger_name);
      },
    );
    removed.push({ stepId: r.step_id, table: r.table_name, trigger: r.trigger_name });
    s.emit?.({
      type: 'notice',
      level: 'info',
      stepId: r.step_id,
      message: `removed the keepInSync trigger "${r.trigger_name}" from ${r.table_name}`,
    });
  }
  return removed;
}
