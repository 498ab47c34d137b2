/**
 * `op.convertToEnum({ id, table, column, enum, values? })` — creates the enum when `values` is
 * given, checks every existing value first (reporting the offenders, nothing changed), and
 * converts the column and its default: in place under one short lock when the rewrite's estimated
 * lock time is within `maxRewriteLockMs`, through a shadow column otherwise (sync trigger, batched backfill,
 * indexes rebuilt concurrently, one short swap). `down` converts back to the original type the
 * same way and drops the enum if this step created it. See docs/steps/op-convert-to-enum.md.
 */
import { z } from 'zod';
import * as allowedValues from '../checks/allowed-values.js';
import { sqlState } from '../db/connection.js';
import { DEFAULT_MAX_REWRITE_LOCK_MS, rewriteRate } from '../db/rewrite-rate.js';
import { batchOptions, common, ident, relation, throttleOptions } from '../kind/fields.js';
import { formatAction } from '../kind/format-action.js';
import type { Action, CheckKind, Description, ReadContext, StepContext, StepKind } from '../kind/step-kind.js';
import { StepFailedError } from '../model/errors.js';
import { displayRelation } from '../sql/ident.js';
import { announce, progressOf } from './exec.js';
import { labelProblem } from './op-create-enum.js';
import { cleanupShadow, runShadow, type ShadowProgress } from './shadow-column.js';
import {
  conversionProblems,
  downSpec,
  dropEnumAction,
  type EnumConversion,
  inPlaceActions,
  type Original,
  type PathPolicy,
  planConversion,
  trialConversion,
  upSpec,
} from './shadow-enum.js';
import { shadowActions, shadowNames, shadowSql } from './shadow-sql.js';

/** The options of `op.convertToEnum`, as a plan writes them. */
export const schema = z
  .object({
    ...common,
    table: relation,
    column: ident,
    enum: relation,
    values: z.array(z.string().min(1)).min(1).optional(),
    /** The shadow fill's batches and throttle (docs/backfill.md). */
    batch: batchOptions.optional(),
    throttle: throttleOptions.optional(),
  })
  .strict();

/** Validated options. */
export type Options = z.infer<typeof schema>;
/** Options as the builder accepts them. */
export type Input = z.input<typeof schema>;

/** What the step saves in the ledger: the path taken, the original column, the shadow engines' progress. */
interface Progress {
  path?: 'in-place' | 'shadow';
  original?: Original;
  createdEnum?: boolean;
  shadow?: ShadowProgress;
  downPath?: 'in-place' | 'shadow';
  down?: ShadowProgress;
}

const check = allowedValues.kind as CheckKind<allowedValues.Options>;

/** The path policy of this run: its lock-time budget, the legacy row cap, the rate measured once per run. */
function pathPolicy(ctx: ReadContext): PathPolicy {
  const s = ctx.settings;
  return {
    maxLockMs: s.maxRewriteLockMs ?? DEFAULT_MAX_REWRITE_LOCK_MS,
    maxRows: s.shadowThresholdRows,
    rate: () => rewriteRate(ctx.db, s.rewriteRate),
  };
}

function original(c: EnumConversion): Original {
  return { type: c.column.type, collation: c.column.collation, default: c.column.default };
}

/** Every existing value must be a label: fail with the check's message and sample otherwise. */
async function checkValues(ctx: ReadContext, o: Options, c: EnumConversion): Promise<void> {
  const r = await check.evaluate(ctx, { id: o.id, table: o.table, column: o.column, values: c.labels! });
  if (r.status === 'pass') return;
  throw new StepFailedError(
    o.id,
    `cannot convert ${c.table.display}.${o.column} to enum ${displayRelation(o.enum)}: ${r.message ?? `${String(r.actual)} row(s) hold other values`}`,
    'Nothing was changed. Fix those rows (or add the values to the enum), then run again.',
    { sample: r.sample, actual: r.actual },
  );
}

/** A value outside the enum appeared while converting (SQLSTATE 22P02): report it like the check does. */
async function explainCastFailure(ctx: StepContext, o: Options, c: EnumConversion, e: unknown): Promise<never> {
  if (sqlState(e) === '22P02' && c.labels) await checkValues(ctx, o, c);
  throw e;
}

