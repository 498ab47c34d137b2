/**
 * `backfill.update` end to end: resolve the table and key, preflight every SQL fragment, refuse
 * row-level security that would hide rows (or list the tenants for `perTenant`), install the
 * keepInSync trigger, then hand the walk to the engine. Also its `plan` description and dry run.
 */

import type { Action, Description, DryRunReport, ReadContext, StepContext, StepOutcome } from '../kind/step-kind.js';
import { StepFailedError } from '../model/errors.js';
import type { RelationName } from '../model/plan.js';
import { displayRelation, quoteIdent } from '../sql/ident.js';
import { keyAsText, keyOfRow, showKey } from '../sql/key-range.js';
import { batchSettings } from './batch-runner.js';
import { countMatching, prepare, sampleRows, show } from './dry-run.js';
import { countTransformed, producedText, transformSelectList } from './dry-run-transform.js';
import { runBackfill } from './engine.js';
import {
  columnTypes,
  type KeyInfo,
  KeyProblem,
  resolveKey,
  resolveTable,
  standInTable,
  type TableInfo,
} from './key.js';
import { missingColumns, refuse, runProbes, updateProbes } from './preflight.js';
import { type PerTenant, rlsRefusal, rlsState, tenantWalk } from './rls.js';
import { installSyncTrigger, syncActions } from './sync-trigger.js';
import type { ThrottleOptions } from './throttle.js';
import { matchChanges, type UpdateSpec, updateWork } from './update-work.js';
import type { TransformFn } from './work.js';

/** The options of `backfill.update` the engine reads (the step's zod schema is the source of truth). */
export interface UpdateOptions {
  id: string;
  table: RelationName;
  set?: Record<string, string>;
  transform?: TransformFn;
  select?: string[];
  where?: string;
  key?: string[];
  batch?: { targetMs?: number; size?: number; pauseMs?: number; concurrency?: number | 'auto' };
  keepInSync?: boolean | { reverse: Record<string, string> };
  onError?: 'stop' | 'skip';
  perTenant?: PerTenant;
  throttle?: ThrottleOptions;
}

const reverseOf = (o: UpdateOptions) => (typeof o.keepInSync === 'object' ? o.keepInSync.reverse : undefined);

/** Resolve and check everything before anything is written; plan problems throw exit 2. */
async function resolve(ctx: ReadContext, o: UpdateOptions): Promise<{ spec: UpdateSpec; table: TableInfo }> {
  const table = await resolveTable(ctx.db.pool, o.table);
  if (!table)
    throw new StepFailedError(
      o.id,
      `step "${o.id}": table ${displayRelation(o.table)} does not exist`,
      'Create it in the expand phase (op.createTable) or fix the name; names are case-sensitive.',
    );
  const types = await columnTypes(ctx.db.pool, table.oid);
  const issues = [
    ...missingColumns('set.*', table, Object.keys(o.set ?? {}), types),
    ...missingColumns('select', table, o.select ?? [], types),
    ...missingColumns('keepInSync.reverse.*', table, Object.keys(reverseOf(o) ?? {}), types),
    ...missingColumns('perTenant.column', table, o.perTenant ? [o.perTenant.column] : [], types),
  ];
  let key: KeyInfo | undefined;
  try {
    key = await resolveKey(ctx.db.pool, table, o.key);
  } catch (e) {
    if (!(e instanceof KeyProblem)) throw e;
    issues.push({ field: e.field, message: e.message });
  }
  if (key && o.set) {
    for (const c of key.columns)
      if (c in o.set)
        issues.push({
          field: `set.${c}`,
          message: `"${c}" is part of the key the backfill walks; a backfill cannot change it`,
        });
  }
  if (!issues.length)
    issues.push(
      ...(await runProbes(
        ctx.db,
        updateProbes(table, {
          set: o.set,
          where: o.where,
          reverse: reverseOf(o),
          when: o.throttle?.when,
          keepInSync: !!o.keepInSync,
        }),
      )),
    );
  if (issues.length) refuse(ctx.plan.id, ctx.step.phase, o.id, issues);
  return {
    table,
    spec: {
      stepId: o.id,
      scope: { table, key: key! },
      set: o.set,
      transform: o.transform,
      select: o.select,
      where: o.where,
      columnTypes: types,
    },
  };
}

