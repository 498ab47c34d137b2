/**
 * `op.dropColumn`'s apply: refuse what could not be restored (views, foreign keys pointing at the
 * column, generated or identity columns, triggers and policies that read it, a table without a
 * primary key), archive (key, value) of every row through the backfill engine while a trigger records rows written
 * meanwhile, then drop the column in one short transaction that records the exact definition of
 * the column, its indexes and constraints. Resumable at every stage: each one checks the catalog
 * and the saved cursor first.
 */

import { type KeyWalk, type WalkState, walkFinished, walkKeyRanges } from '../backfill/op-walk.js';
import type { KeyColumn } from '../db/catalog.js';
import { primaryKeyColumns } from '../db/catalog.js';
import type { Queryable } from '../db/connection.js';
import type { StepContext, StepOutcome } from '../kind/step-kind.js';
import { StepFailedError } from '../model/errors.js';
import type { RelationName } from '../model/plan.js';
import { displayRelation } from '../sql/ident.js';
import { keyOf, rangePredicate } from '../sql/key-range.js';
import { Params } from '../sql/params.js';
import {
  ARCHIVE_SCHEMA,
  activeArchive,
  ensureArchiveSchema,
  recordArchive,
  updateArchiveDefinition,
} from './archive.js';
import {
  type ColumnDef,
  columnDef,
  columnDependents,
  dependencyFingerprint,
  type RelationRef,
  resolveRef,
} from './archive-catalog.js';
import { type ColumnArchiveDef, columnArchiveNames, columnArchiveSql, withRange } from './archive-column-sql.js';
import { unrestorableReason } from './archive-restore.js';
import { announce } from './exec.js';

/** Options of `op.dropColumn`. */
export interface DropColumnOptions {
  id: string;
  table: RelationName;
  column: string;
  /** The archive copy's batches and throttle (as `backfill.update` takes them). */
  batch?: KeyWalk['batch'];
  throttle?: KeyWalk['throttle'];
}

/** Progress saved while archiving. */
interface Progress {
  stage: 'copy' | 'dropped';
  /** The copy's walk (the backfill engine's state). */
  walk?: WalkState;
  /** The last key copied (a copy of the walk's cursor). */
  cursor?: string[] | null;
  copied?: number;
  copyDone?: boolean;
}

/** Why the column cannot be dropped with a restorable archive (every reason at once). */
export function refusals(
  c: ColumnDef,
  key: KeyColumn[],
  deps: Awaited<ReturnType<typeof columnDependents>>,
  ownTrigger: string,
): string[] {
  const out: string[] = [];
  if (!key.length) out.push('the table has no primary key: the archive keeps values by key');
  if (key.some((k) => k.name === c.name)) out.push('the column is part of the primary key');
  if (c.generated)
    out.push('it is a generated column: re-adding it on rollback would rewrite the table under an exclusive lock');
  if (c.identity) out.push('it is an identity column');
  if (deps.views.length) out.push(`views or rules read it: ${deps.views.join(', ')} (drop or redefine them first)`);
  if (deps.referencedBy.length)
    out.push(`foreign keys reference it: ${deps.referencedBy.join(', ')} (drop them first with op.dropConstraint)`);
  const others = deps.others.filter((d) => !d.startsWith(`trigger ${ownTrigger} on `));
  if (others.length) out.push(`other objects depend on it: ${others.join(', ')}`);
  for (const con of deps.constraints) {
    const why = unrestorableReason(con);
    if (why) out.push(why);
  }
  return out;
}

/** Read the definition of the column, its key, indexes and constraints. */
export async function captureColumn(
  q: Queryable,
  table: RelationRef,
  column: string,
  names: ReturnType<typeof columnArchiveNames>,
): Promise<{ def: ColumnArchiveDef; problems: string[] } | null> {
  const c = await columnDef(q, table.oid, column);
  if (!c) return null;
  const key = await primaryKeyColumns(q, table.oid);
  const deps = await columnDependents(q, table.oid, c.attnum);
  const def: ColumnArchiveDef = {
    table: { schema: table.schema, name: table.name },
    column: c,
    key,
    indexes: deps.indexes,
    constraints: deps.constraints,
    ...names,
  };
  return { def, problems: refusals(c, key, deps, names.trigger) };
}

function refuse(ctx: StepContext, table: RelationRef, column: string, problems: string[]): never {
  throw new StepFailedError(
    ctx.step.id,
    `cannot drop ${table.display}.${column} restorably: ${problems.join('; ')}`,
    'Nothing was changed. Resolve the reasons above, or drop it with a raw `sql` step that carries its own `down`.',
  );
}