async function describe(ctx: ReadContext, o: Options): Promise<Description> {
  const c = await planConversion(ctx.db.pool, o, pathPolicy(ctx));
  if (!c)
    return {
      actions: [],
      notes: [
        `${displayRelation(o.table)}.${o.column} does not exist yet: its values are checked, then it is converted in place or through a shadow column by size`,
      ],
    };
  if (c.converted)
    return { actions: [], notes: [`${c.table.display}.${o.column} already has type ${displayRelation(o.enum)}`] };
  const notes = [`first checks that every value of ${o.column} is one of (${(c.labels ?? o.values ?? []).join(', ')})`];
  if (c.problems.length) notes.push(`will be refused: ${c.problems.join('; ')}`);
  const actions: Action[] = c.createEnum
    ? [{ sql: c.createEnum, lock: 'none', note: 'a new type: blocks nobody' }]
    : [];
  if (c.path === 'in-place') {
    notes.push(`in place, one transaction: ${c.reason}`);
    actions.push(...inPlaceActions(c.table, o.column, c.enumSql, c.enumSql, c.column.default, c.newDefault));
  } else {
    notes.push(`through a shadow column (short locks only): ${c.reason}`);
    actions.push(...shadowActions(await shadowSql(upSpec(c, ctx.ledgerSchema)), c.key));
  }
  return { actions, notes };
}

async function describeDown(ctx: ReadContext, o: Options): Promise<Description> {
  const p = ((await progressOf(ctx)) ?? {}) as Progress;
  const c = await planConversion(ctx.db.pool, o, pathPolicy(ctx));
  if (!c)
    return { actions: [], notes: [`${displayRelation(o.table)}.${o.column} does not exist: nothing to convert back`] };
  const orig = p.original ?? { type: 'text', collation: null, default: null };
  const actions: Action[] = [];
  const notes: string[] = [];
  if (c.converted) {
    const path = p.downPath ?? c.path;
    if (path === 'in-place')
      actions.push(
        ...inPlaceActions(c.table, o.column, withCollation(orig), orig.type, c.column.default, orig.default),
      );
    else actions.push(...shadowActions(await shadowSql(downSpec(c, orig, ctx.ledgerSchema)), c.key));
    notes.push(`back to ${orig.type}, in ${path === 'in-place' ? 'place' : 'a shadow column'}`);
  } else if (p.path === 'shadow') {
    const q = await shadowSql(upSpec(c, ctx.ledgerSchema));
    actions.push(
      ...q.cleanup.map(
        (sql): Action => ({
          sql,
          lock: 'ACCESS EXCLUSIVE',
          note: 'the conversion never swapped: remove its shadow column',
        }),
      ),
    );
  }
  if (p.createdEnum) actions.push(dropEnumAction(c.enumSql));
  return { actions, notes };
}

function withCollation(o: Original): string {
  return `${o.type}${o.collation ? ` COLLATE ${o.collation}` : ''}`;
}