/**
 * Run (or resume) the backfill. A backfill step is split into leased key ranges that any worker
 * may join (docs/work.md); an op's fill (`split: false`) is one walk whose cursor stays in the
 * op's own progress.
 */
export async function applyUpdate(ctx: StepContext, o: UpdateOptions, { split = true } = {}): Promise<StepOutcome> {
  const { spec, table } = await resolve(ctx, o);
  const rls = await rlsState(ctx.db.pool, table);
  if (rls.active && !o.perTenant)
    throw new StepFailedError(o.id, `step "${o.id}": ${rlsRefusal(table, rls)}`, 'Nothing was changed.');
  const perTenant = o.perTenant ? await tenantWalk(ctx, o.id, table, o.perTenant, rls.active) : undefined;
  // A `tidemark work` worker joins a backfill `run` started: the trigger is `run`'s to install.
  if (o.keepInSync && o.set && !ctx.worker)
    await installSyncTrigger(ctx, { planId: ctx.plan.id, stepId: o.id, table, set: o.set, reverse: reverseOf(o) });
  return runBackfill({
    ctx,
    work: updateWork(spec),
    ...batchSettings(o, ctx.settings.backfillTargetMs),
    throttle: o.throttle ?? {},
    perTenant,
    rlsEnabled: rls.active,
    split,
  });
}

/** A stand-in table and key for describing a step whose table does not exist yet. */
function placeholder(o: UpdateOptions): { table: TableInfo; key: KeyInfo } {
  const cols = o.key ?? ['<primary key>'];
  return {
    table: standInTable(o.table),
    key: { columns: cols, types: cols.map(() => 'unknown'), index: '' },
  };
}

/** What `tidemark plan` shows: the trigger (keepInSync) and the per-batch statement. */
export async function describeUpdate(ctx: ReadContext, o: UpdateOptions): Promise<Description> {
  let table = await resolveTable(ctx.db.pool, o.table);
  let key: KeyInfo;
  const notes: string[] = [];
  if (table) {
    try {
      key = await resolveKey(ctx.db.pool, table, o.key);
    } catch (e) {
      if (!(e instanceof KeyProblem)) throw e;
      notes.push(`would be refused: ${e.message}`);
      key = placeholder(o).key;
    }
  } else {
    ({ table, key } = placeholder(o));
    notes.push(`${displayRelation(o.table)} does not exist yet: the key is resolved when the step runs`);
  }
  const types = table.oid ? await columnTypes(ctx.db.pool, table.oid) : new Map<string, string>();
  const actions: Action[] = [];
  if (o.keepInSync && o.set)
    actions.push(...syncActions({ planId: ctx.plan.id, stepId: o.id, table, set: o.set, reverse: reverseOf(o) }));
  actions.push(
    ...updateWork({
      stepId: o.id,
      scope: { table, key },
      set: o.set,
      transform: o.transform,
      select: o.select,
      where: o.where,
      columnTypes: types,
    }).template(),
  );
  const target = o.batch?.size
    ? `${o.batch.size} rows per batch (pinned)`
    : `batches sized to about ${o.batch?.targetMs ?? ctx.settings.backfillTargetMs} ms each`;
  notes.push(
    `walks ${key.columns.join(', ')} in order; ${target}; each batch commits with its cursor, so a rerun resumes after the last one`,
  );
  if (o.perTenant) notes.push(`tenant by tenant: SET LOCAL ${o.perTenant.setting} = <tenant> (${o.perTenant.column})`);
  return { actions, notes };
}