/** Archive the column's values, then drop it in one short transaction. */
export async function archiveAndDropColumn(ctx: StepContext, o: DropColumnOptions): Promise<StepOutcome> {
  const archived = await activeArchive(ctx.ledger, ctx.plan.id, o.id);
  const table = await resolveRef(ctx.db.pool, o.table);
  if (!table) throw new StepFailedError(o.id, `table ${displayRelation(o.table)} does not exist`);
  const names = columnArchiveNames(ctx.plan.id, o.id, table.name, o.column);
  const cap = await captureColumn(ctx.db.pool, table, o.column, names);
  if (!cap) {
    if (archived?.definition.dropped)
      return { notes: ['already dropped and archived'], details: { archive: archived.archiveTable } };
    throw new StepFailedError(o.id, `column "${o.column}" does not exist in ${table.display}`);
  }
  if (cap.problems.length) refuse(ctx, table, o.column, cap.problems);
  const def = cap.def;
  const s = columnArchiveSql(def, table);
  const label = `step "${o.id}"`;
  let progress = (ctx.progress as Progress | null) ?? null;

  // 1. The archive table and its ledger record.
  let archiveId = archived?.id;
  announce(ctx, { sql: s.createTable });
  if (!archived) {
    archiveId = await ctx.tx(`${label}: create archive`, async (c) => {
      await ensureArchiveSchema(c);
      await c.query(s.createTable);
      const rec = await recordArchive(ctx.ledger, c, {
        planId: ctx.plan.id,
        stepId: o.id,
        kind: 'column',
        object: `${table.display}.${o.column}`,
        archiveTable: def.archiveTable,
        definition: { ...def },
      });
      progress = { stage: 'copy', copied: 0 };
      await ctx.saveProgress({ ...progress }, c);
      return rec.id;
    });
  } else {
    await ctx.tx(`${label}: archive table`, (c) => c.query(s.createTable));
  }
  if (progress?.stage !== 'copy') progress = { stage: 'copy', copied: 0 };

  // 2. The trigger that records rows written while the copy runs.
  const hasTrigger =
    (await ctx.db.rows(`SELECT 1 FROM pg_trigger WHERE tgrelid = $1 AND tgname = $2`, [table.oid, def.trigger]))
      .length > 0;
  if (!hasTrigger) {
    announce(ctx, { sql: s.createFunction });
    announce(ctx, { sql: s.createTrigger });
    await ctx.tx(`${label}: archive trigger`, async (c) => {
      await c.query(s.createFunction);
      await c.query(s.createTrigger);
    });
  }

  // 3. The batched copy, through the backfill engine.
  let copied = progress.copied ?? 0;
  if (!progress.copyDone) {
    if (progress.cursor)
      ctx.emit({
        type: 'notice',
        level: 'info',
        stepId: o.id,
        message: `resuming the archive copy after key ${JSON.stringify(progress.cursor)}`,
      });
    const key = keyOf(def.key);
    const walk = await walkKeyRanges({
      ctx,
      table,
      key,
      state: progress.walk,
      save: async (st, c) => {
        copied = Number(st.rows ?? 0);
        await ctx.saveProgress(
          {
            stage: 'copy',
            walk: st,
            cursor: (st.cursor as string[] | null) ?? null,
            copied,
            copyDone: walkFinished(st),
          },
          c,
        );
      },
      run: async (c, range) => {
        const p = new Params();
        return (await c.query(withRange(s.copy, rangePredicate(key, range, p)), p.values)).rowCount ?? 0;
      },
      batch: o.batch,
      throttle: o.throttle,
      note: 'archiving',
    });
    copied = walk.rows;
  }

  // 4. One short transaction: record the exact definition, remove the trigger, drop the column.
  //    The definition is read before the lock; under it, one fingerprint query proves it unchanged.
  const pre = await captureColumn(ctx.db.pool, table, o.column, names);
  if (!pre)
    throw new StepFailedError(
      o.id,
      `column "${o.column}" disappeared from ${table.display} while it was being archived`,
    );
  if (pre.problems.length) refuse(ctx, table, o.column, pre.problems);
  const f0 = await dependencyFingerprint(ctx.db.pool, table.oid, pre.def.column.attnum);
  for (const sql of [s.lock, s.dropTrigger, s.dropColumn, s.dropFunction]) announce(ctx, { sql });
  await ctx.tx(`${label}: drop column`, async (c) => {
    await c.query(s.lock);
    let now = pre;
    if ((await dependencyFingerprint(c, table.oid, pre.def.column.attnum)) !== f0) {
      const again = await captureColumn(c, table, o.column, names);
      if (!again)
        throw new StepFailedError(
          o.id,
          `column "${o.column}" disappeared from ${table.display} while it was being archived`,
        );
      if (again.problems.length) refuse(ctx, table, o.column, again.problems);
      now = again;
    }
    await updateArchiveDefinition(ctx.ledger, c, archiveId!, { ...now.def, dropped: true });
    await c.query([s.dropTrigger, s.dropColumn, s.dropFunction].join(';\n'));
    await ctx.saveProgress({ stage: 'dropped' }, c);
    await ctx.markCompleted(c, {
      rowsAffected: copied,
      details: {
        archive: def.archiveTable,
        rowsCopied: copied,
        indexes: now.def.indexes.map((i) => i.name),
        constraints: now.def.constraints.map((x) => x.name),
      },
    });
  });
  return {
    rowsAffected: copied,
    recorded: true,
    notes: [`archived ${copied} row(s) in ${ARCHIVE_SCHEMA}.${def.archiveTable} (plus rows written during the copy)`],
  };
}