/** The `op.convertToEnum` step kind. */
export const kind = {
  kind: 'op.convertToEnum',
  category: 'op',
  schema,
  phases: ['expand', 'contract'],
  validate(o) {
    const issues: { field: string; message: string }[] = [];
    const seen = new Set<string>();
    (o.values ?? []).forEach((v, i) => {
      const p = labelProblem(v);
      if (p) issues.push({ field: `values[${i}]`, message: p });
      if (seen.has(v)) issues.push({ field: `values[${i}]`, message: `"${v}" is listed twice` });
      seen.add(v);
    });
    return issues;
  },
  describe,
  describeDown,
  async dryRun(ctx, o) {
    const d = await describe(ctx, o);
    const lines = [...d.actions.map(formatAction), ...(d.notes ?? [])];
    const c = await planConversion(ctx.db.pool, o, pathPolicy(ctx));
    if (c && !c.converted && c.labels) {
      const r = await check.evaluate(ctx, { id: o.id, table: o.table, column: o.column, values: c.labels });
      lines.push(r.status === 'pass' ? 'every existing value is allowed' : `would be refused: ${r.message ?? ''}`);
    }
    return { lines };
  },
  async apply(ctx, o) {
    const p0 = (ctx.progress ?? {}) as Progress;
    const c = await planConversion(ctx.db.pool, o, pathPolicy(ctx), p0.path);
    if (!c) throw new StepFailedError(o.id, `${displayRelation(o.table)}.${o.column} does not exist`);
    const label = `step "${o.id}"`;
    if (c.converted) {
      if (p0.path === 'shadow' && p0.shadow?.swapped) {
        const progress: Progress = { ...p0 };
        await runShadow(
          ctx,
          upSpec(c, ctx.ledgerSchema),
          {
            progress: p0.shadow,
            save: (sp, cl) => ctx.saveProgress({ ...progress, shadow: sp }, cl),
            walk: o,
          },
          label,
        );
      }
      return { notes: [`${c.table.display}.${o.column} already has type ${displayRelation(o.enum)}`] };
    }
    if (c.problems.length) {
      throw new StepFailedError(
        o.id,
        `cannot convert ${c.table.display}.${o.column} to enum ${displayRelation(o.enum)}: ${c.problems.join('; ')}`,
        'Nothing was changed.',
      );
    }
    await checkValues(ctx, o, c);
    if (!p0.path) {
      const err = await trialConversion(
        ctx.db,
        ctx.policy.lockTimeoutMs,
        c.table,
        o.column,
        c.enumSql,
        c.enumSql,
        c.column.default,
        c.newDefault,
        c.createEnum,
      );
      if (err) {
        throw new StepFailedError(
          o.id,
          `cannot convert ${c.table.display}.${o.column} to enum ${displayRelation(o.enum)}: on an empty copy of the table, the conversion fails: ${err}`,
          'Nothing was changed. An index or constraint on the column cannot exist on the enum type (e.g. an expression or predicate casting it to text, which is not immutable for an enum): drop it before the conversion and recreate it on the enum after.',
        );
      }
    }
    const orig = p0.original ?? original(c);
    if (c.path === 'in-place') {
      const actions = [
        ...(c.createEnum ? [c.createEnum] : []),
        ...inPlaceActions(c.table, o.column, c.enumSql, c.enumSql, c.column.default, c.newDefault).map((a) => a.sql),
      ];
      for (const sql of actions) announce(ctx, { sql });
      try {
        await ctx.tx(label, async (cl) => {
          for (const sql of actions) await cl.query(sql);
          await ctx.saveProgress(
            { path: 'in-place', original: orig, createdEnum: !!c.createEnum || !!p0.createdEnum },
            cl,
          );
          await ctx.markCompleted(cl, { details: { path: 'in-place', rows: c.rows } });
        });
      } catch (e) {
        await explainCastFailure(ctx, o, c, e);
      }
      return { recorded: true, notes: ['converted in place'] };
    }
    const progress: Progress = {
      path: 'shadow',
      original: orig,
      createdEnum: !!p0.createdEnum,
      shadow: p0.shadow ?? {},
    };
    if (c.createEnum) announce(ctx, { sql: c.createEnum });
    await ctx.tx(label, async (cl) => {
      if (c.createEnum) {
        await cl.query(c.createEnum);
        progress.createdEnum = true;
      }
      await ctx.saveProgress({ ...progress }, cl);
    });
    const store = {
      progress: progress.shadow!,
      save: (sp: ShadowProgress, cl?: Parameters<StepContext['saveProgress']>[1]) =>
        ctx.saveProgress({ ...progress, shadow: sp }, cl),
      walk: o,
    };
    let rows = 0;
    try {
      rows = await runShadow(ctx, upSpec(c, ctx.ledgerSchema), store, label);
    } catch (e) {
      await explainCastFailure(ctx, o, c, e);
    }
    return {
      rowsAffected: rows,
      details: { path: 'shadow', rowsBackfilled: rows },
      notes: [`converted through a shadow column (${rows} row(s) backfilled)`],
    };
  },
  async rollback(ctx, o) {
    const p = (ctx.progress ?? {}) as Progress;
    const c = await planConversion(ctx.db.pool, o, pathPolicy(ctx));
    if (!c)
      throw new StepFailedError(o.id, `cannot convert back: ${displayRelation(o.table)}.${o.column} no longer exists`);
    const label = `rollback of step "${o.id}"`;
    const orig = p.original ?? { type: 'text', collation: null, default: null };
    const notes: string[] = [];
    if (c.converted) {
      const path = p.downPath ?? c.path;
      if (path === 'in-place') {
        const back = inPlaceActions(c.table, o.column, withCollation(orig), orig.type, c.column.default, orig.default);
        for (const a of back) announce(ctx, a);
        await ctx.tx(label, async (cl) => {
          for (const a of back) await cl.query(a.sql);
        });
      } else {
        const problems = conversionProblems(c.column, c.key, c.deps, [
          shadowNames({ table: c.table, column: c.column, tag: 'back' }).trigger,
        ]);
        if (problems.length)
          throw new StepFailedError(
            o.id,
            `cannot convert ${c.table.display}.${o.column} back to ${orig.type}: ${problems.join('; ')}`,
            'Nothing was changed.',
          );
        const base: Progress = { ...p, downPath: 'shadow' };
        await ctx.saveProgress({ ...base });
        await runShadow(
          ctx,
          downSpec(c, orig, ctx.ledgerSchema),
          { progress: p.down ?? {}, save: (sp, cl) => ctx.saveProgress({ ...base, down: sp }, cl), walk: o },
          label,
        );
      }
      notes.push(`converted back to ${orig.type} (${path})`);
    } else if (p.path === 'shadow') {
      await cleanupShadow(ctx, upSpec(c, ctx.ledgerSchema), label);
      notes.push('the conversion never swapped: removed its shadow column');
    }
    if (p.createdEnum) {
      try {
        announce(ctx, dropEnumAction(c.enumSql));
        await ctx.tx(label, (cl) => cl.query(dropEnumAction(c.enumSql).sql));
        notes.push(`dropped enum ${displayRelation(o.enum)}`);
      } catch (e) {
        if (sqlState(e) !== '2BP01') throw e;
        notes.push(
          `kept enum ${displayRelation(o.enum)}: something else uses it (${(e as { detail?: string }).detail ?? (e as Error).message})`,
        );
      }
    }
    return { notes };
  },
} satisfies StepKind<Options>;
