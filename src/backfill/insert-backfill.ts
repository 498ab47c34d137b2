/**
 * `backfill.insert` end to end: rows of `into` from rows of `from`, batched over `from`'s key.
 * Resolves both tables and the key, preflights `values`, `where` and `onConflict`, refuses
 * row-level security that would hide source rows or reject inserted ones (unless `perTenant` walks
 * the source tenant by tenant under `SET LOCAL <setting>`), then runs the engine.
 * Also its `plan` description and dry run.
 */

import type { Description, DryRunReport, ReadContext, StepContext, StepOutcome } from '../kind/step-kind.js';
import { StepFailedError } from '../model/errors.js';
import type { RelationName } from '../model/plan.js';
import { displayRelation, quoteIdent } from '../sql/ident.js';
import { keyAsText, keyOfRow, showKey } from '../sql/key-range.js';
import { batchSettings } from './batch-runner.js';
import { countMatching, creators, pendingExpand, prepare, sampleRows, show } from './dry-run.js';
import { countTransformed, producedText, transformSelectList } from './dry-run-transform.js';
import { runBackfill } from './engine.js';
import { conflictClause, type InsertSpec, insertWork, type OnConflict } from './insert-work.js';
import { columnTypes, type KeyInfo, KeyProblem, resolveKey, resolveTable, standInTable } from './key.js';
import { insertProbes, missingColumns, refuse, runProbes } from './preflight.js';
import { type PerTenant, rlsRefusal, rlsState, tenantWalk } from './rls.js';
import type { ThrottleOptions } from './throttle.js';
import type { TransformFn } from './work.js';

/** The options of `backfill.insert` the engine reads (the step's zod schema is the source of truth). */
export interface InsertOptions {
  id: string;
  from: RelationName;
  into: RelationName;
  values?: Record<string, string>;
  transform?: TransformFn;
  select?: string[];
  where?: string;
  key?: string[];
  batch?: { targetMs?: number; size?: number; pauseMs?: number; concurrency?: number | 'auto' };
  onConflict?: OnConflict;
  onError?: 'stop' | 'skip';
  /** Walk the source tenant by tenant under `SET LOCAL <setting>` (row-level security on either table). */
  perTenant?: PerTenant;
  throttle?: ThrottleOptions;
}

async function resolve(ctx: ReadContext, o: InsertOptions): Promise<InsertSpec> {
  const from = await resolveTable(ctx.db.pool, o.from);
  const into = await resolveTable(ctx.db.pool, o.into);
  for (const [t, rel] of [
    [from, o.from],
    [into, o.into],
  ] as const) {
    if (!t)
      throw new StepFailedError(
        o.id,
        `step "${o.id}": table ${displayRelation(rel)} does not exist`,
        'Create it in the expand phase (op.createTable) or fix the name; names are case-sensitive.',
      );
  }
  const fromTypes = await columnTypes(ctx.db.pool, from!.oid);
  const intoTypes = await columnTypes(ctx.db.pool, into!.oid);
  const issues = [
    ...missingColumns('values.*', into!, Object.keys(o.values ?? {}), intoTypes),
    ...missingColumns('select', from!, o.select ?? [], fromTypes),
  ];
  if (o.onConflict && o.onConflict !== 'ignore') {
    issues.push(
      ...missingColumns('onConflict.target', into!, o.onConflict.target, intoTypes),
      ...missingColumns('onConflict.update', into!, o.onConflict.update, intoTypes),
    );
  }
  let key: KeyInfo | undefined;
  try {
    key = await resolveKey(ctx.db.pool, from!, o.key);
  } catch (e) {
    if (!(e instanceof KeyProblem)) throw e;
    issues.push({ field: e.field, message: e.message });
  }
  if (!issues.length)
    issues.push(
      ...(await runProbes(
        ctx.db,
        insertProbes(from!, into!, {
          values: o.values,
          where: o.where,
          conflict: conflictClause(o.onConflict),
          conflictColumns: insertedColumns(o),
        }),
      )),
    );
  if (issues.length) refuse(ctx.plan.id, ctx.step.phase, o.id, issues);
  return {
    stepId: o.id,
    scope: { table: from!, key: key! },
    into: into!,
    intoTypes,
    values: o.values,
    transform: o.transform,
    select: o.select,
    where: o.where,
    onConflict: o.onConflict,
  };
}

/**
 * The columns a batch names in its `INSERT`, as far as the plan says: `values`' keys, else (a
 * transform) `onConflict`'s target and update columns; a transform with `onConflict: 'ignore'` names
 * none the plan knows.
 */
function insertedColumns(o: InsertOptions): string[] {
  if (o.values) return Object.keys(o.values);
  if (o.onConflict && o.onConflict !== 'ignore') return [...new Set([...o.onConflict.target, ...o.onConflict.update])];
  return [];
}

/** Run (or resume) the insert backfill. */
export async function applyInsert(ctx: StepContext, o: InsertOptions): Promise<StepOutcome> {
  const spec = await resolve(ctx, o);
  const source = await rlsState(ctx.db.pool, spec.scope.table);
  for (const [t, rls] of [
    [spec.scope.table, source],
    [spec.into, await rlsState(ctx.db.pool, spec.into)],
  ] as const) {
    if (rls.active && !o.perTenant)
      throw new StepFailedError(o.id, `step "${o.id}": ${rlsRefusal(t, rls)}`, 'Nothing was changed.');
  }
  if (o.perTenant) {
    const types = await columnTypes(ctx.db.pool, spec.scope.table.oid);
    const missing = missingColumns('perTenant.column', spec.scope.table, [o.perTenant.column], types);
    if (missing.length) refuse(ctx.plan.id, ctx.step.phase, o.id, missing);
  }
  return runBackfill({
    ctx,
    work: insertWork(spec),
    ...batchSettings(o, ctx.settings.backfillTargetMs),
    throttle: o.throttle ?? {},
    perTenant: o.perTenant ? await tenantWalk(ctx, o.id, spec.scope.table, o.perTenant, source.active) : undefined,
    rlsEnabled: source.active,
    split: true,
  });
}