/** `--dry-run`: rows that would change and a before/after sample. */
export async function dryRunUpdate(ctx: ReadContext, o: UpdateOptions): Promise<DryRunReport> {
  const label = `backfill ${displayRelation(o.table)}`;
  const needed = [...Object.keys(o.set ?? {}), ...(o.select ?? [])];
  const p = await prepare(ctx, o.table, o.key, needed, label);
  if ('lines' in p) return p;
  let count: Awaited<ReturnType<typeof countMatching>>;
  try {
    count = await countMatching(ctx, p, o.where, o.perTenant);
  } catch (e) {
    return { lines: [`${label}: would fail: ${(e as Error).message}`], rows: null };
  }
  if ('refused' in count) return { lines: [`${label}: would be refused: ${count.refused}`], rows: null };
  const lines = [
    o.set
      ? `${label}: would change ${count.n} row(s)${o.where ? ` (where ${o.where})` : ''}`
      : `${label}: ${count.n} row(s) go to the transform${o.where ? ` (where ${o.where})` : ''}; it decides which change`,
  ];
  if (o.keepInSync) lines.push('would install a keepInSync trigger (removed by the contract phase)');
  if (o.perTenant || !count.n) return { lines, rows: count.n };
  if (o.transform) {
    try {
      const spec: UpdateSpec = {
        stepId: o.id,
        scope: { table: p.table, key: p.key },
        transform: o.transform,
        select: o.select,
        where: o.where,
        columnTypes: p.types,
      };
      const t = await countTransformed(
        ctx,
        p,
        transformSelectList(p, o.select),
        o.where,
        count.n,
        async (rows, textKeys) =>
          matchChanges(spec, rows, textKeys, ((await o.transform!(rows)) ?? []) as Record<string, unknown>[]).length,
      );
      lines[0] = `${label}: would change ${producedText(t)} of ${count.n} read${o.where ? ` (where ${o.where})` : ''} (the transform's changes, counted without writing)`;
    } catch (e) {
      lines.push(`  (the transform's changes not counted: ${(e as Error).message})`);
    }
  }
  try {
    const key = p.key;
    if (o.set) {
      const cols = Object.keys(o.set);
      const list = [
        keyAsText(key, p.table.sql),
        ...cols.map((c, i) => `${p.table.sql}.${quoteIdent(c)} AS b${i}, (${o.set![c]}) AS a${i}`),
      ].join(', ');
      for (const r of await sampleRows(ctx, p, list, o.where)) {
        lines.push(
          `  ${showKey(key, keyOfRow(key, r))}: ${cols.map((c, i) => `${c} ${show(r[`b${i}`])} → ${show(r[`a${i}`])}`).join(', ')}`,
        );
      }
    } else {
      const spec: UpdateSpec = {
        stepId: o.id,
        scope: { table: p.table, key },
        transform: o.transform,
        select: o.select,
        where: o.where,
        columnTypes: p.types,
      };
      const list = `${o.select ? [...new Set([...key.columns, ...o.select])].map((c) => `${p.table.sql}.${quoteIdent(c)}`).join(', ') : `${p.table.sql}.*`}, ${keyAsText(key, p.table.sql).replace(/ AS k(\d+)/g, ' AS __tm_k$1')}`;
      const raw = await sampleRows(ctx, p, list, o.where);
      const textKeys = raw.map((r) => key.columns.map((_, i) => String(r[`__tm_k${i}`])));
      for (const r of raw) for (let i = 0; i < key.columns.length; i++) delete r[`__tm_k${i}`];
      const changes = matchChanges(spec, raw, textKeys, ((await o.transform!(raw)) ?? []) as Record<string, unknown>[]);
      for (const ch of changes) {
        const k = key.columns.map((_, i) => String(ch[`__tm_k${i}`]));
        const before = raw[textKeys.findIndex((t) => t.join('\u0000') === k.join('\u0000'))] ?? {};
        const cols = Object.keys(ch).filter((c) => !c.startsWith('__tm_k'));
        lines.push(
          `  ${showKey(key, k)}: ${cols.map((c) => `${c} ${c in before ? show(before[c]) : '(not selected)'} → ${show(ch[c])}`).join(', ')}`,
        );
      }
    }
  } catch (e) {
    lines.push(`  (sample not computed: ${(e as Error).message})`);
  }
  return { lines, rows: count.n };
}