/** What `tidemark plan` shows: the per-batch INSERT. */
export async function describeInsert(ctx: ReadContext, o: InsertOptions): Promise<Description> {
  const notes: string[] = [];
  const from = (await resolveTable(ctx.db.pool, o.from)) ?? standInTable(o.from);
  const into = (await resolveTable(ctx.db.pool, o.into)) ?? standInTable(o.into);
  let key: KeyInfo = { columns: o.key ?? ['<primary key>'], types: (o.key ?? ['']).map(() => 'unknown'), index: '' };
  if (from.oid) {
    try {
      key = await resolveKey(ctx.db.pool, from, o.key);
    } catch (e) {
      if (!(e instanceof KeyProblem)) throw e;
      notes.push(`would be refused: ${e.message}`);
    }
  }
  const intoTypes = into.oid ? await columnTypes(ctx.db.pool, into.oid) : new Map<string, string>();
  const actions = insertWork({
    stepId: o.id,
    scope: { table: from, key },
    into,
    intoTypes,
    values: o.values,
    transform: o.transform,
    select: o.select,
    where: o.where,
    onConflict: o.onConflict,
  }).template();
  const target = o.batch?.size
    ? `${o.batch.size} source rows per batch (pinned)`
    : `batches sized to about ${o.batch?.targetMs ?? ctx.settings.backfillTargetMs} ms each`;
  notes.push(
    `walks ${from.display} by ${key.columns.join(', ')}; ${target}; the cursor commits with the inserted rows, so a rerun never inserts a row twice`,
  );
  if (o.perTenant)
    notes.push(`tenant by tenant: SET LOCAL ${o.perTenant.setting} = <tenant> (${from.display}.${o.perTenant.column})`);
  return { actions, notes };
}

/** `--dry-run`: source rows it would read, rows it would insert, and a sample. */
export async function dryRunInsert(ctx: ReadContext, o: InsertOptions): Promise<DryRunReport> {
  const label = `backfill ${displayRelation(o.from)} → ${displayRelation(o.into)}`;
  const p = await prepare(ctx, o.from, o.key, o.select ?? [], label);
  if ('lines' in p) return p;
  const count = await countMatching(ctx, p, o.where, o.perTenant);
  if ('refused' in count) return { lines: [`${label}: would be refused: ${count.refused}`], rows: null };
  const into = await resolveTable(ctx.db.pool, o.into);
  const by = into ? [] : creators(pendingExpand(ctx), o.into);
  if (!into && !by.length)
    return {
      lines: [`${label}: would fail: ${displayRelation(o.into)} does not exist and no pending expand step creates it`],
      rows: null,
    };
  const after = into
    ? ''
    : ` (${displayRelation(o.into)} is created by pending expand step ${by.map((x) => `"${x}"`).join(', ')}: after expand)`;
  const sourceRows = `${count.n} source row(s)${o.where ? ` (where ${o.where})` : ''}`;
  const lines = [
    o.values
      ? `${label}: would insert ${o.onConflict ? 'up to ' : ''}${count.n} row(s) from ${sourceRows}${after}`
      : `${label}: ${sourceRows} go to the transform${after}`,
  ];
  if (!count.n) return { lines, rows: count.n };
  if (o.transform && !o.perTenant && into) {
    try {
      const t = await countTransformed(
        ctx,
        p,
        transformSelectList(p, o.select),
        o.where,
        count.n,
        async (rows) => (((await o.transform!(rows)) ?? []) as unknown[]).length,
      );
      lines[0] = `${label}: would insert ${o.onConflict ? 'up to ' : ''}${producedText(t)} from ${sourceRows} (the transform's output, counted without writing)`;
    } catch (e) {
      lines.push(`  (the transform's output not counted: ${(e as Error).message})`);
    }
  }
  try {
    if (o.values) {
      const cols = Object.keys(o.values);
      const list = [keyAsText(p.key, p.table.sql), ...cols.map((c, i) => `(${o.values![c]}) AS v${i}`)].join(', ');
      for (const r of await sampleRows(ctx, p, list, o.where)) {
        lines.push(
          `  ${showKey(p.key, keyOfRow(p.key, r))} → ${cols.map((c, i) => `${c} = ${show(r[`v${i}`])}`).join(', ')}`,
        );
      }
    } else {
      const sample = await sampleRows(
        ctx,
        p,
        o.select
          ? [...new Set([...p.key.columns, ...o.select])].map((c) => `${p.table.sql}.${quoteIdent(c)}`).join(', ')
          : `${p.table.sql}.*`,
        o.where,
      );
      const out = ((await o.transform!(sample)) ?? []) as Record<string, unknown>[];
      lines.push(`  the first ${sample.length} source row(s) give ${out.length} row(s), e.g.:`);
      for (const r of out.slice(0, 5))
        lines.push(
          `  ${Object.entries(r)
            .map(([c, v]) => `${c} = ${show(v)}`)
            .join(', ')}`,
        );
    }
  } catch (e) {
    lines.push(`  (sample not computed: ${(e as Error).message})`);
  }
  return { lines, rows: count.n };
}
